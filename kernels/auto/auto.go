// Package auto chooses a kernels.Backend by name, as the --backend flag
// does: "cpu", "cuda" (or "cuda:N" for device N) and "auto" (the best
// available, falling back to the CPU). It is the one place that knows every
// backend package, so kernels itself stays free of a registry.
package auto

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
)

// Options configure Open.
type Options struct {
	Threads int // CPU worker threads; 0 means GOMAXPROCS
}

// Open returns the backend called name. "cuda" returns an error wrapping
// kernels.ErrUnavailable until the CUDA backend exists; "auto" then picks
// the CPU. The second result says why auto fell back ("" otherwise).
func Open(name string, opts Options) (kernels.Backend, string, error) {
	kind, dev, err := parse(name)
	if err != nil {
		return nil, "", err
	}
	switch kind {
	case "cpu":
		return cpu.New(opts.Threads), "", nil
	case "cuda":
		return nil, "", openCUDA(dev)
	}
	// auto: the first available device backend, else the CPU.
	return cpu.New(opts.Threads), openCUDA(0).Error(), nil
}

// parse splits "cuda:1" into ("cuda", 1).
func parse(name string) (kind string, dev int, err error) {
	kind, num, hasNum := strings.Cut(strings.ToLower(strings.TrimSpace(name)), ":")
	switch kind {
	case "", "auto":
		kind = "auto"
	case "cpu", "cuda":
	default:
		return "", 0, fmt.Errorf("kernels/auto: unknown backend %q (want auto, cpu, cuda or cuda:N)", name)
	}
	if hasNum {
		if kind != "cuda" {
			return "", 0, fmt.Errorf("kernels/auto: backend %q: only cuda takes a device number", name)
		}
		if dev, err = strconv.Atoi(num); err != nil || dev < 0 {
			return "", 0, fmt.Errorf("kernels/auto: backend %q: bad device number", name)
		}
	}
	return kind, dev, nil
}

// openCUDA reports that no CUDA backend is built into this binary yet.
func openCUDA(dev int) error {
	return fmt.Errorf("kernels/auto: cuda device %d: no CUDA backend in this build: %w", dev, kernels.ErrUnavailable)
}
