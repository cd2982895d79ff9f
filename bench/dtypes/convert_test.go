package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

func TestF32ToF16_MatchesKerneltest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	vals := []float32{0, -0, 1, -1, 65504, 65519, 65520, 1e-8, 6e-8, 3e-8, 2.98e-8, 6.1e-5, 6.09e-5, 1e-3}
	for range 100000 {
		vals = append(vals, math.Float32frombits(r.Uint32()&0x7fffffff>>1+0x30000000))
	}
	for _, v := range vals {
		for _, f := range []float32{v, -v} {
			if got, want := f32ToF16(f), kerneltest.F32ToF16(f); got != want {
				t.Fatalf("f32ToF16(%g) = %#04x, want %#04x", f, got, want)
			}
		}
	}
}

func TestConvertBF16_Q8_0(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	v := kerneltest.Random(r, 3*64, 2)
	src := kerneltest.Encode(kernels.BF16, v)
	for i := range v { // the values BF16 holds
		v[i] = math.Float32frombits(uint32(src[2*i])<<16 | uint32(src[2*i+1])<<24)
	}
	got := convertBF16(src, 64, kernels.Q8_0)
	want := kerneltest.Encode(kernels.Q8_0, v)
	if string(got) != string(want) {
		t.Fatal("Q8_0 conversion differs from kerneltest.Encode")
	}
}
