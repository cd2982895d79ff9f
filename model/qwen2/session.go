package qwen2

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/nn"
)

// logitRows is how many rows the LM head projects at once when every
// position's logits are wanted: bounds the logits buffer to
// logitRows×vocab floats.
const logitRows = 16

// scratch holds one session's activations, sized for a chunk of rows.
type scratch struct {
	x, h    kernels.Tensor // (chunk, hidden): residual stream, final norm output
	ids     kernels.Tensor // (chunk) I32
	pos     kernels.Tensor // (chunk) I32
	logits  kernels.Tensor // (logitRows, vocab)
	layer   LayerScratch
	all     []kernels.Tensor
	hostI32 []byte
}

// Session is one sequence on a Model: KV cache, position and scratch.
type Session struct {
	m     *Model
	be    kernels.Backend
	chunk int
	cache *model.KVCache
	s     scratch
	n     int // positions filled

	lastLogits []float32 // Forward's result buffer when all is false
}

var _ model.Session = (*Session)(nil)

// NewSession allocates a KV cache of opts.MaxSeq positions and scratch
// for opts.Chunk rows.
func (m *Model) NewSession(opts model.SessionOptions) (model.Session, error) {
	return m.Open(opts)
}

// Open is NewSession returning the concrete type.
func (m *Model) Open(opts model.SessionOptions) (*Session, error) {
	c := m.Config
	maxSeq := opts.MaxSeq
	if maxSeq <= 0 {
		maxSeq = min(c.MaxContext(), model.DefaultMaxSeq)
	}
	if maxSeq > c.MaxContext() {
		return nil, fmt.Errorf("qwen2: session: %d positions exceed max_position_embeddings %d", maxSeq, c.MaxContext())
	}
	chunk := opts.Chunk
	if chunk <= 0 {
		chunk = model.DefaultChunk
	}
	chunk = min(chunk, maxSeq)
	cache, err := model.NewKVCache(m.be, model.KVSpec{Layers: c.NumHiddenLayers, KVHeads: c.NumKeyValueHeads, HeadDim: c.HeadDim, MaxSeq: maxSeq})
	if err != nil {
		return nil, fmt.Errorf("qwen2: session: %w", err)
	}
	s := &Session{m: m, be: m.be, chunk: chunk, cache: cache}
	if err := s.alloc(); err != nil {
		s.Close()
		return nil, fmt.Errorf("qwen2: session: %w", err)
	}
	return s, nil
}

// alloc makes the scratch tensors; the first failure is returned.
func (s *Session) alloc() error {
	c := s.m.Config
	var err error
	mk := func(dt kernels.DType, shape ...int) kernels.Tensor {
		if err != nil {
			return nil
		}
		t, e := s.be.Alloc(dt, shape)
		if e != nil {
			err = e
			return nil
		}
		s.s.all = append(s.s.all, t)
		return t
	}
	q := c.NumAttentionHeads * c.HeadDim
	s.s.x, s.s.h = mk(kernels.F32, s.chunk, c.HiddenSize), mk(kernels.F32, s.chunk, c.HiddenSize)
	s.s.ids, s.s.pos = mk(kernels.I32, s.chunk), mk(kernels.I32, s.chunk)
	s.s.logits = mk(kernels.F32, min(logitRows, s.chunk), c.VocabSize)
	s.s.layer = LayerScratch{
		H:    mk(kernels.F32, s.chunk, c.HiddenSize),
		Attn: nn.AttnScratch{Q: mk(kernels.F32, s.chunk, q), O: mk(kernels.F32, s.chunk, q)},
		MLP:  nn.MLPScratch{Gate: mk(kernels.F32, s.chunk, c.IntermediateSize), Up: mk(kernels.F32, s.chunk, c.IntermediateSize)},
	}
	return err
}

// Len is the number of cached positions.
func (s *Session) Len() int { return s.n }

// Cap is the cache capacity.
func (s *Session) Cap() int { return s.cache.Spec.MaxSeq }

// Reset empties the cache (its contents are overwritten as it refills).
func (s *Session) Reset() { s.n = 0 }

// Close frees the cache and scratch.
func (s *Session) Close() error {
	for _, t := range s.s.all {
		s.be.Free(t)
	}
	s.s.all = nil
	s.cache.Free(s.be)
	return nil
}

// Forward feeds ids at positions Len()… in chunks and returns the last
// row's logits, or every row's with all set. The last row's logits are
// valid until the next Forward on s (every row's are the caller's).
func (s *Session) Forward(ctx context.Context, ids []int, all bool) ([]float32, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("qwen2: forward: no ids")
	}
	if s.n+len(ids) > s.Cap() {
		return nil, fmt.Errorf("qwen2: forward: %d cached + %d new positions exceed the cache of %d", s.n, len(ids), s.Cap())
	}
	vocab := s.m.Config.VocabSize
	// The last row's logits reuse one buffer: a fresh 600 KB slice per
	// decoded token was 6% of decode time in memclr alone.
	out := s.lastLogits[:0]
	if all {
		out = make([]float32, 0, len(ids)*vocab)
	}
	for off := 0; off < len(ids); off += s.chunk {
		part := ids[off:min(off+s.chunk, len(ids))]
		if err := s.forwardChunk(ctx, part); err != nil {
			return nil, err
		}
		T := len(part)
		first := T - 1 // only the last row's logits…
		if all {
			first = 0 // …or every row's
		} else if off+T < len(ids) {
			continue
		}
		var err error
		if out, err = s.appendLogits(out, first, T); err != nil {
			return nil, err
		}
	}
	if !all {
		s.lastLogits = out
	}
	return out, nil
}

// forwardChunk runs T ≤ chunk ids through every block, leaving the final
// normed hidden states in s.h rows 0..T-1 and advancing the position.
func (s *Session) forwardChunk(ctx context.Context, ids []int) error {
	T := len(ids)
	be, m := s.be, s.m
	idsT, posT, x, h, err := s.views(T)
	if err != nil {
		return err
	}
	if err := s.writeI32(idsT, ids, 0); err != nil {
		return err
	}
	if err := s.writeI32(posT, nil, s.n); err != nil {
		return err
	}
	if err := m.Embed.Forward(be, x, idsT); err != nil { // ids (T) → x (T, hidden)
		return fmt.Errorf("qwen2: embed: %w", err)
	}
	for i, l := range m.Layers {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("qwen2: forward: %w", err)
		}
		if err := l.Forward(be, x, posT, s.cache.Layers[i], s.n, s.s.layer); err != nil { // x (T, hidden) → x
			return fmt.Errorf("qwen2: layer %d: %w", i, err)
		}
	}
	if err := m.Norm.Forward(be, h, x); err != nil { // (T, hidden)
		return fmt.Errorf("qwen2: final norm: %w", err)
	}
	s.n += T
	return nil
}

// views returns the first T rows of the chunk-sized scratch tensors.
func (s *Session) views(T int) (ids, pos, x, h kernels.Tensor, err error) {
	ts := make([]kernels.Tensor, 4)
	for i, t := range []kernels.Tensor{s.s.ids, s.s.pos, s.s.x, s.s.h} {
		if ts[i], err = s.be.Rows(t, 0, T); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("qwen2: scratch: %w", err)
		}
	}
	return ts[0], ts[1], ts[2], ts[3], nil
}

// writeI32 uploads ids, or with ids nil the positions start, start+1, …
func (s *Session) writeI32(dst kernels.Tensor, ids []int, start int) error {
	T := dst.Shape()[0]
	s.s.hostI32 = s.s.hostI32[:0]
	for i := range T {
		v := start + i
		if ids != nil {
			v = ids[i]
		}
		s.s.hostI32 = binary.LittleEndian.AppendUint32(s.s.hostI32, uint32(int32(v)))
	}
	if err := s.be.Write(dst, s.s.hostI32); err != nil {
		return fmt.Errorf("qwen2: write ids: %w", err)
	}
	return nil
}

// appendLogits projects rows [first, T) of s.h through the LM head,
// logitRows at a time, and appends them to out.
func (s *Session) appendLogits(out []float32, first, T int) ([]float32, error) {
	vocab := s.m.Config.VocabSize
	w, b := s.m.head()
	for r := first; r < T; r += logitRows {
		n := min(logitRows, T-r)
		h, err := s.be.Rows(s.s.h, r, n)
		if err != nil {
			return nil, err
		}
		lg, err := s.be.Rows(s.s.logits, 0, n)
		if err != nil {
			return nil, err
		}
		if err := s.be.MatMul(lg, h, w, b); err != nil { // (n, hidden) → (n, vocab)
			return nil, fmt.Errorf("qwen2: lm head: %w", err)
		}
		start := len(out)
		out = append(out, make([]float32, n*vocab)...)
		if err := s.be.Download(lg, out[start:]); err != nil {
			return nil, fmt.Errorf("qwen2: logits: %w", err)
		}
	}
	return out, nil
}
