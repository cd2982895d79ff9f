package qwen2

import (
	"errors"
	"fmt"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/nn"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// Model is the decoder's weights, bound under the checkpoint prefix
// "model" (so a Qwen2.5-VL checkpoint's visual.* tensors are left to the
// vision tower), plus the LM head bound at "lm_head" unless tied.
type Model struct {
	Embed  *nn.Embedding `weight:"embed_tokens" dims:"dim=hidden"`
	Layers []*Layer      `weight:"layers"`
	Norm   *nn.RMSNorm   `weight:"norm" dims:"dim=hidden"`
	// LMHead projects to the vocab: (vocab, hidden). Tied checkpoints
	// reuse Embed's table.
	LMHead *nn.Linear

	Config Config
	be     kernels.Backend
}

// Layer is one pre-norm transformer block.
type Layer struct {
	InputNorm *nn.RMSNorm   `weight:"input_layernorm" dims:"dim=hidden"`
	Attn      *nn.Attention `weight:"self_attn"`
	PostNorm  *nn.RMSNorm   `weight:"post_attention_layernorm" dims:"dim=hidden"`
	MLP       *nn.SwiGLU    `weight:"mlp"`
}

var _ model.Model = (*Model)(nil)

// WeightDims gives the binder the dims its shape tags use.
func (m *Model) WeightDims() weights.Dims {
	c := m.Config
	return weights.Dims{
		"hidden": c.HiddenSize, "vocab": c.VocabSize, "intermediate": c.IntermediateSize,
		"heads": c.NumAttentionHeads, "kv_heads": c.NumKeyValueHeads, "head_dim": c.HeadDim,
	}
}

// lmHead binds lm_head.{weight,bias} as an nn.Linear (vocab, hidden).
type lmHead struct {
	nn.Linear
	dims weights.Dims
}

func (h *lmHead) WeightDims() weights.Dims { return h.dims }

// Load validates the checkpoint's config and binds its decoder weights to
// be. Weights stay in their stored dtype (uploaded, not converted).
func Load(ck *weights.Checkpoint, be kernels.Backend) (*Model, error) {
	cfg, err := ParseConfig(ck.ConfigJSON)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, be: be, Layers: make([]*Layer, cfg.NumHiddenLayers)}
	// Both binds run so that one error lists every problem.
	var errs []error
	if err := weights.Bind(ck, "model", m, be); err != nil {
		errs = append(errs, err)
	}
	if !cfg.TieWordEmbeddings {
		h := &lmHead{dims: weights.Dims{"out": cfg.VocabSize, "in": cfg.HiddenSize}}
		if err := weights.Bind(ck, "lm_head", h, be); err != nil {
			errs = append(errs, fmt.Errorf("%w (tie_word_embeddings is false)", err))
		}
		m.LMHead = &h.Linear
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("qwen2: load: %w", errors.Join(errs...))
	}
	if err := m.checkBiases(); err != nil {
		return nil, err
	}
	m.configure()
	return m, nil
}

// checkBiases fails when a q/k/v projection lacks the bias Qwen2 has.
func (m *Model) checkBiases() error {
	var errs []error
	for i, l := range m.Layers {
		for j, p := range []*nn.Linear{l.Attn.Q, l.Attn.K, l.Attn.V} {
			if p.Bias == nil {
				errs = append(errs, fmt.Errorf("missing model.layers.%d.self_attn.%s_proj.bias", i, "qkv"[j:j+1]))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("qwen2: load: %w", errors.Join(errs...))
	}
	return nil
}

// configure copies the config's scalars into the layers.
func (m *Model) configure() {
	c := m.Config
	eps := float32(c.RMSNormEps)
	m.Norm.Eps = eps
	for _, l := range m.Layers {
		l.InputNorm.Eps, l.PostNorm.Eps = eps, eps
		a := l.Attn
		a.Heads, a.KVHeads, a.HeadDim = c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
		// Text positions are equal on every M-RoPE axis, where M-RoPE
		// reduces to plain RoPE; the vision model passes Sections.
		a.RoPE = kernels.RoPEParams{HeadDim: c.HeadDim, Theta: c.RopeTheta}
	}
}

// head returns the LM head weight and bias: lm_head, or the tied embedding.
func (m *Model) head() (w, b kernels.Tensor) {
	if m.LMHead != nil {
		return m.LMHead.Weight, m.LMHead.Bias
	}
	return m.Embed.Weight, nil
}

// VocabSize is the number of embedding rows (config vocab_size).
func (m *Model) VocabSize() int { return m.Config.VocabSize }

// MaxContext is max_position_embeddings.
func (m *Model) MaxContext() int { return m.Config.MaxContext() }

// Backend is the backend the weights live on.
func (m *Model) Backend() kernels.Backend { return m.be }

// LayerScratch holds a block's intermediates for up to chunk rows.
type LayerScratch struct {
	H    kernels.Tensor // (chunk, hidden)
	Attn nn.AttnScratch
	MLP  nn.MLPScratch
}

// Forward runs one block over T rows at cache rows start…: pre-norm
// attention then pre-norm MLP, each added to the residual x in place.
// x: (T, hidden) → x: (T, hidden)
func (l *Layer) Forward(be kernels.Backend, x, pos kernels.Tensor, kv nn.KV, start int, s LayerScratch) error {
	T := x.Shape()[0]
	h, err := be.Rows(s.H, 0, T)
	if err != nil {
		return err
	}
	if err := l.InputNorm.Forward(be, h, x); err != nil { // (T, hidden)
		return err
	}
	if err := l.Attn.Forward(be, h, h, pos, kv, start, s.Attn); err != nil { // (T, hidden)
		return err
	}
	if err := be.Add(x, x, h); err != nil { // residual
		return err
	}
	if err := l.PostNorm.Forward(be, h, x); err != nil { // (T, hidden)
		return err
	}
	if err := l.MLP.Forward(be, h, h, s.MLP); err != nil { // (T, hidden)
		return err
	}
	return be.Add(x, x, h) // residual
}
