package scoring

import "testing"

func TestJudgeClosed_TrickyOutputs(t *testing.T) {
	cases := []struct {
		response, answer string
		strict, compat   bool
	}{
		{"Left", "left", true, true},
		{"left.", "left", true, true},
		{"The left.", "left", true, false},
		{" left", "left", true, false}, // MedEvalKit does not trim
		{"The answer is: right upper lobe", "Right upper lobe", true, false},
		{`\boxed{2}`, "2", true, true},
		{"<answer>Left</answer>", "left", true, true},
		{"left and right", "left", false, false},
		{"It is on the left side of the chest.", "left", false, false},
		{"", "left", false, false},
		{"Ｌｅｆｔ", "left", true, false}, // full-width letters
		{"left", "", false, false},
	}
	for _, c := range cases {
		if got := JudgeClosed(c.response, c.answer, Strict); got != c.strict {
			t.Errorf("strict(%q, %q) = %v, want %v", c.response, c.answer, got, c.strict)
		}
		if got := JudgeClosed(c.response, c.answer, MedEvalKitCompat); got != c.compat {
			t.Errorf("compat(%q, %q) = %v, want %v", c.response, c.answer, got, c.compat)
		}
	}
}

// TestDegenerateOutputs holds outputs the tiny golden model really wrote
// on phantom questions (eval/e2e): MedEvalKit's substring rule credits
// "olynomial…" as "no"; the strict rule reads nothing from any of them.
func TestDegenerateOutputs(t *testing.T) {
	cases := []struct {
		response, answer string
		compat           bool
	}{
		{"olynomialolynomialolynomialolynomia", "no", true},
		{"_invoke_invoke_invoke_invoke", "yes", false},
		{")*)*)*)*)*)* lasers lasers lasers 0d", "no", false},
		{"untranslated untranslated untranslated", "no", false},
	}
	for _, c := range cases {
		if JudgeYesNo(c.response, c.answer, Strict) {
			t.Errorf("strict credited %q as %q", c.response, c.answer)
		}
		if got := JudgeYesNo(c.response, c.answer, MedEvalKitCompat); got != c.compat {
			t.Errorf("compat(%q, %q) = %v, want %v", c.response, c.answer, got, c.compat)
		}
		if i, ok := ExtractChoice(c.response, []string{"A. yes", "B. no"}).Single(); ok {
			t.Errorf("choice %d read from %q", i, c.response)
		}
	}
}
