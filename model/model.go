// Package model is what every text decoder offers the rest of Lingshu:
// the Model and Session interfaces, KV cache sizing, the sampler and the
// generation loop (prefill, then one token per step, streaming, stop
// rules, cancellation). Architectures (model/qwen2, model/qwen25vl)
// implement Model on top of kernels.Backend.
package model

import (
	"context"
	"fmt"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model/nn"
)

// Model is a loaded decoder. Its weights are shared by its sessions.
type Model interface {
	// VocabSize is the number of logits per position (embedding rows;
	// may exceed the tokenizer's ids, e.g. 152064 vs 151936).
	VocabSize() int
	// MaxContext is the longest sequence the model supports.
	MaxContext() int
	// NewSession allocates the state of one sequence.
	NewSession(opts SessionOptions) (Session, error)
}

// SessionOptions sizes a session's state.
type SessionOptions struct {
	MaxSeq int // KV cache positions; 0 means min(MaxContext, DefaultMaxSeq)
	Chunk  int // prompt rows per forward pass; 0 means DefaultChunk
}

// DefaultMaxSeq bounds the default KV cache: a 7B model's full 128k
// context would take 15 GB of cache.
const DefaultMaxSeq = 4096

// DefaultChunk is the default number of prompt tokens per prefill pass.
const DefaultChunk = 256

// Session is one sequence: a KV cache and scratch activations. It is not
// safe for concurrent use.
type Session interface {
	// Forward feeds ids at positions Len(), Len()+1, … and returns the
	// logits of the last id (VocabSize values), or with all set of every
	// id (len(ids)×VocabSize, row-major). Long inputs are processed in
	// chunks; ctx is checked between chunks and layers, and after a
	// cancelled or failed call the session must be Reset. The last id's
	// logits may live in a buffer the next Forward reuses; all's are the
	// caller's to keep.
	Forward(ctx context.Context, ids []int, all bool) ([]float32, error)
	// Len is the number of positions in the cache.
	Len() int
	// Cap is the cache capacity in positions.
	Cap() int
	// Reset empties the cache.
	Reset()
	// Close frees the session's tensors.
	Close() error
}

// KVSpec sizes a KV cache.
type KVSpec struct {
	Layers, KVHeads, HeadDim, MaxSeq int
}

// Bytes is the memory the cache takes (F32 keys and values).
func (s KVSpec) Bytes() int64 {
	return int64(s.Layers) * 2 * int64(s.MaxSeq) * int64(s.KVHeads*s.HeadDim) * 4
}

// KVCache holds one nn.KV per layer, allocated on a backend.
type KVCache struct {
	Spec   KVSpec
	Layers []nn.KV
}

// NewKVCache allocates a zeroed cache.
func NewKVCache(be kernels.Backend, spec KVSpec) (*KVCache, error) {
	if spec.Layers <= 0 || spec.KVHeads <= 0 || spec.HeadDim <= 0 || spec.MaxSeq <= 0 {
		return nil, fmt.Errorf("model: kv cache: bad spec %+v", spec)
	}
	c := &KVCache{Spec: spec, Layers: make([]nn.KV, spec.Layers)}
	shape := kernels.Shape{spec.MaxSeq, spec.KVHeads * spec.HeadDim}
	for i := range c.Layers {
		k, err := be.Alloc(kernels.F32, shape)
		if err != nil {
			c.Free(be)
			return nil, fmt.Errorf("model: kv cache layer %d (%d bytes in all): %w", i, spec.Bytes(), err)
		}
		v, err := be.Alloc(kernels.F32, shape)
		if err != nil {
			be.Free(k)
			c.Free(be)
			return nil, fmt.Errorf("model: kv cache layer %d (%d bytes in all): %w", i, spec.Bytes(), err)
		}
		c.Layers[i] = nn.KV{K: k, V: v}
	}
	return c, nil
}

// Free releases the cache tensors.
func (c *KVCache) Free(be kernels.Backend) {
	for _, l := range c.Layers {
		if l.K != nil {
			be.Free(l.K)
		}
		if l.V != nil {
			be.Free(l.V)
		}
	}
	c.Layers = nil
}
