package weights

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ggufNameTable is the one table between GGUF (llama.cpp) tensor names and
// Hugging Face names, without the ".weight"/".bias" suffix, which carries over
// unchanged. "{N}" stands for a block (layer) number.
var ggufNameTable = []struct{ gguf, hf string }{
	{"token_embd", "model.embed_tokens"},
	{"output_norm", "model.norm"},
	{"output", "lm_head"},
	{"blk.{N}.attn_q", "model.layers.{N}.self_attn.q_proj"},
	{"blk.{N}.attn_k", "model.layers.{N}.self_attn.k_proj"},
	{"blk.{N}.attn_v", "model.layers.{N}.self_attn.v_proj"},
	{"blk.{N}.attn_output", "model.layers.{N}.self_attn.o_proj"},
	{"blk.{N}.ffn_gate", "model.layers.{N}.mlp.gate_proj"},
	{"blk.{N}.ffn_up", "model.layers.{N}.mlp.up_proj"},
	{"blk.{N}.ffn_down", "model.layers.{N}.mlp.down_proj"},
	{"blk.{N}.attn_norm", "model.layers.{N}.input_layernorm"},
	{"blk.{N}.ffn_norm", "model.layers.{N}.post_attention_layernorm"},
	// Qwen2.5-VL vision tower, in the companion mmproj file (llama.cpp's
	// clip layout). Two tensors need more than a rename and are handled in
	// gguf_mmproj.go: visual.blocks.N.attn.qkv is split into
	// v.blk.N.attn_{q,k,v}, and visual.patch_embed.proj.weight into
	// v.patch_embd.weight and v.patch_embd.weight.1 (temporal slices).
	{"v.blk.{N}.ln1", "visual.blocks.{N}.norm1"},
	{"v.blk.{N}.ln2", "visual.blocks.{N}.norm2"},
	{"v.blk.{N}.attn_out", "visual.blocks.{N}.attn.proj"},
	{"v.blk.{N}.ffn_gate", "visual.blocks.{N}.mlp.gate_proj"},
	{"v.blk.{N}.ffn_up", "visual.blocks.{N}.mlp.up_proj"},
	{"v.blk.{N}.ffn_down", "visual.blocks.{N}.mlp.down_proj"},
	{"v.post_ln", "visual.merger.ln_q"},
	{"mm.0", "visual.merger.mlp.0"},
	{"mm.2", "visual.merger.mlp.2"},
}

// GGUFToHF maps a GGUF tensor name to its Hugging Face name
// (blk.3.attn_q.bias → model.layers.3.self_attn.q_proj.bias).
func GGUFToHF(name string) (string, bool) {
	return mapName(name, func(e struct{ gguf, hf string }) (string, string) { return e.gguf, e.hf })
}

// HFToGGUF maps a Hugging Face tensor name to its GGUF name, the inverse of
// GGUFToHF.
func HFToGGUF(name string) (string, bool) {
	return mapName(name, func(e struct{ gguf, hf string }) (string, string) { return e.hf, e.gguf })
}

func mapName(name string, dir func(struct{ gguf, hf string }) (from, to string)) (string, bool) {
	base, suffix := name, ""
	for _, s := range []string{".weight", ".bias"} {
		if strings.HasSuffix(name, s) {
			base, suffix = strings.TrimSuffix(name, s), s
			break
		}
	}
	if suffix == "" {
		return "", false
	}
	for _, e := range ggufNameTable {
		from, to := dir(e)
		pre, post, block := strings.Cut(from, "{N}")
		if !block {
			if base == from {
				return to + suffix, true
			}
			continue
		}
		if !strings.HasPrefix(base, pre) || !strings.HasSuffix(base, post) || len(base) <= len(pre)+len(post) {
			continue
		}
		n := base[len(pre) : len(base)-len(post)]
		if !isDecimal(n) {
			continue
		}
		return strings.Replace(to, "{N}", n, 1) + suffix, true
	}
	return "", false
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ggufArchitectures maps general.architecture to the Hugging Face class.
var ggufArchitectures = map[string]string{
	"qwen2":   "Qwen2ForCausalLM",
	"qwen2vl": "Qwen2_5_VLForConditionalGeneration",
}

// ggufModelTypes maps general.architecture to config.json's model_type
// where the two differ.
var ggufModelTypes = map[string]string{"qwen2vl": "qwen2_5_vl"}

// ggufConfig synthesizes a Hugging Face config.json from GGUF metadata and
// the (already renamed) tensors.
func ggufConfig(meta map[string]any, tensors map[string]TensorInfo) ([]byte, error) {
	arch, ok := meta["general.architecture"].(string)
	if !ok || arch == "" {
		return nil, fmt.Errorf("gguf: metadata general.architecture missing")
	}
	cfg := map[string]any{"model_type": arch, "hidden_act": "silu"}
	if cls, ok := ggufArchitectures[arch]; ok {
		cfg["architectures"] = []string{cls}
	}
	if mt, ok := ggufModelTypes[arch]; ok {
		cfg["model_type"] = mt
	}
	if arch == "qwen2vl" {
		if err := qwen2vlConfig(cfg, meta); err != nil {
			return nil, err
		}
	}
	ints := []struct {
		key, hf  string
		required bool
	}{
		{"embedding_length", "hidden_size", true},
		{"block_count", "num_hidden_layers", true},
		{"attention.head_count", "num_attention_heads", true},
		{"attention.head_count_kv", "num_key_value_heads", false},
		{"feed_forward_length", "intermediate_size", false},
		{"context_length", "max_position_embeddings", false},
		{"attention.key_length", "head_dim", false},
	}
	for _, f := range ints {
		v, present, err := metaInt(meta, arch+"."+f.key)
		switch {
		case err != nil:
			return nil, err
		case !present && f.required:
			return nil, fmt.Errorf("gguf: metadata %s.%s missing", arch, f.key)
		case present:
			cfg[f.hf] = v
		}
	}
	if _, ok := cfg["num_key_value_heads"]; !ok {
		cfg["num_key_value_heads"] = cfg["num_attention_heads"]
	}
	floats := []struct{ key, hf string }{
		{"rope.freq_base", "rope_theta"},
		{"attention.layer_norm_rms_epsilon", "rms_norm_eps"},
	}
	for _, f := range floats {
		if v, present, err := metaFloat(meta, arch+"."+f.key); err != nil {
			return nil, err
		} else if present {
			cfg[f.hf] = v
		}
	}
	for _, k := range []string{"bos_token_id", "eos_token_id"} {
		if v, present, err := metaInt(meta, "tokenizer.ggml."+k); err != nil {
			return nil, err
		} else if present {
			cfg[k] = v
		}
	}
	emb, ok := tensors["model.embed_tokens.weight"]
	if !ok || len(emb.Shape) != 2 {
		return nil, fmt.Errorf("gguf: token_embd.weight missing or not 2-D")
	}
	cfg["vocab_size"] = emb.Shape[0]
	_, untied := tensors["lm_head.weight"]
	cfg["tie_word_embeddings"] = !untied
	return json.MarshalIndent(cfg, "", "  ")
}

// metaInt reads an integer-valued metadata key of any integer type.
func metaInt(meta map[string]any, key string) (int64, bool, error) {
	v, ok := meta[key]
	if !ok {
		return 0, false, nil
	}
	switch x := v.(type) {
	case uint8:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int64:
		return x, true, nil
	case uint64:
		if x <= 1<<62 {
			return int64(x), true, nil
		}
	}
	return 0, false, fmt.Errorf("gguf: metadata %s: want an integer, got %T %v", key, v, v)
}

func metaFloat(meta map[string]any, key string) (float64, bool, error) {
	switch x := meta[key].(type) {
	case nil:
		return 0, false, nil
	case float32: // shortest decimal that round-trips the float32: 1e-06, not 9.99e-07
		v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return v, true, nil
	case float64:
		return x, true, nil
	}
	if v, ok, err := metaInt(meta, key); err == nil {
		return float64(v), ok, nil
	}
	return 0, false, fmt.Errorf("gguf: metadata %s: want a number, got %T", key, meta[key])
}
