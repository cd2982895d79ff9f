package cpu

import (
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Attention: q (T, heads*D) over k, v (≥ Start+T, kvHeads*D) → dst (T, heads*D).
func (b *Backend) Attention(dst, q, k, v kernels.Tensor, p kernels.AttentionParams) error {
	qs, T, qw, err := f32Mat("attention q", q)
	if err != nil {
		return err
	}
	ks, kRows, kw, err := f32Mat("attention k", k)
	if err != nil {
		return err
	}
	vs, _, _, err := f32Mat("attention v", v)
	if err != nil {
		return err
	}
	if err := p.Validate(kernels.Shape{T, qw}, kernels.Shape{kRows, kw}, v.Shape()); err != nil {
		return err
	}
	ds, dT, dw, err := writableF32("attention dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dw != qw {
		return errorf("attention", "dst (%d, %d), want (%d, %d)", dT, dw, T, qw)
	}
	a := attnShape{p: p, T: T, qw: qw, kw: kw}
	if b.reference {
		attentionGeneric(ds, qs, ks, vs, a)
		return nil
	}
	items := p.Heads * T
	b.pool.run(items, b.pool.grainForWork(items, 2*(p.Start+T)*p.HeadDim, 1, 1), func(lo, hi int) {
		buf := b.buffer(p.Start + T)
		defer b.release(buf)
		for it := lo; it < hi; it++ {
			attendOne(b.kern, ds, qs, ks, vs, a, it/T, it%T, *buf)
		}
	})
	return nil
}

// attnShape bundles the parameters and row widths of one Attention call.
type attnShape struct {
	p         kernels.AttentionParams
	T, qw, kw int
}

// keys is how many keys query row t sees.
func (a attnShape) keys(t int) int {
	if a.p.Causal {
		return a.p.Start + t + 1
	}
	return a.p.Start + a.T
}

// attendOne computes head h of query row t: softmax(q·K^T·scale)·V,
// through the backend's attention row kernels.
func attendOne(k *kernelSet, dst, q, kc, v []float32, a attnShape, h, t int, scores []float32) {
	D := a.p.HeadDim
	g := h / (a.p.Heads / a.p.KVHeads)
	qr := q[t*a.qw+h*D : t*a.qw+(h+1)*D]
	n := a.keys(t)
	scores = scores[:n]
	m := k.attnScores(scores, qr, kc[g*D:], a.kw, D, a.p.Scale)
	inv := 1 / k.expShift(scores, m)
	k.attnAccum(dst[t*a.qw+h*D:t*a.qw+(h+1)*D], scores, v[g*D:], a.kw, inv)
}

// attentionGeneric is Attention's oracle, in float64.
func attentionGeneric(dst, q, k, v []float32, a attnShape) {
	D := a.p.HeadDim
	for t := range a.T {
		for h := range a.p.Heads {
			g := h / (a.p.Heads / a.p.KVHeads)
			n := a.keys(t)
			s := make([]float64, n)
			m := math.Inf(-1)
			for j := range n {
				var acc float64
				for i := range D {
					acc += float64(q[t*a.qw+h*D+i]) * float64(k[j*a.kw+g*D+i])
				}
				s[j] = acc * float64(a.p.Scale)
				m = math.Max(m, s[j])
			}
			var sum float64
			for j := range s {
				s[j] = math.Exp(s[j] - m)
				sum += s[j]
			}
			for i := range D {
				var acc float64
				for j := range n {
					acc += s[j] / sum * float64(v[j*a.kw+g*D+i])
				}
				dst[t*a.qw+h*D+i] = float32(acc)
			}
		}
	}
}
