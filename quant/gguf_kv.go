package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// GGUF metadata value types (gguf_type in the GGUF specification), shared
// by this writer and the reader in model/weights.
const (
	GGUFUint8 uint32 = iota
	GGUFInt8
	GGUFUint16
	GGUFInt16
	GGUFUint32
	GGUFInt32
	GGUFFloat32
	GGUFBool
	GGUFString
	GGUFArray
	GGUFUint64
	GGUFInt64
	GGUFFloat64
)

// KV is one GGUF metadata entry. Value is one of uint8, int8, uint16,
// int16, uint32, int32, uint64, int64, float32, float64, bool, string, or a
// slice of one of those ([]string, []int32, []float32, ...), which is
// written as a GGUF array. The Go type decides the GGUF type, so write
// uint32(n) for a key llama.cpp reads as u32.
type KV struct {
	Key   string
	Value any
}

// appendKV encodes one key/value pair.
func appendKV(b []byte, kv KV) ([]byte, error) {
	if kv.Key == "" {
		return nil, fmt.Errorf("quant: gguf: empty metadata key")
	}
	b = appendString(b, kv.Key)
	typ, body, err := encodeValue(kv.Value)
	if err != nil {
		return nil, fmt.Errorf("quant: gguf: metadata %s: %w", kv.Key, err)
	}
	b = binary.LittleEndian.AppendUint32(b, typ)
	return append(b, body...), nil
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// encodeValue returns the GGUF type of v and its encoding.
func encodeValue(v any) (uint32, []byte, error) {
	if typ, b, ok := encodeScalar(v, nil); ok {
		return typ, b, nil
	}
	le := binary.LittleEndian
	arr := func(et uint32, n int, each func(b []byte, i int) []byte) (uint32, []byte, error) {
		b := le.AppendUint32(nil, et)
		b = le.AppendUint64(b, uint64(n))
		for i := 0; i < n; i++ {
			b = each(b, i)
		}
		return GGUFArray, b, nil
	}
	switch x := v.(type) {
	case []string:
		return arr(GGUFString, len(x), func(b []byte, i int) []byte { return appendString(b, x[i]) })
	case []uint8:
		return arr(GGUFUint8, len(x), func(b []byte, i int) []byte { return append(b, x[i]) })
	case []int8:
		return arr(GGUFInt8, len(x), func(b []byte, i int) []byte { return append(b, byte(x[i])) })
	case []bool:
		return arr(GGUFBool, len(x), func(b []byte, i int) []byte { return append(b, boolByte(x[i])) })
	case []uint16:
		return arr(GGUFUint16, len(x), func(b []byte, i int) []byte { return le.AppendUint16(b, x[i]) })
	case []int16:
		return arr(GGUFInt16, len(x), func(b []byte, i int) []byte { return le.AppendUint16(b, uint16(x[i])) })
	case []uint32:
		return arr(GGUFUint32, len(x), func(b []byte, i int) []byte { return le.AppendUint32(b, x[i]) })
	case []int32:
		return arr(GGUFInt32, len(x), func(b []byte, i int) []byte { return le.AppendUint32(b, uint32(x[i])) })
	case []float32:
		return arr(GGUFFloat32, len(x), func(b []byte, i int) []byte { return le.AppendUint32(b, math.Float32bits(x[i])) })
	case []uint64:
		return arr(GGUFUint64, len(x), func(b []byte, i int) []byte { return le.AppendUint64(b, x[i]) })
	case []int64:
		return arr(GGUFInt64, len(x), func(b []byte, i int) []byte { return le.AppendUint64(b, uint64(x[i])) })
	case []float64:
		return arr(GGUFFloat64, len(x), func(b []byte, i int) []byte { return le.AppendUint64(b, math.Float64bits(x[i])) })
	}
	return 0, nil, fmt.Errorf("unsupported value type %T", v)
}

// encodeScalar appends a scalar's encoding to b; ok is false for a
// non-scalar.
func encodeScalar(v any, b []byte) (typ uint32, out []byte, ok bool) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		return GGUFUint8, append(b, x), true
	case int8:
		return GGUFInt8, append(b, byte(x)), true
	case bool:
		return GGUFBool, append(b, boolByte(x)), true
	case uint16:
		return GGUFUint16, le.AppendUint16(b, x), true
	case int16:
		return GGUFInt16, le.AppendUint16(b, uint16(x)), true
	case uint32:
		return GGUFUint32, le.AppendUint32(b, x), true
	case int32:
		return GGUFInt32, le.AppendUint32(b, uint32(x)), true
	case float32:
		return GGUFFloat32, le.AppendUint32(b, math.Float32bits(x)), true
	case uint64:
		return GGUFUint64, le.AppendUint64(b, x), true
	case int64:
		return GGUFInt64, le.AppendUint64(b, uint64(x)), true
	case float64:
		return GGUFFloat64, le.AppendUint64(b, math.Float64bits(x)), true
	case string:
		return GGUFString, appendString(b, x), true
	}
	return 0, nil, false
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
