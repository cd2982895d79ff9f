package weights

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestInspect_Golden(t *testing.T) {
	for _, c := range []struct {
		open, format string
		dtypes       map[string]int
		bytes        int64
	}{
		{"qwen2-tiny", FormatSafetensors, map[string]int{"BF16": 26}, 19596416},
		{"qwen2-tiny/model-q8_0.gguf", FormatGGUF, map[string]int{"F32": 11, "Q8_0": 15}, 0},
	} {
		ck, err := Open(goldenPath(t, c.open))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Inspect(ck, true)
		ck.Close()
		if err != nil {
			t.Fatal(err)
		}
		if r.Format != c.format || r.Architectures[0] != "Qwen2ForCausalLM" || r.NumTensors != 26 || len(r.Tensors) != 26 ||
			r.Params != 9798208 || len(r.SHA256) != 64 || r.Components["model"] != r.Params || r.Config["hidden_size"] != float64(64) {
			t.Fatalf("%+v", r)
		}
		for k, v := range c.dtypes {
			if r.DTypes[k] != v {
				t.Fatalf("dtypes %v", r.DTypes)
			}
		}
		if c.bytes != 0 && r.TensorBytes != c.bytes {
			t.Fatalf("tensor bytes %d", r.TensorBytes)
		}
		var text bytes.Buffer
		if err := r.WriteText(&text); err != nil || !strings.Contains(text.String(), "9798208 (9.80M)") ||
			!strings.Contains(text.String(), "model.norm.weight") {
			t.Fatalf("%v\n%s", err, text.String())
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		if c.format == FormatGGUF && r.Metadata["general.name"] != "qwen2-tiny" {
			t.Fatalf("metadata %v", r.Metadata)
		}
	}
}
