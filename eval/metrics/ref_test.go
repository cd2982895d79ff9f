package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refGolden mirrors testdata/golden_ref.json (gen_ref_golden.py): the
// `rouge` package's ROUGE-L and cidereval's CIDEr / CIDEr-D.
type refGolden struct {
	RougeVersion string `json:"rouge_version"`
	Rouge        []struct {
		Hypothesis string   `json:"hypothesis"`
		Reference  string   `json:"reference"`
		RougeL     *float64 `json:"rouge_l"`
	} `json:"rouge"`
	CiderHyps []string   `json:"cider_hyps"`
	CiderRefs [][]string `json:"cider_refs"`
	Cider     struct {
		Mean   float64   `json:"mean"`
		Scores []float64 `json:"scores"`
	} `json:"cider"`
	CiderD struct {
		Mean   float64   `json:"mean"`
		Scores []float64 `json:"scores"`
	} `json:"ciderD"`
}

func TestReferenceGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g refGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Rouge) == 0 || len(g.CiderHyps) == 0 {
		t.Fatal("golden file is empty")
	}
	maxRouge := 0.0
	for i, c := range g.Rouge {
		want := 0.0
		if c.RougeL != nil {
			want = *c.RougeL
		}
		got := RougeL(strings.ToLower(c.Hypothesis), strings.ToLower(c.Reference))
		maxRouge = max(maxRouge, math.Abs(got-want))
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("case %d: RougeL(%q, %q) = %.17g, rouge %s %.17g", i, c.Hypothesis, c.Reference, got, g.RougeVersion, want)
		}
	}
	hyps := make([][]string, len(g.CiderHyps))
	refs := make([][][]string, len(g.CiderRefs))
	for i, h := range g.CiderHyps {
		hyps[i] = strings.Fields(h)
		for _, r := range g.CiderRefs[i] {
			refs[i] = append(refs[i], strings.Fields(r))
		}
	}
	maxDelta := map[string]float64{}
	for _, tc := range []struct {
		name   string
		d      bool
		mean   float64
		scores []float64
	}{{"cider", false, g.Cider.Mean, g.Cider.Scores}, {"ciderD", true, g.CiderD.Mean, g.CiderD.Scores}} {
		mean, per, err := CIDErScores(refs, hyps, tc.d)
		if err != nil {
			t.Fatal(err)
		}
		maxDelta[tc.name] = math.Abs(mean - tc.mean)
		for i := range per {
			d := math.Abs(per[i] - tc.scores[i])
			maxDelta[tc.name+"_per_pair"] = max(maxDelta[tc.name+"_per_pair"], d)
			if d > 1e-9 {
				t.Errorf("%s pair %d: %.17g, cidereval %.17g", tc.name, i, per[i], tc.scores[i])
			}
		}
		if math.Abs(mean-tc.mean) > 1e-9 {
			t.Errorf("%s mean %.17g, cidereval %.17g", tc.name, mean, tc.mean)
		}
	}
	t.Logf("rouge %s: %d cases, max |Δ| %.3g; cidereval (%d pairs) max |Δ|: %v", g.RougeVersion, len(g.Rouge), maxRouge, len(hyps), maxDelta)
}
