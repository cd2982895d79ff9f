package installer

import (
	"bytes"
	"fmt"
	"strings"
)

// GPUDevice is one CUDA device as the driver reports it.
type GPUDevice struct {
	Name         string `json:"name"`
	CCMajor      int    `json:"cc_major"`
	CCMinor      int    `json:"cc_minor"`
	TotalBytes   uint64 `json:"total_bytes"`
	FreeBytes    uint64 `json:"free_bytes"` // 0 when the context for cuMemGetInfo could not be made
	MemInfoError string `json:"mem_info_error,omitempty"`
}

// GPUInfo is what the GPU probe found. Library is the driver library it
// tried; LoadErr is set when that library could not be loaded (no NVIDIA
// driver); Err when the driver loaded but a query failed.
type GPUInfo struct {
	Library       string      `json:"library"`
	Loaded        bool        `json:"loaded"`
	LoadErr       string      `json:"load_error,omitempty"`
	DriverVersion int         `json:"driver_version"` // e.g. 12080 for 12.8
	Devices       []GPUDevice `json:"devices"`
	Err           string      `json:"error,omitempty"`
}

// DriverVersionString writes 12080 as "12.8".
func (g GPUInfo) DriverVersionString() string {
	return fmt.Sprintf("%d.%d", g.DriverVersion/1000, g.DriverVersion%1000/10)
}

// cudaResultName names the CUresult codes a probe can meet.
func cudaResultName(r int32) string {
	switch r {
	case 0:
		return "CUDA_SUCCESS"
	case 1:
		return "CUDA_ERROR_INVALID_VALUE"
	case 2:
		return "CUDA_ERROR_OUT_OF_MEMORY"
	case 3:
		return "CUDA_ERROR_NOT_INITIALIZED"
	case 34:
		return "CUDA_ERROR_STUB_LIBRARY"
	case 35:
		return "CUDA_ERROR_INSUFFICIENT_DRIVER"
	case 46:
		return "CUDA_ERROR_DEVICES_UNAVAILABLE"
	case 100:
		return "CUDA_ERROR_NO_DEVICE"
	case 101:
		return "CUDA_ERROR_INVALID_DEVICE"
	case 304:
		return "CUDA_ERROR_OPERATING_SYSTEM"
	case 999:
		return "CUDA_ERROR_UNKNOWN"
	}
	return fmt.Sprintf("CUresult %d", r)
}

// cudaAPI is the slice of the CUDA driver API the probe calls. The
// loaders bind it to the driver library; tests bind it to Go functions.
type cudaAPI struct {
	Init             func(flags uint32) int32
	DriverGetVersion func(v *int32) int32
	DeviceGetCount   func(n *int32) int32
	DeviceGet        func(dev *int32, ordinal int32) int32
	DeviceGetName    func(name *byte, n int32, dev int32) int32
	DeviceGetAttr    func(v *int32, attr int32, dev int32) int32
	DeviceTotalMem   func(bytes *uint64, dev int32) int32
	// Optional (nil skips free memory): a primary context is needed for it.
	PrimaryCtxRetain  func(ctx *uintptr, dev int32) int32
	PrimaryCtxRelease func(dev int32) int32
	CtxSetCurrent     func(ctx uintptr) int32
	MemGetInfo        func(free, total *uint64) int32
}

// cudaSymbols lists the driver entry points bound into cudaAPI, in field
// order, under the versioned names the library exports.
func cudaSymbols() []string {
	return []string{
		"cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName",
		"cuDeviceGetAttribute", "cuDeviceTotalMem_v2",
		"cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuMemGetInfo_v2",
	}
}

const (
	cuAttrCCMajor = 75 // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
	cuAttrCCMinor = 76 // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
)

// queryCUDA initialises the driver and lists the devices. The caller
// must hold its goroutine on one OS thread (context calls are per thread).
func queryCUDA(api *cudaAPI, info GPUInfo) GPUInfo {
	check := func(what string, r int32) bool {
		if r != 0 {
			info.Err = fmt.Sprintf("%s: %s", what, cudaResultName(r))
			return false
		}
		return true
	}
	if !check("cuInit", api.Init(0)) {
		return info
	}
	var v int32
	if check("cuDriverGetVersion", api.DriverGetVersion(&v)) {
		info.DriverVersion = int(v)
	}
	var n int32
	if !check("cuDeviceGetCount", api.DeviceGetCount(&n)) {
		return info
	}
	for i := int32(0); i < n; i++ {
		var dev int32
		if !check(fmt.Sprintf("cuDeviceGet(%d)", i), api.DeviceGet(&dev, i)) {
			return info
		}
		var d GPUDevice
		name := make([]byte, 256)
		if check("cuDeviceGetName", api.DeviceGetName(&name[0], int32(len(name)), dev)) {
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			d.Name = strings.TrimSpace(string(name))
		}
		var maj, mnr int32
		if check("cuDeviceGetAttribute", api.DeviceGetAttr(&maj, cuAttrCCMajor, dev)) &&
			check("cuDeviceGetAttribute", api.DeviceGetAttr(&mnr, cuAttrCCMinor, dev)) {
			d.CCMajor, d.CCMinor = int(maj), int(mnr)
		}
		var total uint64
		if check("cuDeviceTotalMem", api.DeviceTotalMem(&total, dev)) {
			d.TotalBytes = total
		}
		d.FreeBytes, d.MemInfoError = cudaFreeMem(api, dev)
		info.Devices = append(info.Devices, d)
	}
	return info
}

// cudaFreeMem reads free device memory through the device's primary
// context (shared with any other user in this process, released after).
func cudaFreeMem(api *cudaAPI, dev int32) (uint64, string) {
	if api.PrimaryCtxRetain == nil || api.PrimaryCtxRelease == nil || api.CtxSetCurrent == nil || api.MemGetInfo == nil {
		return 0, "cuMemGetInfo not available"
	}
	var ctx uintptr
	if r := api.PrimaryCtxRetain(&ctx, dev); r != 0 {
		return 0, "cuDevicePrimaryCtxRetain: " + cudaResultName(r)
	}
	defer api.PrimaryCtxRelease(dev)
	if r := api.CtxSetCurrent(ctx); r != 0 {
		return 0, "cuCtxSetCurrent: " + cudaResultName(r)
	}
	defer api.CtxSetCurrent(0)
	var free, total uint64
	if r := api.MemGetInfo(&free, &total); r != 0 {
		return 0, "cuMemGetInfo: " + cudaResultName(r)
	}
	return free, ""
}
