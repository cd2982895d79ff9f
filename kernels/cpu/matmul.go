package cpu

import (
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// MatMul: x (T, in) × w (out, in) + bias (out) → dst (T, out).
func (b *Backend) MatMul(dst, x, w, bias kernels.Tensor) error {
	xs, T, in, err := f32Mat("matmul x", x)
	if err != nil {
		return err
	}
	wt, err := asTensor("matmul w", w)
	if err != nil {
		return err
	}
	if err := checkWeight("matmul", wt, in); err != nil {
		return err
	}
	out := wt.shape[0]
	ds, dT, dOut, err := writableF32("matmul dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dOut != out {
		return errorf("matmul", "dst (%d, %d), want (%d, %d)", dT, dOut, T, out)
	}
	var bs []float32
	if bias != nil {
		if bs, err = vector("matmul bias", bias, out); err != nil {
			return err
		}
	}
	if b.reference {
		matmulGeneric(ds, xs, wt, bs, T, in, out)
		return nil
	}
	switch {
	case wt.dt == kernels.Q8_0:
		b.matmulQ8(ds, xs, wt, bs, T, in, out)
	case b.kern.hasFloatKernels():
		b.matmulVec(ds, xs, wt, bs, T, in, out)
	default:
		b.matmul(ds, xs, wt, bs, T, in, out)
	}
	return nil
}

// matmul is the plain-Go path for float weights (CPUs without the vector
// kernels): output rows are split over the pool; each chunk widens a block
// of weight rows to f32 once (never the whole matrix) and multiplies it
// with every x row through a 4×2 register tile.
func (b *Backend) matmul(dst, x []float32, w *tensor, bias []float32, T, in, out int) {
	block := rowBlock(T, in)
	grain := b.pool.grainForWork(out, T*in, block, block)
	b.pool.run(out, grain, func(lo, hi int) {
		buf := b.buffer(block * in)
		defer b.release(buf)
		for r0 := lo; r0 < hi; r0 += block {
			n := min(block, hi-r0)
			switch {
			case w.dt == kernels.BF16 && T <= fusedMaxT:
				matmulBF16Fused(dst, x, w.u16[r0*in:(r0+n)*in], T, in, out, r0, n)
			case w.dt == kernels.F16 && T <= fusedMaxT:
				matmulF16Fused(dst, x, w.u16[r0*in:(r0+n)*in], T, in, out, r0, n, b.f16)
			case w.dt == kernels.F32: // already f32: no copy
				matmulBlock(dst, x, w.f32[r0*in:(r0+n)*in], T, in, out, r0, n)
			default:
				wf := (*buf)[:n*in]
				decodeRows(wf, w, r0, n, in)
				matmulBlock(dst, x, wf, T, in, out, r0, n)
			}
			if bias != nil {
				for t := range T {
					d := dst[t*out+r0 : t*out+r0+n]
					for i := range d {
						d[i] += bias[r0+i]
					}
				}
			}
		}
	})
}

// rowBlock is how many weight rows are widened at once: about 64 KiB of
// f32 when many x rows reuse them, 8 rows for decode-sized T.
func rowBlock(T, in int) int {
	if T <= 4 {
		return 8
	}
	n := 64 << 10 / (4 * max(in, 1))
	return min(max(n/4*4, 8), 64)
}

// matmulBlock computes dst[t, r0:r0+n] = x[t] · wf[i] for every x row t
// and the n widened weight rows wf (n*in values).
func matmulBlock(dst, x, wf []float32, T, in, out, r0, n int) {
	r := 0
	for ; r+4 <= n; r += 4 {
		w0, w1, w2, w3 := wf[r*in:(r+1)*in], wf[(r+1)*in:(r+2)*in], wf[(r+2)*in:(r+3)*in], wf[(r+3)*in:(r+4)*in]
		t := 0
		for ; t+2 <= T; t += 2 {
			s := dot4x2(w0, w1, w2, w3, x[t*in:(t+1)*in], x[(t+1)*in:(t+2)*in])
			d0, d1 := dst[t*out+r0+r:t*out+r0+r+4], dst[(t+1)*out+r0+r:(t+1)*out+r0+r+4]
			d0[0], d0[1], d0[2], d0[3] = s[0], s[2], s[4], s[6]
			d1[0], d1[1], d1[2], d1[3] = s[1], s[3], s[5], s[7]
		}
		if t < T {
			s := dot4x1(w0, w1, w2, w3, x[t*in:(t+1)*in])
			d := dst[t*out+r0+r : t*out+r0+r+4]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
		}
	}
	for ; r < n; r++ {
		wr := wf[r*in : (r+1)*in]
		for t := range T {
			dst[t*out+r0+r] = dot(wr, x[t*in:(t+1)*in])
		}
	}
}

// fusedMaxT is the largest T for which BF16 rows are widened inside the
// dot product instead of into a buffer: with few x rows each weight is
// used once or twice, so the buffer pass would cost as much as the dot.
const fusedMaxT = 2

// matmulBF16Fused is matmulBlock for n BF16 weight rows wb (n*in values),
// widening each weight as it is multiplied.
func matmulBF16Fused(dst, x []float32, wb []uint16, T, in, out, r0, n int) {
	r := 0
	for ; r+4 <= n; r += 4 {
		for t := range T {
			s := dotBF16x4(wb[r*in:(r+1)*in], wb[(r+1)*in:(r+2)*in], wb[(r+2)*in:(r+3)*in], wb[(r+3)*in:(r+4)*in], x[t*in:(t+1)*in])
			d := dst[t*out+r0+r : t*out+r0+r+4]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
		}
	}
	for ; r < n; r++ {
		for t := range T {
			dst[t*out+r0+r] = dotBF16(wb[r*in:(r+1)*in], x[t*in:(t+1)*in])
		}
	}
}

// dotBF16x4 returns w_i·x for four BF16 rows.
func dotBF16x4(w0, w1, w2, w3 []uint16, x []float32) [4]float32 {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, a2, a3 float32
	for k := 0; k < n; k++ {
		xv := x[k]
		a0 += math.Float32frombits(uint32(w0[k])<<16) * xv
		a1 += math.Float32frombits(uint32(w1[k])<<16) * xv
		a2 += math.Float32frombits(uint32(w2[k])<<16) * xv
		a3 += math.Float32frombits(uint32(w3[k])<<16) * xv
	}
	return [4]float32{a0, a1, a2, a3}
}

// matmulF16Fused is matmulBF16Fused for F16 weights, widened through
// the backend's 65536-entry table.
func matmulF16Fused(dst, x []float32, wb []uint16, T, in, out, r0, n int, tab *[1 << 16]float32) {
	r := 0
	for ; r+4 <= n; r += 4 {
		for t := range T {
			s := dotF16x4(wb[r*in:(r+1)*in], wb[(r+1)*in:(r+2)*in], wb[(r+2)*in:(r+3)*in], wb[(r+3)*in:(r+4)*in], x[t*in:(t+1)*in], tab)
			d := dst[t*out+r0+r : t*out+r0+r+4]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
		}
	}
	for ; r < n; r++ {
		wr := wb[r*in : (r+1)*in]
		for t := range T {
			xr := x[t*in : (t+1)*in]
			xr = xr[:len(wr)]
			var s float32
			for k, h := range wr {
				s += tab[h] * xr[k]
			}
			dst[t*out+r0+r] = s
		}
	}
}

// dotF16x4 returns w_i·x for four F16 rows.
func dotF16x4(w0, w1, w2, w3 []uint16, x []float32, tab *[1 << 16]float32) [4]float32 {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, a2, a3 float32
	for k := 0; k < n; k++ {
		xv := x[k]
		a0 += tab[w0[k]] * xv
		a1 += tab[w1[k]] * xv
		a2 += tab[w2[k]] * xv
		a3 += tab[w3[k]] * xv
	}
	return [4]float32{a0, a1, a2, a3}
}

// dotBF16 returns w·x for one BF16 row.
func dotBF16(w []uint16, x []float32) float32 {
	n := len(x)
	w = w[:n]
	var s0, s1 float32
	k := 0
	for ; k+2 <= n; k += 2 {
		s0 += math.Float32frombits(uint32(w[k])<<16) * x[k]
		s1 += math.Float32frombits(uint32(w[k+1])<<16) * x[k+1]
	}
	for ; k < n; k++ {
		s0 += math.Float32frombits(uint32(w[k])<<16) * x[k]
	}
	return s0 + s1
}

// dot4x2 returns w_i·x_j for four weight rows and two x rows, ordered
// (w0x0, w0x1, w1x0, w1x1, ...).
func dot4x2(w0, w1, w2, w3, x0, x1 []float32) [8]float32 {
	n := len(x0)
	w0, w1, w2, w3, x1 = w0[:n], w1[:n], w2[:n], w3[:n], x1[:n]
	var a00, a01, a10, a11, a20, a21, a30, a31 float32
	for k := 0; k < n; k++ {
		xa, xb := x0[k], x1[k]
		v0, v1, v2, v3 := w0[k], w1[k], w2[k], w3[k]
		a00 += v0 * xa
		a01 += v0 * xb
		a10 += v1 * xa
		a11 += v1 * xb
		a20 += v2 * xa
		a21 += v2 * xb
		a30 += v3 * xa
		a31 += v3 * xb
	}
	return [8]float32{a00, a01, a10, a11, a20, a21, a30, a31}
}

// dot4x1 returns w_i·x for four weight rows.
func dot4x1(w0, w1, w2, w3, x []float32) [4]float32 {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, a2, a3 float32
	for k := 0; k < n; k++ {
		xv := x[k]
		a0 += w0[k] * xv
		a1 += w1[k] * xv
		a2 += w2[k] * xv
		a3 += w3[k] * xv
	}
	return [4]float32{a0, a1, a2, a3}
}

// dot returns a·b with four partial sums.
func dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	k := 0
	for ; k+4 <= n; k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < n; k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// matmulGeneric is MatMul's oracle: one float64 dot product per output.
func matmulGeneric(dst, x []float32, w *tensor, bias []float32, T, in, out int) {
	for t := range T {
		for o := range out {
			var s float64
			for k := range in {
				s += float64(x[t*in+k]) * float64(weightValueGeneric(w, o, k, in))
			}
			if bias != nil {
				s += float64(bias[o])
			}
			dst[t*out+o] = float32(s)
		}
	}
}
