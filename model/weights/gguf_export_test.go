package weights

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/model/tokenizer"
	"github.com/lingshu-edge/lingshu/quant"
)

// parsedGGUF opens path with this package's parser (metadata, tensors
// under their GGUF names).
func parsedGGUF(t *testing.T, path string) *ggufFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseGGUF(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

// TestExportGGUF_GoldenBitExact quantizes the golden safetensors (BF16)
// and checks every tensor against the file llama.cpp's llama-quantize
// wrote from an F32 GGUF of the same weights: same names, order, types,
// shapes and bytes. The metadata must be the same keys with the same
// values and types, in the same order.
func TestExportGGUF_GoldenBitExact(t *testing.T) {
	src := goldenPath(t, "qwen2-tiny")
	for _, c := range []struct {
		typ    quant.Type
		golden string
	}{{quant.Q8_0, "model-q8_0.gguf"}, {quant.F16, "model-f16.gguf"}} {
		t.Run(c.typ.String(), func(t *testing.T) {
			want := parsedGGUF(t, goldenPath(t, "qwen2-tiny", c.golden))
			ck, err := Open(src)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			out := filepath.Join(t.TempDir(), "out.gguf")
			var calls int
			res, err := ExportGGUF(ck, out, ExportOptions{Type: c.typ, Progress: func(ExportProgress) { calls++ }})
			if err != nil {
				t.Fatal(err)
			}
			if res.MMProj != "" || res.Tensors != 26 || calls != 27 {
				t.Fatalf("result %+v, %d progress calls", res, calls)
			}
			got := parsedGGUF(t, out)
			if !reflect.DeepEqual(got.keys, want.keys) {
				t.Errorf("metadata keys:\n got %v\nwant %v", got.keys, want.keys)
			}
			for _, k := range want.keys {
				if !reflect.DeepEqual(got.meta[k], want.meta[k]) {
					t.Errorf("metadata %s: got %T %.80v, want %T %.80v", k, got.meta[k], got.meta[k], want.meta[k], want.meta[k])
				}
			}
			if len(got.tensors) != len(want.tensors) {
				t.Fatalf("%d tensors, want %d", len(got.tensors), len(want.tensors))
			}
			for i, w := range want.tensors {
				g := got.tensors[i]
				if g.Name != w.Name || g.Type != w.Type || !g.Shape.Equal(w.Shape) {
					t.Errorf("tensor %d: %s %s %v, want %s %s %v", i, g.Name, g.Type, g.Shape, w.Name, w.Type, w.Shape)
					continue
				}
				if !bytes.Equal(g.Data, w.Data) {
					t.Errorf("tensor %s: bytes differ", w.Name)
				}
			}
			// With equal metadata, order and tensors the whole file is the same.
			if !bytes.Equal(mustRead(t, out), mustRead(t, goldenPath(t, "qwen2-tiny", c.golden))) {
				t.Errorf("file bytes differ from %s", c.golden)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExportGGUF_ReadBack opens an exported file with Open: the
// synthesized config equals the source's, the tokenizer built from the
// GGUF metadata encodes like the folder's tokenizer.json, and BF16/F32
// exports keep the exact values.
func TestExportGGUF_ReadBack(t *testing.T) {
	dir := goldenPath(t, "qwen2-tiny")
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	types := []quant.Type{quant.BF16, quant.F32}
	if testing.Short() {
		types = types[:1]
	}
	for _, typ := range types {
		out := filepath.Join(t.TempDir(), "m.gguf")
		if _, err := ExportGGUF(src, out, ExportOptions{Type: typ, Name: "custom"}); err != nil {
			t.Fatal(err)
		}
		back, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
			"intermediate_size", "max_position_embeddings", "rope_theta", "rms_norm_eps", "vocab_size", "tie_word_embeddings",
			"bos_token_id", "eos_token_id"} {
			if !reflect.DeepEqual(back.Config[k], src.Config[k]) {
				t.Errorf("%s: config %s = %v, want %v", typ, k, back.Config[k], src.Config[k])
			}
		}
		if back.GGUFMeta["general.name"] != "custom" || back.GGUFMeta["general.file_type"] != map[quant.Type]uint32{quant.BF16: 32, quant.F32: 0}[typ] {
			t.Errorf("%s: general.name %v file_type %v", typ, back.GGUFMeta["general.name"], back.GGUFMeta["general.file_type"])
		}
		got, err := tokenizer.FromGGUFMeta(back.GGUFMeta)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Hello, world! <|im_start|>user\n你好<|im_end|>", "  spaces\tand\nlines 12345"} {
			if a, b := got.Encode(s, true), want.Encode(s, true); !reflect.DeepEqual(a, b) {
				t.Errorf("%s: tokenizer from GGUF encodes %q as %v, want %v", typ, s, a, b)
			}
		}
		for _, n := range src.Names() {
			a, _ := src.Tensor(n)
			b, _ := back.Tensor(n)
			av, _ := a.Float32s()
			bv, err := b.Float32s()
			if err != nil || !reflect.DeepEqual(av, bv) {
				t.Fatalf("%s: tensor %s values differ (%v)", typ, n, err)
			}
		}
		back.Close()
	}
}

// TestExportGGUF_FromGGUF re-exports llama.cpp's files: Q8_0 → Q8_0 keeps
// every byte of the tensors, and the metadata (tokenizer included) is
// carried over with the new file type.
func TestExportGGUF_FromGGUF(t *testing.T) {
	for _, c := range []struct {
		golden string
		typ    quant.Type
	}{{"model-q8_0.gguf", quant.Q8_0}, {"model-f16.gguf", quant.Q8_0}} {
		in := goldenPath(t, "qwen2-tiny", c.golden)
		src, err := Open(in)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "re.gguf")
		if _, err := ExportGGUF(src, out, ExportOptions{Type: c.typ}); err != nil {
			t.Fatal(err)
		}
		src.Close()
		a, b := parsedGGUF(t, in), parsedGGUF(t, out)
		for _, k := range a.keys {
			if k != "general.file_type" && !reflect.DeepEqual(a.meta[k], b.meta[k]) {
				t.Errorf("%s: metadata %s changed", c.golden, k)
			}
		}
		if b.meta["general.file_type"] != uint32(7) {
			t.Errorf("file type %v", b.meta["general.file_type"])
		}
		for i, ta := range a.tensors {
			tb := b.tensors[i]
			if ta.Name != tb.Name || !ta.Shape.Equal(tb.Shape) {
				t.Fatalf("tensor %d: %s %v vs %s %v", i, ta.Name, ta.Shape, tb.Name, tb.Shape)
			}
			if c.golden == "model-q8_0.gguf" && !bytes.Equal(ta.Data, tb.Data) {
				t.Errorf("%s: Q8_0 → Q8_0 changed bytes", ta.Name)
			}
		}
	}
}

func TestExportGGUF_Errors(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{"model_type": "llama", "hidden_size": 4})
	writeST(t, filepath.Join(dir, "model.safetensors"), bf16Tensor("model.norm.weight", 0, 4))
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	out := filepath.Join(dir, "x.gguf")
	if _, err := ExportGGUF(ck, out, ExportOptions{Type: quant.Q8_0}); err == nil || !strings.Contains(err.Error(), "llama") {
		t.Errorf("unsupported model_type: %v", err)
	}
	if _, err := ExportGGUF(ck, out, ExportOptions{Type: quant.Type(2)}); err == nil {
		t.Error("Q4_0 target accepted")
	}
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{"model_type": "qwen2", "hidden_size": 4, "num_hidden_layers": 1,
		"num_attention_heads": 1, "intermediate_size": 8})
	writeST(t, filepath.Join(dir, "model.safetensors"), bf16Tensor("model.norm.weight", 0, 4), bf16Tensor("model.mystery.weight", 0, 4, 4))
	ck2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck2.Close()
	if _, err := ExportGGUF(ck2, out, ExportOptions{Type: quant.Q8_0}); err == nil || !strings.Contains(err.Error(), "model.mystery.weight") {
		t.Errorf("unmapped tensor: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed export left its output")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".x.gguf.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
