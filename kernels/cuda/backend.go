package cuda

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Options configure Open.
type Options struct {
	// Device is the CUDA device ordinal (--backend cuda:N).
	Device int
	// MinFreeBytes is the device memory the caller will need (weights plus
	// KV cache and activations); Open fails with ErrOutOfMemory when less
	// is free. 0 skips the check.
	MinFreeBytes int64
	// Driver is the driver table; nil loads the system library.
	Driver *Driver
	// LibraryPath overrides the driver library ("" = libcuda.so.1 / nvcuda.dll).
	LibraryPath string
	// ArenaChunk is the size of the chunks activations and KV caches are
	// carved from; 0 means 64 MiB.
	ArenaChunk int64
	Logger     *slog.Logger
}

// Backend runs kernels on one CUDA device. Its methods are safe for
// concurrent use (they serialise on one stream); ops are queued, and
// Download, TopK and Sync wait for them.
type Backend struct {
	drv    *Driver
	log    *slog.Logger
	dev    int32
	name   string
	cc     [2]int32
	sms    int32
	total  uint64
	ctx    uintptr
	stream uintptr
	module uintptr
	fn     map[string]uintptr

	mu      sync.Mutex
	arena   *arena
	weights uint64              // bytes in uploaded tensors
	uploads map[uint64]struct{} // live Upload allocations, freed by Close
	scratch []uint64            // per-slot device scratch buffers (see scratchBuf)
	scrSize []uint64
	rope    *ropeKey // what the scrTable scratch holds
	seq     uint64   // ops entered so far
	prep    prepKey  // what the scrQuant/scrScale/scrInv scratch holds
	closed  bool
}

var _ kernels.Backend = (*Backend)(nil)

// Open initialises device opts.Device. Errors that mean "no CUDA here"
// (no driver, no such device, too old a device, too little free memory)
// also match kernels.ErrUnavailable, so callers can fall back to the CPU.
func Open(opts Options) (*Backend, error) {
	drv := opts.Driver
	if drv == nil {
		var err error
		if drv, err = LoadDriver(opts.LibraryPath); err != nil {
			return nil, unavailable(err)
		}
	} else if err := drv.complete(); err != nil {
		return nil, unavailable(err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{drv: drv, log: log.With("component", "cuda"), uploads: map[uint64]struct{}{}}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.open(opts); err != nil {
		b.teardown()
		return nil, err
	}
	chunk := uint64(opts.ArenaChunk)
	if chunk == 0 {
		chunk = 64 << 20
	}
	b.arena = newArena(chunk, b.memAlloc, b.memFree)
	b.log.Info("cuda backend ready", "device", b.dev, "name", b.name,
		"sm", fmt.Sprintf("%d%d", b.cc[0], b.cc[1]), "memory_mib", b.total>>20)
	return b, nil
}

// unavailable marks err as kernels.ErrUnavailable too.
func unavailable(err error) error {
	if errors.Is(err, kernels.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, kernels.ErrUnavailable)
}

// open runs the driver calls of Open on a locked OS thread.
func (b *Backend) open(opts Options) error {
	d := b.drv
	if err := check("cuInit", d.Init(0)); err != nil {
		if errors.Is(err, ErrNoDevice) {
			return unavailable(fmt.Errorf("%w: %w", ErrNoDevice, err))
		}
		return unavailable(fmt.Errorf("%w: %w", ErrNoDriver, err))
	}
	var n int32
	if err := check("cuDeviceGetCount", d.DeviceGetCount(&n)); err != nil {
		return unavailable(err)
	}
	if opts.Device < 0 || int(n) <= opts.Device {
		return unavailable(fmt.Errorf("%w: device %d asked, %d present", ErrNoDevice, opts.Device, n))
	}
	if err := check("cuDeviceGet", d.DeviceGet(&b.dev, int32(opts.Device))); err != nil {
		return unavailable(err)
	}
	name := make([]byte, 256)
	if err := check("cuDeviceGetName", d.DeviceGetName(&name[0], int32(len(name)), b.dev)); err != nil {
		return unavailable(err)
	}
	b.name = cString(name)
	for i, attr := range []int32{attrCCMajor, attrCCMinor} {
		if err := check("cuDeviceGetAttribute", d.DeviceGetAttr(&b.cc[i], attr, b.dev)); err != nil {
			return unavailable(err)
		}
	}
	if err := check("cuDeviceGetAttribute", d.DeviceGetAttr(&b.sms, attrMultiprocessors, b.dev)); err != nil {
		return unavailable(err)
	}
	if b.cc[0] < 8 {
		return unavailable(fmt.Errorf("%w: device %d (%s) is sm_%d%d; the kernels need sm_80 or newer",
			ErrNoDevice, opts.Device, b.name, b.cc[0], b.cc[1]))
	}
	if err := check("cuDeviceTotalMem_v2", d.DeviceTotalMem(&b.total, b.dev)); err != nil {
		return unavailable(err)
	}
	if err := check("cuCtxCreate_v2", d.CtxCreate(&b.ctx, 0, b.dev)); err != nil {
		return unavailable(err)
	}
	if opts.MinFreeBytes > 0 {
		var free, total uint64
		if err := check("cuMemGetInfo_v2", d.MemGetInfo(&free, &total)); err != nil {
			return unavailable(err)
		}
		if free < uint64(opts.MinFreeBytes) {
			return unavailable(fmt.Errorf("%w: device %d (%s) has %s free of %s; the model needs %s",
				ErrOutOfMemory, opts.Device, b.name, gib(free), gib(total), gib(uint64(opts.MinFreeBytes))))
		}
	}
	if err := check("cuStreamCreate", d.StreamCreate(&b.stream, 0)); err != nil {
		return err
	}
	return b.loadModule()
}

func gib(n uint64) string { return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30)) }

// teardown releases what open made, in reverse order.
func (b *Backend) teardown() error {
	var errs []error
	if b.arena != nil {
		errs = append(errs, b.arena.release())
	}
	for p := range b.uploads {
		errs = append(errs, b.memFree(p))
	}
	b.uploads = nil
	for i, p := range b.scratch {
		if p != 0 {
			errs = append(errs, check("cuMemFree_v2", b.drv.MemFree(p)))
			b.scratch[i] = 0
		}
	}
	if b.module != 0 {
		errs = append(errs, check("cuModuleUnload", b.drv.ModuleUnload(b.module)))
		b.module = 0
	}
	if b.stream != 0 {
		errs = append(errs, check("cuStreamDestroy_v2", b.drv.StreamDestroy(b.stream)))
		b.stream = 0
	}
	if b.ctx != 0 {
		errs = append(errs, check("cuCtxDestroy_v2", b.drv.CtxDestroy(b.ctx)))
		b.ctx = 0
	}
	return errors.Join(errs...)
}

// enter makes the context current on a locked OS thread for one op and
// holds the backend's lock; call the returned func when done.
func (b *Backend) enter() (func(), error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("cuda: backend closed")
	}
	b.seq++
	runtime.LockOSThread()
	if err := check("cuCtxSetCurrent", b.drv.CtxSetCurrent(b.ctx)); err != nil {
		runtime.UnlockOSThread()
		b.mu.Unlock()
		return nil, err
	}
	return func() {
		runtime.UnlockOSThread()
		b.mu.Unlock()
	}, nil
}

// Name implements kernels.Backend.
func (b *Backend) Name() string { return "cuda" }

// Capabilities implements kernels.Backend.
func (b *Backend) Capabilities() kernels.Capabilities {
	return kernels.Capabilities{
		Name:         "cuda",
		Device:       fmt.Sprintf("%s (cuda:%d, sm_%d%d, %d SMs, %s)", b.name, b.dev, b.cc[0], b.cc[1], b.sms, gib(b.total)),
		MatMulDTypes: []kernels.DType{kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0},
		MRoPE:        true,
		MemoryBytes:  int64(b.total),
	}
}

// Close waits for queued work and releases all device memory, the module,
// the stream and the context.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.closed = true
	err := check("cuCtxSetCurrent", b.drv.CtxSetCurrent(b.ctx))
	if err == nil {
		err = check("cuStreamSynchronize", b.drv.StreamSynchronize(b.stream))
	}
	return errors.Join(err, b.teardown())
}

// MemoryStats reports device memory: free and total (driver), bytes held
// by uploaded weights and by the activation arena.
type MemoryStats struct {
	Free, Total, Weights, ArenaUsed, ArenaReserved uint64
}

// Memory returns the current MemoryStats.
func (b *Backend) Memory() (MemoryStats, error) {
	done, err := b.enter()
	if err != nil {
		return MemoryStats{}, err
	}
	defer done()
	s := MemoryStats{Weights: b.weights, ArenaUsed: b.arena.used, ArenaReserved: b.arena.reserved()}
	err = check("cuMemGetInfo_v2", b.drv.MemGetInfo(&s.Free, &s.Total))
	return s, err
}

// memAlloc allocates n bytes, turning out-of-memory into a message that
// says how much was asked and how much is free.
func (b *Backend) memAlloc(n uint64) (uint64, error) {
	var p uint64
	err := check("cuMemAlloc_v2", b.drv.MemAlloc(&p, n))
	if err != nil && errors.Is(err, ErrOutOfMemory) {
		var free, total uint64
		b.drv.MemGetInfo(&free, &total)
		return 0, fmt.Errorf("%w: %s asked, %s free of %s on %s", err, gib(n), gib(free), gib(total), b.name)
	}
	return p, err
}

func (b *Backend) memFree(p uint64) error { return check("cuMemFree_v2", b.drv.MemFree(p)) }

// Sync waits for queued work.
func (b *Backend) Sync() error {
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.sync()
}

func (b *Backend) sync() error {
	return check("cuStreamSynchronize", b.drv.StreamSynchronize(b.stream))
}

// scratchBuf returns device scratch slot i of at least n bytes, growing it
// (after the stream drains, since queued kernels may still read it).
func (b *Backend) scratchBuf(i int, n uint64) (uint64, error) {
	for len(b.scratch) <= i {
		b.scratch, b.scrSize = append(b.scratch, 0), append(b.scrSize, 0)
	}
	if b.scrSize[i] >= n {
		return b.scratch[i], nil
	}
	if b.scratch[i] != 0 {
		if err := b.sync(); err != nil {
			return 0, err
		}
		if err := b.memFree(b.scratch[i]); err != nil {
			return 0, err
		}
		b.scratch[i], b.scrSize[i] = 0, 0
	}
	n = roundUp(n, 1<<20)
	p, err := b.memAlloc(n)
	if err != nil {
		return 0, err
	}
	b.scratch[i], b.scrSize[i] = p, n
	return p, nil
}

// Scratch slots: one per kind of temporary, so an op may hold several.
const (
	scrQuant  = iota // quantized activations (int8) or f16 hi halves
	scrScale         // activation scales or f16 lo halves
	scrInv           // per-row inverse scales
	scrTable         // RoPE cos/sin table
	scrResult        // argmax result
)
