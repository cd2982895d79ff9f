// Package cpu is the CPU kernels.Backend, parallel over one persistent
// worker pool per backend instance. Every op has a plain-loop *Generic twin
// that stays compiled; NewReference returns a backend that runs only the
// float64 oracles, and kernels/kerneltest compares the fast paths to it.
//
// The inner loops are a kernelSet (kern.go) chosen at New from the CPU's
// features (golang.org/x/sys/cpu): AVX-512 VNNI (Q8_0 int8 dots with
// VPDPBUSD, AVX-512 float tiles), AVX2+FMA+F16C (float and attention
// kernels, Q8_0 through VPMADDUBSW), or the pure-Go twins (other
// architectures, or -tags noasm). Each assembly kernel's stub documents
// its Go loop, and kern_test.go checks it against its twin.
//
// Weights are used in the dtype they were uploaded in (F32, F16, BF16,
// Q8_0) and widened to f32 (or, for Q8_0, multiplied as int8 with
// activations quantized per block of 32) inside the kernels, so a model
// needs no f32 copy of its weights; uploaded tensors alias the caller's
// (mmapped) bytes when aligned.
package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Backend runs kernels on the host CPU. Its methods are safe for
// concurrent use; each op waits for its own work.
type Backend struct {
	pool      *pool
	reference bool              // run the *Generic oracles only
	scratch   sync.Pool         // *[]float32 buffers for per-chunk work
	bscratch  sync.Pool         // *[]byte buffers (quantized activations, weight tiles)
	f16       *[1 << 16]float32 // every half value widened, for the F16 fast path
	kern      *kernelSet        // inner kernels chosen for this CPU
}

var _ kernels.Backend = (*Backend)(nil)

// New returns a CPU backend with threads workers; threads ≤ 0 means
// GOMAXPROCS.
func New(threads int) *Backend {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Backend{pool: newPool(threads), f16: f16Table(), kern: selectKernels()}
}

// newWithKernels is New with a given kernel set (tests compare sets).
func newWithKernels(threads int, k *kernelSet) *Backend {
	b := New(threads)
	b.kern = k
	return b
}

// f16Table widens every IEEE half once (256 KiB, shared by the workers).
func f16Table() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = f16ToF32(uint16(h))
	}
	return &t
}

// NewReference returns a single-threaded backend that runs the plain
// *Generic version of every op: the oracle other backends are tested against.
func NewReference() *Backend {
	return &Backend{pool: newPool(1), reference: true, f16: f16Table(), kern: genericKernels()}
}

// Name implements kernels.Backend.
func (b *Backend) Name() string { return "cpu" }

// Capabilities implements kernels.Backend.
func (b *Backend) Capabilities() kernels.Capabilities {
	dev := fmt.Sprintf("%s/%s, %d threads", runtime.GOOS, runtime.GOARCH, b.pool.threads)
	if b.reference {
		dev += ", generic reference"
	} else {
		dev += ", kernels " + b.kern.name
	}
	return kernels.Capabilities{
		Name: "cpu", Device: dev, Threads: b.pool.threads,
		MatMulDTypes: weightDTypes(), MRoPE: true,
	}
}

// Close stops the worker pool.
func (b *Backend) Close() error {
	b.pool.close()
	return nil
}

// Upload wraps data without copying when it is aligned for dt.
func (b *Backend) Upload(name string, dt kernels.DType, shape kernels.Shape, data []byte) (kernels.Tensor, error) {
	return newTensor(name, dt, shape, data, true)
}

// Alloc makes a zeroed F32 or I32 tensor.
func (b *Backend) Alloc(dt kernels.DType, shape kernels.Shape) (kernels.Tensor, error) {
	if dt != kernels.F32 && dt != kernels.I32 {
		return nil, fmt.Errorf("cpu: alloc %s%v: only F32 and I32: %w", dt, shape, kernels.ErrNotImplemented)
	}
	return newTensor("", dt, shape, make([]byte, 4*shape.Numel()), false)
}

// Free drops the backend's reference; the garbage collector frees memory.
func (b *Backend) Free(t kernels.Tensor) {
	if ct, ok := t.(*tensor); ok && !ct.view {
		ct.f32, ct.i32, ct.u16, ct.raw, ct.vec = nil, nil, nil, nil, nil
	}
}

// Write copies host bytes into a tensor made by Alloc.
func (b *Backend) Write(dst kernels.Tensor, data []byte) error {
	t, err := asTensor("write", dst)
	if err != nil {
		return err
	}
	out := bytesOf(t)
	if t.readonly {
		return fmt.Errorf("cpu: write %s: read-only (uploaded)", t)
	}
	if len(data) != len(out) {
		return fmt.Errorf("cpu: write %s: %d bytes, want %d", t, len(data), len(out))
	}
	copy(out, data)
	return nil
}

// Download copies an F32 tensor into dst.
func (b *Backend) Download(src kernels.Tensor, dst []float32) error {
	t, err := asTensor("download", src)
	if err != nil {
		return err
	}
	if t.dt != kernels.F32 {
		return fmt.Errorf("cpu: download %s: only F32", t)
	}
	if len(dst) < len(t.f32) {
		return fmt.Errorf("cpu: download %s: dst holds %d of %d values", t, len(dst), len(t.f32))
	}
	copy(dst, t.f32)
	return nil
}

// Rows returns a view of rows [start, start+n).
func (b *Backend) Rows(t kernels.Tensor, start, n int) (kernels.Tensor, error) {
	ct, err := asTensor("rows", t)
	if err != nil {
		return nil, err
	}
	return rowsView(ct, start, n)
}

// Copy copies src into dst (same dtype and numel).
func (b *Backend) Copy(dst, src kernels.Tensor) error {
	d, err := asTensor("copy dst", dst)
	if err != nil {
		return err
	}
	s, err := asTensor("copy src", src)
	if err != nil {
		return err
	}
	if d.dt != s.dt || d.shape.Numel() != s.shape.Numel() || d.readonly {
		return fmt.Errorf("cpu: copy %s → %s: dtype, size or read-only mismatch", s, d)
	}
	copy(bytesOf(d), bytesOf(s))
	return nil
}

// Sync is a no-op: every CPU op has finished when it returns.
func (b *Backend) Sync() error { return nil }

// buffer returns a scratch buffer of at least n floats; give it back with
// release.
func (b *Backend) buffer(n int) *[]float32 {
	if p, ok := b.scratch.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func (b *Backend) release(p *[]float32) { b.scratch.Put(p) }

// bytes returns a scratch byte buffer of n bytes; give it back with
// releaseBytes.
func (b *Backend) bytes(n int) *[]byte {
	if p, ok := b.bscratch.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]byte, n)
	return &s
}

func (b *Backend) releaseBytes(p *[]byte) { b.bscratch.Put(p) }

// errorf prefixes an op error with the package and op name.
func errorf(op, format string, args ...any) error {
	return fmt.Errorf("cpu: "+op+": "+format, args...)
}
