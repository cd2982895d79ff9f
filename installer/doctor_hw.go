package installer

import (
	"fmt"
	"strings"
)

// CPUInfo is the instruction-set view of the CPU that the kernels use.
type CPUInfo struct {
	Arch    string
	Cores   int
	Present []string // features found, in the order listed for Arch
	Missing []string // features the fast paths want but the CPU lacks
	// Baseline is false when the feature the first fast path needs (AVX2 on
	// amd64, ASIMD on arm64) is missing, or Arch has no fast path at all.
	Baseline bool
}

func checkCPU(ci CPUInfo) Check {
	c := Check{Name: "cpu", Status: StatusOK}
	var parts []string
	if len(ci.Present) > 0 {
		parts = append(parts, strings.Join(ci.Present, ", "))
	}
	if len(ci.Missing) > 0 {
		parts = append(parts, "no "+strings.Join(ci.Missing, ", no "))
	}
	c.Detail = fmt.Sprintf("%s, %d cores", ci.Arch, ci.Cores)
	if len(parts) > 0 {
		c.Detail += ": " + strings.Join(parts, "; ")
	}
	if !ci.Baseline {
		c.Status = StatusWarn
		c.Fix = "inference runs on the generic Go kernels here (several times slower); use a CPU with AVX2 (x86-64) or NEON (ARM64), or a GPU"
	}
	return c
}

// ModelInfo is what opening the configured model found.
type ModelInfo struct {
	Format string
	Files  []string
	Bytes  int64  // sum of the weight files
	SHA256 string // "" when not computed
}

func checkModel(in DoctorInput, m ModelInfo, err error) Check {
	c := Check{Name: "model", Status: StatusOK}
	switch {
	case in.ModelPath == "":
		c.Status, c.Detail = StatusWarn, "no model configured (model.path): studies are received and stored, but no drafts are written"
		c.Fix = "set model.path in " + configName(in) + " to a Hugging Face folder or a GGUF file"
	case err != nil:
		c.Status, c.Detail = StatusFail, fmt.Sprintf("model %s: %v", in.ModelPath, err)
		c.Fix = "check model.path, that every weight file is present and readable by the service account, and re-copy damaged files"
	default:
		c.Detail = fmt.Sprintf("%s: %s, %d weight file(s), %s", in.ModelPath, m.Format, len(m.Files), human(uint64(m.Bytes)))
		if m.SHA256 != "" {
			c.Detail += ", sha256 " + m.SHA256
		} else {
			c.Detail += ", sha256 not computed"
		}
	}
	return c
}

// ramFactor is how much RAM a model needs relative to its weights (the
// mapped weights, activations, the KV cache and the rest of the daemon).
const ramFactor = 1.2

func checkMemory(in DoctorInput, p Probes, m ModelInfo, modelErr error) Check {
	total, avail, err := p.Memory()
	if err != nil {
		return Check{Name: "memory", Status: StatusWarn, Detail: "cannot read memory size: " + err.Error(), Fix: "check RAM by hand (free -h)"}
	}
	c := Check{Name: "memory", Status: StatusOK, Detail: fmt.Sprintf("%s total, %s available", human(total), human(avail))}
	if in.ModelPath == "" || modelErr != nil {
		c.Detail += "; no model size to compare"
		return c
	}
	need := uint64(float64(m.Bytes) * ramFactor)
	c.Detail += fmt.Sprintf("; model %s needs about %s", human(uint64(m.Bytes)), human(need))
	if total < need {
		c.Status = StatusWarn
		c.Fix = "add RAM or use a smaller or quantized model (lingshu quant --type q8_0): the weights will page from disk"
	}
	return c
}

func checkGPU(in DoctorInput, g GPUInfo) Check {
	wantCUDA := in.Backend == "cuda" || strings.HasPrefix(in.Backend, "cuda:")
	bad := StatusWarn
	if wantCUDA {
		bad = StatusFail
	}
	switch {
	case !g.Loaded:
		why := g.LoadErr
		if !strings.HasPrefix(why, g.Library) {
			why = g.Library + ": " + why
		}
		c := Check{Name: "gpu", Status: StatusOK, Detail: fmt.Sprintf("no GPU driver found (%s): CPU backend will be used", why)}
		if wantCUDA {
			c.Status, c.Fix = StatusFail, "install the NVIDIA driver, or set model.backend = \"auto\" or \"cpu\""
		}
		return c
	case g.Err != "" && len(g.Devices) == 0:
		return Check{Name: "gpu", Status: bad, Detail: fmt.Sprintf("%s loaded but: %s: CPU backend will be used", g.Library, g.Err),
			Fix: "check the driver with nvidia-smi; the service account needs access to /dev/nvidia*"}
	case len(g.Devices) == 0:
		return Check{Name: "gpu", Status: bad, Detail: fmt.Sprintf("driver %s loaded, no CUDA device: CPU backend will be used", g.DriverVersionString()),
			Fix: "check the driver with nvidia-smi"}
	}
	var devs []string
	old := false
	for i, d := range g.Devices {
		s := fmt.Sprintf("%d: %s, compute %d.%d, %s", i, d.Name, d.CCMajor, d.CCMinor, human(d.TotalBytes))
		if d.FreeBytes > 0 {
			s += fmt.Sprintf(" (%s free)", human(d.FreeBytes))
		}
		devs = append(devs, s)
		old = old || d.CCMajor < 8
	}
	c := Check{Name: "gpu", Status: StatusOK, Detail: fmt.Sprintf("CUDA driver %s; %s", g.DriverVersionString(), strings.Join(devs, "; "))}
	if old {
		c.Status = bad
		c.Fix = "the CUDA kernels target compute capability 8.0 (Ampere) and newer; older GPUs fall back to the CPU"
	}
	return c
}
