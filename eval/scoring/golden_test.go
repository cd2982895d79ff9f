package scoring

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// medevalkitGolden mirrors testdata/medevalkit_golden.json, produced by
// running MedEvalKit's own functions (testdata/gen_medevalkit_golden.py).
type medevalkitGolden struct {
	Options     []string `json:"options"`
	MultiChoice []struct {
		Response, Answer string
		Correct          bool
	} `json:"multi_choice"`
	YesNo []struct {
		Response, Answer string
		Correct          bool
	} `json:"yes_no"`
	ParseResponse map[string]string `json:"parse_response"`
	Ratio         []struct {
		A, B  string
		Ratio float64
	} `json:"ratio"`
}

func TestMedEvalKitGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "medevalkit_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g medevalkitGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.MultiChoice) == 0 || len(g.YesNo) == 0 || len(g.Ratio) == 0 {
		t.Fatal("golden file is empty")
	}
	agreeStrict := 0
	for _, c := range g.MultiChoice {
		if got := JudgeMultiChoice(c.Response, g.Options, c.Answer, MedEvalKitCompat); got != c.Correct {
			t.Errorf("compat multi-choice %q answer %q = %v, MedEvalKit %v", c.Response, c.Answer, got, c.Correct)
		}
		if JudgeMultiChoice(c.Response, g.Options, c.Answer, Strict) == c.Correct {
			agreeStrict++
		}
	}
	for _, c := range g.YesNo {
		if got := JudgeYesNo(c.Response, c.Answer, MedEvalKitCompat); got != c.Correct {
			t.Errorf("compat yes/no %q answer %q = %v, MedEvalKit %v", c.Response, c.Answer, got, c.Correct)
		}
	}
	for in, want := range g.ParseResponse {
		if got := ParseResponse(in); got != want {
			t.Errorf("ParseResponse(%q) = %q, MedEvalKit %q", in, got, want)
		}
	}
	for _, r := range g.Ratio {
		if got := similarity(r.A, r.B); math.Abs(got-r.Ratio) > 1e-15 {
			t.Errorf("similarity(%q, %q) = %v, difflib %v", r.A, r.B, got, r.Ratio)
		}
	}
	t.Logf("compat: %d multi-choice, %d yes/no, %d parse, %d ratio cases; strict agrees with MedEvalKit on %d/%d multi-choice",
		len(g.MultiChoice), len(g.YesNo), len(g.ParseResponse), len(g.Ratio), agreeStrict, len(g.MultiChoice))
}
