package cuda

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// Result is a CUresult, the status every driver API call returns.
type Result int32

// CUresult values the backend tells apart (cuda.h).
const (
	Success          Result = 0
	resInvalidValue  Result = 1
	resOutOfMemory   Result = 2
	resNoDevice      Result = 100
	resInvalidDevice Result = 101
	resNotFound      Result = 500
)

// resultNames names the common CUresults; cuGetErrorName covers the rest
// when the driver is real.
var resultNames = map[Result]string{
	0: "CUDA_SUCCESS", 1: "CUDA_ERROR_INVALID_VALUE", 2: "CUDA_ERROR_OUT_OF_MEMORY",
	3: "CUDA_ERROR_NOT_INITIALIZED", 4: "CUDA_ERROR_DEINITIALIZED", 34: "CUDA_ERROR_STUB_LIBRARY",
	35: "CUDA_ERROR_INSUFFICIENT_DRIVER", 100: "CUDA_ERROR_NO_DEVICE", 101: "CUDA_ERROR_INVALID_DEVICE",
	200: "CUDA_ERROR_INVALID_IMAGE", 201: "CUDA_ERROR_INVALID_CONTEXT", 209: "CUDA_ERROR_NO_BINARY_FOR_GPU",
	218: "CUDA_ERROR_INVALID_PTX", 222: "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", 400: "CUDA_ERROR_INVALID_HANDLE",
	500: "CUDA_ERROR_NOT_FOUND", 700: "CUDA_ERROR_ILLEGAL_ADDRESS", 701: "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
	702: "CUDA_ERROR_LAUNCH_TIMEOUT", 716: "CUDA_ERROR_MISALIGNED_ADDRESS", 719: "CUDA_ERROR_LAUNCH_FAILED",
	999: "CUDA_ERROR_UNKNOWN",
}

func (r Result) String() string {
	if s, ok := resultNames[r]; ok {
		return s
	}
	return fmt.Sprintf("CUresult(%d)", int32(r))
}

// Sentinel errors. Every one of them also matches kernels.ErrUnavailable
// where the backend cannot be used at all (see Open).
var (
	// ErrNoDriver: the driver library (libcuda.so.1, nvcuda.dll) is absent
	// or lacks a needed entry point.
	ErrNoDriver = errors.New("cuda: no driver")
	// ErrNoDevice: the driver sees no device, or not the one asked for, or
	// one older than sm_80.
	ErrNoDevice = errors.New("cuda: no usable device")
	// ErrOutOfMemory: the device has too little free memory.
	ErrOutOfMemory = errors.New("cuda: out of device memory")
)

// CallError is a failed driver call: the call's name and its CUresult.
type CallError struct {
	Call   string
	Result Result
}

func (e *CallError) Error() string { return fmt.Sprintf("cuda: %s: %s", e.Call, e.Result) }

// Is lets errors.Is match ErrOutOfMemory and ErrNoDevice by CUresult.
func (e *CallError) Is(target error) bool {
	switch target {
	case ErrOutOfMemory:
		return e.Result == resOutOfMemory
	case ErrNoDevice:
		return e.Result == resNoDevice || e.Result == resInvalidDevice
	}
	return false
}

// check turns a CUresult into an error naming the call (nil on success).
func check(call string, r Result) error {
	if r == Success {
		return nil
	}
	return &CallError{Call: call, Result: r}
}

// Driver is the table of driver API entry points the backend calls. Load
// fills it from the real library; tests substitute fakes field by field.
// The cu tag is the exported symbol; device pointers are uint64
// (CUdeviceptr), handles are uintptr.
type Driver struct {
	Init              func(flags uint32) Result                                                                              `cu:"cuInit"`
	DriverGetVersion  func(v *int32) Result                                                                                  `cu:"cuDriverGetVersion"`
	DeviceGetCount    func(n *int32) Result                                                                                  `cu:"cuDeviceGetCount"`
	DeviceGet         func(dev *int32, ordinal int32) Result                                                                 `cu:"cuDeviceGet"`
	DeviceGetName     func(name *byte, n int32, dev int32) Result                                                            `cu:"cuDeviceGetName"`
	DeviceTotalMem    func(bytes *uint64, dev int32) Result                                                                  `cu:"cuDeviceTotalMem_v2"`
	DeviceGetAttr     func(v *int32, attr int32, dev int32) Result                                                           `cu:"cuDeviceGetAttribute"`
	CtxCreate         func(ctx *uintptr, flags uint32, dev int32) Result                                                     `cu:"cuCtxCreate_v2"`
	CtxDestroy        func(ctx uintptr) Result                                                                               `cu:"cuCtxDestroy_v2"`
	CtxSetCurrent     func(ctx uintptr) Result                                                                               `cu:"cuCtxSetCurrent"`
	MemGetInfo        func(free, total *uint64) Result                                                                       `cu:"cuMemGetInfo_v2"`
	MemAlloc          func(ptr *uint64, size uint64) Result                                                                  `cu:"cuMemAlloc_v2"`
	MemFree           func(ptr uint64) Result                                                                                `cu:"cuMemFree_v2"`
	MemcpyHtoDAsync   func(dst uint64, src unsafe.Pointer, n uint64, s uintptr) Result                                       `cu:"cuMemcpyHtoDAsync_v2"`
	MemcpyDtoHAsync   func(dst unsafe.Pointer, src uint64, n uint64, s uintptr) Result                                       `cu:"cuMemcpyDtoHAsync_v2"`
	MemcpyDtoDAsync   func(dst, src uint64, n uint64, s uintptr) Result                                                      `cu:"cuMemcpyDtoDAsync_v2"`
	MemsetD8Async     func(dst uint64, v uint8, n uint64, s uintptr) Result                                                  `cu:"cuMemsetD8Async"`
	ModuleLoadDataEx  func(mod *uintptr, image unsafe.Pointer, nopt uint32, opts *int32, vals *uintptr) Result               `cu:"cuModuleLoadDataEx"`
	ModuleUnload      func(mod uintptr) Result                                                                               `cu:"cuModuleUnload"`
	ModuleGetFunction func(fn *uintptr, mod uintptr, name *byte) Result                                                      `cu:"cuModuleGetFunction"`
	LaunchKernel      func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) Result `cu:"cuLaunchKernel"`
	StreamCreate      func(s *uintptr, flags uint32) Result                                                                  `cu:"cuStreamCreate"`
	StreamDestroy     func(s uintptr) Result                                                                                 `cu:"cuStreamDestroy_v2"`
	StreamSynchronize func(s uintptr) Result                                                                                 `cu:"cuStreamSynchronize"`
	EventCreate       func(e *uintptr, flags uint32) Result                                                                  `cu:"cuEventCreate"`
	EventRecord       func(e, s uintptr) Result                                                                              `cu:"cuEventRecord"`
	EventSynchronize  func(e uintptr) Result                                                                                 `cu:"cuEventSynchronize"`
	EventElapsedTime  func(ms *float32, start, end uintptr) Result                                                           `cu:"cuEventElapsedTime"`
	EventDestroy      func(e uintptr) Result                                                                                 `cu:"cuEventDestroy_v2"`
}

// Device attributes (CUdevice_attribute) the backend reads.
const (
	attrMultiprocessors = 16
	attrCCMajor         = 75
	attrCCMinor         = 76
)

// bind fills every func field of d through lookup(symbol), which returns
// the entry point's address; register turns an address into the field's
// function (purego.RegisterFunc). One error lists every missing symbol.
func (d *Driver) bind(lookup func(string) (uintptr, error), register func(fptr any, addr uintptr)) error {
	v := reflect.ValueOf(d).Elem()
	var missing []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		sym := f.Tag.Get("cu")
		addr, err := lookup(sym)
		if err != nil || addr == 0 {
			missing = append(missing, sym)
			continue
		}
		register(v.Field(i).Addr().Interface(), addr)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: driver lacks %v", ErrNoDriver, missing)
	}
	return nil
}

// complete reports the first nil entry of d (a partly filled fake table).
func (d *Driver) complete() error {
	v := reflect.ValueOf(d).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsNil() {
			return fmt.Errorf("%w: driver table has no %s", ErrNoDriver, v.Type().Field(i).Tag.Get("cu"))
		}
	}
	return nil
}

// LoadDriver loads the driver library (path "" means libcuda.so.1 on
// Linux, nvcuda.dll on Windows) and binds every entry point. Errors wrap
// ErrNoDriver.
func LoadDriver(path string) (*Driver, error) {
	lookup, err := openLibrary(path)
	if err != nil {
		return nil, err
	}
	d := &Driver{}
	if err := d.bind(lookup, registerFunc); err != nil {
		return nil, err
	}
	if addr, err := lookup("cuLaunchKernel"); err == nil && addr != 0 {
		d.LaunchKernel = syscallLaunch(addr)
	}
	return d, nil
}
