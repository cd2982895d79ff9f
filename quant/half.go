package quant

import "math"

// F16ToF32 widens IEEE binary16 bits exactly (subnormals, ±Inf and NaN
// payloads included).
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: payload moves to the top of the f32 mantissa
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = man·2⁻²⁴, normalise
		e := uint32(127 - 15 + 1)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// F32ToF16 rounds to the nearest binary16, ties to even, as the F16C
// instruction and ggml's portable fp32→fp16 do. Values past the largest
// half (65504, or from 65520 up after rounding) become ±Inf; NaN becomes
// the quiet NaN sign|0x7e00 (ggml's portable conversion; the payload is
// dropped).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e >= 1 { // normal half: drop 13 mantissa bits, round to nearest even
		h := uint32(e)<<10 | man>>13
		return sign | uint16(roundShift(h, man&0x1fff, 13))
	}
	// Subnormal half (or underflow to zero): value/2⁻²⁴ = (man|1<<23) >> (14-e).
	shift := uint32(14 - e)
	if shift > 24 {
		return sign // below half of the smallest subnormal
	}
	m := man | 0x800000
	return sign | uint16(roundShift(m>>shift, m&(1<<shift-1), shift))
}

// roundShift rounds q (the kept bits) up when rem (the dropped low `bits`
// bits) is above half, or exactly half and q is odd. A carry out of the
// mantissa moves into the exponent, which is the correct encoding.
func roundShift(q, rem uint32, bits uint32) uint32 {
	half := uint32(1) << (bits - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	return q
}

// BF16ToF32 widens bfloat16 bits exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 rounds to the nearest bfloat16, ties to even, as ggml's
// ggml_compute_fp32_to_bf16 does: a NaN keeps its sign and top payload bits
// and is forced quiet (bit 6 of the result set); ±Inf stays ±Inf; finite
// values that round past the largest bfloat16 become ±Inf.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}
