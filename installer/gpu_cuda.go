//go:build linux || windows

package installer

import (
	"fmt"
	"runtime"

	"github.com/ebitengine/purego"
)

// bindCUDA binds api's functions to the driver's exported symbols, found
// by sym. A missing required symbol is an error; the free-memory entry
// points are optional.
func bindCUDA(sym func(name string) (uintptr, error)) (*cudaAPI, error) {
	api := &cudaAPI{}
	targets := []any{
		&api.Init, &api.DriverGetVersion, &api.DeviceGetCount, &api.DeviceGet, &api.DeviceGetName,
		&api.DeviceGetAttr, &api.DeviceTotalMem,
		&api.PrimaryCtxRetain, &api.PrimaryCtxRelease, &api.CtxSetCurrent, &api.MemGetInfo,
	}
	const required = 7
	for i, name := range cudaSymbols() {
		addr, err := sym(name)
		if err != nil || addr == 0 {
			if i < required {
				return nil, fmt.Errorf("installer: cuda driver lacks %s: %v", name, err)
			}
			continue
		}
		purego.RegisterFunc(targets[i], addr)
	}
	return api, nil
}

// ProbeGPU loads the NVIDIA driver library at run time (no cgo, no CUDA
// toolkit) and asks it for its devices. Without a driver it reports
// Loaded=false and why.
func ProbeGPU() GPUInfo { return probeGPU(openCUDALibrary) }

// probeGPU probes the driver that open loads (tests load a fake one).
func probeGPU(open func() (func(string) (uintptr, error), string, error)) GPUInfo {
	sym, lib, err := open()
	info := GPUInfo{Library: lib}
	if err != nil {
		info.LoadErr = err.Error()
		return info
	}
	info.Loaded = true
	api, err := bindCUDA(sym)
	if err != nil {
		info.Err = err.Error()
		return info
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return queryCUDA(api, info)
}
