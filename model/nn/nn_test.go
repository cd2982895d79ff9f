package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

func upload(t *testing.T, be kernels.Backend, shape kernels.Shape, v ...float32) kernels.Tensor {
	t.Helper()
	x, err := be.Upload("t", kernels.F32, shape, kerneltest.Encode(kernels.F32, v))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func alloc(t *testing.T, be kernels.Backend, shape ...int) kernels.Tensor {
	t.Helper()
	x, err := be.Alloc(kernels.F32, shape)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func download(t *testing.T, be kernels.Backend, x kernels.Tensor) []float32 {
	t.Helper()
	out := make([]float32, x.Shape().Numel())
	if err := be.Download(x, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func near(a, b []float32) bool {
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestLinearAndSwiGLU(t *testing.T) {
	be := cpu.New(1)
	defer be.Close()
	x := upload(t, be, kernels.Shape{1, 2}, 1, 2)
	l := &Linear{Weight: upload(t, be, kernels.Shape{2, 2}, 1, 0, 1, 1), Bias: upload(t, be, kernels.Shape{2}, 0.5, 0)}
	y := alloc(t, be, 1, 2)
	if err := l.Forward(be, y, x); err != nil {
		t.Fatal(err)
	}
	if got := download(t, be, y); !near(got, []float32{1.5, 3}) {
		t.Errorf("linear = %v", got)
	}
	id := func() *Linear { return &Linear{Weight: upload(t, be, kernels.Shape{2, 2}, 1, 0, 0, 1)} }
	m := &SwiGLU{Gate: id(), Up: id(), Down: id()}
	if err := m.Forward(be, y, x, MLPScratch{Gate: alloc(t, be, 4, 2), Up: alloc(t, be, 4, 2)}); err != nil {
		t.Fatal(err)
	}
	silu := func(v float64) float32 { return float32(v / (1 + math.Exp(-v)) * v) }
	if got := download(t, be, y); !near(got, []float32{silu(1), silu(2)}) {
		t.Errorf("swiglu = %v", got)
	}
}

// TestAttention_CacheMatchesChunk feeds 3 rows at once, then the same rows
// one at a time through the cache: the outputs must agree.
func TestAttention_CacheMatchesChunk(t *testing.T) {
	be := cpu.New(2)
	defer be.Close()
	const hidden, heads, kvHeads, dim, T = 8, 2, 1, 4, 3
	r := kerneltest.Random
	rng := newRand()
	lin := func(out int) *Linear {
		return &Linear{Weight: upload(t, be, kernels.Shape{out, hidden}, r(rng, out*hidden, 0.5)...)}
	}
	a := &Attention{Q: lin(heads * dim), K: lin(kvHeads * dim), V: lin(kvHeads * dim), O: &Linear{Weight: upload(t, be, kernels.Shape{hidden, heads * dim}, r(rng, hidden*heads*dim, 0.5)...)},
		Heads: heads, KVHeads: kvHeads, HeadDim: dim, RoPE: kernels.RoPEParams{HeadDim: dim, Theta: 1e4}}
	xv := r(rng, T*hidden, 1)
	s := AttnScratch{Q: alloc(t, be, T, heads*dim), O: alloc(t, be, T, heads*dim)}
	run := func(rows, start int, kv KV) []float32 {
		x := upload(t, be, kernels.Shape{rows, hidden}, xv[start*hidden:(start+rows)*hidden]...)
		pos, _ := be.Upload("pos", kernels.I32, kernels.Shape{rows}, kerneltest.I32Bytes([]int{start, start + 1, start + 2}[:rows]))
		y := alloc(t, be, rows, hidden)
		if err := a.Forward(be, y, x, pos, kv, start, s); err != nil {
			t.Fatal(err)
		}
		return download(t, be, y)
	}
	whole := run(T, 0, KV{K: alloc(t, be, T, kvHeads*dim), V: alloc(t, be, T, kvHeads*dim)})
	kv := KV{K: alloc(t, be, T, kvHeads*dim), V: alloc(t, be, T, kvHeads*dim)}
	for i := range T {
		if got := run(1, i, kv); !near(got, whole[i*hidden:(i+1)*hidden]) {
			t.Errorf("row %d through the cache %v, in one chunk %v", i, got, whole[i*hidden:(i+1)*hidden])
		}
	}
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(5, 6)) }
