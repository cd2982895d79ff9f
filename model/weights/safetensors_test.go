package weights

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
)

func TestOpen_GoldenQwen2Tiny(t *testing.T) {
	dir := goldenPath(t, "qwen2-tiny")
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if ck.Format != FormatSafetensors || ck.Config["hidden_size"].(float64) != 64 {
		t.Fatalf("format %q config %v", ck.Format, ck.Config["hidden_size"])
	}
	if n := len(ck.Names()); n != 26 {
		t.Fatalf("%d tensors, want 26", n)
	}
	emb, ok := ck.Tensor("model.embed_tokens.weight")
	if !ok || emb.DType != kernels.BF16 || !emb.Shape.Equal(kernels.Shape{151936, 64}) || len(emb.Data) != 151936*64*2 {
		t.Fatalf("embed: %+v", emb.Shape)
	}
	k, _ := ck.Tensor("model.layers.1.self_attn.k_proj.weight")
	if !k.Shape.Equal(kernels.Shape{32, 64}) || k.File != "model.safetensors" {
		t.Fatalf("k_proj: %v %s", k.Shape, k.File)
	}
	for _, n := range ck.Names() {
		ti, _ := ck.Tensor(n)
		if !insideMapping(ck, ti.Data) {
			t.Errorf("%s: data was copied out of the mapping", n)
		}
	}
	norm, _ := ck.Tensor("model.norm.weight")
	v, err := norm.Float32s()
	if err != nil || len(v) != 64 {
		t.Fatal(err)
	}
}

func TestHash_MatchesOracle(t *testing.T) {
	dir := goldenPath(t, "qwen25vl-tiny")
	var exp struct {
		Model struct {
			Sha256 string `json:"safetensors_sha256"`
		} `json:"model"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if exp.Model.Sha256 == "" {
		t.Skip("expected.json has no model.sha256")
	}
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	h, err := ck.Hash()
	if err != nil || h != exp.Model.Sha256 {
		t.Fatalf("hash %s, %v; want %s", h, err, exp.Model.Sha256)
	}
	if _, ok := ck.Tensor("visual.patch_embed.proj.weight"); !ok {
		t.Fatal("visual tower tensor missing")
	}
}

func TestOpen_NewerLayoutNormalised(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{"architectures": []string{"Qwen2_5_VLForConditionalGeneration"}})
	writeST(t, filepath.Join(dir, "model.safetensors"),
		bf16Tensor("model.language_model.layers.0.mlp.up_proj.weight", 0, 4, 2),
		bf16Tensor("model.language_model.embed_tokens.weight", 0, 8, 2),
		bf16Tensor("model.visual.blocks.0.norm1.weight", 1, 2),
		bf16Tensor("lm_head.weight", 0, 8, 2))
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	want := []string{"lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "visual.blocks.0.norm1.weight"}
	if got := ck.Names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("names %v, want %v", got, want)
	}
	if ck.Metadata["format"] != "pt" {
		t.Fatalf("metadata %v", ck.Metadata)
	}
}

func TestOpen_DuplicateAfterNormalisation(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{})
	writeST(t, filepath.Join(dir, "model.safetensors"),
		bf16Tensor("model.language_model.norm.weight", 0, 2),
		bf16Tensor("model.norm.weight", 0, 2))
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "duplicate tensor model.norm.weight") {
		t.Fatalf("err = %v", err)
	}
}

func shardedDir(t *testing.T) string {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{"hidden_size": 2})
	writeST(t, filepath.Join(dir, "model-00001-of-00002.safetensors"),
		bf16Tensor("model.embed_tokens.weight", 0, 8, 2), bf16Tensor("model.norm.weight", 1, 2))
	writeST(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), bf16Tensor("lm_head.weight", 0, 8, 2))
	writeJSON(t, filepath.Join(dir, SafetensorsIndex), map[string]any{
		"metadata": map[string]any{"total_size": 68},
		"weight_map": map[string]string{
			"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
			"model.norm.weight":         "model-00001-of-00002.safetensors",
			"lm_head.weight":            "model-00002-of-00002.safetensors",
		}})
	return dir
}

func TestOpen_Sharded(t *testing.T) {
	dir := shardedDir(t)
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if len(ck.Names()) != 3 || len(ck.Files()) != 2 {
		t.Fatalf("names %v files %v", ck.Names(), ck.Files())
	}
	lm, _ := ck.Tensor("lm_head.weight")
	if lm.File != "model-00002-of-00002.safetensors" {
		t.Fatalf("lm_head in %s", lm.File)
	}
	// Hash of shards = sha256 of sha256sum's output.
	var lines bytes.Buffer
	for _, f := range []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		s := sha256.Sum256(b)
		lines.WriteString(hex.EncodeToString(s[:]) + "  " + f + "\n")
	}
	want := sha256.Sum256(lines.Bytes())
	if h, err := ck.Hash(); err != nil || h != hex.EncodeToString(want[:]) {
		t.Fatalf("hash %s %v", h, err)
	}
	ck.Close()
	if _, ok := ck.Tensor("lm_head.weight"); ok || len(ck.Names()) != 0 || ck.Close() != nil {
		t.Fatal("tensors still reachable after Close")
	}
}

func TestOpen_ShardErrors(t *testing.T) {
	cases := []struct {
		name, want string
		mutate     func(t *testing.T, dir string)
	}{
		{"missing shard", "missing shard model-00002-of-00002.safetensors", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
		}},
		{"listed but absent", "tensors listed in model.safetensors.index.json are absent: model.layers.0.x", func(t *testing.T, dir string) {
			var idx shardIndex
			raw, _ := os.ReadFile(filepath.Join(dir, SafetensorsIndex))
			json.Unmarshal(raw, &idx)
			idx.WeightMap["model.layers.0.x"] = "model-00002-of-00002.safetensors"
			writeJSON(t, filepath.Join(dir, SafetensorsIndex), idx)
		}},
		{"not listed", "1 tensors are not listed in model.safetensors.index.json: model.extra", func(t *testing.T, dir string) {
			writeST(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), bf16Tensor("lm_head.weight", 0, 8, 2), bf16Tensor("model.extra", 0, 1))
		}},
		{"truncated shard", "truncated", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model-00001-of-00002.safetensors")
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()-3)
		}},
		{"bad shard name", "bad shard name", func(t *testing.T, dir string) {
			writeJSON(t, filepath.Join(dir, SafetensorsIndex), map[string]any{"weight_map": map[string]string{"a": "../x.safetensors"}})
		}},
		{"no index", "found 2 shard files but no model.safetensors.index.json", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, SafetensorsIndex))
		}},
		{"no config", "config.json", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "config.json"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := shardedDir(t)
			c.mutate(t, dir)
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestOpen_EmptyFolder(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{})
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "no model.safetensors") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseSafetensors_Malformed(t *testing.T) {
	eight := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "too short"},
		{"header beyond file", rawST(`{}`, nil)[:9], "truncated: header"},
		{"huge header", append([]byte{0, 0, 0, 0, 0, 1, 0, 0}, '{', '}'), "exceeds"},
		{"not object", rawST(`[1,2]`, nil), "not a JSON object"},
		{"trailing", rawST(`{} {}`, nil), "trailing"},
		{"duplicate", rawST(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, eight), "duplicate tensor name"},
		{"unknown dtype", rawST(`{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}`, eight), "unknown dtype"},
		{"size mismatch", rawST(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, eight), "needs 8 bytes"},
		{"truncated data", rawST(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight), "truncated: tensor"},
		{"overlap", rawST(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[2,6]}}`, eight), "overlap"},
		{"negative", rawST(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, eight), "bad data_offsets"},
		{"neg dim", rawST(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, eight), "bad dimension"},
		{"huge dims", rawST(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}}`, eight), "does not fit"},
		{"offsets arity", rawST(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, eight), "2 values"},
		{"bad metadata", rawST(`{"__metadata__":{"a":1}}`, nil), "__metadata__"},
		{"empty name", rawST(`{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "empty tensor name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := parseSafetensors(c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseSafetensors_UnsupportedDTypeKept(t *testing.T) {
	infos, _, err := parseSafetensors(rawST(`{"pos":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"s":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}`, make([]byte, 20)))
	if err != nil {
		t.Fatal(err)
	}
	if infos[0].DType != 0 || infos[0].Type != "I64" || len(infos[0].Data) != 16 || infos[1].Shape.Numel() != 1 {
		t.Fatalf("%+v", infos)
	}
}

func TestWriteSafetensors_RoundTrip(t *testing.T) {
	var buf bytes.Buffer
	ts := []WriteTensor{bf16Tensor("b", 0.5, 3, 2), {Name: "i", DType: kernels.I32, Shape: kernels.Shape{1}, Data: []byte{7, 0, 0, 0}}}
	if err := WriteSafetensors(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	if (buf.Len()-8-12-4)%8 != 0 {
		t.Fatalf("header not padded to 8: %d", buf.Len())
	}
	infos, _, err := parseSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if infos[0].Name != "b" || !bytes.Equal(infos[0].Data, ts[0].Data) || infos[1].DType != kernels.I32 {
		t.Fatalf("%+v", infos)
	}
	bad := []WriteTensor{{Name: "q", DType: kernels.Q8_0, Shape: kernels.Shape{32}}}
	if err := WriteSafetensors(&buf, bad, nil); err == nil {
		t.Fatal("Q8_0 accepted")
	}
	short := []WriteTensor{{Name: "s", DType: kernels.F32, Shape: kernels.Shape{2}, Data: []byte{1}}}
	if err := WriteSafetensors(&bytes.Buffer{}, short, nil); err == nil || !strings.Contains(err.Error(), "wrote 1 bytes, want 8") {
		t.Fatalf("err = %v", err)
	}
}

func TestBF16F16Conversions(t *testing.T) {
	for _, c := range []struct {
		h uint16
		f float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0x0000, 0}, {0x03ff, 6.097555e-05}} {
		if got := F16ToF32(c.h); got != c.f {
			t.Errorf("F16ToF32(%#x) = %g, want %g", c.h, got, c.f)
		}
	}
	if F32ToBF16(1) != 0x3f80 || BF16ToF32(0x3f80) != 1 || F32ToBF16(1.00390625) != 0x3f80 || F32ToBF16(1.01171875) != 0x3f82 {
		t.Fatal("bf16 rounding")
	}
}
