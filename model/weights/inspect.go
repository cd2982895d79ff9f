package weights

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// InspectReport summarises a checkpoint for `lingshu model inspect`.
type InspectReport struct {
	Path          string            `json:"path"`
	Format        string            `json:"format"`
	Architectures []string          `json:"architectures"`
	ModelType     string            `json:"model_type,omitempty"`
	SHA256        string            `json:"sha256"`
	Files         []InspectFile     `json:"files"`
	NumTensors    int               `json:"num_tensors"`
	Params        int64             `json:"params"`
	TensorBytes   int64             `json:"tensor_bytes"`
	DTypes        map[string]int    `json:"dtypes"`     // tensor count per stored element type
	Components    map[string]int64  `json:"components"` // params per first name segment: model, visual, lm_head
	Config        map[string]any    `json:"config"`     // the main dimensions from config.json
	Metadata      map[string]string `json:"metadata,omitempty"`
	Tensors       []InspectTensor   `json:"tensors,omitempty"`
}

// InspectFile is one weight file.
type InspectFile struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// InspectTensor is one tensor.
type InspectTensor struct {
	Name  string `json:"name"`
	Type  string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int    `json:"bytes"`
	File  string `json:"file"`
}

// inspectConfigKeys are the config.json keys copied into the report.
var inspectConfigKeys = []string{"hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
	"head_dim", "intermediate_size", "vocab_size", "max_position_embeddings", "rope_theta", "rms_norm_eps",
	"tie_word_embeddings", "torch_dtype", "vision_config"}

// Inspect summarises ck: format, architecture, per-dtype counts, parameter
// and byte totals and the weights' sha256 (Checkpoint.Hash, which reads every
// file once). withTensors adds the per-tensor list.
func Inspect(ck *Checkpoint, withTensors bool) (InspectReport, error) {
	r := InspectReport{Path: ck.Path, Format: ck.Format, DTypes: map[string]int{}, Components: map[string]int64{},
		Config: map[string]any{}, Architectures: []string{}}
	if a, ok := ck.Config["architectures"].([]any); ok {
		for _, v := range a {
			if s, ok := v.(string); ok {
				r.Architectures = append(r.Architectures, s)
			}
		}
	}
	r.ModelType, _ = ck.Config["model_type"].(string)
	for _, k := range inspectConfigKeys {
		if v, ok := ck.Config[k]; ok {
			r.Config[k] = v
		}
	}
	for _, p := range ck.Files() {
		st, err := os.Stat(p)
		if err != nil {
			return r, fmt.Errorf("weights: inspect: %w", err)
		}
		r.Files = append(r.Files, InspectFile{Name: filepath.Base(p), Bytes: st.Size()})
	}
	r.Metadata = inspectMetadata(ck)
	for _, name := range ck.names {
		t := ck.tensors[name]
		n := int64(t.Shape.Numel())
		r.NumTensors++
		r.Params += n
		r.TensorBytes += int64(len(t.Data))
		r.DTypes[t.Type]++
		comp, _, _ := strings.Cut(name, ".")
		r.Components[comp] += n
		if withTensors {
			r.Tensors = append(r.Tensors, InspectTensor{Name: name, Type: t.Type, Shape: append([]int{}, t.Shape...), Bytes: len(t.Data), File: t.File})
		}
	}
	h, err := ck.Hash()
	if err != nil {
		return r, err
	}
	r.SHA256 = h
	return r, nil
}

// inspectMetadata returns safetensors __metadata__, or the scalar general.*
// keys of a GGUF file.
func inspectMetadata(ck *Checkpoint) map[string]string {
	if ck.Format != FormatGGUF {
		return ck.Metadata
	}
	out := map[string]string{}
	for k, v := range ck.GGUFMeta {
		if !strings.HasPrefix(k, "general.") {
			continue
		}
		switch v.(type) {
		case string, bool, uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// WriteText prints the report for people.
func (r InspectReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "path\t%s\n", r.Path)
	fmt.Fprintf(tw, "format\t%s\n", r.Format)
	fmt.Fprintf(tw, "architecture\t%s\n", strings.Join(r.Architectures, ", "))
	if r.ModelType != "" {
		fmt.Fprintf(tw, "model type\t%s\n", r.ModelType)
	}
	fmt.Fprintf(tw, "sha256\t%s\n", r.SHA256)
	for _, f := range r.Files {
		fmt.Fprintf(tw, "file\t%s (%s)\n", f.Name, humanBytes(f.Bytes))
	}
	fmt.Fprintf(tw, "tensors\t%d\n", r.NumTensors)
	fmt.Fprintf(tw, "parameters\t%d (%s)\n", r.Params, humanCount(r.Params))
	fmt.Fprintf(tw, "tensor bytes\t%d (%s)\n", r.TensorBytes, humanBytes(r.TensorBytes))
	var dts []string
	for _, k := range sortedKeys(r.DTypes) {
		dts = append(dts, fmt.Sprintf("%s×%d", k, r.DTypes[k]))
	}
	fmt.Fprintf(tw, "dtypes\t%s\n", strings.Join(dts, " "))
	for _, k := range sortedKeys(r.Components) {
		fmt.Fprintf(tw, "component %s\t%s params\n", k, humanCount(r.Components[k]))
	}
	for _, k := range sortedKeys(r.Config) {
		if k == "vision_config" {
			fmt.Fprintf(tw, "config %s\tpresent\n", k)
			continue
		}
		fmt.Fprintf(tw, "config %s\t%v\n", k, r.Config[k])
	}
	for _, k := range sortedKeys(r.Metadata) {
		fmt.Fprintf(tw, "metadata %s\t%s\n", k, r.Metadata[k])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Tensors) == 0 {
		return nil
	}
	ts := append([]InspectTensor(nil), r.Tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	fmt.Fprintln(tw)
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", t.Name, t.Type, t.Shape, t.Bytes)
	}
	return tw.Flush()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i])
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
