package qwen2_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/tokenizer"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// goldenExpected is the part of qwen2-tiny/expected.json the test reads.
type goldenExpected struct {
	FixedIDs []int `json:"fixed_ids"`
	Prompts  []struct {
		Name            string       `json:"name"`
		Text            string       `json:"text"`
		IDs             []int        `json:"ids"`
		LastTop20       [][2]float64 `json:"last_top20"`
		LastFixedLogits []float64    `json:"last_fixed_logits"`
		Positions       []struct {
			Pos         int       `json:"pos"`
			Argmax      int       `json:"argmax"`
			MaxLogit    float64   `json:"max_logit"`
			FixedLogits []float64 `json:"fixed_logits"`
		} `json:"positions"`
		Greedy struct {
			IDs   []int `json:"ids"`
			Steps []struct {
				Top5          [][2]float64 `json:"top5"`
				Top1MinusTop2 float64      `json:"top1_minus_top2"`
			} `json:"steps"`
		} `json:"greedy"`
		OtherGGUFTypes map[string]struct {
			LastTop20 [][2]float64 `json:"last_top20"`
			GreedyIDs []int        `json:"greedy_ids"`
		} `json:"other_gguf_types"`
	} `json:"prompts"`
}

// goldenDir is the golden root holding qwen2-tiny, or the test is skipped.
func goldenDir(t *testing.T) string {
	return filepath.Dir(golden.Dir(t, "qwen2-tiny", "expected.json"))
}

func loadExpected(t *testing.T, dir string) *goldenExpected {
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e goldenExpected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// maxDiff tracks the largest |Δ| seen and fails past the tolerance.
type maxDiff struct {
	t   *testing.T
	tol float64
	max float64
}

func (m *maxDiff) check(what string, got float32, want float64) {
	m.t.Helper()
	d := math.Abs(float64(got) - want)
	if !(d <= m.tol) {
		m.t.Errorf("%s: got %.6f, want %.6f (|Δ| %.3g > %g)", what, got, want, d, m.tol)
	}
	m.max = max(m.max, d)
}

func TestGolden_Tokenizer(t *testing.T) {
	dir := filepath.Join(goldenDir(t), "qwen2-tiny")
	exp := loadExpected(t, dir)
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range exp.Prompts {
		if got := tok.Encode(p.Text, true); !slices.Equal(got, p.IDs) {
			t.Errorf("%s: prompt ids %v, want %v", p.Name, got, p.IDs)
		}
	}
}

func TestGolden_Logits(t *testing.T) {
	dir := filepath.Join(goldenDir(t), "qwen2-tiny")
	exp := loadExpected(t, dir)
	sources := []struct {
		name, path, other string
		chunks            []int // 0: the whole prompt in one pass, as the oracle ran it
	}{
		{"safetensors-bf16", dir, "", []int{0, 7}},
		{"gguf-f16", filepath.Join(dir, "model-f16.gguf"), "F16", []int{0}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			ck, err := weights.Open(src.path)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			be := cpu.New(0)
			defer be.Close()
			m, err := qwen2.Load(ck, be)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: embedding %s, layer 0 q_proj %s", src.name, m.Embed.Weight.DType(), m.Layers[0].Attn.Q.Weight.DType())
			for _, chunk := range src.chunks {
				d := &maxDiff{t: t, tol: 1e-3}
				for pi := range exp.Prompts {
					checkPrompt(t, m, exp, pi, chunk, src.other, d)
				}
				t.Logf("%s chunk=%d: max |Δ| over every stored logit = %.3g", src.name, chunk, d.max)
			}
		})
	}
}

// checkPrompt compares every stored logit of prompt pi, then the greedy run.
func checkPrompt(t *testing.T, m *qwen2.Model, exp *goldenExpected, pi, chunk int, other string, d *maxDiff) {
	p := exp.Prompts[pi]
	s, err := m.Open(model.SessionOptions{MaxSeq: len(p.IDs) + 20, Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	V := m.VocabSize()
	logits, err := s.Forward(context.Background(), p.IDs, true)
	if err != nil {
		t.Fatal(err)
	}
	T := len(p.IDs)
	last := logits[(T-1)*V : T*V]
	for _, e := range p.LastTop20 {
		d.check(p.Name+" last_top20", last[int(e[0])], e[1])
	}
	if other != "" {
		for _, e := range p.OtherGGUFTypes[other].LastTop20 {
			d.check(p.Name+" "+other+" last_top20", last[int(e[0])], e[1])
		}
	}
	for i, id := range exp.FixedIDs {
		d.check(p.Name+" last_fixed_logits", last[id], p.LastFixedLogits[i])
	}
	for _, pos := range p.Positions {
		row := logits[pos.Pos*V : (pos.Pos+1)*V]
		for i, id := range exp.FixedIDs {
			d.check(p.Name+" positions fixed_logits", row[id], pos.FixedLogits[i])
		}
		am := model.Argmax(row)
		d.check(p.Name+" positions max_logit", row[am], pos.MaxLogit)
		if am != pos.Argmax && math.Abs(float64(row[pos.Argmax])-pos.MaxLogit) > 2e-3 {
			t.Errorf("%s pos %d: argmax %d, want %d", p.Name, pos.Pos, am, pos.Argmax)
		}
	}
	checkGreedy(t, s, p.Greedy.IDs, p.Greedy.Steps, last, p.Name, d)
}

// checkGreedy decodes 16 tokens one at a time through the cache and
// compares ids and each step's top-5 logits.
func checkGreedy(t *testing.T, s *qwen2.Session, want []int, steps []struct {
	Top5          [][2]float64 `json:"top5"`
	Top1MinusTop2 float64      `json:"top1_minus_top2"`
}, logits []float32, name string, d *maxDiff) {
	for j, w := range want {
		for _, e := range steps[j].Top5 {
			d.check(name+" greedy top5", logits[int(e[0])], e[1])
		}
		id := model.Argmax(logits)
		if id != w {
			if steps[j].Top1MinusTop2 < 2e-3 {
				t.Logf("%s step %d: near tie (margin %.3g) flipped %d → %d; logits checked", name, j, steps[j].Top1MinusTop2, w, id)
				return
			}
			t.Fatalf("%s greedy step %d: id %d, want %d", name, j, id, w)
		}
		var err error
		if logits, err = s.Forward(context.Background(), []int{id}, false); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden_Q8_0Informational loads llama.cpp's Q8_0 file (dequantized on
// the fly here, while llama.cpp also quantizes activations) and logs how
// far its last-position logits are from llama.cpp's Q8_0 results. The
// README marks these as information, not a pass/fail bar.
func TestGolden_Q8_0Informational(t *testing.T) {
	dir := filepath.Join(goldenDir(t), "qwen2-tiny")
	exp := loadExpected(t, dir)
	ck, err := weights.Open(filepath.Join(dir, "model-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	be := cpu.New(0)
	defer be.Close()
	m, err := qwen2.Load(ck, be)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range exp.Prompts {
		s, err := m.Open(model.SessionOptions{MaxSeq: len(p.IDs)})
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.Forward(context.Background(), p.IDs, false)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for _, e := range p.OtherGGUFTypes["Q8_0"].LastTop20 {
			worst = max(worst, math.Abs(float64(last[int(e[0])])-e[1]))
		}
		t.Logf("%s: Q8_0 last_top20 max |Δ| vs llama.cpp Q8_0 = %.3g (argmax %d, llama.cpp %d)",
			p.Name, worst, model.Argmax(last), int(p.OtherGGUFTypes["Q8_0"].LastTop20[0][0]))
	}
}
