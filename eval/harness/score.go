package harness

import (
	"strings"

	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/metrics"
	"github.com/lingshu-edge/lingshu/eval/scoring"
)

// Score is how one response was judged. Closed kinds (mc, yesno, closed)
// set Correct (this project's strict rule) and CorrectCompat (MedEvalKit's
// rule, bugs included); open answers set the overlap scores, and Correct
// from the judge when one is configured, else from normalised exact match;
// reports set ROUGE-L, BLEU-4 and lengths (corpus metrics — CIDEr, and
// the CheXpert-label F1 of metrics.ClinicalF1 — are computed by the report
// over all reports of a dataset, through metrics.Evaluate).
type Score struct {
	Correct       *bool    `json:"correct,omitempty"`
	CorrectCompat *bool    `json:"correct_medevalkit,omitempty"`
	Extracted     string   `json:"extracted,omitempty"` // option letter, yes/no/both/unknown, or the answer span
	EM            *bool    `json:"exact_match,omitempty"`
	F1            *float64 `json:"token_f1,omitempty"`
	BLEU1         *float64 `json:"bleu1,omitempty"`
	BLEU4         *float64 `json:"bleu4,omitempty"`
	RougeL        *float64 `json:"rouge_l,omitempty"`
	Words         int      `json:"words,omitempty"`     // response length in words (reports)
	RefWords      int      `json:"ref_words,omitempty"` // reference length in words (reports)
	Judge         string   `json:"judge,omitempty"`     // judge verdict: correct | incorrect | error: …
	GREEN         *float64 `json:"green,omitempty"`     // reports, with a judge
}

func ptr[T any](v T) *T { return &v }

// ScoreSample judges response against s (without a judge).
func ScoreSample(s datasets.Sample, response string) Score {
	var sc Score
	switch s.Kind {
	case datasets.MultiChoice:
		sc.Correct = ptr(scoring.JudgeMultiChoice(response, s.Options, s.Answer, scoring.Strict))
		sc.CorrectCompat = ptr(scoring.JudgeMultiChoice(response, s.Options, s.Answer, scoring.MedEvalKitCompat))
		if i, ok := scoring.ExtractChoice(response, s.Options).Single(); ok {
			sc.Extracted = string(rune('A' + i))
		} else {
			sc.Extracted = "?"
		}
	case datasets.YesNo:
		sc.Correct = ptr(scoring.JudgeYesNo(response, s.Answer, scoring.Strict))
		sc.CorrectCompat = ptr(scoring.JudgeYesNo(response, s.Answer, scoring.MedEvalKitCompat))
		sc.Extracted = scoring.ExtractYesNo(response).String()
	case datasets.Closed:
		sc.Correct = ptr(scoring.JudgeClosed(response, s.Answer, scoring.Strict))
		sc.CorrectCompat = ptr(scoring.JudgeClosed(response, s.Answer, scoring.MedEvalKitCompat))
		sc.Extracted = scoring.NormalizeAnswer(response)
	case datasets.Open:
		scoreOpen(&sc, s, response)
	case datasets.Report:
		scoreReport(&sc, s, response)
	}
	return sc
}

// scoreOpen: MedEvalKit's judge_open_end_vqa counts exact match of the
// parsed response with the lower-cased answer (CorrectCompat); Correct is
// the normalised exact match until a judge overrides it.
func scoreOpen(sc *Score, s datasets.Sample, response string) {
	parsed := scoring.ParseResponse(response)
	em := scoring.NormalizeAnswer(parsed) == scoring.NormalizeAnswer(s.Answer) && scoring.NormalizeAnswer(s.Answer) != ""
	sc.EM = ptr(em)
	sc.Correct = ptr(em)
	sc.CorrectCompat = ptr(parsed == strings.ToLower(s.Answer))
	_, _, f1 := metrics.TokenF1(parsed, s.Answer)
	sc.F1 = ptr(f1)
	b1, _ := metrics.SentenceBLEU([][]string{metrics.TokenizeVQA(s.Answer)}, metrics.TokenizeVQA(parsed), metrics.UniformWeights(1))
	sc.BLEU1 = ptr(b1)
	sc.RougeL = ptr(metrics.RougeL(strings.ToLower(parsed), strings.ToLower(s.Answer)))
}

func scoreReport(sc *Score, s datasets.Sample, response string) {
	hyp, ref := metrics.Tokenize(response), metrics.Tokenize(s.Answer)
	sc.Words, sc.RefWords = len(strings.Fields(response)), len(strings.Fields(s.Answer))
	b4, _ := metrics.SentenceBLEU([][]string{ref}, hyp, metrics.UniformWeights(4))
	sc.BLEU4 = ptr(b4)
	sc.RougeL = ptr(metrics.RougeL(strings.ToLower(response), strings.ToLower(s.Answer)))
}
