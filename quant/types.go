package quant

import (
	"fmt"
	"strings"
)

// Type is a tensor element type, numbered as ggml's enum ggml_type so that
// the value written into a GGUF tensor info is the Type itself.
type Type uint32

// The element types this package reads and writes. The numbers are ggml's.
const (
	F32  Type = 0
	F16  Type = 1
	Q8_0 Type = 8
	BF16 Type = 30
)

// Q8_0 block geometry (ggml's block_q8_0: an fp16 scale d, then QK8_0
// signed bytes; value i of the block is d·qs[i]).
const (
	QK8_0          = 32        // values per block
	BlockQ8_0Bytes = 2 + QK8_0 // bytes per block
	F16Bytes       = 2         // bytes per F16 or BF16 value
	F32Bytes       = 4         // bytes per F32 value
)

// BlockQ8_0 is one Q8_0 block as it lies in memory (little-endian scale
// first, no padding): unsafe.Sizeof(BlockQ8_0{}) == BlockQ8_0Bytes, which
// a test pins. Code that walks raw bytes uses the constants above.
type BlockQ8_0 struct {
	D  uint16      // fp16 bits of the scale
	Qs [QK8_0]int8 // quantized values
}

// String is ggml's type name ("Q8_0", "F16", ...).
func (t Type) String() string {
	switch t {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case Q8_0:
		return "Q8_0"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

// ParseType reads a type name, case-insensitively: "q8_0", "f16", "bf16",
// "f32".
func ParseType(s string) (Type, error) {
	switch strings.ToLower(s) {
	case "f32":
		return F32, nil
	case "f16":
		return F16, nil
	case "bf16":
		return BF16, nil
	case "q8_0":
		return Q8_0, nil
	}
	return 0, fmt.Errorf("quant: unknown type %q (want q8_0, f16, bf16 or f32)", s)
}

// BlockLen is the number of values one block holds (1 for plain types).
func (t Type) BlockLen() int {
	if t == Q8_0 {
		return QK8_0
	}
	return 1
}

// Known reports whether this package handles t.
func (t Type) Known() bool { return t == F32 || t == F16 || t == BF16 || t == Q8_0 }

// RowBytes is the size of n consecutive values of type t. Q8_0 needs n to
// be a multiple of QK8_0.
func (t Type) RowBytes(n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("quant: negative length %d", n)
	}
	switch t {
	case F32:
		return F32Bytes * n, nil
	case F16, BF16:
		return F16Bytes * n, nil
	case Q8_0:
		if n%QK8_0 != 0 {
			return 0, fmt.Errorf("quant: Q8_0 row of %d values is not a multiple of %d", n, QK8_0)
		}
		return n / QK8_0 * BlockQ8_0Bytes, nil
	}
	return 0, fmt.Errorf("quant: unsupported type %s", t)
}

// LlamaFileType is GGUF's general.file_type ("mostly" type) for a target
// type, as llama.cpp's enum llama_ftype numbers them.
func (t Type) LlamaFileType() (uint32, error) {
	switch t {
	case F32:
		return 0, nil // LLAMA_FTYPE_ALL_F32
	case F16:
		return 1, nil // LLAMA_FTYPE_MOSTLY_F16
	case Q8_0:
		return 7, nil // LLAMA_FTYPE_MOSTLY_Q8_0
	case BF16:
		return 32, nil // LLAMA_FTYPE_MOSTLY_BF16
	}
	return 0, fmt.Errorf("quant: no llama file type for %s", t)
}
