// Package qwen2 is the Qwen2 text decoder (Qwen2ForCausalLM, and the text
// half of Qwen2.5-VL / Lingshu): token embedding, N pre-norm blocks of
// grouped-query attention with rotary positions and a SwiGLU MLP, a final
// RMSNorm and the LM head (tied to the embedding or not).
//
// The weights are a tree of structs tagged with Hugging Face names, bound
// by weights.Bind against shapes derived from Config; a forward pass is a
// handful of nn calls per block with shapes in comments.
package qwen2

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Config mirrors the fields of config.json the decoder uses. Qwen2.5-VL
// configs may hold them at the top level or under text_config; both work.
type Config struct {
	Architectures         []string     `json:"architectures"`
	ModelType             string       `json:"model_type"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim"` // 0: hidden/heads
	VocabSize             int          `json:"vocab_size"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`
	HiddenAct             string       `json:"hidden_act"`
	UseSlidingWindow      bool         `json:"use_sliding_window"`
}

// RopeScaling is config.json's rope_scaling: only Qwen2.5-VL's "mrope"
// (plain RoPE per position axis) and "default" are supported.
type RopeScaling struct {
	Type         string `json:"type"`
	RopeType     string `json:"rope_type"`
	MRoPESection []int  `json:"mrope_section"`
}

// supportedArchs lists the architectures this package loads.
func supportedArchs() []string {
	return []string{"Qwen2ForCausalLM", "Qwen2_5_VLForConditionalGeneration", "Qwen2VLForConditionalGeneration"}
}

// ParseConfig reads config.json; fields under text_config override the
// top level. The result is validated.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("qwen2: config: %w", err)
	}
	var nested struct {
		TextConfig json.RawMessage `json:"text_config"`
	}
	if err := json.Unmarshal(data, &nested); err != nil {
		return c, fmt.Errorf("qwen2: config: %w", err)
	}
	if len(nested.TextConfig) > 0 && string(nested.TextConfig) != "null" {
		if err := json.Unmarshal(nested.TextConfig, &c); err != nil {
			return c, fmt.Errorf("qwen2: config text_config: %w", err)
		}
	}
	if c.HeadDim == 0 && c.NumAttentionHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	return c, c.Validate()
}

// Validate checks the config before anything is allocated; it lists every
// problem in one error.
func (c Config) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if len(c.Architectures) > 0 && !slices.ContainsFunc(c.Architectures, func(a string) bool { return slices.Contains(supportedArchs(), a) }) {
		bad("architectures %v: want one of %v", c.Architectures, supportedArchs())
	}
	if c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.IntermediateSize <= 0 {
		bad("hidden_size %d, num_hidden_layers %d, intermediate_size %d must be > 0", c.HiddenSize, c.NumHiddenLayers, c.IntermediateSize)
	}
	switch {
	case c.NumAttentionHeads <= 0 || c.NumKeyValueHeads <= 0:
		bad("num_attention_heads %d, num_key_value_heads %d must be > 0", c.NumAttentionHeads, c.NumKeyValueHeads)
	case c.NumAttentionHeads%c.NumKeyValueHeads != 0:
		bad("num_key_value_heads %d does not divide num_attention_heads %d", c.NumKeyValueHeads, c.NumAttentionHeads)
	case c.HeadDim <= 0 || c.HeadDim%2 != 0:
		bad("head_dim %d must be even and > 0", c.HeadDim)
	case c.HeadDim*c.NumAttentionHeads != c.HiddenSize:
		bad("num_attention_heads %d × head_dim %d ≠ hidden_size %d", c.NumAttentionHeads, c.HeadDim, c.HiddenSize)
	}
	if c.VocabSize <= 0 {
		bad("vocab_size %d must be > 0", c.VocabSize)
	}
	if !(c.RopeTheta > 0) || !(c.RMSNormEps > 0) {
		bad("rope_theta %g and rms_norm_eps %g must be > 0", c.RopeTheta, c.RMSNormEps)
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		bad("hidden_act %q: only silu", c.HiddenAct)
	}
	if c.UseSlidingWindow {
		bad("use_sliding_window: sliding-window attention is not supported")
	}
	if err := c.validateRope(); err != nil {
		bad("%v", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("qwen2: config: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (c Config) validateRope() error {
	r := c.RopeScaling
	if r == nil {
		return nil
	}
	kind := r.Type
	if kind == "" {
		kind = r.RopeType
	}
	switch kind {
	case "default", "", "mrope":
		if r.MRoPESection == nil {
			return nil
		}
		sum, neg := 0, false
		for _, s := range r.MRoPESection {
			sum += s
			neg = neg || s < 0
		}
		if len(r.MRoPESection) != 3 || sum != c.HeadDim/2 || neg {
			return fmt.Errorf("rope_scaling mrope_section %v: want 3 non-negative sections summing to head_dim/2 = %d", r.MRoPESection, c.HeadDim/2)
		}
		return nil
	}
	return errors.New("rope_scaling type " + kind + " is not supported")
}

// MRoPESection returns the M-RoPE sections, or nil for plain RoPE.
func (c Config) MRoPESection() []int {
	if c.RopeScaling != nil && c.RopeScaling.MRoPESection != nil {
		return slices.Clone(c.RopeScaling.MRoPESection)
	}
	return nil
}

// MaxContext is max_position_embeddings (32768 when absent).
func (c Config) MaxContext() int {
	if c.MaxPositionEmbeddings > 0 {
		return c.MaxPositionEmbeddings
	}
	return 32768
}
