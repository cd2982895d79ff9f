package nn

import (
	"fmt"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Attention is multi-head self-attention with grouped key/value heads
// (GQA), rotary positions and a KV cache. The projection shapes come from
// the dims "heads", "kv_heads", "head_dim" and "hidden"; the head counts
// and RoPE parameters (untagged fields) are set from the config after
// binding.
type Attention struct {
	Q *Linear `weight:"q_proj" dims:"out=heads*head_dim,in=hidden"`
	K *Linear `weight:"k_proj" dims:"out=kv_heads*head_dim,in=hidden"`
	V *Linear `weight:"v_proj" dims:"out=kv_heads*head_dim,in=hidden"`
	O *Linear `weight:"o_proj" dims:"out=hidden,in=heads*head_dim"`

	Heads, KVHeads, HeadDim int
	RoPE                    kernels.RoPEParams
}

// KV is one layer's key/value cache: rows are positions.
type KV struct {
	K, V kernels.Tensor // (maxSeq, kvHeads*headDim) F32
}

// AttnScratch holds Attention's intermediates for up to T rows.
type AttnScratch struct {
	Q, O kernels.Tensor // (T, heads*headDim)
}

// Forward attends T new rows at positions pos (already in cache order:
// row i is cache row start+i) over the cache, appending their keys and
// values at rows start..start+T-1 of kv.
// x: (T, hidden), pos: (T) or (axes, T) I32 → dst: (T, hidden)
func (a *Attention) Forward(be kernels.Backend, dst, x, pos kernels.Tensor, kv KV, start int, s AttnScratch) error {
	T := x.Shape()[0]
	q, err := be.Rows(s.Q, 0, T)
	if err != nil {
		return fmt.Errorf("nn: attention q: %w", err)
	}
	o, err := be.Rows(s.O, 0, T)
	if err != nil {
		return fmt.Errorf("nn: attention out: %w", err)
	}
	k, err := be.Rows(kv.K, start, T) // this chunk's keys go straight into the cache
	if err != nil {
		return fmt.Errorf("nn: attention cache k: %w", err)
	}
	v, err := be.Rows(kv.V, start, T)
	if err != nil {
		return fmt.Errorf("nn: attention cache v: %w", err)
	}
	if err := a.project(be, q, k, v, x, pos); err != nil {
		return err
	}
	kAll, err := be.Rows(kv.K, 0, start+T) // (start+T, kvHeads*headDim)
	if err != nil {
		return fmt.Errorf("nn: attention: %w", err)
	}
	vAll, err := be.Rows(kv.V, 0, start+T)
	if err != nil {
		return fmt.Errorf("nn: attention: %w", err)
	}
	p := kernels.AttentionParams{Heads: a.Heads, KVHeads: a.KVHeads, HeadDim: a.HeadDim,
		Start: start, Scale: float32(1 / math.Sqrt(float64(a.HeadDim))), Causal: true}
	if err := be.Attention(o, q, kAll, vAll, p); err != nil { // (T, heads*headDim)
		return fmt.Errorf("nn: attention: %w", err)
	}
	if err := a.O.Forward(be, dst, o); err != nil { // (T, hidden)
		return fmt.Errorf("nn: attention o_proj: %w", err)
	}
	return nil
}

// project computes q, k, v and rotates q and k.
// x: (T, hidden) → q: (T, heads*headDim), k, v: (T, kvHeads*headDim)
func (a *Attention) project(be kernels.Backend, q, k, v, x, pos kernels.Tensor) error {
	if err := a.Q.Forward(be, q, x); err != nil {
		return fmt.Errorf("nn: attention q_proj: %w", err)
	}
	if err := a.K.Forward(be, k, x); err != nil {
		return fmt.Errorf("nn: attention k_proj: %w", err)
	}
	if err := a.V.Forward(be, v, x); err != nil {
		return fmt.Errorf("nn: attention v_proj: %w", err)
	}
	qr, kr := a.RoPE, a.RoPE
	qr.Heads, kr.Heads = a.Heads, a.KVHeads
	if err := be.RoPE(q, pos, qr); err != nil {
		return fmt.Errorf("nn: attention rope q: %w", err)
	}
	if err := be.RoPE(k, pos, kr); err != nil {
		return fmt.Errorf("nn: attention rope k: %w", err)
	}
	return nil
}
