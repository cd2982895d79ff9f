package cuda

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/lingshu-edge/lingshu/kernels"
)

// tensor is the CUDA backend's kernels.Tensor: device memory plus, for
// I32 tensors (token ids, positions: written only from the host), a host
// copy that RoPE tables and id checks read without a round trip.
type tensor struct {
	be    *Backend
	name  string
	dt    kernels.DType
	shape kernels.Shape
	ptr   uint64  // values; Q8_0: the int8 values, block after block
	scl   uint64  // Q8_0: one f16 scale per 32 values
	vec   uint64  // 1-D F16/BF16 (biases, norm weights): an f32 copy
	host  []int32 // I32: host copy of the values
	kind  int     // kindView, kindWeight (own cuMemAlloc), kindArena
	size  uint64  // bytes of the allocation (weight, arena)
}

const (
	kindView = iota
	kindWeight
	kindArena
)

func (t *tensor) DType() kernels.DType { return t.dt }
func (t *tensor) Shape() kernels.Shape { return t.shape }
func (t *tensor) String() string       { return fmt.Sprintf("%s%v %s", t.dt, t.shape, t.name) }
func (t *tensor) numel() int           { return t.shape.Numel() }
func (t *tensor) cols() int            { return t.numel() / max(t.shape[0], 1) }

// eltBytes is the device bytes per value at ptr (Q8_0: 1, the int8).
func eltBytes(dt kernels.DType) uint64 {
	switch dt {
	case kernels.F32, kernels.I32:
		return 4
	case kernels.F16, kernels.BF16:
		return 2
	}
	return 1
}

// asTensor unwraps a live tensor of this backend.
func (b *Backend) asTensor(what string, t kernels.Tensor) (*tensor, error) {
	ct, ok := t.(*tensor)
	if !ok || ct == nil || ct.be != b {
		return nil, fmt.Errorf("cuda: %s: not a tensor of this cuda backend (%T)", what, t)
	}
	if ct.ptr == 0 && ct.numel() > 0 {
		return nil, fmt.Errorf("cuda: %s: tensor %s used after Free", what, ct)
	}
	return ct, nil
}

// checkLayout validates shape and data length as the CPU backend does.
func checkLayout(name string, dt kernels.DType, shape kernels.Shape, n int) error {
	if len(shape) == 0 {
		return fmt.Errorf("cuda: tensor %q: empty shape", name)
	}
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("cuda: tensor %q: negative dim in %v", name, shape)
		}
	}
	inner := shape[len(shape)-1]
	rb, err := dt.RowBytes(inner)
	if err != nil {
		return fmt.Errorf("cuda: tensor %q: %w", name, err)
	}
	want := 0
	if inner > 0 {
		want = rb * (shape.Numel() / inner)
	}
	if n != want {
		return fmt.Errorf("cuda: tensor %q %s%v: %d bytes, want %d", name, dt, shape, n, want)
	}
	return nil
}

// Upload copies host bytes into a new device allocation. Q8_0 blocks are
// split into their int8 values and f16 scales (aligned for vector loads);
// 1-D F16/BF16 tensors also get an f32 copy (they are biases and norm
// weights, read as f32 by the kernels).
func (b *Backend) Upload(name string, dt kernels.DType, shape kernels.Shape, data []byte) (kernels.Tensor, error) {
	if dt != kernels.F32 && dt != kernels.I32 && dt != kernels.F16 && dt != kernels.BF16 && dt != kernels.Q8_0 {
		return nil, fmt.Errorf("cuda: tensor %q: dtype %s: %w", name, dt, kernels.ErrNotImplemented)
	}
	if err := checkLayout(name, dt, shape, len(data)); err != nil {
		return nil, err
	}
	done, err := b.enter()
	if err != nil {
		return nil, err
	}
	defer done()
	n := uint64(shape.Numel())
	t := &tensor{be: b, name: name, dt: dt, shape: append(kernels.Shape(nil), shape...), kind: kindWeight}
	size := roundUp(n*eltBytes(dt), arenaAlign)
	var sclOff, vecOff uint64
	switch {
	case dt == kernels.Q8_0:
		sclOff, size = size, size+roundUp(n/kernels.Q8_0BlockLen*2, arenaAlign)
	case (dt == kernels.F16 || dt == kernels.BF16) && len(shape) == 1:
		vecOff, size = size, size+roundUp(4*n, arenaAlign)
	}
	t.size = max(size, arenaAlign)
	if t.ptr, err = b.memAlloc(t.size); err != nil {
		return nil, fmt.Errorf("cuda: upload %s: %w", t, err)
	}
	if sclOff != 0 {
		t.scl = t.ptr + sclOff
	}
	if vecOff != 0 {
		t.vec = t.ptr + vecOff
	}
	if err := b.fill(t, data); err != nil {
		b.memFree(t.ptr)
		return nil, fmt.Errorf("cuda: upload %s: %w", t, err)
	}
	b.weights += t.size
	b.uploads[t.ptr] = struct{}{}
	return t, nil
}

// fill copies host bytes (t's dtype layout) into t's device memory.
func (b *Backend) fill(t *tensor, data []byte) error {
	switch t.dt {
	case kernels.Q8_0:
		return b.fillQ8(t, data)
	case kernels.I32:
		t.host = make([]int32, len(data)/4)
		for i := range t.host {
			t.host[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
	}
	if err := b.htod(t.ptr, data); err != nil {
		return err
	}
	if t.vec != 0 {
		v := make([]float32, len(data)/2)
		for i := range v {
			h := binary.LittleEndian.Uint16(data[2*i:])
			if t.dt == kernels.BF16 {
				v[i] = math.Float32frombits(uint32(h) << 16)
			} else {
				v[i] = f16ToF32(h)
			}
		}
		return b.htod(t.vec, f32Bytes(v))
	}
	return nil
}

// fillQ8 splits Q8_0 blocks into values and scales, a few MiB at a time.
func (b *Backend) fillQ8(t *tensor, data []byte) error {
	const per = 1 << 16 // blocks per step: 2 MiB of values
	nb := len(data) / kernels.Q8_0BlockBytes
	qs := make([]byte, min(nb, per)*kernels.Q8_0BlockLen)
	sc := make([]byte, min(nb, per)*2)
	for b0 := 0; b0 < nb; b0 += per {
		n := min(per, nb-b0)
		for i := range n {
			blk := data[(b0+i)*kernels.Q8_0BlockBytes:]
			sc[2*i], sc[2*i+1] = blk[0], blk[1]
			copy(qs[i*kernels.Q8_0BlockLen:(i+1)*kernels.Q8_0BlockLen], blk[2:kernels.Q8_0BlockBytes])
		}
		if err := b.htod(t.ptr+uint64(b0*kernels.Q8_0BlockLen), qs[:n*kernels.Q8_0BlockLen]); err != nil {
			return err
		}
		if err := b.htod(t.scl+uint64(2*b0), sc[:2*n]); err != nil {
			return err
		}
		// The copies are staged from pageable memory before they return,
		// but drain the stream anyway before the buffers are refilled.
		if err := b.sync(); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) htod(dst uint64, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	return check("cuMemcpyHtoDAsync_v2", b.drv.MemcpyHtoDAsync(dst, unsafe.Pointer(&src[0]), uint64(len(src)), b.stream))
}

// Alloc makes a zeroed F32 or I32 tensor from the arena.
func (b *Backend) Alloc(dt kernels.DType, shape kernels.Shape) (kernels.Tensor, error) {
	if dt != kernels.F32 && dt != kernels.I32 {
		return nil, fmt.Errorf("cuda: alloc %s%v: only F32 and I32: %w", dt, shape, kernels.ErrNotImplemented)
	}
	if err := checkLayout("", dt, shape, 4*shape.Numel()); err != nil {
		return nil, err
	}
	done, err := b.enter()
	if err != nil {
		return nil, err
	}
	defer done()
	n := uint64(4 * shape.Numel())
	t := &tensor{be: b, dt: dt, shape: append(kernels.Shape(nil), shape...), kind: kindArena, size: n}
	if t.ptr, err = b.arena.alloc(n); err != nil {
		return nil, fmt.Errorf("cuda: alloc %s%v: %w", dt, shape, err)
	}
	if err := check("cuMemsetD8Async", b.drv.MemsetD8Async(t.ptr, 0, max(n, 1), b.stream)); err != nil {
		b.arena.free(t.ptr, n)
		return nil, err
	}
	if dt == kernels.I32 {
		t.host = make([]int32, shape.Numel())
	}
	return t, nil
}

// Free releases a tensor made by Upload or Alloc; views are no-ops.
func (b *Backend) Free(t kernels.Tensor) {
	ct, ok := t.(*tensor)
	if !ok || ct == nil || ct.be != b || ct.kind == kindView || ct.ptr == 0 {
		return
	}
	done, err := b.enter()
	if err != nil {
		return
	}
	defer done()
	switch ct.kind {
	case kindWeight:
		if err := b.memFree(ct.ptr); err != nil {
			b.log.Warn("free tensor", "tensor", ct.name, "err", err)
		}
		b.weights -= ct.size
		delete(b.uploads, ct.ptr)
	case kindArena:
		if err := b.arena.free(ct.ptr, ct.size); err != nil {
			b.log.Warn("free tensor", "err", err)
		}
	}
	ct.ptr, ct.scl, ct.vec, ct.host = 0, 0, 0, nil
}

// Write copies host bytes (dst's dtype) into dst. Unlike the CPU, the
// device owns its copy of uploaded tensors, so they may be written too;
// Q8_0 tensors may not.
func (b *Backend) Write(dst kernels.Tensor, data []byte) error {
	t, err := b.asTensor("write", dst)
	if err != nil {
		return err
	}
	if t.dt == kernels.Q8_0 {
		return fmt.Errorf("cuda: write %s: %w", t, kernels.ErrNotImplemented)
	}
	if want := uint64(t.numel()) * eltBytes(t.dt); uint64(len(data)) != want {
		return fmt.Errorf("cuda: write %s: %d bytes, want %d", t, len(data), want)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	if t.dt == kernels.I32 {
		for i := range t.host {
			t.host[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return b.htod(t.ptr, data)
	}
	return b.fill(t, data)
}

// Download copies an F32 tensor into dst and waits for it.
func (b *Backend) Download(src kernels.Tensor, dst []float32) error {
	t, err := b.asTensor("download", src)
	if err != nil {
		return err
	}
	if t.dt != kernels.F32 {
		return fmt.Errorf("cuda: download %s: only F32", t)
	}
	n := t.numel()
	if len(dst) < n {
		return fmt.Errorf("cuda: download %s: dst holds %d of %d values", t, len(dst), n)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.dtoh(unsafe.Pointer(unsafe.SliceData(dst)), t.ptr, uint64(4*n))
}

// dtoh copies n bytes to host memory and waits for the stream.
func (b *Backend) dtoh(dst unsafe.Pointer, src, n uint64) error {
	if n == 0 {
		return b.sync()
	}
	if err := check("cuMemcpyDtoHAsync_v2", b.drv.MemcpyDtoHAsync(dst, src, n, b.stream)); err != nil {
		return err
	}
	return b.sync()
}

// Rows returns a view of rows [start, start+n) sharing t's memory.
func (b *Backend) Rows(t kernels.Tensor, start, n int) (kernels.Tensor, error) {
	ct, err := b.asTensor("rows", t)
	if err != nil {
		return nil, err
	}
	if start < 0 || n < 0 || start+n > ct.shape[0] {
		return nil, fmt.Errorf("cuda: rows [%d,%d) of %s%v", start, start+n, ct.dt, ct.shape)
	}
	per := ct.cols()
	v := *ct
	v.kind, v.size = kindView, 0
	v.shape = append(kernels.Shape{n}, ct.shape[1:]...)
	lo := uint64(start * per)
	v.ptr += lo * eltBytes(ct.dt)
	if ct.scl != 0 {
		if per%kernels.Q8_0BlockLen != 0 {
			return nil, fmt.Errorf("cuda: rows of %s: rows are not whole Q8_0 blocks", ct)
		}
		v.scl += lo / kernels.Q8_0BlockLen * 2
	}
	if ct.vec != 0 {
		v.vec += 4 * lo
	}
	if ct.host != nil {
		hi := (start + n) * per
		v.host = ct.host[start*per : hi : hi]
	}
	return &v, nil
}

// Copy copies src into dst (same dtype and numel).
func (b *Backend) Copy(dst, src kernels.Tensor) error {
	d, err := b.asTensor("copy dst", dst)
	if err != nil {
		return err
	}
	s, err := b.asTensor("copy src", src)
	if err != nil {
		return err
	}
	if d.dt != s.dt || d.numel() != s.numel() || (d.vec == 0) != (s.vec == 0) {
		return fmt.Errorf("cuda: copy %s → %s: dtype or size mismatch", s, d)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	n := uint64(d.numel())
	errs := []error{b.dtod(d.ptr, s.ptr, n*eltBytes(d.dt))}
	if d.scl != 0 {
		errs = append(errs, b.dtod(d.scl, s.scl, n/kernels.Q8_0BlockLen*2))
	}
	if d.vec != 0 {
		errs = append(errs, b.dtod(d.vec, s.vec, 4*n))
	}
	copy(d.host, s.host)
	return errors.Join(errs...)
}

func (b *Backend) dtod(dst, src, n uint64) error {
	if n == 0 {
		return nil
	}
	return check("cuMemcpyDtoDAsync_v2", b.drv.MemcpyDtoDAsync(dst, src, n, b.stream))
}

// f32Bytes views v as little-endian bytes (the host is little-endian).
func f32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

// f16ToF32 widens an IEEE half.
func f16ToF32(h uint16) float32 {
	sign := float32(1)
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * float32(math.Ldexp(m, -24))
	case 31:
		if m != 0 {
			return float32(math.NaN())
		}
		return sign * float32(math.Inf(1))
	}
	return sign * float32(math.Ldexp(1+m/1024, e-15))
}
