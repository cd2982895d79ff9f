package cuda_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// goldenPrompt is the part of qwen2-tiny/expected.json read here.
type goldenPrompt struct {
	Name            string       `json:"name"`
	IDs             []int        `json:"ids"`
	LastTop20       [][2]float64 `json:"last_top20"`
	LastFixedLogits []float64    `json:"last_fixed_logits"`
	OtherGGUFTypes  map[string]struct {
		LastTop20 [][2]float64 `json:"last_top20"`
	} `json:"other_gguf_types"`
	Greedy struct {
		IDs   []int `json:"ids"`
		Steps []struct {
			Top1MinusTop2 float64 `json:"top1_minus_top2"`
		} `json:"steps"`
	} `json:"greedy"`
}

// TestGPU_GoldenQwen2 runs the tiny Qwen2 decoder of the golden data on
// the GPU and checks its logits against llama.cpp's f32 results (|Δ| ≤
// 1e-3, as the CPU test does) and its greedy ids, for the BF16
// safetensors and (when present) the F16 GGUF. The Q8_0 GGUF is compared
// with the CPU backend on the same file, for information: the GPU also
// quantizes activations to int8.
func TestGPU_GoldenQwen2(t *testing.T) {
	dir := golden.Dir(t, "qwen2-tiny", "expected.json")
	runGolden(t, dir, openGPU(t))
}

// TestGoldenHarness_CPU runs the same checks with the CPU backend, so the
// harness itself is known to pass with a correct backend.
func TestGoldenHarness_CPU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := golden.Dir(t, "qwen2-tiny", "expected.json")
	be := cpu.New(0)
	defer be.Close()
	runGolden(t, dir, be)
}

func runGolden(t *testing.T, dir string, be kernels.Backend) {
	var exp struct {
		FixedIDs []int          `json:"fixed_ids"`
		Prompts  []goldenPrompt `json:"prompts"`
	}
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), &exp)
	for _, src := range []struct{ name, path string }{
		{"safetensors-bf16", dir}, {"gguf-f16", filepath.Join(dir, "model-f16.gguf")},
	} {
		t.Run(src.name, func(t *testing.T) {
			if _, err := os.Stat(src.path); err != nil {
				t.Skip(err)
			}
			m := loadQwen2(t, src.path, be)
			var worst float64
			for _, p := range exp.Prompts {
				s, err := m.Open(model.SessionOptions{MaxSeq: len(p.IDs) + 20, Chunk: 0})
				if err != nil {
					t.Fatal(err)
				}
				logits, err := s.Forward(context.Background(), p.IDs, false)
				if err != nil {
					t.Fatal(err)
				}
				check := func(what string, id int, want float64) {
					d := math.Abs(float64(logits[id]) - want)
					worst = max(worst, d)
					if !(d <= 1e-3) {
						t.Errorf("%s %s id %d: %.6f, want %.6f", p.Name, what, id, logits[id], want)
					}
				}
				for _, e := range p.LastTop20 {
					check("last_top20", int(e[0]), e[1])
				}
				for i, id := range exp.FixedIDs {
					check("last_fixed_logits", id, p.LastFixedLogits[i])
				}
				for j, want := range p.Greedy.IDs {
					id := model.Argmax(logits)
					if id != want {
						if p.Greedy.Steps[j].Top1MinusTop2 < 2e-3 {
							break
						}
						t.Errorf("%s greedy step %d: %d, want %d", p.Name, j, id, want)
						break
					}
					if logits, err = s.Forward(context.Background(), []int{id}, false); err != nil {
						t.Fatal(err)
					}
				}
				s.Close()
			}
			t.Logf("%s on %s: max |Δ| vs llama.cpp f32 = %.3g", src.name, be.Name(), worst)
		})
	}
	t.Run("gguf-q8_0-vs-cpu", func(t *testing.T) {
		path := filepath.Join(dir, "model-q8_0.gguf")
		if _, err := os.Stat(path); err != nil {
			t.Skip(err)
		}
		ref := cpu.New(0)
		defer ref.Close()
		mg, mc := loadQwen2(t, path, be), loadQwen2(t, path, ref)
		var worst float64
		for _, p := range exp.Prompts {
			lg, lc := lastLogits(t, mg, p.IDs), lastLogits(t, mc, p.IDs)
			for i := range lc {
				worst = max(worst, math.Abs(float64(lg[i]-lc[i])))
			}
			if math.IsNaN(worst) {
				t.Fatalf("%s: NaN logits", p.Name)
			}
		}
		t.Logf("Q8_0 GGUF: max |Δ| %s (cuda: int8 activations) vs cpu (f32 activations) = %.3g", be.Name(), worst)
	})
}

func loadQwen2(t *testing.T, path string, be kernels.Backend) *qwen2.Model {
	t.Helper()
	ck, err := weights.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	m, err := qwen2.Load(ck, be)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lastLogits(t *testing.T, m *qwen2.Model, ids []int) []float32 {
	t.Helper()
	s, err := m.Open(model.SessionOptions{MaxSeq: len(ids) + 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Forward(context.Background(), ids, false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
