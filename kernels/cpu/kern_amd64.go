//go:build !noasm

package cpu

import (
	"math"

	"golang.org/x/sys/cpu"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Assembly kernels (kern_amd64.s). Each stub's comment is the Go loop it
// computes; the *Generic twin in kern_generic.go is that loop.

// quantQ8AVX512 quantizes nb blocks of 32 floats at x into the q8
// activation layout at dst (quantizeRowQ8Generic without the pad block).
//
//go:noescape
func quantQ8AVX512(dst *byte, x *float32, nb int)

// q8RowsVNNI sets, for r < n, dst[r] = Σ_b f16(w_r,b.d)·dx(b)·Σ_i w_r,b[i]·q_b[i]
// over the nb GGUF Q8_0 blocks of row r of w (rows nb·34 bytes apart) and the
// quantized activation row a (q8RowsGeneric).
//
//go:noescape
func q8RowsVNNI(dst *float32, w, a *byte, n, nb int)

// dotF32x1AVX2 sets dst[r] = Σ_{k<n8} w[r*ld+k]·x[k] for r < 4; n8 is a
// multiple of 8 (dotF32x1Generic over the first n8 columns).
//
//go:noescape
func dotF32x1AVX2(dst, w, x *float32, n8, ld int)

// dotF32x3AVX2 sets dst[t*4+r] = Σ_{k<n8} w[r*ld+k]·x[t*ld+k] for r < 4,
// t < 3 (dotF32x3Generic over the first n8 columns).
//
//go:noescape
func dotF32x3AVX2(dst, w, x *float32, n8, ld int)

// dotF16x1AVX2 is dotF32x1AVX2 for IEEE-half weights (VCVTPH2PS).
//
//go:noescape
func dotF16x1AVX2(dst *float32, w *uint16, x *float32, n8, ld int)

// dotF16x3AVX2 is dotF32x3AVX2 for IEEE-half weights.
//
//go:noescape
func dotF16x3AVX2(dst *float32, w *uint16, x *float32, n8, ld int)

// dotBF16x1AVX2 is dotF32x1AVX2 for bfloat16 weights (widened by a shift).
//
//go:noescape
func dotBF16x1AVX2(dst *float32, w *uint16, x *float32, n8, ld int)

// dotBF16x3AVX2 is dotF32x3AVX2 for bfloat16 weights.
//
//go:noescape
func dotBF16x3AVX2(dst *float32, w *uint16, x *float32, n8, ld int)

// attnScoresAVX2 sets dst[j] = scale·Σ_{i<d8} q[i]·k[j*ldk+i] for j < n
// and returns the largest; d8 is a multiple of 8 (attnScoresGeneric over
// the first d8 columns).
//
//go:noescape
func attnScoresAVX2(dst, q, k *float32, ldk, n, d8 int, scale float32) float32

// attnAccumAVX2 sets out[i] = scale·Σ_{j<n} p[j]·v[j*ldv+i] for i < d8,
// a multiple of 8 (attnAccumGeneric over the first d8 columns).
//
//go:noescape
func attnAccumAVX2(out, p, v *float32, ldv, n, d8 int, scale float32)

// expShiftAVX2 sets x[i] = exp(x[i]-m) for i < n8, a multiple of 8, with
// expShiftGeneric's polynomial, and returns the sum.
//
//go:noescape
func expShiftAVX2(x *float32, n8 int, m float32) float32

// swigluAVX2 sets dst[i] = g[i]/(1+exp(-g[i]))·u[i] for i < n8, a
// multiple of 8 (swigluRowGeneric).
//
//go:noescape
func swigluAVX2(dst, gate, up *float32, n8 int)

// quantQ8AVX2 is quantQ8AVX512 with AVX2 only.
//
//go:noescape
func quantQ8AVX2(dst *byte, x *float32, nb int)

// q8RowsAVX2 is q8RowsVNNI with AVX2 only (VPMADDUBSW with the sign
// trick; GGUF quants in [-127, 127]).
//
//go:noescape
func q8RowsAVX2(dst *float32, w, a *byte, n, nb int)

// quantQ8GAVX512 quantizes nb blocks of 32 floats at x into the grouped
// activation layout at dst (quantizeRowQ8GGeneric without clearing the
// pad blocks).
//
//go:noescape
func quantQ8GAVX512(dst *byte, x *float32, nb int)

// q8gRepackAVX512 writes four GGUF Q8_0 rows at w (nb blocks each) as a
// grouped tile at dst (repackQ8GGeneric with rows = 4, pad blocks untouched).
//
//go:noescape
func q8gRepackAVX512(dst, w *byte, nb int)

// q8gTile4x3VNNI sets dst[t*4+r] = Σ over ng groups of grouped weight row
// r of wt times activation row t at a+t·lda (q8gTile4x3Generic).
//
//go:noescape
func q8gTile4x3VNNI(dst *float32, wt, a *byte, lda, ng int)

// dotF32x6AVX512 sets dst[t*4+r] = Σ_{k<n16} w[r*ld+k]·x[t*ld+k] for r < 4,
// t < 6; n16 is a multiple of 16 (dotF32x6Generic over the first n16 columns).
//
//go:noescape
func dotF32x6AVX512(dst, w, x *float32, n16, ld int)

// dotF16x6AVX512 is dotF32x6AVX512 for IEEE-half weights.
//
//go:noescape
func dotF16x6AVX512(dst *float32, w *uint16, x *float32, n16, ld int)

// dotBF16x6AVX512 is dotF32x6AVX512 for bfloat16 weights.
//
//go:noescape
func dotBF16x6AVX512(dst *float32, w *uint16, x *float32, n16, ld int)

// attnScoresAVX512 is attnScoresAVX2 with d16, a multiple of 16.
//
//go:noescape
func attnScoresAVX512(dst, q, k *float32, ldk, n, d16 int, scale float32) float32

// attnAccumAVX512 is attnAccumAVX2 with d16, a multiple of 16.
//
//go:noescape
func attnAccumAVX512(out, p, v *float32, ldv, n, d16 int, scale float32)

// hasAVX2 and hasVNNI are what the CPU offers for the kernels above.
func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C }

func hasVNNI() bool {
	return hasAVX2() && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}

// selectKernels picks the fastest kernel set this CPU runs.
func selectKernels() *kernelSet {
	sets := kernelSets()
	return sets[len(sets)-1]
}

// kernelSets lists the kernel sets this CPU runs, slowest (generic) first.
func kernelSets() []*kernelSet {
	sets := []*kernelSet{genericKernels()}
	if !hasAVX2() {
		return sets
	}
	k := genericKernels()
	k.name = "avx2"
	k.quantQ8 = quantAsm(quantQ8AVX2)
	k.q8Rows = rowsAsm(q8RowsAVX2)
	k.quantQ8G, k.q8gRepack, k.q8gTile = nil, nil, nil // prefill runs q8Rows over cache-sized row blocks
	k.attnScores, k.attnAccum = scoresAsm(attnScoresAVX2, 8), accumAsm(attnAccumAVX2, 8)
	k.expShift, k.swiglu = expShiftAsm, swigluAsm
	k.f32x1, k.f32x3 = dotF32x1Asm, dotF32x3Asm
	k.f16x1, k.f16x3 = halfAsm(dotF16x1AVX2, dotF16x1Generic), halfAsm(dotF16x3AVX2, dotF16x3Generic)
	k.bf16x1, k.bf16x3 = halfAsm(dotBF16x1AVX2, dotBF16x1Generic), halfAsm(dotBF16x3AVX2, dotBF16x3Generic)
	sets = append(sets, k)
	if hasVNNI() {
		v := *k
		v.name = "avx512vnni"
		v.quantQ8, v.q8Rows = quantAsm(quantQ8AVX512), rowsAsm(q8RowsVNNI)
		v.quantQ8G, v.q8gRepack, v.q8gTile = quantQ8GAsm, q8gRepackAsm, q8gTileAsm
		v.f32x6 = x6Asm(dotF32x6AVX512, dotF32x6Generic)
		v.f16x6 = x6Asm(dotF16x6AVX512, dotF16x6Generic)
		v.bf16x6 = x6Asm(dotBF16x6AVX512, dotBF16x6Generic)
		v.attnScores = scoresAsm(attnScoresAVX512, 16)
		v.attnAccum = accumAsm(attnAccumAVX512, 16)
		sets = append(sets, &v)
	}
	return sets
}

// quantAsm wraps a quantizer kernel: whole blocks by the kernel, then
// the zero pad block after an odd count.
func quantAsm(kern func(dst *byte, x *float32, nb int)) func([]byte, []float32) {
	return func(dst []byte, x []float32) {
		nb := len(x) / kernels.Q8_0BlockLen
		dst = dst[:q8ActRowBytes(len(x))]
		if nb > 0 {
			kern(&dst[0], &x[0], nb)
		}
		if nb%2 == 1 {
			qs, corr, ds := q8ActBlock(dst, nb)
			clear(qs)
			clear(corr)
			clear(ds)
		}
	}
}

// rowsAsm wraps a q8Rows kernel with the bounds checks it relies on.
func rowsAsm(kern func(dst *float32, w, a *byte, n, nb int)) func([]float32, []byte, []byte) {
	return func(dst []float32, w, a []byte) {
		if len(dst) == 0 {
			return
		}
		nb := len(w) / len(dst) / kernels.Q8_0BlockBytes
		if nb == 0 {
			clear(dst)
			return
		}
		_ = w[len(dst)*nb*kernels.Q8_0BlockBytes-1]
		_ = a[(nb+1)/2*q8ActPairBytes-1]
		kern(&dst[0], &w[0], &a[0], len(dst), nb)
	}
}

// dotF32x1Asm is dotF32x1Generic: the kernel covers whole groups of 8
// columns, Go adds the rest.
func dotF32x1Asm(dst []float32, w, x []float32, n int) {
	_, _, _ = dst[3], w[4*n-1], x[n-1]
	n8 := n &^ 7
	dotF32x1AVX2(&dst[0], &w[0], &x[0], n8, n)
	for r := range 4 {
		dst[r] += dot(w[r*n+n8:(r+1)*n], x[n8:n])
	}
}

// dotF32x3Asm is dotF32x3Generic, tail columns in Go.
func dotF32x3Asm(dst []float32, w, x []float32, n int) {
	_, _, _ = dst[11], w[4*n-1], x[3*n-1]
	n8 := n &^ 7
	dotF32x3AVX2(&dst[0], &w[0], &x[0], n8, n)
	if n8 < n {
		for t := range 3 {
			for r := range 4 {
				dst[t*4+r] += dot(w[r*n+n8:(r+1)*n], x[t*n+n8:(t+1)*n])
			}
		}
	}
}

// halfAsm wraps a half-precision kernel: rows of n values, the first
// n&^7 columns by the kernel, the rest by the generic twin on the tail.
func halfAsm(kern func(dst *float32, w *uint16, x *float32, n8, ld int), tail func([]float32, []uint16, []float32, int)) func([]float32, []uint16, []float32, int) {
	return func(dst []float32, w []uint16, x []float32, n int) {
		rows := len(dst) / 4 // 1 or 3 x rows
		_, _, _ = dst[4*rows-1], w[4*n-1], x[rows*n-1]
		n8 := n &^ 7
		kern(&dst[0], &w[0], &x[0], n8, n)
		if n8 == n {
			return
		}
		m := n - n8
		var tw [4 * 8]uint16
		var tx [3 * 8]float32
		var td [12]float32
		for r := range 4 {
			copy(tw[r*m:(r+1)*m], w[r*n+n8:(r+1)*n])
		}
		for t := range rows {
			copy(tx[t*m:(t+1)*m], x[t*n+n8:(t+1)*n])
		}
		tail(td[:4*rows], tw[:4*m], tx[:rows*m], m)
		for i := range 4 * rows {
			dst[i] += td[i]
		}
	}
}

// scoresAsm wraps an attention-score kernel that takes the columns in
// multiples of width; the rest are added in Go.
func scoresAsm(kern func(dst, q, k *float32, ldk, n, d int, scale float32) float32, width int) func([]float32, []float32, []float32, int, int, float32) float32 {
	return func(dst, q, k []float32, ldk, d int, scale float32) float32 {
		n := len(dst)
		if n == 0 {
			return float32(math.Inf(-1))
		}
		_, _ = q[d-1], k[(n-1)*ldk+d-1]
		dw := d / width * width
		if dw == d {
			return kern(&dst[0], &q[0], &k[0], ldk, n, dw, scale)
		}
		if dw == 0 {
			return attnScoresGeneric(dst, q, k, ldk, d, scale)
		}
		kern(&dst[0], &q[0], &k[0], ldk, n, dw, scale)
		m := float32(math.Inf(-1))
		for j := range dst {
			dst[j] += dot(q[dw:d], k[j*ldk+dw:j*ldk+d]) * scale
			m = max(m, dst[j])
		}
		return m
	}
}

// accumAsm wraps an attention-accumulation kernel likewise.
func accumAsm(kern func(out, p, v *float32, ldv, n, d int, scale float32), width int) func([]float32, []float32, []float32, int, float32) {
	return func(out, p, v []float32, ldv int, scale float32) {
		n, d := len(p), len(out)
		if n == 0 || d == 0 {
			clear(out)
			return
		}
		_ = v[(n-1)*ldv+d-1]
		dw := d / width * width
		if dw > 0 {
			kern(&out[0], &p[0], &v[0], ldv, n, dw, scale)
		}
		if dw < d {
			attnAccumGeneric(out[dw:], p, v[dw:], ldv, scale)
		}
	}
}

func expShiftAsm(x []float32, m float32) float32 {
	n8 := len(x) &^ 7
	var s float32
	if n8 > 0 {
		s = expShiftAVX2(&x[0], n8, m)
	}
	return s + expShiftGeneric(x[n8:], m)
}

func swigluAsm(dst, g, u []float32) {
	n := len(dst)
	_, _ = g[:n], u[:n]
	n8 := n &^ 7
	if n8 > 0 {
		swigluAVX2(&dst[0], &g[0], &u[0], n8)
	}
	swigluRowGeneric(dst[n8:], g[n8:n], u[n8:n])
}

func quantQ8GAsm(dst []byte, x []float32) {
	ng := q8gGroups(len(x))
	dst = dst[:ng*q8gActBytes]
	clear(dst[(ng-1)*q8gActBytes:]) // pad blocks
	if nb := len(x) / kernels.Q8_0BlockLen; nb > 0 {
		quantQ8GAVX512(&dst[0], &x[0], nb)
	}
}

func q8gRepackAsm(dst, w []byte, nb, rows int) {
	ng := (nb + q8gBlocks - 1) / q8gBlocks
	if rows < q8gTileRows || nb == 0 {
		repackQ8GGeneric(dst, w, nb, rows)
		return
	}
	dst = dst[:ng*q8gTileBytes]
	_ = w[4*nb*kernels.Q8_0BlockBytes-1]
	if nb%q8gBlocks != 0 { // pad blocks: zero weights, zero scales
		last := dst[(ng-1)*q8gTileBytes:]
		for r := range q8gTileRows {
			row := last[r*q8gRowBytes : (r+1)*q8gRowBytes]
			for i := range q8gScaleStart {
				row[i] = 0x80
			}
			clear(row[q8gScaleStart:])
		}
	}
	q8gRepackAVX512(&dst[0], &w[0], nb)
}

func q8gTileAsm(dst []float32, wt, a []byte, lda int) {
	ng := len(wt) / q8gTileBytes
	_ = dst[q8gTileRows*q8gTileXRows-1]
	if ng == 0 {
		clear(dst[:q8gTileRows*q8gTileXRows])
		return
	}
	_ = wt[ng*q8gTileBytes-1]
	_ = a[2*lda+ng*q8gActBytes-1]
	q8gTile4x3VNNI(&dst[0], &wt[0], &a[0], lda, ng)
}

// x6Asm wraps a four-by-six kernel: the first n&^15 columns by the
// kernel, the rest by the generic twin on copies of the tails.
func x6Asm[E float32 | uint16](kern func(dst *float32, w *E, x *float32, n16, ld int), tail func([]float32, []E, []float32, int)) func([]float32, []E, []float32, int) {
	return func(dst []float32, w []E, x []float32, n int) {
		_, _, _ = dst[23], w[4*n-1], x[6*n-1]
		n16 := n &^ 15
		kern(&dst[0], &w[0], &x[0], n16, n)
		if n16 == n {
			return
		}
		m := n - n16
		var tw [4 * 16]E
		var tx [6 * 16]float32
		var td [24]float32
		for r := range 4 {
			copy(tw[r*m:(r+1)*m], w[r*n+n16:(r+1)*n])
		}
		for t := range 6 {
			copy(tx[t*m:(t+1)*m], x[t*n+n16:(t+1)*n])
		}
		tail(td[:], tw[:4*m], tx[:6*m], m)
		for i := range td {
			dst[i] += td[i]
		}
	}
}
