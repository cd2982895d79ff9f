package cuda

import (
	"fmt"
	"sort"
	"sync"
	"unsafe"
)

// fakeGPU is a driver table backed by host memory: allocations, copies and
// memsets work on Go byte slices, launches are recorded (and add_f32 is
// emulated, to check argument passing end to end). It lets every host-side
// path of the backend run without a GPU.
type fakeGPU struct {
	mu          sync.Mutex
	devices     int32
	ccMajor     int32
	total, free uint64
	initResult  Result
	allocResult Result // forced cuMemAlloc result (0 = normal)
	next        uint64
	mem         map[uint64][]byte
	fns         map[uintptr]string
	launches    []fakeLaunch
	ctxCurrent  bool
	live        int // contexts, streams, modules not yet destroyed
}

type fakeLaunch struct {
	name        string
	grid, block dim3
}

func newFakeGPU() *fakeGPU {
	return &fakeGPU{devices: 1, ccMajor: 9, total: 1 << 30, free: 1 << 30, next: 1 << 20,
		mem: map[uint64][]byte{}, fns: map[uintptr]string{}}
}

// resolve returns the host bytes behind device range [addr, addr+n).
func (f *fakeGPU) resolve(addr, n uint64) []byte {
	for base, buf := range f.mem {
		if addr >= base && addr+n <= base+uint64(len(buf)) {
			return buf[addr-base : addr-base+n]
		}
	}
	panic(fmt.Sprintf("fake gpu: access to unallocated [%#x, +%d)", addr, n))
}

func (f *fakeGPU) kernels() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.launches {
		out = append(out, l.name)
	}
	f.launches = nil
	return out
}

func (f *fakeGPU) driver() *Driver {
	host := func(p unsafe.Pointer, n uint64) []byte { return unsafe.Slice((*byte)(p), n) }
	ok := func() Result { return Success }
	return &Driver{
		Init:             func(uint32) Result { return f.initResult },
		DriverGetVersion: func(v *int32) Result { *v = 12040; return ok() },
		DeviceGetCount:   func(n *int32) Result { *n = f.devices; return ok() },
		DeviceGet: func(d *int32, i int32) Result {
			if i >= f.devices {
				return resInvalidDevice
			}
			*d = i
			return ok()
		},
		DeviceGetName: func(name *byte, n int32, dev int32) Result {
			copy(unsafe.Slice(name, n), "Fake GPU\x00")
			return ok()
		},
		DeviceTotalMem: func(b *uint64, dev int32) Result { *b = f.total; return ok() },
		DeviceGetAttr: func(v *int32, attr, dev int32) Result {
			switch attr {
			case attrCCMajor:
				*v = f.ccMajor
			case attrMultiprocessors:
				*v = 4
			default:
				*v = 0
			}
			return ok()
		},
		CtxCreate:     func(c *uintptr, flags uint32, dev int32) Result { *c = 1; f.live++; return ok() },
		CtxDestroy:    func(uintptr) Result { f.live--; return ok() },
		CtxSetCurrent: func(uintptr) Result { f.ctxCurrent = true; return ok() },
		MemGetInfo:    func(free, total *uint64) Result { *free, *total = f.free, f.total; return ok() },
		MemAlloc: func(p *uint64, n uint64) Result {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.allocResult != Success {
				return f.allocResult
			}
			if n == 0 {
				return resInvalidValue
			}
			if n > f.free {
				return resOutOfMemory
			}
			*p = f.next
			f.mem[f.next] = make([]byte, n)
			f.next += roundUp(n, 1<<12) + 1<<12
			f.free -= n
			return ok()
		},
		MemFree: func(p uint64) Result {
			f.mu.Lock()
			defer f.mu.Unlock()
			buf, found := f.mem[p]
			if !found {
				return resInvalidValue
			}
			f.free += uint64(len(buf))
			delete(f.mem, p)
			return ok()
		},
		MemcpyHtoDAsync: func(dst uint64, src unsafe.Pointer, n uint64, s uintptr) Result {
			copy(f.resolve(dst, n), host(src, n))
			return ok()
		},
		MemcpyDtoHAsync: func(dst unsafe.Pointer, src uint64, n uint64, s uintptr) Result {
			copy(host(dst, n), f.resolve(src, n))
			return ok()
		},
		MemcpyDtoDAsync: func(dst, src uint64, n uint64, s uintptr) Result {
			copy(f.resolve(dst, n), f.resolve(src, n))
			return ok()
		},
		MemsetD8Async: func(dst uint64, v uint8, n uint64, s uintptr) Result {
			b := f.resolve(dst, n)
			for i := range b {
				b[i] = v
			}
			return ok()
		},
		ModuleLoadDataEx: func(m *uintptr, image unsafe.Pointer, nopt uint32, opts *int32, vals *uintptr) Result {
			*m = 7
			f.live++
			return ok()
		},
		ModuleUnload: func(uintptr) Result { f.live--; return ok() },
		ModuleGetFunction: func(fn *uintptr, m uintptr, name *byte) Result {
			var sb []byte
			for p := name; *p != 0; p = (*byte)(unsafe.Add(unsafe.Pointer(p), 1)) {
				sb = append(sb, *p)
			}
			s := string(sb)
			*fn = uintptr(len(f.fns) + 100)
			f.fns[*fn] = s
			return ok()
		},
		LaunchKernel: func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) Result {
			name := f.fns[fn]
			f.mu.Lock()
			f.launches = append(f.launches, fakeLaunch{name, dim3{gx, gy, gz}, dim3{bx, by, bz}})
			f.mu.Unlock()
			if name == "add_f32" {
				f.emulateAdd(unsafe.Slice((*unsafe.Pointer)(params), 4))
			}
			return ok()
		},
		StreamCreate:      func(s *uintptr, flags uint32) Result { *s = 3; f.live++; return ok() },
		StreamDestroy:     func(uintptr) Result { f.live--; return ok() },
		StreamSynchronize: func(uintptr) Result { return ok() },
		EventCreate:       func(e *uintptr, flags uint32) Result { *e = 5; return ok() },
		EventRecord:       func(e, s uintptr) Result { return ok() },
		EventSynchronize:  func(e uintptr) Result { return ok() },
		EventElapsedTime:  func(ms *float32, a, b uintptr) Result { *ms = 1; return ok() },
		EventDestroy:      func(uintptr) Result { return ok() },
	}
}

// emulateAdd runs add_f32(d, a, b, n) on the fake memory.
func (f *fakeGPU) emulateAdd(p []unsafe.Pointer) {
	d, a, b := *(*uint64)(p[0]), *(*uint64)(p[1]), *(*uint64)(p[2])
	n := uint64(*(*int32)(p[3]))
	fl := func(addr uint64) []float32 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&f.resolve(addr, 4*n)[0])), n)
	}
	dv, av, bv := fl(d), fl(a), fl(b)
	for i := range dv {
		dv[i] = av[i] + bv[i]
	}
}

// allocations lists live allocation sizes (for leak checks).
func (f *fakeGPU) allocations() []int {
	var out []int
	for _, b := range f.mem {
		out = append(out, len(b))
	}
	sort.Ints(out)
	return out
}
