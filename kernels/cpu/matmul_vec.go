package cpu

import (
	"github.com/lingshu-edge/lingshu/kernels"
)

// vecTileBytes is about how many weight bytes a worker keeps hot while
// every x row passes over them (prefill); decode streams the weights once.
const vecTileBytes = 256 << 10

// matmulVec is MatMul for F32, F16 and BF16 weights through the vector
// kernels (kernelSet.f32x1 … bf16x3), used when the CPU has them. Output
// rows are split over the pool; each chunk walks blocks of weight rows
// sized for the cache and multiplies every x row with them, three x rows
// by four weight rows at a time. F16/BF16 weights are widened inside the
// kernels, never into a buffer.
func (b *Backend) matmulVec(dst, x []float32, w *tensor, bias []float32, T, in, out int) {
	esize := 2
	if w.dt == kernels.F32 {
		esize = 4
	}
	block := max(vecTileBytes/max(in*esize, 1)/4*4, 4)
	grain := b.pool.grainForWork(out, T*in, 4, min(block, 16))
	b.pool.run(out, grain, func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += block {
			vecBlock(b.kern, dst, x, w, T, in, out, r0, min(block, hi-r0))
		}
		addBias(dst, bias, T, out, lo, hi)
	})
}

// vecBlock computes dst[t, r0:r0+n] for every x row t.
func vecBlock(k *kernelSet, dst, x []float32, w *tensor, T, in, out, r0, n int) {
	n4 := n &^ 3
	var s [24]float32
	t := 0
	if k.f32x6 != nil {
		for ; t+6 <= T; t += 6 {
			xs := x[t*in : (t+6)*in]
			for r := r0; r < r0+n4; r += 4 {
				vecKernel(k, w, r, in, s[:24], xs)
				for i := range 6 {
					copy(dst[(t+i)*out+r:(t+i)*out+r+4], s[4*i:4*i+4])
				}
			}
		}
	}
	for ; t+3 <= T; t += 3 {
		xs := x[t*in : (t+3)*in]
		for r := r0; r < r0+n4; r += 4 {
			vecKernel(k, w, r, in, s[:12], xs)
			for i := range 3 {
				copy(dst[(t+i)*out+r:(t+i)*out+r+4], s[4*i:4*i+4])
			}
		}
	}
	for ; t < T; t++ {
		xs := x[t*in : (t+1)*in]
		for r := r0; r < r0+n4; r += 4 {
			vecKernel(k, w, r, in, s[:4], xs)
			copy(dst[t*out+r:t*out+r+4], s[:4])
		}
	}
	for r := r0 + n4; r < r0+n; r++ {
		for t := range T {
			dst[t*out+r] = rowDot(w, r, in, x[t*in:(t+1)*in])
		}
	}
}

// vecKernel runs the kernel for four weight rows from r and one, three or
// six x rows (len(s) 4, 12 or 24).
func vecKernel(k *kernelSet, w *tensor, r, in int, s, x []float32) {
	switch w.dt {
	case kernels.F32:
		wr := w.f32[r*in : (r+4)*in]
		pick(len(s), k.f32x1, k.f32x3, k.f32x6)(s, wr, x, in)
	case kernels.F16:
		pick(len(s), k.f16x1, k.f16x3, k.f16x6)(s, w.u16[r*in:(r+4)*in], x, in)
	case kernels.BF16:
		pick(len(s), k.bf16x1, k.bf16x3, k.bf16x6)(s, w.u16[r*in:(r+4)*in], x, in)
	}
}

// pick returns the kernel for n outputs (4, 12 or 24).
func pick[F any](n int, x1, x3, x6 F) F {
	switch n {
	case 24:
		return x6
	case 12:
		return x3
	}
	return x1
}

// rowDot is weight row r (in values, F32/F16/BF16) · x.
func rowDot(w *tensor, r, in int, x []float32) float32 {
	switch w.dt {
	case kernels.F32:
		return dot(w.f32[r*in:(r+1)*in], x)
	case kernels.BF16:
		return dotBF16(w.u16[r*in:(r+1)*in], x)
	}
	var s float32
	for k, h := range w.u16[r*in : (r+1)*in] {
		s += f16ToF32(h) * x[k]
	}
	return s
}
