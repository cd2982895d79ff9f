package installer

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

func probeCPU() CPUInfo {
	ci := CPUInfo{Arch: "arm64", Cores: runtime.NumCPU(), Baseline: cpu.ARM64.HasASIMD}
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"NEON/ASIMD", cpu.ARM64.HasASIMD},
		{"dotprod", cpu.ARM64.HasASIMDDP},
		{"fp16", cpu.ARM64.HasFPHP && cpu.ARM64.HasASIMDHP},
		{"SVE", cpu.ARM64.HasSVE},
	} {
		if f.has {
			ci.Present = append(ci.Present, f.name)
		} else {
			ci.Missing = append(ci.Missing, f.name)
		}
	}
	return ci
}
