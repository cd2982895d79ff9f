package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// QuantizeRowQ8_0 quantizes src into Q8_0 blocks in dst, bit for bit as
// ggml's quantize_row_q8_0_ref (and so llama-quantize and
// convert_hf_to_gguf) does for finite input: per block of 32 values,
// amax = max|x|, d = amax/127 in float32, id = 1/d (0 when d is 0), the
// stored scale is fp16(d) (nearest, ties to even) and q = roundf(x·id)
// (half away from zero). Note that q is computed with the unrounded f32 d,
// so |x − fp16(d)·q| can slightly exceed fp16(d)/2; ErrorBound gives the
// exact bound the tests check.
//
// Non-finite input (llama.cpp leaves it implementation-defined): a block
// that holds a NaN or ±Inf is stored as scale NaN (0x7e00) with all q = 0,
// so the whole block dequantizes to NaN and the damage stays visible and
// confined to that block.
//
// len(src) must be a multiple of QK8_0 and len(dst) at least
// len(src)/32·34; it panics otherwise, like a slice index out of range.
// This is also the on-the-fly activation quantizer for int8 dot products.
func QuantizeRowQ8_0(dst []byte, src []float32) {
	if len(src)%QK8_0 != 0 {
		panic(fmt.Sprintf("quant: QuantizeRowQ8_0: %d values is not a multiple of %d", len(src), QK8_0))
	}
	nb := len(src) / QK8_0
	if len(dst) < nb*BlockQ8_0Bytes {
		panic(fmt.Sprintf("quant: QuantizeRowQ8_0: dst of %d bytes, need %d", len(dst), nb*BlockQ8_0Bytes))
	}
	for b := 0; b < nb; b++ {
		quantizeBlockQ8_0(dst[b*BlockQ8_0Bytes:(b+1)*BlockQ8_0Bytes], src[b*QK8_0:(b+1)*QK8_0])
	}
}

func quantizeBlockQ8_0(out []byte, x []float32) {
	x = x[:QK8_0]
	out = out[:BlockQ8_0Bytes]
	var amaxBits uint32 // |x| compared as bits: same order as the values for non-NaN
	nonFinite := false
	for _, v := range x {
		a := math.Float32bits(v) &^ (1 << 31)
		nonFinite = nonFinite || a >= 0x7f800000
		amaxBits = max(amaxBits, a)
	}
	if nonFinite {
		binary.LittleEndian.PutUint16(out, 0x7e00)
		clear(out[2:])
		return
	}
	d := math.Float32frombits(amaxBits) / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(out, F32ToF16(d))
	for j, v := range x {
		// roundf: half away from zero. x·id is rounded to f32 first, as in C;
		// adding ±0.5 is exact in float64 (|x·id| ≤ 127), then truncate.
		q := float64(v * id)
		out[2+j] = byte(int8(int32(q + math.Copysign(0.5, q))))
	}
}

// DequantizeRowQ8_0 expands Q8_0 blocks: dst[i] = fp16→f32(d)·q[i], as
// ggml's dequantize_row_q8_0. len(dst) must be a multiple of QK8_0 and
// src must hold len(dst)/32 blocks.
func DequantizeRowQ8_0(dst []float32, src []byte) {
	if len(dst)%QK8_0 != 0 {
		panic(fmt.Sprintf("quant: DequantizeRowQ8_0: %d values is not a multiple of %d", len(dst), QK8_0))
	}
	nb := len(dst) / QK8_0
	if len(src) < nb*BlockQ8_0Bytes {
		panic(fmt.Sprintf("quant: DequantizeRowQ8_0: src of %d bytes, need %d", len(src), nb*BlockQ8_0Bytes))
	}
	for b := 0; b < nb; b++ {
		blk := src[b*BlockQ8_0Bytes : (b+1)*BlockQ8_0Bytes]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		out := dst[b*QK8_0 : (b+1)*QK8_0]
		for j := range out {
			out[j] = d * float32(int8(blk[2+j]))
		}
	}
}

// ErrorBound is the largest |x − dequantized x| QuantizeRowQ8_0 can give
// for a block whose max |x| is amax: half a step of the stored scale
// fp16(amax/127), plus what the fp16 rounding of the scale adds at the
// extreme value (|q| ≤ 127 steps of at most half an fp16 ulp each), plus
// the f32 rounding of x·id. Tests check every value against it. In the
// worst case it is about 12% above fp16(d)/2; when amax/127 is exactly an
// fp16 value it is fp16(d)/2 (plus f32 rounding).
func ErrorBound(amax float32) float64 {
	d := float64(amax) / 127
	ds := float64(F16ToF32(F32ToF16(float32(d))))
	return ds/2 + 127*math.Abs(ds-d) + float64(amax)*0x1p-22
}

// VecDotQ8_0 is the reference dot product of two Q8_0 rows of n values
// (ggml's ggml_vec_dot_q8_0_q8_0, generic path): per block the exact
// int32 sum of q_x·q_y, scaled by d_x·d_y in float32 and accumulated in
// float32, blocks in order. It is the oracle for int8 kernels that pair a
// Q8_0 weight row with an activation row quantized by QuantizeRowQ8_0.
func VecDotQ8_0(n int, x, y []byte) float32 {
	if n%QK8_0 != 0 {
		panic(fmt.Sprintf("quant: VecDotQ8_0: %d values is not a multiple of %d", n, QK8_0))
	}
	nb := n / QK8_0
	x, y = x[:nb*BlockQ8_0Bytes], y[:nb*BlockQ8_0Bytes]
	var sum float32
	for b := 0; b < nb; b++ {
		bx, by := x[b*BlockQ8_0Bytes:], y[b*BlockQ8_0Bytes:]
		var s int32
		for j := 0; j < QK8_0; j++ {
			s += int32(int8(bx[2+j])) * int32(int8(by[2+j]))
		}
		d := F16ToF32(binary.LittleEndian.Uint16(bx)) * F16ToF32(binary.LittleEndian.Uint16(by))
		sum += float32(s) * d
	}
	return sum
}
