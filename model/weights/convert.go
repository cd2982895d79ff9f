package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Float32s returns a new float32 copy of the tensor's values (F32, F16, BF16
// or Q8_0, dequantized). It is meant for tests, inspection and tools, not for
// the inference path, which uploads Data as it is.
func (t TensorInfo) Float32s() ([]float32, error) {
	n := t.Shape.Numel()
	want, err := t.DType.RowBytes(n)
	if err != nil {
		return nil, fmt.Errorf("weights: tensor %s: %s: %w", t.Name, t.Type, err)
	}
	if len(t.Data) != want {
		return nil, fmt.Errorf("weights: tensor %s: %d bytes of data, want %d", t.Name, len(t.Data), want)
	}
	out := make([]float32, n)
	d := t.Data
	switch t.DType {
	case kernels.F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case kernels.F16:
		for i := range out {
			out[i] = F16ToF32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case kernels.BF16:
		for i := range out {
			out[i] = BF16ToF32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case kernels.Q8_0:
		for b := 0; b < n/kernels.Q8_0BlockLen; b++ {
			blk := d[b*kernels.Q8_0BlockBytes:]
			scale := F16ToF32(binary.LittleEndian.Uint16(blk))
			for j := 0; j < kernels.Q8_0BlockLen; j++ {
				out[b*kernels.Q8_0BlockLen+j] = scale * float32(int8(blk[2+j]))
			}
		}
	default:
		return nil, fmt.Errorf("weights: tensor %s: cannot convert %s to float32", t.Name, t.Type)
	}
	return out, nil
}

// BF16ToF32 widens a bfloat16 bit pattern exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 rounds to the nearest bfloat16, ties to even; NaN stays NaN.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// F16ToF32 widens an IEEE half-precision bit pattern exactly.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}
