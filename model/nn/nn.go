// Package nn holds the layers transformer models are assembled from:
// Linear, Embedding, RMSNorm, RoPE, grouped-query Attention with a KV
// cache and the SwiGLU MLP. Each is a struct whose kernels.Tensor fields
// are tagged with checkpoint names (weights.Bind fills them) and whose
// Forward is a few kernels.Backend calls; nothing here touches tensor
// memory. Outputs go to caller-provided tensors, so a model allocates its
// activations once per session and reuses them.
//
// Shape tags use the dims a parent brings into scope: Linear needs "out"
// and "in", Embedding "vocab" and "dim", RMSNorm "dim".
package nn

import (
	"fmt"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Linear is y = x·Wᵀ + b with W (out, in) and an optional bias (out).
type Linear struct {
	Weight kernels.Tensor `weight:"weight" shape:"out,in"`
	Bias   kernels.Tensor `weight:"bias,optional" shape:"out"`
}

// Forward computes dst = x·Wᵀ + b.
// x: (T, in) → dst: (T, out)
func (l *Linear) Forward(be kernels.Backend, dst, x kernels.Tensor) error {
	return be.MatMul(dst, x, l.Weight, l.Bias)
}

// Embedding is a lookup table (vocab, dim).
type Embedding struct {
	Weight kernels.Tensor `weight:"weight" shape:"vocab,dim"`
}

// Forward gathers the rows of ids.
// ids: (T) I32 → dst: (T, dim)
func (e *Embedding) Forward(be kernels.Backend, dst, ids kernels.Tensor) error {
	return be.Embedding(dst, e.Weight, ids)
}

// RMSNorm is x / sqrt(mean(x²) + Eps) · weight. Eps comes from the config
// (set after binding).
type RMSNorm struct {
	Weight kernels.Tensor `weight:"weight" shape:"dim"`
	Eps    float32
}

// Forward normalises each row; dst may be x.
// x: (T, dim) → dst: (T, dim)
func (n *RMSNorm) Forward(be kernels.Backend, dst, x kernels.Tensor) error {
	return be.RMSNorm(dst, x, n.Weight, n.Eps)
}

// SwiGLU is the gated MLP down(silu(gate(x)) · up(x)).
type SwiGLU struct {
	Gate *Linear `weight:"gate_proj" dims:"out=intermediate,in=hidden"`
	Up   *Linear `weight:"up_proj" dims:"out=intermediate,in=hidden"`
	Down *Linear `weight:"down_proj" dims:"out=hidden,in=intermediate"`
}

// MLPScratch holds SwiGLU's intermediates for up to T rows.
type MLPScratch struct {
	Gate, Up kernels.Tensor // (T, intermediate)
}

// Forward runs the MLP; s holds at least T rows.
// x: (T, hidden) → dst: (T, hidden)
func (m *SwiGLU) Forward(be kernels.Backend, dst, x kernels.Tensor, s MLPScratch) error {
	T := x.Shape()[0]
	gate, err := be.Rows(s.Gate, 0, T)
	if err != nil {
		return fmt.Errorf("nn: swiglu: %w", err)
	}
	up, err := be.Rows(s.Up, 0, T)
	if err != nil {
		return fmt.Errorf("nn: swiglu: %w", err)
	}
	if err := m.Gate.Forward(be, gate, x); err != nil { // (T, intermediate)
		return fmt.Errorf("nn: swiglu gate: %w", err)
	}
	if err := m.Up.Forward(be, up, x); err != nil { // (T, intermediate)
		return fmt.Errorf("nn: swiglu up: %w", err)
	}
	if err := be.SwiGLU(gate, gate, up); err != nil { // silu(gate)·up
		return fmt.Errorf("nn: swiglu: %w", err)
	}
	if err := m.Down.Forward(be, dst, gate); err != nil { // (T, hidden)
		return fmt.Errorf("nn: swiglu down: %w", err)
	}
	return nil
}
