package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/quant"
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
		quant.DequantizeRowQ8_0(out, d)
	default:
		return nil, fmt.Errorf("weights: tensor %s: cannot convert %s to float32", t.Name, t.Type)
	}
	return out, nil
}

// BF16ToF32 widens a bfloat16 bit pattern exactly (quant.BF16ToF32).
func BF16ToF32(h uint16) float32 { return quant.BF16ToF32(h) }

// F32ToBF16 rounds to the nearest bfloat16, ties to even; NaN stays NaN
// (quant.F32ToBF16).
func F32ToBF16(f float32) uint16 { return quant.F32ToBF16(f) }

// F16ToF32 widens an IEEE half-precision bit pattern exactly
// (quant.F16ToF32).
func F16ToF32(h uint16) float32 { return quant.F16ToF32(h) }
