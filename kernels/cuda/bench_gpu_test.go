package cuda_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// benchShape is a Qwen2 decoder's dimensions.
type benchShape struct{ hidden, layers, heads, kvHeads, inter, vocab int }

// shape7B is the text decoder of Lingshu-7B / Qwen2.5-VL-7B;
// LINGSHU_BENCH_SHAPE=tiny picks a toy shape to smoke-test the harness
// (on the emulator, say).
func benchShapeFromEnv() benchShape {
	if os.Getenv("LINGSHU_BENCH_SHAPE") == "tiny" {
		return benchShape{64, 2, 4, 2, 128, 1000}
	}
	return benchShape{3584, 28, 28, 4, 18944, 152064}
}

// TestGPU_Bench7B (opt-in: LINGSHU_CUDA_BENCH=1) builds a 7B-shaped Q8_0
// decoder with random weights directly in device memory and times the op
// sequence of model/nn's Qwen2 block: decode steps at a given context
// length and one prefill pass. It prints tokens/s and the fraction of the
// memory roofline: (weight + KV bytes read per token) × tokens/s ÷ the
// measured device-to-device copy bandwidth. LINGSHU_BENCH_CTX (default
// 512), LINGSHU_BENCH_PREFILL (512), LINGSHU_BENCH_STEPS (64).
func TestGPU_Bench7B(t *testing.T) {
	if os.Getenv("LINGSHU_CUDA_BENCH") != "1" {
		t.Skip("set LINGSHU_CUDA_BENCH=1")
	}
	be := openGPU(t)
	shape7B := benchShapeFromEnv()
	ctxLen, prefill, steps := envInt("LINGSHU_BENCH_CTX", 512), envInt("LINGSHU_BENCH_PREFILL", 512), envInt("LINGSHU_BENCH_STEPS", 64)
	bw := copyBandwidth(t, be, envInt("LINGSHU_BENCH_COPY_MIB", 1024))
	t.Logf("device-to-device copy bandwidth: %.0f GB/s (read + write)", bw/1e9)

	start := time.Now()
	m := newBenchModel(t, be, shape7B, max(ctxLen, prefill)+steps+1, prefill)
	st, _ := be.Memory()
	t.Logf("%+v Q8_0 decoder built in %v: weights %.2f GiB on device, arena %.2f GiB, %.2f GiB free",
		shape7B, time.Since(start).Round(time.Millisecond), gibf(st.Weights), gibf(st.ArenaReserved), gibf(st.Free))

	// Decode: one token at a time after ctxLen cached positions.
	m.step(t, ctxLen, 1) // warm up
	if err := be.Sync(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := range steps {
		m.step(t, ctxLen+i, 1)
	}
	dec := float64(steps) / time.Since(t0).Seconds()
	kvBytes := float64(2*shape7B.layers*(ctxLen+steps/2)*shape7B.kvHeads*(shape7B.hidden/shape7B.heads)) * 4
	embedBytes := float64(shape7B.vocab*shape7B.hidden) * 1.0625 // one row of it is read per token
	perTok := float64(st.Weights) - embedBytes + kvBytes
	t.Logf("decode @ctx %d: %.1f tokens/s, %.2f ms/token; %.2f GB read per token → %.0f GB/s = %.0f%% of copy bandwidth",
		ctxLen, dec, 1e3/dec, perTok/1e9, perTok*dec/1e9, 100*perTok*dec/bw)

	// Prefill: one pass over `prefill` tokens.
	m.step(t, 0, prefill)
	be.Sync()
	t0 = time.Now()
	const reps = 3
	for range reps {
		m.step(t, 0, prefill)
	}
	if err := be.Sync(); err != nil {
		t.Fatal(err)
	}
	pf := float64(reps*prefill) / time.Since(t0).Seconds()
	params := float64(st.Weights) / 1.0625 // device Q8_0: 1 byte + 2/32 per weight
	t.Logf("prefill %d tokens: %.0f tokens/s (≈ %.1f TOPS of int8 matmul)", prefill, pf, 2*params*pf/1e12)

	tensorCorePeak(t, be, envInt("LINGSHU_BENCH_MATMUL", 8192))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func gibf(n uint64) float64 { return float64(n) / (1 << 30) }

// copyBandwidth times device-to-device copies of 1 GiB (bytes read plus
// bytes written per second).
func copyBandwidth(t *testing.T, be *cuda.Backend, mib int) float64 {
	n := mib << 18 // floats
	a, err := be.Alloc(kernels.F32, kernels.Shape{n / 1024, 1024})
	if err != nil {
		t.Fatal(err)
	}
	b, err := be.Alloc(kernels.F32, kernels.Shape{n / 1024, 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(a)
	defer be.Free(b)
	be.Copy(b, a)
	be.Sync()
	const reps = 10
	t0 := time.Now()
	for range reps {
		if err := be.Copy(b, a); err != nil {
			t.Fatal(err)
		}
	}
	be.Sync()
	return float64(2*4*n*reps) / time.Since(t0).Seconds()
}

// tensorCorePeak times an n² × n matmul with F16 weights (split-f16:
// two f16 mma per product) and with Q8_0 weights (int8 mma).
func tensorCorePeak(t *testing.T, be *cuda.Backend, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	x, _ := be.Upload("x", kernels.F32, kernels.Shape{n, n}, kerneltest.Encode(kernels.F32, kerneltest.Random(r, n*n, 1)))
	d, _ := be.Alloc(kernels.F32, kernels.Shape{n, n})
	for _, dt := range []kernels.DType{kernels.F16, kernels.Q8_0, kernels.BF16} {
		w, err := be.Upload("w", dt, kernels.Shape{n, n}, randomWeights(dt, n*n))
		if err != nil {
			t.Fatal(err)
		}
		be.MatMul(d, x, w, nil)
		be.Sync()
		const reps = 5
		t0 := time.Now()
		for range reps {
			if err := be.MatMul(d, x, w, nil); err != nil {
				t.Fatal(err)
			}
		}
		be.Sync()
		s := time.Since(t0).Seconds() / reps
		t.Logf("matmul %d³ %s weights: %.2f ms, %.1f TFLOP/s counted as 2·n³ (F16: 2 f16 mma per product; BF16: CUDA cores)",
			n, dt, s*1e3, 2*math.Pow(float64(n), 3)/s/1e12)
		be.Free(w)
	}
	be.Free(x)
	be.Free(d)
}

// randomWeights returns n random weights in dt's layout, written as bits
// (no float pass, so 8192² of them take well under a second): F16/BF16
// magnitudes in [2^-6, 2^-1), Q8_0 with scales of 1/64/127.
func randomWeights(dt kernels.DType, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), uint64(dt)))
	switch dt {
	case kernels.F16, kernels.BF16:
		out := make([]byte, 2*n)
		for i := range n {
			u := uint16(r.Uint32())
			var h uint16
			if dt == kernels.F16 { // exponent 9..13 of bias 15
				h = u&0x83ff | uint16(9+u%5)<<10
			} else { // exponent 121..125 of bias 127
				h = u&0x807f | uint16(121+u%5)<<7
			}
			binary.LittleEndian.PutUint16(out[2*i:], h)
		}
		return out
	case kernels.Q8_0:
		out := make([]byte, n/32*34)
		for i := 0; i+8 <= len(out); i += 8 {
			binary.LittleEndian.PutUint64(out[i:], r.Uint64())
		}
		for b := 0; b < n/32; b++ {
			binary.LittleEndian.PutUint16(out[b*34:], kerneltest.F32ToF16(1.0/64/127))
		}
		return out
	}
	return kerneltest.Encode(dt, kerneltest.Random(r, n, 0.05))
}
