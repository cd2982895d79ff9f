// Package auto chooses a kernels.Backend by name, as the --backend flag
// does: "cpu", "cuda" (or "cuda:N" for device N) and "auto" (CUDA when a
// driver and a device with enough free memory exist, else the CPU). It is
// the one place that knows every backend package, so kernels itself stays
// free of a registry.
package auto

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
)

// Options configure Open.
type Options struct {
	Threads int // CPU worker threads; 0 means GOMAXPROCS
	// NeedBytes is the device memory the model will take (weights, KV
	// cache, activations). "auto" uses a device only when this much is
	// free; "cuda" fails with a message saying how much is missing. 0
	// skips the check.
	NeedBytes int64
	// Logger gets one line saying which backend was chosen and why; nil
	// logs nothing.
	Logger *slog.Logger
	// CUDADriver replaces the CUDA driver library (tests use a fake table).
	CUDADriver *cuda.Driver
}

// Open returns the backend called name. The second result says why "auto"
// fell back to the CPU ("" otherwise). "cuda" errors wrap
// kernels.ErrUnavailable when there is no usable device.
func Open(name string, opts Options) (kernels.Backend, string, error) {
	kind, dev, err := parse(name)
	if err != nil {
		return nil, "", err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch kind {
	case "cpu":
		be := cpu.New(opts.Threads)
		log.Info("backend selected", "backend", "cpu", "device", be.Capabilities().Device, "reason", "asked for cpu")
		return be, "", nil
	case "cuda":
		be, err := openCUDA(dev, opts)
		if err != nil {
			return nil, "", err
		}
		log.Info("backend selected", "backend", name, "device", be.Capabilities().Device, "reason", "asked for cuda")
		return be, "", nil
	}
	be, err := openCUDA(0, opts)
	if err == nil {
		log.Info("backend selected", "backend", "cuda:0", "device", be.Capabilities().Device,
			"reason", "auto: driver and device with enough free memory")
		return be, "", nil
	}
	if !errors.Is(err, kernels.ErrUnavailable) {
		// A device exists but failed to start (PTX rejected, stream
		// error): say so loudly, then still run on the CPU.
		log.Warn("cuda device failed to start", "err", err)
	}
	cb := cpu.New(opts.Threads)
	why := err.Error()
	log.Info("backend selected", "backend", "cpu", "device", cb.Capabilities().Device, "reason", "auto: "+why)
	return cb, why, nil
}

func openCUDA(dev int, opts Options) (kernels.Backend, error) {
	be, err := cuda.Open(cuda.Options{Device: dev, MinFreeBytes: opts.NeedBytes, Driver: opts.CUDADriver, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("kernels/auto: cuda device %d: %w", dev, err)
	}
	return be, nil
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
