package qwen2_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// tinyConfig is a small random-model config.
func tinyConfig() map[string]any {
	return map[string]any{
		"architectures": []string{"Qwen2ForCausalLM"}, "model_type": "qwen2",
		"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
		"num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300,
		"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": false,
		"hidden_act": "silu", "max_position_embeddings": 64,
	}
}

// writeTiny writes a random BF16 checkpoint for cfg into a temp folder,
// leaving out the tensors named in drop.
func writeTiny(t *testing.T, cfg map[string]any, drop ...string) string {
	t.Helper()
	dir := t.TempDir()
	c, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), c, 0o644); err != nil {
		t.Fatal(err)
	}
	h, inter, vocab := cfg["hidden_size"].(int), cfg["intermediate_size"].(int), cfg["vocab_size"].(int)
	kv := h / cfg["num_attention_heads"].(int) * cfg["num_key_value_heads"].(int)
	shapes := map[string]kernels.Shape{"model.embed_tokens.weight": {vocab, h}, "model.norm.weight": {h}}
	if cfg["tie_word_embeddings"] == false {
		shapes["lm_head.weight"] = kernels.Shape{vocab, h}
	}
	for l := range cfg["num_hidden_layers"].(int) {
		p := "model.layers." + string(rune('0'+l)) + "."
		for name, s := range map[string]kernels.Shape{
			"input_layernorm.weight": {h}, "post_attention_layernorm.weight": {h},
			"self_attn.q_proj.weight": {h, h}, "self_attn.q_proj.bias": {h},
			"self_attn.k_proj.weight": {kv, h}, "self_attn.k_proj.bias": {kv},
			"self_attn.v_proj.weight": {kv, h}, "self_attn.v_proj.bias": {kv},
			"self_attn.o_proj.weight": {h, h},
			"mlp.gate_proj.weight":    {inter, h}, "mlp.up_proj.weight": {inter, h}, "mlp.down_proj.weight": {h, inter},
		} {
			shapes[p+name] = s
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	var ts []weights.WriteTensor
	for name, s := range shapes {
		if contains(drop, name) {
			continue
		}
		scale := float32(0.2)
		v := kerneltest.Random(r, s.Numel(), scale)
		if strings.HasSuffix(name, "norm.weight") {
			for i := range v {
				v[i] += 1
			}
		}
		ts = append(ts, weights.WriteTensor{Name: name, DType: kernels.BF16, Shape: s, Data: kerneltest.Encode(kernels.BF16, v)})
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := weights.WriteSafetensors(f, ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func loadTiny(t *testing.T, dir string, be kernels.Backend) *qwen2.Model {
	t.Helper()
	ck, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	m, err := qwen2.Load(ck, be)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// allLogits runs ids through a fresh session with the given chunk size.
func allLogits(t *testing.T, m *qwen2.Model, ids []int, chunk int) []float32 {
	t.Helper()
	s, err := m.Open(model.SessionOptions{MaxSeq: 32, Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Forward(context.Background(), ids, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

var testIDs = []int{5, 17, 299, 0, 42, 42, 7, 123, 250, 3, 88}

func TestSession_ChunkedAndCachedMatchWhole(t *testing.T) {
	be := cpu.New(2)
	defer be.Close()
	m := loadTiny(t, writeTiny(t, tinyConfig()), be)
	whole := allLogits(t, m, testIDs, 0)
	if d := maxAbsDiff(allLogits(t, m, testIDs, 3), whole); d > 1e-5 {
		t.Errorf("chunk 3 vs whole: max |Δ| %.3g", d)
	}
	s, err := m.Open(model.SessionOptions{MaxSeq: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	V := m.VocabSize()
	for i, id := range testIDs { // one position at a time through the KV cache
		row, err := s.Forward(context.Background(), []int{id}, false)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(row, whole[i*V:(i+1)*V]); d > 1e-5 {
			t.Fatalf("position %d decoded alone: max |Δ| %.3g", i, d)
		}
	}
	if s.Len() != len(testIDs) {
		t.Errorf("Len %d", s.Len())
	}
	if _, err := s.Forward(context.Background(), make([]int, 32), false); err == nil {
		t.Error("overflowing the cache was accepted")
	}
}

func TestModel_FastMatchesReferenceBackend(t *testing.T) {
	dir := writeTiny(t, tinyConfig())
	fast, ref := cpu.New(3), cpu.NewReference()
	defer fast.Close()
	defer ref.Close()
	got := allLogits(t, loadTiny(t, dir, fast), testIDs, 4)
	want := allLogits(t, loadTiny(t, dir, ref), testIDs, 4)
	if e := kerneltest.NMSE(got, want); e > 1e-10 {
		t.Errorf("logits NMSE fast vs reference %.3g", e)
	}
}

func TestModel_TiedHead(t *testing.T) {
	cfg := tinyConfig()
	cfg["tie_word_embeddings"] = true
	be := cpu.New(1)
	defer be.Close()
	m := loadTiny(t, writeTiny(t, cfg), be)
	if m.LMHead != nil {
		t.Fatal("tied model has an lm head")
	}
	if out := allLogits(t, m, testIDs[:3], 0); len(out) != 3*300 {
		t.Fatalf("%d logits", len(out))
	}
}

func TestLoad_FailsLoudly(t *testing.T) {
	be := cpu.New(1)
	defer be.Close()
	cases := []struct {
		name string
		cfg  func(map[string]any)
		drop []string
		want []string
	}{
		{"missing tensors", nil, []string{"model.layers.1.mlp.up_proj.weight", "lm_head.weight"},
			[]string{"missing model.layers.1.mlp.up_proj.weight", "missing lm_head.weight"}},
		{"missing bias", nil, []string{"model.layers.0.self_attn.k_proj.bias"}, []string{"model.layers.0.self_attn.k_proj.bias"}},
		{"vocab mismatch", func(c map[string]any) { c["vocab_size"] = 301 }, nil, []string{"embed_tokens.weight", "[300 32]", "[301 32]"}},
		{"bad config", func(c map[string]any) { c["num_key_value_heads"] = 3 }, nil, []string{"num_key_value_heads 3 does not divide"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			dir := writeTiny(t, cfg, c.drop...)
			if c.cfg != nil {
				c.cfg(cfg)
				data, _ := json.Marshal(cfg)
				os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
			}
			ck, err := weights.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			_, err = qwen2.Load(ck, be)
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not mention %q", err, w)
				}
			}
		})
	}
}
