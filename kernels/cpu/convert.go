package cpu

import (
	"encoding/binary"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// bf16ToF32 widens a bfloat16 exactly (it is the top half of an f32).
func bf16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// f16ToF32 widens an IEEE half exactly, by rebiasing the exponent
// (the fast path; f16ToF32Generic is its oracle).
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	o := uint32(h&0x7fff) << 13 // exponent and mantissa in f32 position
	exp := o & 0x0f800000
	o += (127 - 15) << 23
	switch exp {
	case 0x0f800000: // inf or nan
		o += (128 - 16) << 23
	case 0: // zero or subnormal: renormalise through a float subtraction
		o += 1 << 23
		return math.Float32frombits(sign | math.Float32bits(math.Float32frombits(o)-math.Float32frombits(113<<23)))
	}
	return math.Float32frombits(sign | o)
}

// f16ToF32Generic widens an IEEE half from its definition.
func f16ToF32Generic(h uint16) float32 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return float32(sign * math.Ldexp(m, -24))
	case 31:
		if m != 0 {
			return float32(math.NaN())
		}
		return float32(math.Inf(int(sign)))
	}
	return float32(sign * math.Ldexp(1+m/1024, e-15))
}

// decodeHalf widens src (F16 or BF16 bits) into dst.
func decodeHalf(dst []float32, src []uint16, dt kernels.DType) {
	dst = dst[:len(src)]
	if dt == kernels.BF16 {
		for i, h := range src {
			dst[i] = bf16ToF32(h)
		}
		return
	}
	for i, h := range src {
		dst[i] = f16ToF32(h)
	}
}

// decodeQ8_0 dequantizes blocks of GGUF Q8_0 (fp16 scale, 32 int8) into dst;
// len(dst) is a multiple of 32 and src holds len(dst)/32 blocks.
func decodeQ8_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/kernels.Q8_0BlockLen; b++ {
		blk := src[b*kernels.Q8_0BlockBytes : (b+1)*kernels.Q8_0BlockBytes]
		d := f16ToF32(binary.LittleEndian.Uint16(blk))
		out := dst[b*kernels.Q8_0BlockLen : (b+1)*kernels.Q8_0BlockLen]
		for i := range out {
			out[i] = d * float32(int8(blk[2+i]))
		}
	}
}

// weightValueGeneric returns element (r, c) of a weight matrix with in
// columns, decoded with the generic conversions. It is the oracle's only
// way to read weights.
func weightValueGeneric(w *tensor, r, c, in int) float32 {
	i := r*in + c
	switch w.dt {
	case kernels.F32:
		return w.f32[i]
	case kernels.BF16:
		return math.Float32frombits(uint32(w.u16[i]) << 16)
	case kernels.F16:
		return f16ToF32Generic(w.u16[i])
	case kernels.Q8_0:
		rb := in / kernels.Q8_0BlockLen * kernels.Q8_0BlockBytes
		blk := w.raw[r*rb+c/kernels.Q8_0BlockLen*kernels.Q8_0BlockBytes:]
		d := f16ToF32Generic(uint16(blk[0]) | uint16(blk[1])<<8)
		return d * float32(int8(blk[2+c%kernels.Q8_0BlockLen]))
	}
	panic("cpu: weightValueGeneric: unchecked dtype " + w.dt.String())
}

// decodeRows widens rows [r0, r0+n) of weight w (in columns) into dst
// (n*in values). This is the dtype switch of the fast paths: a new weight
// format adds a case here (and in weightValueGeneric).
func decodeRows(dst []float32, w *tensor, r0, n, in int) {
	lo, hi := r0*in, (r0+n)*in
	switch w.dt {
	case kernels.F32:
		copy(dst, w.f32[lo:hi])
	case kernels.F16, kernels.BF16:
		decodeHalf(dst[:hi-lo], w.u16[lo:hi], w.dt)
	case kernels.Q8_0:
		rb := in / kernels.Q8_0BlockLen * kernels.Q8_0BlockBytes
		decodeQ8_0(dst[:hi-lo], w.raw[r0*rb:(r0+n)*rb])
	default:
		panic("cpu: decodeRows: unchecked dtype " + w.dt.String())
	}
}

// weightDTypes lists the weight formats MatMul and Embedding accept.
func weightDTypes() []kernels.DType {
	return []kernels.DType{kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0}
}

// checkWeight validates a (rows, in) weight matrix; trailing dims of an
// N-D weight (rows, d1, d2, …) are flattened: d1·d2·… = in.
func checkWeight(what string, w *tensor, in int) error {
	switch w.dt {
	case kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0:
	default:
		return errorf(what, "weight dtype %s: %w", w.dt, kernels.ErrNotImplemented)
	}
	if len(w.shape) < 2 || w.cols() != in {
		return errorf(what, "weight %s%v, want (rows, %d)", w.dt, w.shape, in)
	}
	return nil
}
