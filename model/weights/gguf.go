package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"

	"github.com/lingshu-edge/lingshu/kernels"
)

// GGUF limits, checked before anything is allocated.
const (
	ggufMaxDims       = 4  // GGML_MAX_DIMS
	ggufMaxArrayDepth = 8  // nested arrays
	ggufDefaultAlign  = 32 // when general.alignment is absent
	ggufMaxAlign      = 1 << 20
)

var ggufMagic = []byte("GGUF")

// ggmlType describes a tensor element type of GGUF.
type ggmlType struct {
	name       string
	blockLen   int // values per block (1 for plain types)
	blockBytes int // bytes per block; 0 when unknown here
	kt         kernels.DType
}

// ggmlTypes lists the GGML tensor types by id. Only F32, F16, BF16, Q8_0 and
// I32 can be bound; the others are recognised so that a file using them opens
// and fails with "unsupported tensor type" only when such a tensor is used.
var ggmlTypes = map[uint32]ggmlType{
	0: {"F32", 1, 4, kernels.F32}, 1: {"F16", 1, 2, kernels.F16},
	2: {"Q4_0", 32, 18, 0}, 3: {"Q4_1", 32, 20, 0}, 6: {"Q5_0", 32, 22, 0}, 7: {"Q5_1", 32, 24, 0},
	8: {"Q8_0", 32, 34, kernels.Q8_0}, 9: {"Q8_1", 32, 36, 0},
	10: {"Q2_K", 256, 84, 0}, 11: {"Q3_K", 256, 110, 0}, 12: {"Q4_K", 256, 144, 0},
	13: {"Q5_K", 256, 176, 0}, 14: {"Q6_K", 256, 210, 0}, 15: {"Q8_K", 256, 292, 0},
	16: {"IQ2_XXS", 256, 0, 0}, 17: {"IQ2_XS", 256, 0, 0}, 18: {"IQ3_XXS", 256, 0, 0},
	19: {"IQ1_S", 256, 0, 0}, 20: {"IQ4_NL", 32, 0, 0}, 21: {"IQ3_S", 256, 0, 0},
	22: {"IQ2_S", 256, 0, 0}, 23: {"IQ4_XS", 256, 0, 0},
	24: {"I8", 1, 1, 0}, 25: {"I16", 1, 2, 0}, 26: {"I32", 1, 4, kernels.I32}, 27: {"I64", 1, 8, 0},
	28: {"F64", 1, 8, 0}, 29: {"IQ1_M", 256, 0, 0}, 30: {"BF16", 1, 2, kernels.BF16},
}

// ggufFile is a parsed GGUF file.
type ggufFile struct {
	version   uint32
	meta      map[string]any
	keys      []string // metadata keys in file order
	tensors   []TensorInfo
	alignment int
	dataStart int
}

// openGGUF maps and parses a GGUF file and exposes it as a checkpoint with
// Hugging Face tensor names and a synthesized config.json.
func openGGUF(path string) (*Checkpoint, error) { return openGGUFWith(path, "") }

// openGGUFWith opens a GGUF and, for qwen2vl, the vision tower in mmproj
// ("" means MMProjPath(path) when it exists).
func openGGUFWith(path, mmproj string) (*Checkpoint, error) {
	mf, err := openMapped(path)
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Format: FormatGGUF, Dir: filepath.Dir(path), files: []*mappedFile{mf}, tensors: map[string]TensorInfo{}}
	if err := ck.loadGGUF(mf); err != nil {
		ck.Close()
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	if mmproj == "" {
		mmproj = defaultMMProj(ck, path)
	}
	if mmproj != "" {
		if err := ck.attachMMProj(mmproj); err != nil {
			ck.Close()
			return nil, fmt.Errorf("weights: open %s: mmproj: %w", path, err)
		}
	}
	ck.finish()
	return ck, nil
}

func (ck *Checkpoint) loadGGUF(mf *mappedFile) error {
	g, err := parseGGUF(mf.data)
	if err != nil {
		return err
	}
	ck.GGUFMeta = g.meta
	base := filepath.Base(mf.path)
	for _, t := range g.tensors {
		orig := t.Name
		if hf, ok := GGUFToHF(t.Name); ok {
			t.Name = hf
		}
		t.File = base
		if err := ck.addTensor(t, orig); err != nil {
			return err
		}
	}
	cfg, err := ggufConfig(g.meta, ck.tensors)
	if err != nil {
		return err
	}
	return ck.setConfig(cfg)
}

// ggufReader is a bounds-checked cursor over a GGUF file.
type ggufReader struct {
	b   []byte
	off int
}

var errGGUFShort = errors.New("gguf: truncated")

func (r *ggufReader) need(n uint64) error {
	if n > uint64(len(r.b)-r.off) {
		return fmt.Errorf("%w: need %d bytes at offset %d, file has %d", errGGUFShort, n, r.off, len(r.b))
	}
	return nil
}

func (r *ggufReader) bytes(n uint64) ([]byte, error) {
	if err := r.need(n); err != nil {
		return nil, err
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *ggufReader) u32() (uint32, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *ggufReader) u64() (uint64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *ggufReader) str() (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// count reads an element count and checks that that many elements of at
// least minSize bytes each fit in the rest of the file.
func (r *ggufReader) count(what string, minSize uint64) (int, error) {
	n, err := r.u64()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.off)/minSize {
		return 0, fmt.Errorf("gguf: %s count %d exceeds what the file can hold", what, n)
	}
	return int(n), nil
}

// parseGGUF parses a whole GGUF file held in data. It never panics.
func parseGGUF(data []byte) (*ggufFile, error) {
	r := &ggufReader{b: data}
	magic, err := r.bytes(4)
	if err != nil || !bytes.Equal(magic, ggufMagic) {
		return nil, errors.New("gguf: not a GGUF file (bad magic); a model is a Hugging Face folder, a .safetensors file or a .gguf file")
	}
	g := &ggufFile{meta: map[string]any{}}
	if g.version, err = r.u32(); err != nil {
		return nil, err
	}
	switch {
	case g.version == 2 || g.version == 3:
	case g.version&0xffff == 0 && g.version != 0:
		return nil, fmt.Errorf("gguf: big-endian file (version %#x) is not supported", g.version)
	default:
		return nil, fmt.Errorf("gguf: unsupported version %d (want 2 or 3)", g.version)
	}
	nTensors, err := r.count("tensor", 8+4+8+4+8)
	if err != nil {
		return nil, err
	}
	nKV, err := r.count("metadata", 8+4+1)
	if err != nil {
		return nil, err
	}
	for i := 0; i < nKV; i++ {
		key, err := r.str()
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata key %d: %w", i, err)
		}
		if _, dup := g.meta[key]; dup {
			return nil, fmt.Errorf("gguf: duplicate metadata key %q", key)
		}
		typ, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata %s: %w", key, err)
		}
		v, err := r.value(typ, 0)
		if err != nil {
			return nil, fmt.Errorf("gguf: metadata %s: %w", key, err)
		}
		g.meta[key] = v
		g.keys = append(g.keys, key)
	}
	if err := g.readAlignment(); err != nil {
		return nil, err
	}
	type rawTensor struct {
		name   string
		ne     []uint64
		typ    uint32
		offset uint64
	}
	raws := make([]rawTensor, 0, nTensors)
	for i := 0; i < nTensors; i++ {
		var t rawTensor
		if t.name, err = r.str(); err != nil {
			return nil, fmt.Errorf("gguf: tensor %d: %w", i, err)
		}
		nd, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("gguf: tensor %s: %w", t.name, err)
		}
		if nd == 0 || nd > ggufMaxDims {
			return nil, fmt.Errorf("gguf: tensor %s: %d dimensions (want 1..%d)", t.name, nd, ggufMaxDims)
		}
		t.ne = make([]uint64, nd)
		for d := range t.ne {
			if t.ne[d], err = r.u64(); err != nil {
				return nil, fmt.Errorf("gguf: tensor %s: %w", t.name, err)
			}
		}
		if t.typ, err = r.u32(); err != nil {
			return nil, fmt.Errorf("gguf: tensor %s: %w", t.name, err)
		}
		if t.offset, err = r.u64(); err != nil {
			return nil, fmt.Errorf("gguf: tensor %s: %w", t.name, err)
		}
		raws = append(raws, t)
	}
	g.dataStart = alignUp(r.off, g.alignment)
	if g.dataStart > len(data) {
		if nTensors > 0 {
			return nil, fmt.Errorf("%w: data section starts at %d, file has %d bytes", errGGUFShort, g.dataStart, len(data))
		}
		g.dataStart = len(data)
	}
	seen := map[string]bool{}
	starts := make([]int, 0, len(raws))
	for _, t := range raws {
		if seen[t.name] {
			return nil, fmt.Errorf("gguf: duplicate tensor name %q", t.name)
		}
		seen[t.name] = true
		ti, err := g.tensorInfo(data, t.name, t.ne, t.typ, t.offset)
		if err != nil {
			return nil, err
		}
		g.tensors = append(g.tensors, ti)
		starts = append(starts, int(t.offset))
	}
	if err := checkGGUFOverlaps(g.tensors, starts); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *ggufFile) readAlignment() error {
	g.alignment = ggufDefaultAlign
	v, ok := g.meta["general.alignment"]
	if !ok {
		return nil
	}
	a, ok := v.(uint32)
	if !ok || a == 0 || a&(a-1) != 0 || a > ggufMaxAlign {
		return fmt.Errorf("gguf: general.alignment must be a uint32 power of two up to %d, got %v (%T)", ggufMaxAlign, v, v)
	}
	g.alignment = int(a)
	return nil
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// tensorInfo validates one tensor and returns it with an outermost-first
// shape (GGUF stores ne[0], the innermost dimension, first).
func (g *ggufFile) tensorInfo(data []byte, name string, ne []uint64, typ uint32, offset uint64) (TensorInfo, error) {
	gt, known := ggmlTypes[typ]
	if !known {
		gt = ggmlType{name: fmt.Sprintf("ggml_type(%d)", typ), blockLen: 1}
	}
	dims := make([]int64, len(ne))
	shape := make(kernels.Shape, len(ne))
	for i, d := range ne {
		if d > math.MaxInt32*uint64(1<<16) {
			return TensorInfo{}, fmt.Errorf("gguf: tensor %s: dimension %d too large", name, d)
		}
		dims[i] = int64(d)
		shape[len(ne)-1-i] = int(d)
	}
	ti := TensorInfo{Name: name, DType: gt.kt, Type: gt.name, Shape: shape}
	if gt.blockBytes == 0 {
		ti.DType = 0
		return ti, nil // size unknown: usable only for inspection
	}
	if dims[0]%int64(gt.blockLen) != 0 {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %s: row of %d values is not a multiple of the %s block (%d)", name, dims[0], gt.name, gt.blockLen)
	}
	avail := int64(len(data) - g.dataStart)
	numel, ok := boundedNumel(dims, avail/int64(gt.blockBytes)*int64(gt.blockLen)+int64(gt.blockLen))
	if !ok {
		return TensorInfo{}, fmt.Errorf("gguf: truncated: tensor %s of shape %v does not fit in the file", name, shape)
	}
	size := numel / int64(gt.blockLen) * int64(gt.blockBytes)
	if offset%uint64(g.alignment) != 0 {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %s: offset %d is not aligned to %d", name, offset, g.alignment)
	}
	if offset > uint64(avail) || size > avail-int64(offset) {
		return TensorInfo{}, fmt.Errorf("gguf: truncated: tensor %s needs bytes %d..%d of the data section, which has %d", name, offset, int64(offset)+size, avail)
	}
	start := g.dataStart + int(offset)
	ti.Data = data[start : start+int(size) : start+int(size)]
	return ti, nil
}

// checkGGUFOverlaps fails when two tensors share bytes; starts are offsets
// into the data section, parallel to ts.
func checkGGUFOverlaps(ts []TensorInfo, starts []int) error {
	idx := make([]int, 0, len(ts))
	for i, t := range ts {
		if len(t.Data) > 0 {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return starts[idx[a]] < starts[idx[b]] })
	for k := 1; k < len(idx); k++ {
		prev, cur := idx[k-1], idx[k]
		if starts[cur] < starts[prev]+len(ts[prev].Data) {
			return fmt.Errorf("gguf: tensors %s and %s overlap", ts[prev].Name, ts[cur].Name)
		}
	}
	return nil
}
