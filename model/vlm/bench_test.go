package vlm

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// TestBench_StageTimings (opt-in: LINGSHU_VLM_BENCH=1) times Ask's stages
// on a 512×512 grey image, and the vision tower alone, for the model in
// $LINGSHU_VLM_BENCH_MODEL, or else for a random checkpoint it writes: the
// Qwen2.5-0.5B text decoder with a Qwen2.5-VL-7B-shaped vision tower
// (depth 32, hidden 1280, 16 heads, intermediate 3420, out_hidden 896),
// tokenizer and processor files copied from the golden qwen25vl-tiny.
func TestBench_StageTimings(t *testing.T) {
	if os.Getenv("LINGSHU_VLM_BENCH") == "" {
		t.Skip("set LINGSHU_VLM_BENCH=1 (and optionally LINGSHU_VLM_BENCH_MODEL=DIR) to run")
	}
	dir := os.Getenv("LINGSHU_VLM_BENCH_MODEL")
	if dir == "" {
		_, golden, _ := openTiny(t)
		dir = t.TempDir()
		t0 := time.Now()
		if err := writeRandomVL(dir, golden); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote random 0.5B text + 7B-shaped tower in %v", time.Since(t0))
	}
	be := cpu.New(0)
	defer be.Close()
	t0 := time.Now()
	m, err := Open(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	t.Logf("load %v", time.Since(t0))
	img := image.NewGray(image.Rect(0, 0, 512, 512))
	for i := range img.Pix {
		x, y := i%512, i/512
		img.Pix[i] = uint8((x*x + 3*y*y) / 2048)
	}
	_, pre, err := m.Prompt([]image.Image{img}, "Describe this image.", 0)
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	emb, err := m.Net.Vision.Forward(context.Background(), pre)
	if err != nil {
		t.Fatal(err)
	}
	be.Free(emb)
	t.Logf("vision tower alone: %d patches → %d tokens in %v", pre[0].Patches(), pre[0].Tokens(), time.Since(t1))
	res, err := m.Ask(context.Background(), []image.Image{img}, "Describe this image.", Options{MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ask: %d prompt tokens (%d image), %d generated; preprocess %v, vision %v, prefill %v (%.1f tok/s), decode %v (%.2f tok/s)",
		res.PromptTokens, res.ImageTokens, len(res.IDs), res.Timings.Preprocess, res.Timings.Vision, res.Timings.Prefill,
		float64(res.PromptTokens)/res.Timings.Prefill.Seconds(), res.Timings.Decode, float64(len(res.IDs)-1)/res.Timings.Decode.Seconds())
}

// writeRandomVL writes config.json and model.safetensors (BF16, uniform
// ±0.035 weights, unit norms) of a Qwen2.5-VL-shaped model into dir and
// copies the tokenizer and processor files of the golden folder.
func writeRandomVL(dir, golden string) error {
	const H, L, heads, kv, I, V = 896, 24, 14, 2, 4864, 151936
	const vH, vD, vHeads, vI = 1280, 32, 16, 3420
	cfg := map[string]any{
		"architectures": []string{"Qwen2_5_VLForConditionalGeneration"}, "model_type": "qwen2_5_vl",
		"hidden_size": H, "num_hidden_layers": L, "num_attention_heads": heads, "num_key_value_heads": kv,
		"intermediate_size": I, "vocab_size": V, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6,
		"rope_theta": 1e6, "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16",
		"bos_token_id": 151643, "eos_token_id": 151645, "image_token_id": 151655,
		"vision_start_token_id": 151652, "vision_end_token_id": 151653,
		"rope_scaling": map[string]any{"type": "mrope", "rope_type": "default", "mrope_section": []int{8, 12, 12}},
		"vision_config": map[string]any{"depth": vD, "hidden_size": vH, "num_heads": vHeads, "intermediate_size": vI,
			"out_hidden_size": H, "in_channels": 3, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2,
			"window_size": 112, "fullatt_block_indexes": []int{7, 15, 23, 31}, "hidden_act": "silu"},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return err
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "generation_config.json", "preprocessor_config.json", "chat_template.json"} {
		data, err := os.ReadFile(filepath.Join(golden, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			return err
		}
	}
	var ts []weights.WriteTensor
	add := func(name string, one bool, shape ...int) {
		n, seed := kernels.Shape(shape).Numel(), uint64(len(ts))
		ts = append(ts, weights.WriteTensor{Name: name, DType: kernels.BF16, Shape: shape, Fill: func(w io.Writer) error {
			return fillUniformBF16(w, n, one, seed)
		}})
	}
	linear := func(name string, out, in int, bias bool) {
		add(name+".weight", false, out, in)
		if bias {
			add(name+".bias", false, out)
		}
	}
	add("model.embed_tokens.weight", false, V, H)
	for l := range L {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", true, H)
		add(p+"post_attention_layernorm.weight", true, H)
		linear(p+"self_attn.q_proj", H, H, true)
		linear(p+"self_attn.k_proj", kv*H/heads, H, true)
		linear(p+"self_attn.v_proj", kv*H/heads, H, true)
		linear(p+"self_attn.o_proj", H, H, false)
		linear(p+"mlp.gate_proj", I, H, false)
		linear(p+"mlp.up_proj", I, H, false)
		linear(p+"mlp.down_proj", H, I, false)
	}
	add("model.norm.weight", true, H)
	add("visual.patch_embed.proj.weight", false, vH, 3, 2, 14, 14)
	for l := range vD {
		p := fmt.Sprintf("visual.blocks.%d.", l)
		add(p+"norm1.weight", true, vH)
		add(p+"norm2.weight", true, vH)
		linear(p+"attn.qkv", 3*vH, vH, true)
		linear(p+"attn.proj", vH, vH, true)
		linear(p+"mlp.gate_proj", vI, vH, true)
		linear(p+"mlp.up_proj", vI, vH, true)
		linear(p+"mlp.down_proj", vH, vI, true)
	}
	add("visual.merger.ln_q.weight", true, vH)
	linear("visual.merger.mlp.0", 4*vH, 4*vH, true)
	linear("visual.merger.mlp.2", H, 4*vH, true)
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	if err := weights.WriteSafetensors(f, ts, map[string]string{"format": "pt"}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fillUniformBF16 streams n BF16 values: ones, or uniform in ±0.035.
func fillUniformBF16(w io.Writer, n int, one bool, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 1))
	buf := make([]byte, 2*min(n, 1<<15))
	for done := 0; done < n; {
		k := min(n-done, len(buf)/2)
		for i := range k {
			v := float32(1)
			if !one {
				v = float32(rng.Float64()*0.07 - 0.035)
			}
			binary.LittleEndian.PutUint16(buf[2*i:], weights.F32ToBF16(v))
		}
		if _, err := w.Write(buf[:2*k]); err != nil {
			return err
		}
		done += k
	}
	return nil
}
