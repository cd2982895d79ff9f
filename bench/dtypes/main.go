// Command dtypes measures the Qwen2 decoder on the CPU backend with its
// matrices in each weight format (F32, BF16, F16, Q8_0): prefill and
// decode tokens/s, and decode as a fraction of the memory-bandwidth
// ceiling: (copy bandwidth of this machine, measured in the same run) ÷
// (weight bytes read per decoded token).
//
// The checkpoint is a BF16 one (written with -write when missing, the same
// weights.WriteRandomQwen2 that `lingshu dev random-model` runs); the other
// formats are made in memory at load time by an Upload wrapper, so the
// model code runs unchanged.
//
//	go run ./bench/dtypes -model /tmp/q05 -write qwen2.5-0.5b -threads 2 -dtypes F32,BF16,F16,Q8_0
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/internal/cputime"
	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/weights"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dtypes bench:", err)
		os.Exit(1)
	}
}

type options struct {
	dir             string
	threads         int
	prefill, decode int
	reps            int
	bandwidthMB     int
}

func run() error {
	var o options
	flag.StringVar(&o.dir, "model", "", "BF16 checkpoint folder")
	write := flag.String("write", "", "write a random checkpoint of this shape into -model first if it is missing")
	dtypes := flag.String("dtypes", "F32,BF16,F16,Q8_0", "comma-separated weight formats")
	flag.IntVar(&o.threads, "threads", 2, "CPU worker threads (and copy-bandwidth threads)")
	flag.IntVar(&o.prefill, "prefill", 512, "prompt tokens (one forward pass)")
	flag.IntVar(&o.decode, "decode", 32, "decode steps after the prompt")
	flag.IntVar(&o.reps, "reps", 2, "repetitions of each measurement; the best is kept")
	flag.IntVar(&o.bandwidthMB, "bandwidth-mb", 256, "MB copied per thread and pass when measuring bandwidth")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the measurements to `file`")
	flag.Parse()
	if o.dir == "" {
		return fmt.Errorf("-model is required")
	}
	if err := maybeWrite(o.dir, *write); err != nil {
		return err
	}
	var dts []kernels.DType
	for _, s := range strings.Split(*dtypes, ",") {
		dt, err := parseDType(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		dts = append(dts, dt)
	}
	ck, err := weights.Open(o.dir)
	if err != nil {
		return err
	}
	defer ck.Close()
	be := cpu.New(o.threads)
	fmt.Printf("machine: %s, %d CPUs, backend %s\n", runtime.GOARCH, runtime.NumCPU(), be.Capabilities().Device)
	be.Close()
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average: %s", la)
	}
	fmt.Println("bandwidth is measured right before each decode run. copy: bytes copied per second (memcpy rate; STREAM")
	fmt.Println("would count twice this, read + written), the issue's ceiling: llama.cpp's Q8_0 decode sits at it.")
	fmt.Println("read: bytes scanned per second, the stricter ceiling for a decode that only reads weights.")
	fmt.Println("ceiling = copy bandwidth / weight bytes per token; the run with the best decode is shown")
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%-5s %9s %12s %12s %12s %10s %8s %6s %6s %9s %9s\n", "dtype", "weights", "prefill", "decode", "ceiling", "of copy", "of read", "copy", "read", "pre/CPU-s", "dec/CPU-s")
	for _, dt := range dts {
		if err := measureDType(ck, dt, o); err != nil {
			return fmt.Errorf("%s: %w", dt, err)
		}
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average: %s", la)
	}
	return nil
}

// measureDType loads the model with its matrices in dt and prints one row.
func measureDType(ck *weights.Checkpoint, dt kernels.DType, o options) error {
	be := &converting{Backend: cpu.New(o.threads), to: dt}
	defer be.Close()
	m, err := qwen2.Load(ck, be)
	if err != nil {
		return err
	}
	var pre, preCPU float64
	var best result
	for range o.reps {
		var bw, rbw float64
		p, pc, d, dc, err := measure(m, o.prefill, o.decode, func() {
			bw = copyBandwidth(o.threads, o.bandwidthMB<<20, 3) / 2 // bytes copied, not read + written
			rbw = readBandwidth(o.threads, o.bandwidthMB<<20, 3)
		})
		if err != nil {
			return err
		}
		if p > pre {
			pre, preCPU = p, pc
		}
		if d > best.dec {
			best = result{dec: d, decCPU: dc, copyBW: bw, readBW: rbw}
		}
	}
	perToken := float64(be.readPerToken)
	ceiling := best.copyBW / perToken
	fmt.Printf("%-5s %7.0fMB %8.1f t/s %8.2f t/s %8.2f t/s %9.1f%% %7.1f%% %6.1f %6.1f %9.1f %9.2f\n",
		dt, perToken/1e6, pre, best.dec, ceiling, 100*best.dec/ceiling, 100*best.dec/(best.readBW/perToken),
		best.copyBW/1e9, best.readBW/1e9, preCPU, best.decCPU)
	runtime.GC()
	return nil
}

// result is one decode measurement with the bandwidths measured just before.
type result struct{ dec, decCPU, copyBW, readBW float64 }

// measure returns prefill tokens/s for one n-token forward pass and
// decode tokens/s for steps greedy steps after it, each also per
// CPU-second; beforeDecode runs between the two.
func measure(m *qwen2.Model, n, steps int, beforeDecode func()) (prefill, prefillCPU, decode, decodeCPU float64, err error) {
	s, err := m.Open(model.SessionOptions{MaxSeq: n + steps + 1, Chunk: n})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(uint64(n), 1))
	ids := make([]int, n)
	for i := range ids {
		ids[i] = r.IntN(151000)
	}
	ctx := context.Background()
	t0, c0 := time.Now(), cpuSeconds()
	logits, err := s.Forward(ctx, ids, false)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	prefill = float64(n) / time.Since(t0).Seconds()
	if c := cpuSeconds() - c0; c > 0 {
		prefillCPU = float64(n) / c
	}
	beforeDecode()
	t1, c1 := time.Now(), cpuSeconds()
	for range steps {
		if logits, err = s.Forward(ctx, []int{model.Argmax(logits)}, false); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	decode = float64(steps) / time.Since(t1).Seconds()
	if c := cpuSeconds() - c1; c > 0 {
		decodeCPU = float64(steps) / c
	}
	return prefill, prefillCPU, decode, decodeCPU, nil
}

func maybeWrite(dir, shape string) error {
	if shape == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		return nil
	}
	s, ok := weights.LookupQwen2Shape(shape)
	if !ok {
		return fmt.Errorf("unknown shape %q", shape)
	}
	fmt.Printf("writing random %s checkpoint to %s\n", shape, dir)
	return weights.WriteRandomQwen2(dir, s, weights.RandomOptions{Seed: 1})
}

func parseDType(s string) (kernels.DType, error) {
	for _, dt := range []kernels.DType{kernels.F32, kernels.BF16, kernels.F16, kernels.Q8_0} {
		if strings.EqualFold(dt.String(), s) {
			return dt, nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q (F32, BF16, F16, Q8_0)", s)
}

func cpuSeconds() float64 {
	d, _ := cputime.Process()
	return d.Seconds()
}
