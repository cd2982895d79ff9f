// Package kernels defines the compute backend contract that the model code is
// written against: element types, shapes, device tensors and the Backend
// interface. Backends (kernels/cpu, kernels/cuda) implement it; model code
// never touches backend memory directly, so the same model runs on either.
package kernels

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by every backend.
var (
	// ErrUnavailable means the backend cannot run on this machine (no driver,
	// no device). Callers fall back to the CPU.
	ErrUnavailable = errors.New("kernels: backend unavailable")
	// ErrNotImplemented means the backend lacks an op; Capabilities says which.
	ErrNotImplemented = errors.New("kernels: op not implemented by this backend")
)

// DType is the element type of a tensor.
type DType uint8

// Element types. Q8_0 is GGUF's block format: blocks of 32 int8 values with
// one fp16 scale (34 bytes per block).
const (
	F32 DType = iota + 1
	F16
	BF16
	Q8_0
	I32
)

// Q8_0BlockLen is the number of values in one Q8_0 block.
const Q8_0BlockLen = 32

// Q8_0BlockBytes is the size of one Q8_0 block: an fp16 scale then 32 int8.
const Q8_0BlockBytes = 2 + Q8_0BlockLen

func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	case Q8_0:
		return "Q8_0"
	case I32:
		return "I32"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// RowBytes returns the bytes taken by n consecutive elements of type d.
// Block formats need n to be a multiple of their block length.
func (d DType) RowBytes(n int) (int, error) {
	switch d {
	case F32, I32:
		return 4 * n, nil
	case F16, BF16:
		return 2 * n, nil
	case Q8_0:
		if n%Q8_0BlockLen != 0 {
			return 0, fmt.Errorf("kernels: Q8_0 row of %d values is not a multiple of %d", n, Q8_0BlockLen)
		}
		return n / Q8_0BlockLen * Q8_0BlockBytes, nil
	}
	return 0, fmt.Errorf("kernels: unknown dtype %d", uint8(d))
}

// Shape lists dimensions outermost first, as in PyTorch and safetensors:
// a Linear weight is (out_features, in_features).
type Shape []int

// Numel is the number of elements.
func (s Shape) Numel() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether two shapes are the same.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

func (s Shape) String() string { return fmt.Sprint([]int(s)) }

// Tensor is a handle to memory owned by a backend. Its contents are reached
// only through the backend (Download), never through a host pointer, so a
// device backend can implement it with device memory.
type Tensor interface {
	DType() DType
	Shape() Shape
}
