// Command decoder measures the Qwen2 decoder on the CPU backend: load
// time, prefill and decode tokens/s, and peak resident memory against the
// checkpoint's size. With -write it first creates a random checkpoint of a
// named shape (weights.WriteRandomQwen2), e.g. qwen2.5-0.5b in BF16.
//
//	go run ./bench/decoder -model /tmp/q05 -write qwen2.5-0.5b -threads 2 -prefill 128,512 -decode 32
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/weights"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "decoder bench:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("model", "", "checkpoint folder or GGUF file")
	write := flag.String("write", "", "write a random checkpoint of this shape into -model first if it is missing")
	threads := flag.Int("threads", 2, "CPU worker threads")
	prefill := flag.String("prefill", "128,512", "comma-separated prompt lengths")
	decode := flag.Int("decode", 32, "tokens to decode after the first prompt")
	chunk := flag.Int("chunk", 512, "prefill chunk size")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the measured passes to `file`")
	flag.Parse()
	if *dir == "" {
		return fmt.Errorf("-model is required")
	}
	if err := maybeWrite(*dir, *write); err != nil {
		return err
	}
	lengths, err := parseInts(*prefill)
	if err != nil {
		return err
	}
	t0 := time.Now()
	ck, err := weights.Open(*dir)
	if err != nil {
		return err
	}
	defer ck.Close()
	be := cpu.New(*threads)
	defer be.Close()
	m, err := qwen2.Load(ck, be)
	if err != nil {
		return err
	}
	fmt.Printf("model %s: load %.0f ms, %d threads, weight files %.1f MB\n", *dir, ms(time.Since(t0)), *threads, float64(fileBytes(ck))/1e6)
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
	for i, n := range lengths {
		if err := measure(m, n, *chunk, *decode*btoi(i == 0)); err != nil {
			return err
		}
	}
	rss := peakRSS()
	fmt.Printf("peak RSS %.1f MB = %.3f × weight files\n", float64(rss)/1e6, float64(rss)/float64(fileBytes(ck)))
	return nil
}

// measure prefills n random tokens, then decodes steps tokens greedily.
func measure(m *qwen2.Model, n, chunk, steps int) error {
	s, err := m.Open(model.SessionOptions{MaxSeq: n + steps + 1, Chunk: chunk})
	if err != nil {
		return err
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
		return err
	}
	pd, pc := time.Since(t0), cpuSeconds()-c0
	fmt.Printf("prefill %4d tokens: %8.0f ms  %7.2f tok/s   (%.1f CPU-s: %.2f tok/CPU-s)\n", n, ms(pd), float64(n)/pd.Seconds(), pc, float64(n)/pc)
	if steps == 0 {
		return nil
	}
	t1, c1 := time.Now(), cpuSeconds()
	for range steps {
		if logits, err = s.Forward(ctx, []int{model.Argmax(logits)}, false); err != nil {
			return err
		}
	}
	dd, dc := time.Since(t1), cpuSeconds()-c1
	fmt.Printf("decode  %4d tokens: %8.0f ms  %7.2f tok/s   (%.1f CPU-s: %.2f tok/CPU-s; after a %d-token prompt)\n",
		steps, ms(dd), float64(steps)/dd.Seconds(), dc, float64(steps)/dc, n)
	return nil
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

func fileBytes(ck *weights.Checkpoint) int64 {
	var n int64
	for _, f := range ck.Files() {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// peakRSS reads VmHWM from /proc/self/status (Linux), in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad length %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
