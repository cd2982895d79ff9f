package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lingshu-edge/lingshu/quant"
)

// GGUF metadata values map to Go types as follows: uint8, int8, uint16,
// int16, uint32, int32, uint64, int64, float32, float64, bool and string for
// scalars; an array of a scalar type becomes a typed slice ([]uint8, ...,
// []string, []bool); an array of arrays becomes []any whose elements are such
// slices (or further []any).

// ggufScalarSize is the encoded size of each fixed-size scalar type.
var ggufScalarSize = map[uint32]uint64{
	quant.GGUFUint8: 1, quant.GGUFInt8: 1, quant.GGUFBool: 1, quant.GGUFUint16: 2, quant.GGUFInt16: 2,
	quant.GGUFUint32: 4, quant.GGUFInt32: 4, quant.GGUFFloat32: 4, quant.GGUFUint64: 8, quant.GGUFInt64: 8, quant.GGUFFloat64: 8,
}

// value reads one metadata value of type typ.
func (r *ggufReader) value(typ uint32, depth int) (any, error) {
	switch typ {
	case quant.GGUFString:
		return r.str()
	case quant.GGUFArray:
		return r.array(depth + 1)
	}
	size, ok := ggufScalarSize[typ]
	if !ok {
		return nil, fmt.Errorf("gguf: unknown value type %d", typ)
	}
	b, err := r.bytes(size)
	if err != nil {
		return nil, err
	}
	return decodeScalar(typ, b)
}

func decodeScalar(typ uint32, b []byte) (any, error) {
	le := binary.LittleEndian
	switch typ {
	case quant.GGUFUint8:
		return b[0], nil
	case quant.GGUFInt8:
		return int8(b[0]), nil
	case quant.GGUFBool:
		if b[0] > 1 {
			return nil, fmt.Errorf("gguf: bool value %d", b[0])
		}
		return b[0] == 1, nil
	case quant.GGUFUint16:
		return le.Uint16(b), nil
	case quant.GGUFInt16:
		return int16(le.Uint16(b)), nil
	case quant.GGUFUint32:
		return le.Uint32(b), nil
	case quant.GGUFInt32:
		return int32(le.Uint32(b)), nil
	case quant.GGUFFloat32:
		return math.Float32frombits(le.Uint32(b)), nil
	case quant.GGUFUint64:
		return le.Uint64(b), nil
	case quant.GGUFInt64:
		return int64(le.Uint64(b)), nil
	case quant.GGUFFloat64:
		return math.Float64frombits(le.Uint64(b)), nil
	}
	return nil, fmt.Errorf("gguf: unknown value type %d", typ)
}

// array reads an array value: element type, count, elements.
func (r *ggufReader) array(depth int) (any, error) {
	if depth > ggufMaxArrayDepth {
		return nil, fmt.Errorf("gguf: arrays nested deeper than %d", ggufMaxArrayDepth)
	}
	et, err := r.u32()
	if err != nil {
		return nil, err
	}
	switch et {
	case quant.GGUFString:
		n, err := r.count("array", 8)
		if err != nil {
			return nil, err
		}
		out := make([]string, n)
		for i := range out {
			if out[i], err = r.str(); err != nil {
				return nil, err
			}
		}
		return out, nil
	case quant.GGUFArray:
		n, err := r.count("array", 4+8)
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.array(depth + 1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	size, ok := ggufScalarSize[et]
	if !ok {
		return nil, fmt.Errorf("gguf: unknown array element type %d", et)
	}
	n, err := r.count("array", size)
	if err != nil {
		return nil, err
	}
	raw, err := r.bytes(uint64(n) * size)
	if err != nil {
		return nil, err
	}
	return decodeScalarArray(et, raw, n)
}

func decodeScalarArray(et uint32, raw []byte, n int) (any, error) {
	le := binary.LittleEndian
	switch et {
	case quant.GGUFUint8:
		return append([]uint8(nil), raw...), nil
	case quant.GGUFInt8:
		return fill(n, func(i int) int8 { return int8(raw[i]) }), nil
	case quant.GGUFBool:
		for _, b := range raw {
			if b > 1 {
				return nil, fmt.Errorf("gguf: bool value %d", b)
			}
		}
		return fill(n, func(i int) bool { return raw[i] == 1 }), nil
	case quant.GGUFUint16:
		return fill(n, func(i int) uint16 { return le.Uint16(raw[2*i:]) }), nil
	case quant.GGUFInt16:
		return fill(n, func(i int) int16 { return int16(le.Uint16(raw[2*i:])) }), nil
	case quant.GGUFUint32:
		return fill(n, func(i int) uint32 { return le.Uint32(raw[4*i:]) }), nil
	case quant.GGUFInt32:
		return fill(n, func(i int) int32 { return int32(le.Uint32(raw[4*i:])) }), nil
	case quant.GGUFFloat32:
		return fill(n, func(i int) float32 { return math.Float32frombits(le.Uint32(raw[4*i:])) }), nil
	case quant.GGUFUint64:
		return fill(n, func(i int) uint64 { return le.Uint64(raw[8*i:]) }), nil
	case quant.GGUFInt64:
		return fill(n, func(i int) int64 { return int64(le.Uint64(raw[8*i:])) }), nil
	case quant.GGUFFloat64:
		return fill(n, func(i int) float64 { return math.Float64frombits(le.Uint64(raw[8*i:])) }), nil
	}
	return nil, fmt.Errorf("gguf: unknown array element type %d", et)
}

func fill[T any](n int, f func(int) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}
