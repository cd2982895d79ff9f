package metrics

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// nltkGolden mirrors testdata/golden_nltk.json (see gen_nltk_golden.py).
type nltkGolden struct {
	NLTKVersion string `json:"nltk_version"`
	Cases       []struct {
		Hypothesis string   `json:"hypothesis"`
		Reference  string   `json:"reference"`
		HypTokens  []string `json:"hyp_tokens"`
		RefTokens  []string `json:"ref_tokens"`
		BLEU1      float64  `json:"bleu1"`
		BLEU2      float64  `json:"bleu2"`
		BLEU3      float64  `json:"bleu3"`
		BLEU4      float64  `json:"bleu4"`
		Meteor     float64  `json:"meteor_exact_stem"`
	} `json:"cases"`
	Corpus map[string]float64 `json:"corpus"`
	Porter map[string]string  `json:"porter"`
}

func loadGolden(t *testing.T, path string) nltkGolden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden: %v", err)
	}
	var g nltkGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("parse golden %s: %v", path, err)
	}
	if len(g.Cases) == 0 || len(g.Porter) == 0 {
		t.Fatalf("golden %s is empty", path)
	}
	return g
}

// tolerance for float agreement with NLTK: the arithmetic is the same up to
// summation order (NLTK uses math.fsum).
const nltkTol = 1e-12

// compareWithNLTK checks every metric against g and logs max |Δ| per metric.
func compareWithNLTK(t *testing.T, g nltkGolden) {
	t.Helper()
	maxDelta := map[string]float64{}
	check := func(name string, i int, got, want float64) {
		d := math.Abs(got - want)
		maxDelta[name] = max(maxDelta[name], d)
		if d > nltkTol*max(1, math.Abs(want)) {
			t.Errorf("case %d %s: got %.17g, nltk %.17g", i, name, got, want)
		}
	}
	var hyps [][]string
	var refs [][][]string
	for i, c := range g.Cases {
		hyp, ref := Tokenize(c.Hypothesis), Tokenize(c.Reference)
		if !slices.Equal(hyp, c.HypTokens) || !slices.Equal(ref, c.RefTokens) {
			t.Errorf("case %d tokens: got %q / %q, want %q / %q", i, hyp, ref, c.HypTokens, c.RefTokens)
		}
		hyps, refs = append(hyps, hyp), append(refs, [][]string{ref})
		for n, want := range []float64{c.BLEU1, c.BLEU2, c.BLEU3, c.BLEU4} {
			got, err := SentenceBLEU([][]string{ref}, hyp, UniformWeights(n+1))
			if err != nil {
				t.Fatal(err)
			}
			check("sentence_bleu"+string(rune('1'+n)), i, got, want)
		}
		check("meteor_exact_stem", i, Meteor(ref, hyp), c.Meteor)
	}
	for n := 1; n <= 4; n++ {
		got, err := CorpusBLEU(refs, hyps, UniformWeights(n))
		if err != nil {
			t.Fatal(err)
		}
		check("corpus_bleu"+string(rune('0'+n)), -1, got, g.Corpus["bleu"+string(rune('0'+n))])
	}
	bad := 0
	for w, want := range g.Porter {
		if got := PorterStem(w); got != want {
			bad++
			if bad <= 20 {
				t.Errorf("PorterStem(%q) = %q, nltk %q", w, got, want)
			}
		}
	}
	t.Logf("nltk %s: %d cases, %d porter words (%d differ); max |Δ|: %v",
		g.NLTKVersion, len(g.Cases), len(g.Porter), bad, maxDelta)
}

func TestNLTKGolden(t *testing.T) {
	compareWithNLTK(t, loadGolden(t, filepath.Join("testdata", "golden_nltk.json")))
}

// TestNLTKLive regenerates the reference values with Debian's python3-nltk
// when it is installed and compares against them, so that a stale golden
// file cannot hide a difference.
func TestNLTKLive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips running python3-nltk")
	}
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import nltk").Run(); err != nil {
		t.Skip("python3-nltk not installed (apt-get install python3-nltk)")
	}
	out := filepath.Join(t.TempDir(), "golden.json")
	cmd := exec.Command(py, filepath.Join("testdata", "gen_nltk_golden.py"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_nltk_golden.py: %v\n%s", err, b)
	}
	compareWithNLTK(t, loadGolden(t, out))
}
