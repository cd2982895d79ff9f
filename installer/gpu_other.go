//go:build !linux && !windows

package installer

import "runtime"

// ProbeGPU reports that CUDA is not probed on this OS.
func ProbeGPU() GPUInfo {
	return GPUInfo{Library: "none", LoadErr: "CUDA is not supported on " + runtime.GOOS}
}
