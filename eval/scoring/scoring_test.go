package scoring

import (
	"slices"
	"testing"
)

var opts = []string{"A. Pneumonia", "B. Pneumothorax", "C. Pleural effusion", "D. Tension pneumothorax", "E. None of the above"}

func TestExtractChoice(t *testing.T) {
	tests := []struct {
		name, response string
		want           []int
	}{
		{"bare letter", "B", []int{1}},
		{"lower case", "b", []int{1}},
		{"lower with dot", "b.", []int{1}},
		{"boxed", `\boxed{B}`, []int{1}},
		{"boxed after reasoning", `Option A is unlikely... so the answer is \boxed{C}`, []int{2}},
		{"answer is (B)", "The answer is (B).", []int{1}},
		{"label and text", "B. Pneumothorax", []int{1}},
		{"paren label", "(D) Tension pneumothorax", []int{3}},
		{"option text", "pneumothorax", []int{1}},
		{"longer option text wins", "Findings suggest a tension pneumothorax.", []int{3}},
		{"two letters", "A and C", []int{0, 2}},
		{"two letters comma", "The answer is A, C", []int{0, 2}},
		{"chinese", "答案是B", []int{1}},
		{"chinese full-width", "答案：Ｃ", []int{2}},
		{"answer tag", "<think>maybe A</think><answer>D</answer>", []int{3}},
		{"markdown", "**Answer:** B", []int{1}},
		{"none of the above as option", "None of the above.", []int{4}},
		{"no answer", "I cannot determine this from the image.", nil},
		{"empty", "", nil},
		{"article a", "A small pleural effusion is seen.", []int{2}},
		{"pronoun I", "I think the answer is B", []int{1}},
		{"letter out of range", "F", nil},
		{"final answer after reasoning", "Let's consider A. Then B. Final answer: C", []int{2}},
		{"answer: text", "Answer: pleural effusion", []int{2}},
		{"lower paren label", "(b) pneumothorax", []int{1}},
		{"two labels", "A. Pneumonia and C. Pleural effusion", []int{0, 2}},
	}
	for _, tt := range tests {
		got := ExtractChoice(tt.response, opts)
		if !slices.Equal(got.Options, tt.want) {
			t.Errorf("%s: ExtractChoice(%q) = %v (span %q via %s), want %v", tt.name, tt.response, got.Options, got.Span, got.Via, tt.want)
		}
	}
}

func TestExtractChoice_NoNoneOption(t *testing.T) {
	four := opts[:4]
	if c := ExtractChoice("None of the above", four); len(c.Options) != 0 || c.Via != ViaNothing {
		t.Errorf("None of the above with 4 options: %+v", c)
	}
}

func TestJudgeMultiChoice(t *testing.T) {
	tests := []struct {
		response, answer string
		strict, compat   bool
	}{
		{"B", "B", true, true},
		{"b", "B", true, true},
		{`\boxed{B}`, "B", true, true},
		{"B. Pneumothorax", "B", true, true},
		{"The answer is (B).", "B", true, true}, // compat: "(b)" falls to difflib, which happens to pick B
		{"pneumothorax", "B", true, true},
		{"A and C", "A", false, true},        // compat: difflib picks A for "a and c"
		{"I cannot tell.", "E", false, true}, // compat: difflib credits "None of the above"
		{"F", "C", false, true},              // compat: invalid letter, difflib picks C
		{"答案：Ｃ", "C", true, false},           // compat: full-width colon and letter give A
		{"", "A", false, true},               // compat: empty → option A
		{"答案是B", "B", true, true},            // compat: no marker; difflib happens to pick B
		{"None of the above.", "E", true, true},
		{"Pneumothorax", "Pneumothorax", true, true}, // answer given as text
		{"C", "B", false, false},
	}
	for _, tt := range tests {
		if got := JudgeMultiChoice(tt.response, opts, tt.answer, Strict); got != tt.strict {
			t.Errorf("strict %q vs %q = %v, want %v", tt.response, tt.answer, got, tt.strict)
		}
		if got := JudgeMultiChoice(tt.response, opts, tt.answer, MedEvalKitCompat); got != tt.compat {
			t.Errorf("compat %q vs %q = %v, want %v", tt.response, tt.answer, got, tt.compat)
		}
	}
}

func TestExtractYesNo(t *testing.T) {
	tests := []struct {
		response string
		want     YesNo
	}{
		{"Yes", Yes},
		{"yes.", Yes},
		{"Yes, there is a nodule in the left lung.", Yes},
		{"No.", No},
		{"No, the heart is normal.", No},
		{"yes and no", Both},
		{"The pneumothorax is not present.", No},
		{"not present", No},
		{"There is no evidence of effusion", No},
		{"Pneumothorax is present.", Yes},
		{"The heart size is normal.", Unknown}, // "normal" is not "no"
		{"The eyes are symmetric.", Unknown},   // "eyes" is not "yes"
		{`\boxed{yes}`, Yes},
		{"<answer>no</answer>", No},
		{"是的", Yes},
		{"否", No},
		{"不是", No},
		{"答案是：否", No},
		{"", Unknown},
		{"I don't know", Unknown},
	}
	for _, tt := range tests {
		if got := ExtractYesNo(tt.response); got != tt.want {
			t.Errorf("ExtractYesNo(%q) = %v, want %v", tt.response, got, tt.want)
		}
	}
}

func TestJudgeYesNo(t *testing.T) {
	tests := []struct {
		response, answer string
		strict, compat   bool
	}{
		{"Yes", "yes", true, true},
		{"No.", "no", true, true},
		{"Yes, the heart is normal.", "yes", true, false}, // compat: "no" in "normal" → both
		{"Yes, a nodule is seen.", "yes", true, false},    // compat: "no" in "nodule"
		{"The heart is normal.", "no", false, true},       // compat: "no" in "normal" → credited no
		{"yes and no", "yes", false, false},
		{"not present", "no", true, true},
		{"Answer: yes", "yes", true, true},
		{"The eyes are normal", "yes", false, false},    // compat: "yes" in "eyes" and "no" in "normal"
		{"The eyes are symmetric.", "yes", false, true}, // compat: "yes" in "eyes"
		{"I don't know", "no", false, true},             // compat: "no" in "know"
		{"", "no", false, false},
	}
	for _, tt := range tests {
		if got := JudgeYesNo(tt.response, tt.answer, Strict); got != tt.strict {
			t.Errorf("strict %q vs %q = %v, want %v", tt.response, tt.answer, got, tt.strict)
		}
		if got := JudgeYesNo(tt.response, tt.answer, MedEvalKitCompat); got != tt.compat {
			t.Errorf("compat %q vs %q = %v, want %v", tt.response, tt.answer, got, tt.compat)
		}
	}
}

func TestExtractBoxed(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`\boxed{B}`, "B", true},
		{`\boxed{A} then \boxed{ \frac{1}{2} }`, `\frac{1}{2}`, true},
		{`\boxed{unclosed`, "", false},
		{"no box", "", false},
	}
	for _, tt := range tests {
		if got, ok := ExtractBoxed(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ExtractBoxed(%q) = %q, %v", tt.in, got, ok)
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The answer is B", " b"},
		{`So \boxed{C}.`, "c"},
		{`mentions boxed but no box`, "None"},
		{"<answer>yes</answer>", "yes"},
		{"**Answer**: A", " a"},
	}
	for _, tt := range tests {
		if got := ParseResponse(tt.in); got != tt.want {
			t.Errorf("ParseResponse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{"B", `\boxed{B}`, "答案是B", "A and C", "yes and no", "(", `\boxed{`, "<answer></answer>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ExtractChoice(s, opts)
		for _, i := range c.Options {
			if i < 0 || i >= len(opts) {
				t.Fatalf("option %d out of range", i)
			}
		}
		_ = ExtractYesNo(s)
		_ = JudgeMultiChoice(s, opts, "B", MedEvalKitCompat)
		_ = JudgeYesNo(s, "yes", MedEvalKitCompat)
		if r := similarity(s, "pneumothorax"); r < 0 || r > 1 {
			t.Fatalf("similarity %v", r)
		}
	})
}
