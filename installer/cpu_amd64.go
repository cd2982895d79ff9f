package installer

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

func probeCPU() CPUInfo {
	ci := CPUInfo{Arch: "amd64", Cores: runtime.NumCPU(), Baseline: cpu.X86.HasAVX2}
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"AVX2", cpu.X86.HasAVX2},
		{"FMA", cpu.X86.HasFMA},
		{"AVX-512F", cpu.X86.HasAVX512F},
		{"AVX-512 VNNI", cpu.X86.HasAVX512VNNI},
		{"AVX-512 BF16", cpu.X86.HasAVX512BF16},
		{"AMX-TILE", cpu.X86.HasAMXTile},
		{"AMX-INT8", cpu.X86.HasAMXInt8},
		{"AMX-BF16", cpu.X86.HasAMXBF16},
	} {
		if f.has {
			ci.Present = append(ci.Present, f.name)
		} else {
			ci.Missing = append(ci.Missing, f.name)
		}
	}
	return ci
}
