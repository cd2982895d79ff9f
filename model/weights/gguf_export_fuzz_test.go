package weights

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lingshu-edge/lingshu/quant"
)

// tinyMMProj writes a small but complete qwen2.5vl_merger mmproj: depth 2,
// hidden 32, patch 2.
func tinyMMProj(t testing.TB) []byte {
	kvs := []quant.KV{
		{Key: "general.architecture", Value: "clip"}, {Key: "clip.projector_type", Value: "qwen2.5vl_merger"},
		{Key: "clip.use_silu", Value: true}, {Key: "clip.vision.block_count", Value: uint32(2)},
		{Key: "clip.vision.embedding_length", Value: uint32(32)}, {Key: "clip.vision.feed_forward_length", Value: uint32(64)},
		{Key: "clip.vision.attention.head_count", Value: uint32(2)}, {Key: "clip.vision.projection_dim", Value: uint32(32)},
		{Key: "clip.vision.patch_size", Value: uint32(2)}, {Key: "clip.vision.n_wa_pattern", Value: uint32(2)},
		{Key: "clip.vision.image_mean", Value: []float32{0.5, 0.5, 0.5}}, {Key: "clip.vision.image_std", Value: []float32{0.5, 0.5, 0.5}},
	}
	specs := []quant.TensorSpec{
		{Name: "v.patch_embd.weight", Type: quant.F32, Shape: []int{32, 3, 2, 2}},
		{Name: "v.patch_embd.weight.1", Type: quant.F32, Shape: []int{32, 3, 2, 2}},
		{Name: "v.post_ln.weight", Type: quant.F32, Shape: []int{32}},
		{Name: "mm.0.weight", Type: quant.Q8_0, Shape: []int{128, 128}},
	}
	for _, b := range []string{"0", "1"} {
		for _, p := range []string{"attn_q", "attn_k", "attn_v"} {
			specs = append(specs, quant.TensorSpec{Name: "v.blk." + b + "." + p + ".weight", Type: quant.F16, Shape: []int{32, 32}},
				quant.TensorSpec{Name: "v.blk." + b + "." + p + ".bias", Type: quant.F32, Shape: []int{32}})
		}
		specs = append(specs, quant.TensorSpec{Name: "v.blk." + b + ".ln1.weight", Type: quant.F32, Shape: []int{32}})
	}
	var buf bytes.Buffer
	w, err := quant.NewWriter(&buf, kvs, specs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		n, _ := s.Bytes()
		w.Write(make([]byte, n))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// loadMMProjBytes runs the mmproj half of Open on data.
func loadMMProjBytes(data []byte) (*Checkpoint, error) {
	g, err := parseGGUF(data)
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Format: FormatGGUF, tensors: map[string]TensorInfo{}, ConfigJSON: []byte(`{"model_type":"qwen2_5_vl"}`)}
	byName := map[string]TensorInfo{}
	for _, t := range g.tensors {
		byName[t.Name] = t
	}
	vc, err := ck.addVisionTensors(byName)
	if err != nil {
		return nil, err
	}
	return ck, ck.setVisionConfig(g.meta, vc)
}

func TestMMProj_TinyLoads(t *testing.T) {
	ck, err := loadMMProjBytes(tinyMMProj(t))
	if err != nil {
		t.Fatal(err)
	}
	qkv, ok := ck.Tensor("visual.blocks.1.attn.qkv.weight")
	if !ok || !qkv.Shape.Equal([]int{96, 32}) || len(qkv.Data) != 96*32*2 {
		t.Fatalf("qkv %v %d", qkv.Shape, len(qkv.Data))
	}
	if b, _ := ck.Tensor("visual.blocks.0.attn.qkv.bias"); !b.Shape.Equal([]int{96}) {
		t.Fatalf("qkv bias %v", b.Shape)
	}
	if p, _ := ck.Tensor("visual.patch_embed.proj.weight"); !p.Shape.Equal([]int{32, 3, 2, 2, 2}) {
		t.Fatalf("patch %v", p.Shape)
	}
	var cfg struct {
		V map[string]any `json:"vision_config"`
	}
	json.Unmarshal(ck.ConfigJSON, &cfg)
	if cfg.V["window_size"] != float64(112) || cfg.V["hidden_act"] != "silu" || len(cfg.V["fullatt_block_indexes"].([]any)) != 1 {
		t.Fatalf("vision_config %v", cfg.V)
	}
}

// FuzzMMProj feeds arbitrary files to the mmproj loader: it may refuse
// them but must not panic, and fused tensors must have consistent sizes.
func FuzzMMProj(f *testing.F) {
	f.Add(tinyMMProj(f))
	addSeeds(f, "*.gguf")
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := loadMMProjBytes(data)
		if err != nil {
			return
		}
		for _, n := range ck.names {
			ti := ck.tensors[n]
			if ti.DType != 0 {
				if want, err := ti.DType.RowBytes(ti.Shape.Numel()); err != nil || want != len(ti.Data) {
					t.Fatalf("%s: %d bytes for %v %s", n, len(ti.Data), ti.Shape, ti.Type)
				}
			}
		}
	})
}

// FuzzTokenizerJSON feeds arbitrary tokenizer.json files to the GGUF
// vocabulary builder.
func FuzzTokenizerJSON(f *testing.F) {
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"added_tokens":[{"id":3,"content":"<|x|>","special":false}]}`), 6)
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","a"]]},"added_tokens":[]}`), 0)
	f.Fuzz(func(t *testing.T, raw []byte, vocab int) {
		vocab %= 4096
		kvs, _, err := vocabMetadata(raw, vocab)
		if err != nil {
			return
		}
		toks, types := kvs[2].Value.([]string), kvs[3].Value.([]int32)
		if len(toks) != len(types) || vocab > 0 && len(toks) != vocab {
			t.Fatalf("%d tokens, %d types, vocab %d", len(toks), len(types), vocab)
		}
	})
}
