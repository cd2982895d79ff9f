package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"The lungs are clear.", []string{"the", "lungs", "are", "clear", "."}},
		{"a  b", []string{"a", "b"}},
		{"2.5 cm", []string{"2", ".5", "cm"}}, // "." always gets a space, as MedEvalKit
		{"clear.\nNo effusion", []string{"clear", ".\nno", "effusion"}},
		{"Heart: normal, size", []string{"heart:", "normal,", "size"}},
	}
	for _, tt := range tests {
		if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizePTB(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"The lungs are clear.", []string{"the", "lungs", "are", "clear"}},
		{"2.5 cm mass (right), stable!", []string{"2.5", "cm", "mass", "right", "stable"}},
		{"the heart's size - normal", []string{"the", "heart", "'s", "size", "normal"}},
		{"left-sided effusion...", []string{"left-sided", "effusion"}},
		{" . , ", nil},
	}
	for _, tt := range tests {
		if got := TokenizePTB(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("TokenizePTB(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSentenceBLEU_HandComputed(t *testing.T) {
	ref := [][]string{strings.Fields("the cat sat on the mat")}
	tests := []struct {
		hyp  string
		n    int
		want float64
	}{
		// p1 = 3/3, c = 3 < r = 6: BP = exp(1 - 6/3) = e^-1.
		{"the cat sat", 1, math.Exp(-1)},
		// p1 = p2 = 1: BLEU-2 = e^-1 too.
		{"the cat sat", 2, math.Exp(-1)},
		// no 4-gram: p4 = 2^-1022 (NLTK method0): e^-1 · exp(¼ log 2^-1022).
		{"the cat sat", 4, math.Exp(-1 + 0.25*math.Log(0x1p-1022))},
		// "the the the the": clipped p1 = 2/4; c = 4 < 6: BP = exp(1 - 1.5).
		{"the the the the", 1, 0.5 * math.Exp(-0.5)},
		{"dog", 1, 0},
		{"", 1, 0},
	}
	for _, tt := range tests {
		got, err := SentenceBLEU(ref, strings.Fields(tt.hyp), UniformWeights(tt.n))
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, tt.want, 1e-15*max(1, tt.want)) {
			t.Errorf("BLEU-%d(%q) = %.17g, want %.17g", tt.n, tt.hyp, got, tt.want)
		}
	}
	if _, err := SentenceBLEU(ref, []string{"a"}, nil); err == nil {
		t.Error("no weights: want error")
	}
	if _, err := CorpusBLEU(nil, [][]string{{"a"}}, UniformWeights(1)); err == nil {
		t.Error("length mismatch: want error")
	}
}

func TestRougeL_HandComputed(t *testing.T) {
	tests := []struct {
		name, hyp, ref string
		want           float64
	}{
		// R = 3/5 distinct ref words, P = 3/3: 2·0.6/(1.6+1e-8).
		{"prefix", "the cat sat", "the cat sat on the mat", 1.2 / (1.6 + 1e-8)},
		{"identical", "a b c", "a b c", 2 / (2 + 1e-8)},
		// union over sentences of word *sets*: {a,c} ∪ {b,d} covers all 4.
		{"sentence union", "a b. c d.", "a c. b d.", 2 / (2 + 1e-8)},
		// trailing " " after "." is an empty sentence and an empty word:
		// n = |{a,b,""}| = 3, P = 2/3, R = 1.
		{"empty sentence", "a b. ", "a b", 2 * (2.0 / 3) / (5.0/3 + 1e-8)},
		// P = 1/1, R = 1/2.
		{"repeats", "the the the", "the cat", 2 * 0.5 / (1.5 + 1e-8)},
		{"no overlap", "x y", "a b", 0},
		{"empty hyp", "", "a b", 0},
		{"only dots", "...", "a b", 0},
	}
	for _, tt := range tests {
		if got := RougeL(tt.hyp, tt.ref); !near(got, tt.want, 1e-15) {
			t.Errorf("%s: RougeL(%q, %q) = %.17g, want %.17g", tt.name, tt.hyp, tt.ref, got, tt.want)
		}
	}
}

func TestRougeLLin_HandComputed(t *testing.T) {
	refs := [][]string{strings.Fields("the cat sat on the mat")}
	// LCS 3, P = 1, R = 1/2: (1+1.44)·0.5/(0.5+1.44).
	if got, want := RougeLLin(refs, strings.Fields("the cat sat"), 1.2), 1.22/1.94; !near(got, want, 1e-15) {
		t.Errorf("RougeLLin = %.17g, want %.17g", got, want)
	}
	// best P and best R come from different references.
	refs2 := [][]string{{"a", "b"}, {"a", "b", "c", "d", "e", "f"}}
	// ref1: LCS 2, P = 2/3, R = 1; ref2: LCS 3, P = 1, R = 1/2 → P = 1, R = 1.
	if got := RougeLLin(refs2, []string{"a", "b", "c"}, 1); !near(got, 1, 1e-15) {
		t.Errorf("RougeLLin best P/R = %v, want 1", got)
	}
}

func TestMeteor_HandComputed(t *testing.T) {
	// See Meteor's doc comment: NLTK's from-the-end matching gives 2 chunks.
	want := (1 - 0.5*math.Pow(2.0/3, 3)) * (0.5 / 0.95)
	if got := Meteor(strings.Fields("the cat sat on the mat"), strings.Fields("the cat sat")); !near(got, want, 1e-15) {
		t.Errorf("Meteor = %.17g, want %.17g", got, want)
	}
	// stem stage: "nodules"/"nodule" → "nodul"; P = R = 1, 1 chunk of 2.
	if got, want := Meteor([]string{"small", "nodule"}, []string{"small", "nodules"}), 1-0.5/8; !near(got, want, 1e-15) {
		t.Errorf("Meteor stem = %v, want %v", got, want)
	}
	if got := MeteorMulti([][]string{{"x"}, {"small", "nodule"}}, []string{"small", "nodule"}); !near(got, 1-0.5/8, 1e-15) {
		t.Errorf("MeteorMulti = %v", got)
	}
}

func TestPorterStem_Table(t *testing.T) {
	for in, want := range map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "tie", "cats": "cat",
		"agreed": "agre", "plastered": "plaster", "motoring": "motor", "hopping": "hop",
		"filing": "file", "happy": "happi", "relational": "relat", "generalization": "gener",
		"effusions": "effus", "opacities": "opac", "skies": "sky", "dying": "die", "is": "is",
	} {
		if got := PorterStem(in); got != want {
			t.Errorf("PorterStem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCIDEr_HandComputed(t *testing.T) {
	refs := [][][]string{{{"a", "b", "c", "d"}}, {{"x", "y", "z", "w"}}}
	hyps := [][]string{{"a", "b", "c", "d"}, {"e", "f", "g", "h"}}
	for _, d := range []bool{false, true} {
		mean, per, err := CIDErScores(refs, hyps, d)
		if err != nil {
			t.Fatal(err)
		}
		// pair 1: identical tf-idf vectors, cosine 1 for n = 1..4, ×10;
		// pair 2: nothing shared.
		if !near(per[0], 10, 1e-12) || per[1] != 0 || !near(mean, 5, 1e-12) {
			t.Errorf("d=%v: per %v mean %v, want [10 0] 5", d, per, mean)
		}
	}
	// One pair: log N = 0, every weight 0.
	if mean, _, _ := CIDErScores(refs[:1], hyps[:1], true); mean != 0 {
		t.Errorf("single-pair corpus = %v, want 0", mean)
	}
	// CIDEr-D length penalty: hypothesis of pair 1 gets 6 extra tokens,
	// i.e. 6 more bigrams, so every order is multiplied by exp(-36/72).
	long := [][]string{{"a", "b", "c", "d", "q", "r", "s", "t", "u", "v"}, hyps[1]}
	_, plain, _ := CIDErScores(refs, long, false)
	_, dd, _ := CIDErScores(refs, long, true)
	if !near(dd[0], plain[0]*math.Exp(-0.5), 1e-12) {
		t.Errorf("CIDEr-D %v, want plain %v · e^-0.5", dd[0], plain[0])
	}
	if _, _, err := CIDErScores(nil, nil, true); err == nil {
		t.Error("empty corpus: want error")
	}
}

func randTokens(r *rand.Rand, n int) []string {
	words := []string{"lung", "lungs", "clear", "effusion", "the", "no", "left", "right", "opacity", "."}
	out := make([]string, n)
	for i := range out {
		out[i] = words[r.IntN(len(words))]
	}
	return out
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		a := randTokens(r, 4+r.IntN(30))
		b := randTokens(r, 1+r.IntN(30))
		for n := 1; n <= 4; n++ {
			if s, _ := SentenceBLEU([][]string{a}, a, UniformWeights(n)); !near(s, 1, 1e-12) {
				t.Fatalf("case %d: BLEU-%d(x, x) = %v", i, n, s)
			}
			if s, _ := SentenceBLEU([][]string{a}, nil, UniformWeights(n)); s != 0 {
				t.Fatalf("BLEU of empty = %v", s)
			}
			if s, _ := SentenceBLEU([][]string{a}, b, UniformWeights(n)); s < 0 || s > 1 {
				t.Fatalf("BLEU out of range: %v", s)
			}
		}
		ta, tb := strings.Join(a, " "), strings.Join(b, " ")
		if s := RougeL(ta, ta); !near(s, 1, 1e-8) {
			t.Fatalf("case %d: RougeL(x, x) = %v (%q)", i, s, ta)
		}
		if RougeL("", ta) != 0 || RougeLLin([][]string{a}, nil, 1.2) != 0 || Meteor(a, nil) != 0 {
			t.Fatal("empty hypothesis must score 0")
		}
		if s := RougeLLin([][]string{a}, a, 1.2); !near(s, 1, 1e-15) {
			t.Fatalf("RougeLLin(x, x) = %v", s)
		}
		// symmetric where the definition is: LCS, and ROUGE-L with beta 1.
		if !near(RougeLLin([][]string{a}, b, 1), RougeLLin([][]string{b}, a, 1), 1e-15) {
			t.Fatalf("RougeLLin(β=1) not symmetric for %q / %q", a, b)
		}
		if x, y := lcsLen(a, b), lcsLen(b, a); x != y || len(lcsWords(a, b)) != x {
			t.Fatalf("LCS lengths %d %d %d", x, y, len(lcsWords(a, b)))
		}
		// identical: alignment is the identity, one chunk.
		if s, want := Meteor(a, a), 1-0.5/math.Pow(float64(len(a)), 3); !near(s, want, 1e-15) {
			t.Fatalf("Meteor(x, x) = %v, want %v", s, want)
		}
		for _, s := range []float64{RougeL(tb, ta), RougeLLin([][]string{a}, b, 1.2), Meteor(a, b)} {
			if s < 0 || s > 1 || math.IsNaN(s) {
				t.Fatalf("score out of [0,1]: %v", s)
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	pairs := []Pair{
		{"Findings: The lungs are clear. Impression: Normal.", []string{"Findings: The lungs are clear. Impression: Normal."}},
		{"", []string{"Findings: Small effusion. Impression: Effusion."}},
		{"Left pleural effusion.", []string{"Findings: small left pleural effusion. Impression: effusion."}},
	}
	rep, err := Evaluate(pairs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 3 || rep.Empty != 1 || rep.MeteorVariant != MeteorVariant {
		t.Errorf("counts: %+v", rep)
	}
	b1, _ := SentenceBLEU([][]string{Tokenize(strings.ToLower(pairs[2].References[0]))},
		Tokenize(strings.ToLower(pairs[2].Hypothesis)), UniformWeights(1))
	if want := (1 + 0 + b1) / 3; !near(rep.BLEU1, want, 1e-15) {
		t.Errorf("BLEU1 = %v, want mean %v", rep.BLEU1, want)
	}
	for name, v := range map[string]float64{"bleu4": rep.BLEU4, "rouge_l": rep.RougeL, "meteor": rep.Meteor, "cider": rep.CIDErD} {
		if v <= 0 || math.IsNaN(v) {
			t.Errorf("%s = %v", name, v)
		}
	}
	if _, err := Evaluate(nil); err == nil {
		t.Error("no pairs: want error")
	}
	if _, err := Evaluate([]Pair{{Hypothesis: "a"}}); err == nil {
		t.Error("no reference: want error")
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add("the lungs are clear.", "Findings: the lungs are clear. Impression: normal.")
	f.Add("a b. ", "a b")
	f.Add("", ".")
	f.Add("右肺. 结节", "右肺结节.")
	f.Fuzz(func(t *testing.T, hyp, ref string) {
		rep, err := Evaluate([]Pair{{hyp, []string{ref}}, {ref, []string{hyp}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []float64{rep.BLEU1, rep.BLEU2, rep.BLEU3, rep.BLEU4, rep.RougeL, rep.RougeLLin, rep.Meteor, rep.CorpusBLEU4} {
			if v < 0 || v > 1+1e-12 || math.IsNaN(v) {
				t.Fatalf("score out of range in %+v", rep)
			}
		}
		if rep.CIDErD < 0 || rep.CIDEr < 0 || math.IsNaN(rep.CIDErD+rep.CIDEr) {
			t.Fatalf("cider %v %v", rep.CIDErD, rep.CIDEr)
		}
		_ = PorterStem(hyp)
	})
}

func TestTokenizeVQA(t *testing.T) {
	if got, want := TokenizeVQA("A  b."), []string{"a", "", "b", "."}; !slices.Equal(got, want) {
		t.Errorf("TokenizeVQA = %q, want %q", got, want)
	}
}

func TestTokenF1(t *testing.T) {
	tests := []struct {
		pred, truth string
		p, r, f     float64
	}{
		{"left lower lobe", "lower lobe", 2.0 / 3, 1, 0.8},
		{"Lower Lobe lobe", "lower lobe", 1, 1, 1}, // sets, lower case
		{"", "lower lobe", 0, 0, 0},
		{"apex", "lower lobe", 0, 0, 0},
	}
	for _, tt := range tests {
		p, r, f := TokenF1(tt.pred, tt.truth)
		if !near(p, tt.p, 1e-15) || !near(r, tt.r, 1e-15) || !near(f, tt.f, 1e-15) {
			t.Errorf("TokenF1(%q, %q) = %v %v %v, want %v %v %v", tt.pred, tt.truth, p, r, f, tt.p, tt.r, tt.f)
		}
	}
}
