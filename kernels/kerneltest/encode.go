package kerneltest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Encode returns v in dt's little-endian byte layout (rounding to nearest
// even for F16/BF16; GGUF's round-half-away for Q8_0). Shapes whose last
// dimension is not a multiple of 32 cannot be Q8_0.
func Encode(dt kernels.DType, v []float32) []byte {
	switch dt {
	case kernels.F32:
		out := make([]byte, 4*len(v))
		for i, f := range v {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
		}
		return out
	case kernels.I32:
		out := make([]byte, 4*len(v))
		for i, f := range v {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(int32(f)))
		}
		return out
	case kernels.BF16, kernels.F16:
		out := make([]byte, 2*len(v))
		for i, f := range v {
			h := F32ToBF16(f)
			if dt == kernels.F16 {
				h = F32ToF16(f)
			}
			binary.LittleEndian.PutUint16(out[2*i:], h)
		}
		return out
	case kernels.Q8_0:
		return encodeQ8_0(v)
	}
	panic("kerneltest: encode " + dt.String())
}

// I32Bytes encodes ints as little-endian int32.
func I32Bytes(v []int) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(int32(x)))
	}
	return out
}

// F32ToBF16 rounds to the nearest bfloat16 (ties to even).
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// F32ToF16 rounds to the nearest IEEE half (ties to even), through float64.
func F32ToF16(f float32) uint16 {
	x := float64(f)
	sign := uint16(0)
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	switch {
	case x != x:
		return sign | 0x7e00
	case x >= 65520:
		return sign | 0x7c00
	case x < math.Ldexp(1, -14): // subnormal: units of 2^-24
		return sign | uint16(math.RoundToEven(x*(1<<24)))
	}
	e := math.Floor(math.Log2(x))
	m := math.RoundToEven((x/math.Exp2(e) - 1) * 1024)
	if m == 1024 {
		m, e = 0, e+1
	}
	return sign | uint16(e+15)<<10 | uint16(m)
}

func encodeQ8_0(v []float32) []byte {
	n := len(v) / kernels.Q8_0BlockLen
	out := make([]byte, n*kernels.Q8_0BlockBytes)
	for b := range n {
		blk := v[b*kernels.Q8_0BlockLen : (b+1)*kernels.Q8_0BlockLen]
		var amax float32
		for _, x := range blk {
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		d := amax / 127
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		o := out[b*kernels.Q8_0BlockBytes:]
		binary.LittleEndian.PutUint16(o, F32ToF16(d))
		for i, x := range blk {
			o[2+i] = byte(int8(math.Round(float64(x * id))))
		}
	}
	return out
}

// Random returns n values uniform in [-scale, scale) from r.
func Random(r *rand.Rand, n int, scale float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = (r.Float32()*2 - 1) * scale
	}
	return out
}

// NMSE is Σ(got-want)² / Σwant², the normalised mean squared error; 0
// when both are zero, +Inf on NaN or a length mismatch.
func NMSE(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var num, den float64
	for i := range got {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	if num != num {
		return math.Inf(1)
	}
	if den == 0 {
		if num == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return num / den
}
