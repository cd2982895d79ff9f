package cuda_test

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

// emulator opens the backend on the kernel emulator (emu/: the kernels of
// src/ compiled for the host behind a stand-in libcuda). It is opt-in, as
// the suite takes minutes on two cores: $LINGSHU_CUDA_EMU names a built
// library, or "build" builds one with clang-14 (emucheck.sh does that).
func emulator(t *testing.T) *cuda.Backend {
	t.Helper()
	lib := os.Getenv("LINGSHU_CUDA_EMU")
	if lib == "" {
		t.Skip("set LINGSHU_CUDA_EMU=build (or a built libcudaemu.so) to run the kernels on the CPU emulator")
	}
	if lib == "build" {
		clang, err := exec.LookPath("clang-14")
		if err != nil {
			t.Skip("clang-14 not installed: cannot build the kernel emulator")
		}
		lib = filepath.Join(t.TempDir(), "libcudaemu.so")
		cmd := exec.Command(clang, "-x", "c++", "-std=c++17", "-O1", "-fPIC", "-shared",
			"-DLINGSHU_EMU", "-Wno-unused-function", "emu/emu.cpp", "-o", lib, "-lstdc++")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build emulator: %v\n%s", err, out)
		}
	}
	be, err := cuda.Open(cuda.Options{LibraryPath: lib})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

// TestEmulated_Conformance runs the conformance suite through the real Go
// backend, purego and the CUDA C kernels, with the kernels executed on the
// CPU by the emulator: it checks launch arguments, indexing, tiling,
// reductions and numerics of every kernel without a GPU (not the PTX
// compiler or the hardware's mma layouts).
func TestEmulated_Conformance(t *testing.T) {
	be := emulator(t)
	ref := cpu.NewReference()
	defer ref.Close()
	kerneltest.Run(t, be, ref)
}

// TestEmulated_Tiles covers several 64×64 tiles in both grid dimensions
// of the tensor-core kernels, partial tiles, and decode at T = 8.
func TestEmulated_Tiles(t *testing.T) {
	be := emulator(t)
	ref := cpu.NewReference()
	defer ref.Close()
	r := rand.New(rand.NewPCG(9, 9))
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.F16, kernels.BF16} {
		for _, s := range [][3]int{{130, 64, 150}, {8, 96, 70}} {
			T, in, out := s[0], s[1], s[2]
			xv, wv := kerneltest.Random(r, T*in, 2), kerneltest.Random(r, out*in, 0.5)
			var got, want []float32
			for _, b := range []kernels.Backend{be, ref} {
				x, _ := b.Upload("x", kernels.F32, kernels.Shape{T, in}, kerneltest.Encode(kernels.F32, xv))
				w, _ := b.Upload("w", dt, kernels.Shape{out, in}, kerneltest.Encode(dt, wv))
				d, _ := b.Alloc(kernels.F32, kernels.Shape{T, out})
				if err := b.MatMul(d, x, w, nil); err != nil {
					t.Fatal(err)
				}
				v := make([]float32, T*out)
				if err := b.Download(d, v); err != nil {
					t.Fatal(err)
				}
				got, want = want, v
			}
			if e := kerneltest.NMSE(got, want); !(e <= kerneltest.Thresholds(dt)) {
				t.Errorf("%s %v: NMSE %.3g", dt, s, e)
			} else {
				t.Logf("%s %v: NMSE %.3g", dt, s, e)
			}
		}
	}
}

// TestEmulated_SpecialValues: ±inf, NaN and overflow through the kernels.
func TestEmulated_SpecialValues(t *testing.T) { checkSpecialValues(t, emulator(t)) }

// TestEmulated_GoldenQwen2Prefill runs the golden tiny Qwen2 (BF16) through
// the emulated kernels: one prompt pass per prompt (no greedy decode: the
// 151936-row LM head is slow to emulate), last-position logits within 1e-3
// of llama.cpp's.
func TestEmulated_GoldenQwen2Prefill(t *testing.T) {
	dir := golden.Dir(t, "qwen2-tiny", "expected.json")
	be := emulator(t)
	var exp struct {
		FixedIDs []int          `json:"fixed_ids"`
		Prompts  []goldenPrompt `json:"prompts"`
	}
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), &exp)
	m := loadQwen2(t, dir, be)
	var worst float64
	for _, p := range exp.Prompts[:min(2, len(exp.Prompts))] {
		l := lastLogits(t, m, p.IDs)
		for _, e := range p.LastTop20 {
			d := math.Abs(float64(l[int(e[0])]) - e[1])
			worst = max(worst, d)
			if !(d <= 1e-3) {
				t.Errorf("%s: logit %d = %.6f, want %.6f", p.Name, int(e[0]), l[int(e[0])], e[1])
			}
		}
	}
	t.Logf("emulated cuda: max |Δ| vs llama.cpp f32 over last_top20 = %.3g", worst)

	// The Q8_0 GGUF (int8 activations, quantized once per q/k/v and
	// gate/up) against the CPU on the same file, first prompt.
	ref := cpu.New(0)
	defer ref.Close()
	q8 := filepath.Join(dir, "model-q8_0.gguf")
	ids := exp.Prompts[0].IDs
	lg, lc := lastLogits(t, loadQwen2(t, q8, be), ids), lastLogits(t, loadQwen2(t, q8, ref), ids)
	var d, top float64
	for i := range lc {
		d = max(d, math.Abs(float64(lg[i]-lc[i])))
		top = max(top, math.Abs(float64(lc[i])))
	}
	if math.IsNaN(d) || !(d < 0.1*top) {
		t.Errorf("Q8_0: max |Δ| %.3g vs CPU (largest logit %.3g)", d, top)
	}
	var dl float64 // vs llama.cpp, which also quantizes activations per 32-value block
	for _, e := range exp.Prompts[0].OtherGGUFTypes["Q8_0"].LastTop20 {
		dl = max(dl, math.Abs(float64(lg[int(e[0])])-e[1]))
	}
	t.Logf("Q8_0 GGUF, %s: max |Δ| emulated cuda (int8 activations) vs cpu (f32 activations) = %.3g over all logits "+
		"(largest |logit| %.3g); vs llama.cpp Q8_0 over last_top20 = %.3g", exp.Prompts[0].Name, d, top, dl)
}
