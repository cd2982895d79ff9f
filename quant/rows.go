package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DecodeRow widens len(dst) values of type t from src into dst (exact for
// F32, F16, BF16; Q8_0 dequantized).
func DecodeRow(dst []float32, t Type, src []byte) error {
	n, err := t.RowBytes(len(dst))
	if err != nil {
		return err
	}
	if len(src) < n {
		return fmt.Errorf("quant: decode %s: %d bytes for %d values, need %d", t, len(src), len(dst), n)
	}
	le := binary.LittleEndian
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(le.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(le.Uint16(src[2*i:]))
		}
	case Q8_0:
		DequantizeRowQ8_0(dst, src)
	}
	return nil
}

// EncodeRow stores src as type t into dst: F32 as is, F16 and BF16 rounded
// to nearest even, Q8_0 by QuantizeRowQ8_0.
func EncodeRow(dst []byte, t Type, src []float32) error {
	n, err := t.RowBytes(len(src))
	if err != nil {
		return err
	}
	if len(dst) < n {
		return fmt.Errorf("quant: encode %s: %d bytes for %d values, need %d", t, len(dst), len(src), n)
	}
	le := binary.LittleEndian
	switch t {
	case F32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToBF16(v))
		}
	case Q8_0:
		QuantizeRowQ8_0(dst, src)
	}
	return nil
}
