package cpu

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// The kernel tests compare every kernel of the set this CPU selects (the
// assembly, or the pure-Go twins under -tags noasm) with its *Generic twin
// on random inputs of awkward sizes: block counts that are odd, columns that
// are not multiples of the vector width.

// kernelNMSE is the largest NMSE accepted between a kernel and its twin:
// the same integer dots or f32 products, summed in another order.
const kernelNMSE = 1e-11

var kernelBlocks = []int{1, 2, 3, 5, 28, 29, 152}

func quantizedRow(r *rand.Rand, k *kernelSet, nb int, scale float32) ([]float32, []byte) {
	x := kerneltest.Random(r, nb*32, scale)
	if nb > 2 {
		clear(x[32:64]) // an all-zero block: scale 0
	}
	a := make([]byte, q8ActRowBytes(len(x)))
	k.quantQ8(a, x)
	return x, a
}

func TestKernels_QuantQ8MatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testQuantQ8MatchesGeneric(t, k, rand.New(rand.NewPCG(1, 2))) })
	}
}

func testQuantQ8MatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	for _, nb := range kernelBlocks {
		x, got := quantizedRow(r, k, nb, 3)
		want := make([]byte, len(got))
		for i := range want {
			want[i] = 0xee // the pad block must be written too
		}
		quantizeRowQ8Generic(want, x)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: nb=%d: quantized row differs from the generic twin", k.name, nb)
		}
	}
}

func TestKernels_Q8RowsMatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testQ8RowsMatchesGeneric(t, k, rand.New(rand.NewPCG(3, 4))) })
	}
}

func testQ8RowsMatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	for _, nb := range kernelBlocks {
		for _, n := range []int{1, 3, 6} {
			_, a := quantizedRow(r, k, nb, 1)
			w := kerneltest.Encode(kernels.Q8_0, kerneltest.Random(r, n*nb*32, 0.5))
			got, want := make([]float32, n), make([]float32, n)
			k.q8Rows(got, w, a)
			q8RowsGeneric(want, w, a)
			checkKernel(t, fmt.Sprintf("%s q8Rows nb=%d n=%d", k.name, nb, n), got, want)
		}
	}
}

func TestKernels_FloatMatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testFloatMatchesGeneric(t, k, rand.New(rand.NewPCG(7, 8))) })
	}
}

func testFloatMatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	if !k.hasFloatKernels() {
		return // the plain-Go matmul (matmul.go)
	}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 33, 64, 901} {
		wv := kerneltest.Random(r, 4*n, 1)
		x := kerneltest.Random(r, 6*n, 1)
		half := func(dt kernels.DType) []uint16 {
			b := kerneltest.Encode(dt, wv)
			h := make([]uint16, 4*n)
			for i := range h {
				h[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			return h
		}
		f16, bf16 := half(kernels.F16), half(kernels.BF16)
		for _, c := range []struct {
			name      string
			got, want func(dst []float32)
			rows      int
		}{
			{"f32x1", func(d []float32) { k.f32x1(d, wv, x, n) }, func(d []float32) { dotF32x1Generic(d, wv, x, n) }, 1},
			{"f32x3", func(d []float32) { k.f32x3(d, wv, x, n) }, func(d []float32) { dotF32x3Generic(d, wv, x, n) }, 3},
			{"f16x1", func(d []float32) { k.f16x1(d, f16, x, n) }, func(d []float32) { dotF16x1Generic(d, f16, x, n) }, 1},
			{"f16x3", func(d []float32) { k.f16x3(d, f16, x, n) }, func(d []float32) { dotF16x3Generic(d, f16, x, n) }, 3},
			{"bf16x1", func(d []float32) { k.bf16x1(d, bf16, x, n) }, func(d []float32) { dotBF16x1Generic(d, bf16, x, n) }, 1},
			{"bf16x3", func(d []float32) { k.bf16x3(d, bf16, x, n) }, func(d []float32) { dotBF16x3Generic(d, bf16, x, n) }, 3},
			{"f32x6", func(d []float32) { k.f32x6(d, wv, x, n) }, func(d []float32) { dotF32x6Generic(d, wv, x, n) }, 6},
			{"f16x6", func(d []float32) { k.f16x6(d, f16, x, n) }, func(d []float32) { dotF16x6Generic(d, f16, x, n) }, 6},
			{"bf16x6", func(d []float32) { k.bf16x6(d, bf16, x, n) }, func(d []float32) { dotBF16x6Generic(d, bf16, x, n) }, 6},
		} {
			if c.rows == 6 && k.f32x6 == nil {
				continue
			}
			got, want := make([]float32, 4*c.rows), make([]float32, 4*c.rows)
			c.got(got)
			c.want(want)
			checkKernel(t, fmt.Sprintf("%s %s n=%d", k.name, c.name, n), got, want)
		}
	}
}

func TestKernels_AttentionMatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testAttentionMatchesGeneric(t, k, rand.New(rand.NewPCG(9, 10))) })
	}
}

func testAttentionMatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	for _, d := range []int{1, 7, 8, 33, 64, 72} {
		for _, n := range []int{1, 5, 17, 300} {
			ld := d + 13
			q := kerneltest.Random(r, d, 1)
			kv := kerneltest.Random(r, n*ld, 1)
			got, want := make([]float32, n), make([]float32, n)
			mg := k.attnScores(got, q, kv, ld, d, 0.125)
			mw := attnScoresGeneric(want, q, kv, ld, d, 0.125)
			checkKernel(t, fmt.Sprintf("%s attnScores d=%d n=%d", k.name, d, n), append(got, mg), append(want, mw))
			if mx := slices.Max(got); mg != mx {
				t.Errorf("%s attnScores d=%d n=%d: max %g, scores hold %g", k.name, d, n, mg, mx)
			}

			p := kerneltest.Random(r, n, 1)
			gotO, wantO := make([]float32, d), make([]float32, d)
			for i := range gotO {
				gotO[i] = 99 // overwritten, not added to
			}
			k.attnAccum(gotO, p, kv, ld, 0.75)
			attnAccumGeneric(wantO, p, kv, ld, 0.75)
			checkKernel(t, fmt.Sprintf("%s attnAccum d=%d n=%d", k.name, d, n), gotO, wantO)
		}
	}
	for _, n := range []int{1, 7, 8, 9, 100, 517} {
		x := kerneltest.Random(r, n, 40)
		x[n-1] = -200 // clamped: underflows
		if n == 1 {
			x[0] = 1
		}
		got, want := append([]float32(nil), x...), append([]float32(nil), x...)
		m := float32(3)
		sg, sw := k.expShift(got, m), expShiftGeneric(want, m)
		checkKernel(t, fmt.Sprintf("%s expShift n=%d", k.name, n), append(got, sg), append(want, sw))
		exact := make([]float32, n)
		for i, v := range x {
			exact[i] = float32(math.Exp(float64(v - m)))
		}
		if e := kerneltest.NMSE(got, exact); e > 1e-12 {
			t.Errorf("expShift n=%d: NMSE %.3g against math.Exp", n, e)
		}
	}
}

func TestKernels_SwiGLUMatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testSwiGLUMatchesGeneric(t, k, rand.New(rand.NewPCG(11, 12))) })
	}
}

func testSwiGLUMatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	for _, n := range []int{1, 7, 8, 9, 100, 4867} {
		g, u := kerneltest.Random(r, n, 12), kerneltest.Random(r, n, 2)
		g[0] = 100 // exp(-g) near the clamp
		if n > 1 {
			g[1] = -100
		}
		got, want, exact := make([]float32, n), make([]float32, n), make([]float32, n)
		k.swiglu(got, g, u)
		swigluRowGeneric(want, g, u)
		checkKernel(t, fmt.Sprintf("%s swiglu n=%d", k.name, n), got, want)
		for i := range exact {
			x := float64(g[i])
			exact[i] = float32(x / (1 + math.Exp(-x)) * float64(u[i]))
		}
		if e := kerneltest.NMSE(got, exact); e > 1e-12 {
			t.Errorf("swiglu n=%d: NMSE %.3g against math.Exp", n, e)
		}
	}
}

func checkKernel(t *testing.T, name string, got, want []float32) {
	t.Helper()
	e := kerneltest.NMSE(got, want)
	if !(e <= kernelNMSE) {
		t.Errorf("%s: NMSE %.3g > %.3g (got %v, want %v)", name, e, kernelNMSE, got[:min(4, len(got))], want[:min(4, len(want))])
	}
	if testing.Verbose() && e > 0 {
		t.Logf("%s: NMSE %.3g", name, e)
	}
}

// TestConformance_KernelSets runs the conformance suite with every kernel
// set this CPU runs, the pure-Go one (what -tags noasm builds) included.
func TestConformance_KernelSets(t *testing.T) {
	ref := NewReference()
	defer ref.Close()
	for _, k := range kernelSets() {
		be := newWithKernels(3, k)
		t.Run(k.name, func(t *testing.T) { kerneltest.Run(t, be, ref) })
		be.Close()
	}
}

func TestKernels_Q8GroupedMatchesGeneric(t *testing.T) {
	for _, k := range kernelSets() {
		t.Run(k.name, func(t *testing.T) { testQ8GroupedMatchesGeneric(t, k, rand.New(rand.NewPCG(13, 14))) })
	}
}

func testQ8GroupedMatchesGeneric(t *testing.T, k *kernelSet, r *rand.Rand) {
	if k.q8gTile == nil {
		return // prefill through q8Rows
	}
	for _, nb := range []int{1, 3, 15, 16, 17, 28, 33, 152} {
		ng := (nb + q8gBlocks - 1) / q8gBlocks
		lda := ng*q8gActBytes + 64 // rows not packed back to back
		a, pairs := make([]byte, 3*lda), make([][]byte, 3)
		for i := range 3 {
			x := kerneltest.Random(r, nb*32, 2)
			if nb > 2 && i == 1 {
				clear(x[32:64]) // a zero block
			}
			want := make([]byte, ng*q8gActBytes)
			for j := range want {
				want[j] = 0xee
			}
			k.quantQ8G(a[i*lda:(i+1)*lda], x)
			quantizeRowQ8GGeneric(want, x)
			if !bytes.Equal(a[i*lda:i*lda+len(want)], want) {
				t.Fatalf("%s: nb=%d: grouped quantized row differs from the generic twin", k.name, nb)
			}
			pairs[i] = make([]byte, q8ActRowBytes(nb*32))
			quantizeRowQ8Generic(pairs[i], x)
		}
		for _, rows := range []int{4, 3, 1} {
			w := kerneltest.Encode(kernels.Q8_0, kerneltest.Random(r, rows*nb*32, 0.5))
			tile, want := make([]byte, ng*q8gTileBytes), make([]byte, ng*q8gTileBytes)
			for j := range tile {
				tile[j], want[j] = 0xee, 0x11
			}
			k.q8gRepack(tile, w, nb, rows)
			repackQ8GGeneric(want, w, nb, rows)
			if !bytes.Equal(tile, want) {
				t.Fatalf("%s: nb=%d rows=%d: grouped tile differs from the generic twin", k.name, nb, rows)
			}
			got, ref := make([]float32, 12), make([]float32, 12)
			k.q8gTile(got, tile, a, lda)
			q8gTile4x3Generic(ref, tile, a, lda)
			checkKernel(t, fmt.Sprintf("%s q8gTile nb=%d rows=%d", k.name, nb, rows), got, ref)
			// The same dots as q8Rows over the GGUF rows and pair-layout activations.
			byRows := make([]float32, 12)
			for i := range 3 {
				q8RowsGeneric(byRows[4*i:4*i+rows], w, pairs[i])
			}
			checkKernel(t, fmt.Sprintf("%s q8gTile nb=%d rows=%d vs q8Rows", k.name, nb, rows), got, byRows)
		}
	}
}
