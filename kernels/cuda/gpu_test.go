package cuda_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// openGPU opens the device named by $LINGSHU_CUDA_DEVICE (default 0),
// through $LINGSHU_CUDA_LIBRARY when set (another libcuda, or the
// emulator's library to smoke-test these tests). With no usable device the
// test is skipped, unless $LINGSHU_CUDA_REQUIRE=1 (devcheck.sh sets it)
// turns that into a failure.
func openGPU(t testing.TB) *cuda.Backend {
	t.Helper()
	dev, _ := strconv.Atoi(os.Getenv("LINGSHU_CUDA_DEVICE"))
	be, err := cuda.Open(cuda.Options{Device: dev, LibraryPath: os.Getenv("LINGSHU_CUDA_LIBRARY")})
	if err != nil {
		if errors.Is(err, kernels.ErrUnavailable) && os.Getenv("LINGSHU_CUDA_REQUIRE") != "1" {
			t.Skipf("no CUDA device: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := be.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("device: %s", be.Capabilities().Device)
	return be
}

// TestGPU_Conformance runs the suite every backend runs, against the CPU
// backend's generic oracles.
func TestGPU_Conformance(t *testing.T) {
	be := openGPU(t)
	ref := cpu.NewReference()
	defer ref.Close()
	kerneltest.Run(t, be, ref)
}

// TestGPU_LargeShapes covers what the suite's sizes do not reach: several
// 64-row tiles of the tensor-core kernels, long caches, wide rows.
func TestGPU_LargeShapes(t *testing.T) {
	be := openGPU(t)
	ref := cpu.New(0)
	defer ref.Close()
	r := rand.New(rand.NewPCG(7, 8))
	up := func(b kernels.Backend, dt kernels.DType, s kernels.Shape, v []float32) kernels.Tensor {
		x, err := b.Upload("t", dt, s, kerneltest.Encode(dt, v))
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	compare := func(name string, got, want kernels.Tensor, tol float64) {
		t.Helper()
		g, w := make([]float32, got.Shape().Numel()), make([]float32, want.Shape().Numel())
		if err := be.Download(got, g); err != nil {
			t.Fatal(err)
		}
		if err := ref.Download(want, w); err != nil {
			t.Fatal(err)
		}
		e := kerneltest.NMSE(g, w)
		if !(e <= tol) {
			t.Errorf("%s: NMSE %.3g > %.3g", name, e, tol)
		}
		t.Logf("%s: NMSE %.3g", name, e)
	}
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.F16, kernels.BF16, kernels.F32} {
		for _, s := range [][3]int{{130, 512, 300}, {200, 3584, 129}, {8, 3584, 1000}} {
			T, in, out := s[0], s[1], s[2]
			xv, wv, bv := kerneltest.Random(r, T*in, 3), kerneltest.Random(r, out*in, 0.1), kerneltest.Random(r, out, 1)
			sh := kernels.Shape{T, out}
			dg, _ := be.Alloc(kernels.F32, sh)
			dc, _ := ref.Alloc(kernels.F32, sh)
			for i, b := range []kernels.Backend{be, ref} {
				d := []kernels.Tensor{dg, dc}[i]
				if err := b.MatMul(d, up(b, kernels.F32, kernels.Shape{T, in}, xv), up(b, dt, kernels.Shape{out, in}, wv),
					up(b, kernels.BF16, kernels.Shape{out}, bv)); err != nil {
					t.Fatal(err)
				}
			}
			compare("matmul "+dt.String()+" "+strconv.Itoa(T)+"x"+strconv.Itoa(in)+"x"+strconv.Itoa(out), dg, dc, kerneltest.Thresholds(dt))
		}
	}
	for _, c := range []struct {
		start, T, heads, kv, D int
		causal                 bool
	}{
		{4000, 1, 28, 4, 128, true}, {0, 300, 28, 4, 128, true}, {0, 700, 16, 16, 80, false}, {100, 5, 2, 1, 256, true},
	} {
		S := c.start + c.T
		qv, kv, vv := kerneltest.Random(r, c.T*c.heads*c.D, 1), kerneltest.Random(r, S*c.kv*c.D, 1), kerneltest.Random(r, S*c.kv*c.D, 1)
		p := kernels.AttentionParams{Heads: c.heads, KVHeads: c.kv, HeadDim: c.D, Start: c.start,
			Scale: float32(1 / math.Sqrt(float64(c.D))), Causal: c.causal}
		sh := kernels.Shape{c.T, c.heads * c.D}
		dg, _ := be.Alloc(kernels.F32, sh)
		dc, _ := ref.Alloc(kernels.F32, sh)
		for i, b := range []kernels.Backend{be, ref} {
			ks := kernels.Shape{S, c.kv * c.D}
			if err := b.Attention([]kernels.Tensor{dg, dc}[i], up(b, kernels.F32, sh, qv), up(b, kernels.F32, ks, kv), up(b, kernels.F32, ks, vv), p); err != nil {
				t.Fatal(err)
			}
		}
		compare("attention "+strconv.Itoa(c.start)+"+"+strconv.Itoa(c.T), dg, dc, 1e-10)
	}
	// TopK: ties, NaN, all-NaN rows.
	v := kerneltest.Random(r, 3*152064, 10)
	v[5], v[152063] = 50, 50
	for i := range 152064 {
		v[152064+i] = float32(math.NaN())
	}
	v[2*152064+7] = float32(math.NaN())
	x := up(be, kernels.F32, kernels.Shape{3, 152064}, v)
	xr := up(ref, kernels.F32, kernels.Shape{3, 152064}, v)
	for row := range 3 {
		for _, k := range []int{1, 5} {
			g, err := be.TopK(x, row, k)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := ref.TopK(xr, row, k)
			if len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) {
				t.Errorf("topk row %d k %d: %v, want %v", row, k, g, w)
			}
		}
	}
}

// TestGPU_SpecialValues: ±inf, NaN and large magnitudes through the
// activations, softmax and argmax.
func TestGPU_SpecialValues(t *testing.T) { checkSpecialValues(t, openGPU(t)) }

func checkSpecialValues(t *testing.T, be kernels.Backend) {
	ref := cpu.NewReference()
	defer ref.Close()
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	a := []float32{-inf, -200, -100, -89, -20, -1e-30, 0, 1e-30, 3, 88, 100, 200, inf, -3, 5, 0.5}
	b := []float32{1, 2, -3, 0.5, 1, 1, 1, 1, -1, 1, 1, 1, 1, 1, 1, 2}
	sm := []float32{-inf, 1, 2, -inf, 1000, -1000, 0, 0, 3, -inf, 5, 5, 1, 2, 3, 4}
	shape := kernels.Shape{2, 8}
	for _, c := range []struct {
		name string
		run  func(kernels.Backend, kernels.Tensor, kernels.Tensor, kernels.Tensor) error
		x    []float32
	}{
		{"swiglu", func(be kernels.Backend, d, x, y kernels.Tensor) error { return be.SwiGLU(d, x, y) }, a},
		{"gelu", func(be kernels.Backend, d, x, _ kernels.Tensor) error { return be.GELU(d, x) }, a},
		{"softmax", func(be kernels.Backend, d, x, _ kernels.Tensor) error { return be.Softmax(d, x) }, sm},
		{"add", func(be kernels.Backend, d, x, y kernels.Tensor) error { return be.Add(d, x, y) }, append(a[:15:15], nan)},
	} {
		var outs [2][]float32
		for i, bk := range []kernels.Backend{be, ref} {
			x, _ := bk.Upload("x", kernels.F32, shape, kerneltest.Encode(kernels.F32, c.x))
			y, _ := bk.Upload("y", kernels.F32, shape, kerneltest.Encode(kernels.F32, b))
			d, _ := bk.Alloc(kernels.F32, shape)
			if err := c.run(bk, d, x, y); err != nil {
				t.Fatal(err)
			}
			outs[i] = make([]float32, 16)
			if err := bk.Download(d, outs[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range outs[0] {
			g, w := outs[0][i], outs[1][i]
			same := g == w || (g != g && w != w) || math.Abs(float64(g-w)) <= 1e-5*math.Max(1, math.Abs(float64(w)))
			if !same {
				t.Errorf("%s(%g): %g, want %g", c.name, c.x[i], g, w)
			}
		}
	}
	x, _ := be.Upload("x", kernels.F32, kernels.Shape{2, 4}, kerneltest.Encode(kernels.F32, []float32{nan, nan, nan, nan, -inf, nan, -inf, -5}))
	if r, err := be.TopK(x, 0, 1); err != nil || len(r) != 0 {
		t.Errorf("argmax of NaNs: %v %v, want none", r, err)
	}
	if r, err := be.TopK(x, 1, 1); err != nil || len(r) != 1 || r[0].ID != 3 {
		t.Errorf("argmax of [-inf NaN -inf -5]: %v %v, want id 3", r, err)
	}
}
