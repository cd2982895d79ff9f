//go:build !amd64 && !arm64

package installer

import "runtime"

func probeCPU() CPUInfo {
	return CPUInfo{Arch: runtime.GOARCH, Cores: runtime.NumCPU(), Missing: []string{"fast kernels for " + runtime.GOARCH}}
}
