//go:build !noasm

package cpu

import (
	"golang.org/x/sys/cpu"
)

// NEON kernels (kern_arm64.s). Each stub's comment is the Go loop it
// computes; the *Generic twin in kern_generic.go is that loop. Kernels the
// arm64 sets do not cover (quantizers, grouped prefill, attention, SwiGLU)
// are the generic ones.

// q8RowsSDOT sets, for r < n, dst[r] = Σ_b f16(w_r,b.d)·dx(b)·Σ_i w_r,b[i]·q_b[i]
// over the nb GGUF Q8_0 blocks of row r of w (rows nb·34 bytes apart) and
// the quantized activation row a in the pair layout of q8.go, of which it
// reads the quants and scales (q8RowsGeneric); the integer dots by SDOT.
//
//go:noescape
func q8RowsSDOT(dst *float32, w, a *byte, n, nb int)

// q8RowsNEON is q8RowsSDOT without dotprod (SMULL and SADALP).
//
//go:noescape
func q8RowsNEON(dst *float32, w, a *byte, n, nb int)

// dotF32x1NEON sets dst[r] = Σ_{k<n8} w[r*ld+k]·x[k] for r < 4; n8 is a
// multiple of 8 (dotF32x1Generic over the first n8 columns).
//
//go:noescape
func dotF32x1NEON(dst, w, x *float32, n8, ld int)

// dotF16x1NEON is dotF32x1NEON for IEEE-half weights (FCVTL).
//
//go:noescape
func dotF16x1NEON(dst *float32, w *uint16, x *float32, n8, ld int)

// dotBF16x1NEON is dotF32x1NEON for bfloat16 weights (widened by ZIP with
// zero halves).
//
//go:noescape
func dotBF16x1NEON(dst *float32, w *uint16, x *float32, n8, ld int)

// hasNEON and hasDotProd are what the CPU offers for the kernels above.
func hasNEON() bool { return cpu.ARM64.HasASIMD && cpu.ARM64.HasFP }

func hasDotProd() bool { return hasNEON() && cpu.ARM64.HasASIMDDP }

// selectKernels picks the fastest kernel set this CPU runs.
func selectKernels() *kernelSet {
	sets := kernelSets()
	return sets[len(sets)-1]
}

// kernelSets lists the kernel sets this CPU runs, slowest (generic) first.
func kernelSets() []*kernelSet {
	sets := []*kernelSet{genericKernels()}
	if !hasNEON() {
		return sets
	}
	k := genericKernels()
	k.name = "neon"
	k.q8Rows = rowsNEON(q8RowsNEON)
	// Prefill runs q8Rows over cache-sized row blocks, as on avx2.
	k.quantQ8G, k.q8gRepack, k.q8gTile = nil, nil, nil
	k.f32x1 = x1NEON(dotF32x1NEON, dotF32x1Generic)
	k.f16x1 = x1NEON(dotF16x1NEON, dotF16x1Generic)
	k.bf16x1 = x1NEON(dotBF16x1NEON, dotBF16x1Generic)
	k.f32x3, k.f16x3, k.bf16x3 = x3NEON(k.f32x1), x3NEON(k.f16x1), x3NEON(k.bf16x1)
	sets = append(sets, k)
	if hasDotProd() {
		d := *k
		d.name = "neon-dotprod"
		d.q8Rows = rowsNEON(q8RowsSDOT)
		sets = append(sets, &d)
	}
	return sets
}

// rowsNEON wraps a q8Rows kernel with the bounds checks it relies on.
func rowsNEON(kern func(dst *float32, w, a *byte, n, nb int)) func([]float32, []byte, []byte) {
	return func(dst []float32, w, a []byte) {
		if len(dst) == 0 {
			return
		}
		nb := len(w) / len(dst) / 34 // kernels.Q8_0BlockBytes
		if nb == 0 {
			clear(dst)
			return
		}
		_ = w[len(dst)*nb*34-1]
		_ = a[(nb+1)/2*q8ActPairBytes-1]
		kern(&dst[0], &w[0], &a[0], len(dst), nb)
	}
}

// x1NEON wraps a four-row kernel: the first n&^7 columns by the kernel,
// the rest by the generic twin on copies of the row tails.
func x1NEON[E float32 | uint16](kern func(dst *float32, w *E, x *float32, n8, ld int), tail func([]float32, []E, []float32, int)) func([]float32, []E, []float32, int) {
	return func(dst []float32, w []E, x []float32, n int) {
		_, _, _ = dst[3], w[4*n-1], x[n-1]
		n8 := n &^ 7
		kern(&dst[0], &w[0], &x[0], n8, n)
		if n8 == n {
			return
		}
		m := n - n8
		var tw [4 * 8]E
		var td [4]float32
		for r := range 4 {
			copy(tw[r*m:(r+1)*m], w[r*n+n8:(r+1)*n])
		}
		tail(td[:], tw[:4*m], x[n8:n], m)
		for i := range td {
			dst[i] += td[i]
		}
	}
}

// x3NEON is the three-x-row kernel (dotF32x3Generic …) as three passes
// of the one-row kernel over the same four weight rows.
func x3NEON[E float32 | uint16](x1 func([]float32, []E, []float32, int)) func([]float32, []E, []float32, int) {
	return func(dst []float32, w []E, x []float32, n int) {
		_, _ = dst[11], x[3*n-1]
		for t := range 3 {
			x1(dst[t*4:t*4+4], w, x[t*n:(t+1)*n], n)
		}
	}
}
