package cpu

import (
	"fmt"
	"unsafe"

	"github.com/lingshu-edge/lingshu/kernels"
)

// tensor is the CPU backend's kernels.Tensor. Exactly one of the data
// slices is set, by dtype: f32 (F32), i32 (I32), u16 (F16, BF16) or raw
// (Q8_0). Uploaded data may alias read-only mmapped memory (readonly).
type tensor struct {
	name     string
	dt       kernels.DType
	shape    kernels.Shape
	f32      []float32
	i32      []int32
	u16      []uint16
	raw      []byte
	vec      []float32 // f32 copy of a 1-D F16/BF16 tensor (norm weights, biases)
	readonly bool      // aliases caller memory: never written
	view     bool      // made by Rows: shares memory, Free is a no-op
}

func (t *tensor) DType() kernels.DType       { return t.dt }
func (t *tensor) Shape() kernels.Shape       { return t.shape }
func (t *tensor) String() string             { return fmt.Sprintf("%s%v %s", t.dt, t.shape, t.name) }
func (t *tensor) cols() int                  { return t.shape.Numel() / max(t.shape[0], 1) }
func (t *tensor) is2D(dt kernels.DType) bool { return t.dt == dt && len(t.shape) == 2 }

// asTensor unwraps a kernels.Tensor made by this backend.
func asTensor(what string, t kernels.Tensor) (*tensor, error) {
	ct, ok := t.(*tensor)
	if !ok || ct == nil {
		return nil, fmt.Errorf("cpu: %s: not a cpu tensor (%T)", what, t)
	}
	return ct, nil
}

// f32Mat unwraps a 2-D F32 tensor and returns (data, rows, cols).
func f32Mat(what string, t kernels.Tensor) ([]float32, int, int, error) {
	ct, err := asTensor(what, t)
	if err != nil {
		return nil, 0, 0, err
	}
	if !ct.is2D(kernels.F32) {
		return nil, 0, 0, fmt.Errorf("cpu: %s: want 2-D F32, got %s%v", what, ct.dt, ct.shape)
	}
	return ct.f32, ct.shape[0], ct.shape[1], nil
}

// writableF32 is f32Mat for an output operand.
func writableF32(what string, t kernels.Tensor) ([]float32, int, int, error) {
	d, r, c, err := f32Mat(what, t)
	if err == nil && t.(*tensor).readonly {
		err = fmt.Errorf("cpu: %s: tensor %q is read-only (uploaded)", what, t.(*tensor).name)
	}
	return d, r, c, err
}

// vector returns a 1-D weight (norm weight, bias) of n values as f32.
func vector(what string, t kernels.Tensor, n int) ([]float32, error) {
	ct, err := asTensor(what, t)
	if err != nil {
		return nil, err
	}
	if ct.shape.Numel() != n {
		return nil, fmt.Errorf("cpu: %s: want %d values, got %s%v", what, n, ct.dt, ct.shape)
	}
	switch {
	case ct.dt == kernels.F32:
		return ct.f32, nil
	case ct.vec != nil:
		return ct.vec, nil
	}
	return nil, fmt.Errorf("cpu: %s: %s vector of %v: %w", what, ct.dt, ct.shape, kernels.ErrNotImplemented)
}

// newTensor wraps host bytes. With alias set it keeps data when aligned
// (no copy); otherwise it copies.
func newTensor(name string, dt kernels.DType, shape kernels.Shape, data []byte, alias bool) (*tensor, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("cpu: tensor %q: empty shape", name)
	}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("cpu: tensor %q: negative dim in %v", name, shape)
		}
	}
	inner := shape[len(shape)-1]
	rb, err := dt.RowBytes(inner)
	if err != nil {
		return nil, fmt.Errorf("cpu: tensor %q: %w", name, err)
	}
	want := rb * (shape.Numel() / max(inner, 1))
	if inner == 0 {
		want = 0
	}
	if len(data) != want {
		return nil, fmt.Errorf("cpu: tensor %q %s%v: %d bytes, want %d", name, dt, shape, len(data), want)
	}
	t := &tensor{name: name, dt: dt, shape: append(kernels.Shape(nil), shape...), readonly: alias}
	n := shape.Numel()
	switch dt {
	case kernels.F32:
		t.f32 = castSlice[float32](data, n, alias)
	case kernels.I32:
		t.i32 = castSlice[int32](data, n, alias)
	case kernels.F16, kernels.BF16:
		t.u16 = castSlice[uint16](data, n, alias)
		if len(shape) == 1 {
			t.vec = make([]float32, n)
			decodeHalf(t.vec, t.u16, dt)
		}
	case kernels.Q8_0:
		t.raw = data
		if !alias {
			t.raw = append([]byte(nil), data...)
		}
	default:
		return nil, fmt.Errorf("cpu: tensor %q: dtype %s: %w", name, dt, kernels.ErrNotImplemented)
	}
	if alias && dt != kernels.Q8_0 && n > 0 && !sameMemory(data, t) {
		t.readonly = false // copied because misaligned: owned and writable
	}
	return t, nil
}

// castSlice views data as n values of E when alias is set and data is
// aligned; otherwise it copies into a new slice. Little-endian hosts only.
func castSlice[E float32 | int32 | uint16](data []byte, n int, alias bool) []E {
	if n == 0 {
		return []E{}
	}
	var zero E
	size := int(unsafe.Sizeof(zero))
	p := unsafe.Pointer(unsafe.SliceData(data))
	if alias && uintptr(p)%uintptr(size) == 0 {
		return unsafe.Slice((*E)(p), n)
	}
	out := make([]E, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n*size), data)
	return out
}

// sameMemory reports whether t's data slice starts at data.
func sameMemory(data []byte, t *tensor) bool {
	p := unsafe.Pointer(unsafe.SliceData(data))
	switch {
	case t.f32 != nil:
		return unsafe.Pointer(unsafe.SliceData(t.f32)) == p
	case t.i32 != nil:
		return unsafe.Pointer(unsafe.SliceData(t.i32)) == p
	case t.u16 != nil:
		return unsafe.Pointer(unsafe.SliceData(t.u16)) == p
	}
	return false
}

// bytesOf is the host byte view of a tensor's data.
func bytesOf(t *tensor) []byte {
	switch {
	case t.f32 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f32))), 4*len(t.f32))
	case t.i32 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.i32))), 4*len(t.i32))
	case t.u16 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.u16))), 2*len(t.u16))
	}
	return t.raw
}

// rowsView returns rows [start, start+n) of t sharing its memory.
func rowsView(t *tensor, start, n int) (*tensor, error) {
	if len(t.shape) < 1 || start < 0 || n < 0 || start+n > t.shape[0] {
		return nil, fmt.Errorf("cpu: rows [%d,%d) of %s%v", start, start+n, t.dt, t.shape)
	}
	per := t.cols()
	v := *t
	v.view = true
	v.vec = nil
	if t.vec != nil { // a 1-D half tensor (bias): rows are single values
		v.vec = t.vec[start : start+n : start+n]
	}
	v.shape = append(kernels.Shape{n}, t.shape[1:]...)
	lo, hi := start*per, (start+n)*per
	switch t.dt {
	case kernels.F32:
		v.f32 = t.f32[lo:hi:hi]
	case kernels.I32:
		v.i32 = t.i32[lo:hi:hi]
	case kernels.F16, kernels.BF16:
		v.u16 = t.u16[lo:hi:hi]
	default:
		rb, err := t.dt.RowBytes(per)
		if err != nil {
			return nil, fmt.Errorf("cpu: rows of %s: %w", t, err)
		}
		v.raw = t.raw[start*rb : (start+n)*rb : (start+n)*rb]
	}
	return &v, nil
}
