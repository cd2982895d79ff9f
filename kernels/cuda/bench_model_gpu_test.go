package cuda_test

import (
	"math"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// benchLayer holds one block's weights and its KV cache.
type benchLayer struct {
	q, k, v, o, gate, up, down kernels.Tensor
	qb, kb, vb, n1, n2         kernels.Tensor
	kc, vc                     kernels.Tensor
}

// benchModel is a 7B-shaped decoder in device memory; the weights of every
// layer are distinct allocations filled with the same random bytes.
type benchModel struct {
	be                *cuda.Backend
	s                 benchShape
	layers            []benchLayer
	embed, head, norm kernels.Tensor
	maxT              int
	// activations for up to maxT rows
	x, h, q, k, v, a, g, u, logits, ids, pos kernels.Tensor
}

func newBenchModel(t *testing.T, be *cuda.Backend, s benchShape, maxSeq, maxT int) *benchModel {
	kvDim := s.kvHeads * (s.hidden / s.heads)
	up := func(dt kernels.DType, data []byte, shape ...int) kernels.Tensor {
		x, err := be.Upload("w", dt, kernels.Shape(shape), data)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	big := randomWeights(kernels.Q8_0, s.inter*s.hidden)
	q8 := func(out, in int) kernels.Tensor { return up(kernels.Q8_0, big[:out*in/32*34], out, in) }
	ones := make([]float32, s.inter)
	for i := range ones {
		ones[i] = 1
	}
	vec := func(n int) kernels.Tensor { return up(kernels.F32, kerneltest.Encode(kernels.F32, ones[:n]), n) }
	alloc := func(shape ...int) kernels.Tensor {
		x, err := be.Alloc(kernels.F32, kernels.Shape(shape))
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	m := &benchModel{be: be, s: s, maxT: maxT}
	table := randomWeights(kernels.Q8_0, s.vocab*s.hidden)
	m.embed = up(kernels.Q8_0, table, s.vocab, s.hidden)
	m.head = up(kernels.Q8_0, table, s.vocab, s.hidden)
	m.norm = vec(s.hidden)
	for range s.layers {
		m.layers = append(m.layers, benchLayer{
			q: q8(s.hidden, s.hidden), k: q8(kvDim, s.hidden), v: q8(kvDim, s.hidden), o: q8(s.hidden, s.hidden),
			gate: q8(s.inter, s.hidden), up: q8(s.inter, s.hidden), down: q8(s.hidden, s.inter),
			qb: vec(s.hidden), kb: vec(kvDim), vb: vec(kvDim), n1: vec(s.hidden), n2: vec(s.hidden),
			kc: alloc(maxSeq, kvDim), vc: alloc(maxSeq, kvDim),
		})
	}
	T := m.maxT
	m.x, m.h, m.q, m.a = alloc(T, s.hidden), alloc(T, s.hidden), alloc(T, s.hidden), alloc(T, s.hidden)
	m.k, m.v = alloc(T, kvDim), alloc(T, kvDim)
	m.g, m.u = alloc(T, s.inter), alloc(T, s.inter)
	m.logits = alloc(1, s.vocab)
	var err error
	if m.ids, err = be.Alloc(kernels.I32, kernels.Shape{T}); err != nil {
		t.Fatal(err)
	}
	if m.pos, err = be.Alloc(kernels.I32, kernels.Shape{T}); err != nil {
		t.Fatal(err)
	}
	return m
}

// step runs T tokens at positions start.. through every layer, the final
// norm, the LM head on the last row and an argmax (which waits for it).
func (m *benchModel) step(t *testing.T, start, T int) {
	be, s := m.be, m.s
	D := s.hidden / s.heads
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	rows := func(x kernels.Tensor, lo, n int) kernels.Tensor {
		v, err := be.Rows(x, lo, n)
		must(err)
		return v
	}
	ids, pos := make([]int, T), make([]int, T)
	for i := range T {
		ids[i], pos[i] = (start+i)*7919%s.vocab, start+i
	}
	idsT, posT := rows(m.ids, 0, T), rows(m.pos, 0, T)
	must(be.Write(idsT, kerneltest.I32Bytes(ids)))
	must(be.Write(posT, kerneltest.I32Bytes(pos)))
	x, h, q, a := rows(m.x, 0, T), rows(m.h, 0, T), rows(m.q, 0, T), rows(m.a, 0, T)
	g, u := rows(m.g, 0, T), rows(m.u, 0, T)
	must(be.Embedding(x, m.embed, idsT))
	rp := kernels.RoPEParams{Heads: s.heads, HeadDim: D, Theta: 1e6}
	kp := kernels.RoPEParams{Heads: s.kvHeads, HeadDim: D, Theta: 1e6}
	ap := kernels.AttentionParams{Heads: s.heads, KVHeads: s.kvHeads, HeadDim: D, Start: start,
		Scale: float32(1 / math.Sqrt(float64(D))), Causal: true}
	for _, l := range m.layers {
		k, v := rows(l.kc, start, T), rows(l.vc, start, T)
		must(be.RMSNorm(h, x, l.n1, 1e-6))
		must(be.MatMul(q, h, l.q, l.qb))
		must(be.MatMul(k, h, l.k, l.kb))
		must(be.MatMul(v, h, l.v, l.vb))
		must(be.RoPE(q, posT, rp))
		must(be.RoPE(k, posT, kp))
		must(be.Attention(a, q, rows(l.kc, 0, start+T), rows(l.vc, 0, start+T), ap))
		must(be.MatMul(h, a, l.o, nil))
		must(be.Add(x, x, h))
		must(be.RMSNorm(h, x, l.n2, 1e-6))
		must(be.MatMul(g, h, l.gate, nil))
		must(be.MatMul(u, h, l.up, nil))
		must(be.SwiGLU(g, g, u))
		must(be.MatMul(h, g, l.down, nil))
		must(be.Add(x, x, h))
	}
	last := rows(x, T-1, 1)
	must(be.RMSNorm(last, last, m.norm, 1e-6))
	must(be.MatMul(m.logits, last, m.head, nil))
	_, err := be.TopK(m.logits, 0, 1)
	must(err)
}
