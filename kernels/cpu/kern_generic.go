package cpu

import (
	"encoding/binary"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// The *Generic kernels below are the plain-loop twins of the assembly in
// kern_amd64.s: the same inputs, layouts and integer arithmetic, with
// float sums in a different order. They always compile, are what -tags
// noasm runs, and are the oracle of kern_test.go.

// quantizeRowQ8Generic quantizes one activation row x (len(x) a multiple
// of 32) into dst in the q8 activation layout (q8.go): per block of 32,
// d = max|x|/127, q = round-half-even(x/d) as int8, the correction lanes
// corr[j] = -128·(q[4j]+…+q[4j+3]) and d repeated 8 times. An odd last
// block is followed by a zero pad block.
func quantizeRowQ8Generic(dst []byte, x []float32) {
	nb := len(x) / kernels.Q8_0BlockLen
	dst = dst[:q8ActRowBytes(len(x))]
	for b := range nb {
		blk := x[b*32 : b*32+32]
		var amax float32
		for _, v := range blk {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		qs, corr, ds := q8ActBlock(dst, b)
		for j := range 8 {
			var s int32
			for i := 4 * j; i < 4*j+4; i++ {
				q := int32(math.RoundToEven(float64(blk[i] * id)))
				qs[i] = byte(int8(q))
				s += int32(int8(q))
			}
			binary.LittleEndian.PutUint32(corr[4*j:], uint32(-128*s))
			binary.LittleEndian.PutUint32(ds[4*j:], math.Float32bits(d))
		}
	}
	if nb%2 == 1 {
		qs, corr, ds := q8ActBlock(dst, nb)
		clear(qs)
		clear(corr)
		clear(ds)
	}
}

// q8ActBlock returns the quants, correction lanes and scales of block b
// of a quantized activation row.
func q8ActBlock(a []byte, b int) (qs, corr, ds []byte) {
	o := b/2*q8ActPairBytes + b%2*32
	return a[o : o+32], a[o+64 : o+96], a[o+128 : o+160]
}

// q8BlockDot is the exact integer dot of 32 GGUF weight quants with 32
// activation quants.
func q8BlockDot(w, q []byte) int32 {
	w, q = w[:32], q[:32]
	var s int32
	for i := range 32 {
		s += int32(int8(w[i])) * int32(int8(q[i]))
	}
	return s
}

// q8RowsGeneric sets dst[r] = Σ_b dw(r,b)·dx(b)·(w(r,b)·q(b)) for the
// len(dst) GGUF Q8_0 rows of w (each nb = len(w)/len(dst)/34 blocks) and
// one quantized activation row a.
func q8RowsGeneric(dst []float32, w, a []byte) {
	if len(dst) == 0 {
		return
	}
	rb := len(w) / len(dst)
	nb := rb / kernels.Q8_0BlockBytes
	for r := range dst {
		row := w[r*rb : (r+1)*rb]
		var s float32
		for b := range nb {
			blk := row[b*34 : b*34+34]
			qs, _, ds := q8ActBlock(a, b)
			dx := math.Float32frombits(binary.LittleEndian.Uint32(ds))
			dw := f16ToF32(binary.LittleEndian.Uint16(blk))
			s += float32(q8BlockDot(blk[2:], qs)) * (dw * dx)
		}
		dst[r] = s
	}
}

// dotF32x1Generic sets dst[r] = w_r·x for the four rows of w (n values
// each, contiguous) and x (n values).
func dotF32x1Generic(dst []float32, w, x []float32, n int) {
	for r := range 4 {
		dst[r] = dot(w[r*n:(r+1)*n], x[:n])
	}
}

// dotF32x3Generic sets dst[t*4+r] = w_r·x_t for four weight rows and
// three x rows (n values each, contiguous).
func dotF32x3Generic(dst []float32, w, x []float32, n int) {
	for t := range 3 {
		dotF32x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// dotF32x6Generic sets dst[t*4+r] = w_r·x_t for four weight rows and six
// x rows (n values each, contiguous).
func dotF32x6Generic(dst []float32, w, x []float32, n int) {
	for t := range 6 {
		dotF32x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// dotF16x6Generic is dotF32x6Generic for IEEE-half weights.
func dotF16x6Generic(dst []float32, w []uint16, x []float32, n int) {
	for t := range 6 {
		dotF16x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// dotBF16x6Generic is dotF32x6Generic for bfloat16 weights.
func dotBF16x6Generic(dst []float32, w []uint16, x []float32, n int) {
	for t := range 6 {
		dotBF16x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// dotF16x1Generic is dotF32x1Generic for IEEE-half weights.
func dotF16x1Generic(dst []float32, w []uint16, x []float32, n int) {
	for r := range 4 {
		var s float32
		for k, h := range w[r*n : (r+1)*n] {
			s += f16ToF32(h) * x[k]
		}
		dst[r] = s
	}
}

// dotF16x3Generic is dotF32x3Generic for IEEE-half weights.
func dotF16x3Generic(dst []float32, w []uint16, x []float32, n int) {
	for t := range 3 {
		dotF16x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// dotBF16x1Generic is dotF32x1Generic for bfloat16 weights.
func dotBF16x1Generic(dst []float32, w []uint16, x []float32, n int) {
	for r := range 4 {
		dst[r] = dotBF16(w[r*n:(r+1)*n], x[:n])
	}
}

// dotBF16x3Generic is dotF32x3Generic for bfloat16 weights.
func dotBF16x3Generic(dst []float32, w []uint16, x []float32, n int) {
	for t := range 3 {
		dotBF16x1Generic(dst[t*4:], w, x[t*n:], n)
	}
}

// attnScoresGeneric sets dst[j] = scale·(q·k_j) for the len(dst) key
// rows k_j = k[j*ldk : j*ldk+d] and returns the largest (-Inf for none).
func attnScoresGeneric(dst, q, k []float32, ldk, d int, scale float32) float32 {
	m := float32(math.Inf(-1))
	for j := range dst {
		dst[j] = dot(q[:d], k[j*ldk:j*ldk+d]) * scale
		m = max(m, dst[j])
	}
	return m
}

// attnAccumGeneric sets out = scale·Σ_j p[j]·v_j for the len(p) value
// rows v_j = v[j*ldv : j*ldv+len(out)].
func attnAccumGeneric(out, p, v []float32, ldv int, scale float32) {
	clear(out)
	for j, w := range p {
		vr := v[j*ldv : j*ldv+len(out)]
		for i := range out {
			out[i] += w * vr[i]
		}
	}
	for i := range out {
		out[i] *= scale
	}
}

// expShiftGeneric sets x[i] = exp(x[i]-m) and returns the sum. exp is
// Cephes' single-precision expf: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in
// two parts), e^r by a degree-7 polynomial, 2^n through the exponent bits;
// arguments are clamped to [-87.34, 88.38] (results ~1e-38 to ~2e38).
func expShiftGeneric(x []float32, m float32) float32 {
	var sum float32
	for i, v := range x {
		e := expF32(v - m)
		x[i] = e
		sum += e
	}
	return sum
}

func expF32(x float32) float32 {
	x = min(max(x, -87.336544), 88.37626)
	n := float32(math.RoundToEven(float64(x * 1.44269504)))
	r := x - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*(r*r) + r + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// swigluRowGeneric sets dst[i] = silu(g[i])·u[i] = g/(1+exp(-g))·u, exp
// as expShiftGeneric's.
func swigluRowGeneric(dst, g, u []float32) {
	for i := range dst {
		gv := g[i]
		dst[i] = gv / (1 + expF32(-gv)) * u[i]
	}
}
