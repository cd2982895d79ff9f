package weights

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/quant"
)

// ExportOptions configures ExportGGUF.
type ExportOptions struct {
	// Type is the target type of 2-D weights (the token embedding
	// included): quant.Q8_0, quant.F16, quant.BF16 or quant.F32. Norms,
	// biases and other 1-D tensors stay F32, as llama.cpp keeps them; a
	// Q8_0 weight whose rows are not a multiple of 32 falls back to F16,
	// as convert_hf_to_gguf.py does.
	Type quant.Type
	// Name is general.name; "" takes the model folder's base name.
	Name string
	// Progress, when set, is called before each tensor and once at the
	// end (Done true).
	Progress func(ExportProgress)
}

// ExportProgress reports how far ExportGGUF is.
type ExportProgress struct {
	File         string // output file being written
	Tensor       string // GGUF name of the tensor about to be written
	Index, Count int    // tensors done so far, in all files, and in all
	Bytes, Total int64  // output tensor bytes written so far, and in all
	Elapsed      time.Duration
	Done         bool
}

// ExportResult says what ExportGGUF wrote.
type ExportResult struct {
	Main    string // the text model's GGUF
	MMProj  string // the vision tower's companion GGUF ("" for text-only models)
	Tensors int
	Bytes   int64 // tensor bytes in all files
}

// exportTensor is one output tensor: its GGUF spec and how to produce its
// bytes from the source checkpoint.
type exportTensor struct {
	spec quant.TensorSpec
	src  TensorInfo
	// rows selects source rows [rowLo, rowHi) of a 2-D tensor (a third of a
	// fused qkv); both zero means the whole tensor.
	rowLo, rowHi int
	// plane, when ≥ 0, takes temporal slice `plane` of a 5-D patch
	// embedding (C, 3, T, P, P) → (C, 3, P, P).
	plane int
}

// ExportGGUF writes ck as GGUF v3: the text decoder to out (architecture
// qwen2, or qwen2vl for Qwen2.5-VL) and, for a vision-language model, the
// vision tower to MMProjPath(out) in llama.cpp's clip layout (see
// quant/doc.go). Metadata follows llama.cpp's convert_hf_to_gguf.py; a GGUF
// source keeps its metadata. Tensors are converted one at a time, a few
// rows at a time, straight into the file, so memory stays far below the
// model size. Each file is written under a temporary name and renamed when
// complete.
func ExportGGUF(ck *Checkpoint, out string, opts ExportOptions) (*ExportResult, error) {
	if !opts.Type.Known() {
		return nil, fmt.Errorf("weights: export gguf: unsupported target type %s", opts.Type)
	}
	fileType, err := opts.Type.LlamaFileType()
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = exportName(ck)
	}
	text, vision, err := planExport(ck, opts.Type)
	if err != nil {
		return nil, err
	}
	var textKV []quant.KV
	arch := ""
	if ck.Format == FormatGGUF {
		arch, _ = ck.GGUFMeta["general.architecture"].(string)
		textKV, err = copiedMetadata(ck.GGUFMeta, fileType)
	} else {
		mt, _ := ck.Config["model_type"].(string)
		if arch, err = ggufArchFor(mt); err == nil {
			textKV, err = textMetadata(ck, arch, name, fileType)
		}
	}
	if err != nil {
		return nil, err
	}
	files := []exportFile{{path: out, kvs: textKV, tensors: text}}
	res := &ExportResult{Main: out}
	if len(vision) > 0 {
		if ck.Format == FormatGGUF {
			return nil, errors.New("weights: export gguf: re-exporting a GGUF vision tower is not supported")
		}
		mkv, err := mmprojMetadata(ck, name, fileType)
		if err != nil {
			return nil, err
		}
		res.MMProj = MMProjPath(out)
		files = append(files, exportFile{path: res.MMProj, kvs: mkv, tensors: vision})
	}
	p := &exportProgress{fn: opts.Progress, start: time.Now()}
	for _, f := range files {
		p.count += len(f.tensors)
		for _, t := range f.tensors {
			n, _ := t.spec.Bytes()
			p.total += n
		}
	}
	for _, f := range files {
		if err := f.write(p, ck.releasePages); err != nil {
			return nil, err
		}
	}
	p.report("", "", true)
	res.Tensors, res.Bytes = p.count, p.total
	return res, nil
}

// MMProjPath is where ExportGGUF puts the vision tower of out, and where
// Open looks for it: "mmproj-<base name>" in out's folder, after
// llama.cpp's mmproj-*.gguf naming.
func MMProjPath(main string) string {
	return filepath.Join(filepath.Dir(main), "mmproj-"+filepath.Base(main))
}

// planExport splits ck's tensors into the text file's and the vision
// file's, with GGUF names, target types and order (tensors outside blocks
// first, then block by block, by name within each).
func planExport(ck *Checkpoint, target quant.Type) (text, vision []exportTensor, err error) {
	var errs []error
	for _, name := range ck.Names() {
		t, _ := ck.Tensor(name)
		if _, ok := sourceType(t); !ok {
			errs = append(errs, fmt.Errorf("tensor %s: source type %s cannot be converted", name, t.Type))
			continue
		}
		if strings.HasPrefix(name, "visual.") {
			vs, err := visionExportTensors(t, target)
			if err != nil {
				errs = append(errs, err)
			}
			vision = append(vision, vs...)
			continue
		}
		g, ok := HFToGGUF(name)
		if !ok {
			errs = append(errs, fmt.Errorf("tensor %s has no GGUF name", name))
			continue
		}
		text = append(text, exportTensor{spec: quant.TensorSpec{Name: g, Type: targetType(g, t.Shape, target), Shape: t.Shape}, src: t, plane: -1})
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("weights: export gguf: %w", errors.Join(errs...))
	}
	sortExport(text)
	sortExport(vision)
	return text, vision, nil
}

// targetType is the stored type of a tensor: F32 for 1-D tensors and
// norms, the target otherwise (F16 when a Q8_0 row does not split into
// blocks).
func targetType(ggufName string, shape []int, target quant.Type) quant.Type {
	if len(shape) <= 1 || strings.HasSuffix(ggufName, "_norm.weight") {
		return quant.F32
	}
	if target == quant.Q8_0 && shape[len(shape)-1]%quant.QK8_0 != 0 {
		return quant.F16
	}
	return target
}

// sortExport orders tensors as llama.cpp's writers do for these models:
// non-block tensors first, then blocks by number, names sorted within.
func sortExport(ts []exportTensor) {
	block := func(name string) int {
		for _, pre := range []string{"blk.", "v.blk."} {
			if rest, ok := strings.CutPrefix(name, pre); ok {
				n, _, _ := strings.Cut(rest, ".")
				if b, err := strconv.Atoi(n); err == nil {
					return b
				}
			}
		}
		return -1
	}
	sort.SliceStable(ts, func(i, j int) bool {
		bi, bj := block(ts[i].spec.Name), block(ts[j].spec.Name)
		if bi != bj {
			return bi < bj
		}
		return ts[i].spec.Name < ts[j].spec.Name
	})
}

// sourceType maps a checkpoint tensor's stored type to quant's.
func sourceType(t TensorInfo) (quant.Type, bool) {
	switch t.Type {
	case "F32":
		return quant.F32, true
	case "F16":
		return quant.F16, true
	case "BF16":
		return quant.BF16, true
	case "Q8_0":
		return quant.Q8_0, true
	}
	return 0, false
}

type exportFile struct {
	path    string
	kvs     []quant.KV
	tensors []exportTensor
}

// write streams one GGUF file to a temporary name, then renames it.
func (f exportFile) write(p *exportProgress, release func([]byte)) (err error) {
	specs := make([]quant.TensorSpec, len(f.tensors))
	for i, t := range f.tensors {
		specs[i] = t.spec
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("weights: export gguf: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w, err := quant.NewWriter(tmp, f.kvs, specs)
	if err != nil {
		return fmt.Errorf("weights: export gguf %s: %w", f.path, err)
	}
	conv := &converter{release: release}
	for _, t := range f.tensors {
		p.report(f.path, t.spec.Name, false)
		if err := conv.write(w, t); err != nil {
			return fmt.Errorf("weights: export gguf %s: tensor %s (from %s): %w", f.path, t.spec.Name, t.src.Name, err)
		}
		n, _ := t.spec.Bytes()
		p.index++
		p.bytes += n
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("weights: export gguf %s: %w", f.path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("weights: export gguf %s: %w", f.path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("weights: export gguf %s: %w", f.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: export gguf %s: %w", f.path, err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("weights: export gguf: %w", err)
	}
	return nil
}

type exportProgress struct {
	fn           func(ExportProgress)
	start        time.Time
	index, count int
	bytes, total int64
}

func (p *exportProgress) report(file, tensor string, done bool) {
	if p.fn == nil {
		return
	}
	p.fn(ExportProgress{File: file, Tensor: tensor, Index: p.index, Count: p.count, Bytes: p.bytes, Total: p.total,
		Elapsed: time.Since(p.start), Done: done})
}
