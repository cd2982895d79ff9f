package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/cputime"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// BenchmarkMatMul runs the Qwen2.5-0.5B projection shapes at decode (T=1)
// and prefill (T=128) sizes. SetBytes counts the weight bytes read, so
// MB/s at T=1 is the weight bandwidth decode reaches.
func BenchmarkMatMul(b *testing.B) {
	shapes := [][2]int{{896, 896}, {4864, 896}, {896, 4864}, {151936, 896}}
	for _, dt := range []kernels.DType{kernels.BF16, kernels.F16, kernels.F32, kernels.Q8_0} {
		for _, T := range []int{1, 128} {
			for _, s := range shapes {
				out, in := s[0], s[1]
				if T > 1 && out > 100000 {
					continue // the LM head runs on one row per step
				}
				b.Run(fmt.Sprintf("%s/T=%d/%dx%d", dt, T, out, in), func(b *testing.B) {
					benchMatMul(b, dt, T, out, in)
				})
			}
		}
	}
}

func benchMatMul(b *testing.B, dt kernels.DType, T, out, in int) {
	be := New(0)
	defer be.Close()
	r := rand.New(rand.NewPCG(1, 1))
	wb := kerneltest.Encode(dt, kerneltest.Random(r, out*in, 1))
	w, err := be.Upload("w", dt, kernels.Shape{out, in}, wb)
	if err != nil {
		b.Fatal(err)
	}
	x, _ := be.Upload("x", kernels.F32, kernels.Shape{T, in}, kerneltest.Encode(kernels.F32, kerneltest.Random(r, T*in, 1)))
	dst, _ := be.Alloc(kernels.F32, kernels.Shape{T, out})
	b.SetBytes(int64(len(wb)))
	if err := be.MatMul(dst, x, w, nil); err != nil { // warm: scratch buffers, workers, page faults
		b.Fatal(err)
	}
	c0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		if err := be.MatMul(dst, x, w, nil); err != nil {
			b.Fatal(err)
		}
	}
	macs := float64(T*out*in) * float64(b.N) / 1e9
	b.ReportMetric(macs/b.Elapsed().Seconds(), "GMAC/s")
	// Per CPU-second: meaningful on a machine shared with other work.
	b.ReportMetric(macs/(cpuSeconds()-c0), "GMAC/cpu-s")
}

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	d, _ := cputime.Process()
	return d.Seconds()
}
