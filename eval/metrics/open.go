package metrics

import "strings"

// TokenizeVQA is MedEvalKit's utils.tokenize, used for the BLEU of
// open-ended VQA answers (judge_open_end_vqa): like Tokenize but empty
// tokens are kept, so "a  b" (two spaces) has three tokens, "a", "" and "b".
func TokenizeVQA(text string) []string {
	return strings.Split(strings.ReplaceAll(strings.ToLower(text), ".", " ."), " ")
}

// TokenF1 is the bag-of-words overlap MedEvalKit's calculate_f1 computes for
// open-ended VQA: the *sets* of white-space separated lower-case words of
// prediction and truth; precision = |common| / |pred set|, recall =
// |common| / |truth set|, F1 their harmonic mean; all 0 when either set is
// empty or nothing is shared.
//
// MedEvalKit returns (f1, precision, recall) but judge_open_end_vqa unpacks
// the result as (precision, recall, f1), so the figures it labels
// "precision", "recall" and "f1" are really F1, precision and recall; and
// for an empty answer it returns a bare 0 that the unpacking cannot take.
// TokenF1 returns the values under their right names.
//
// Hand-computed: pred "left lower lobe", truth "lower lobe": common 2,
// P = 2/3, R = 1, F1 = 0.8.
func TokenF1(pred, truth string) (precision, recall, f1 float64) {
	p, t := wordSet(pred), wordSet(truth)
	if len(p) == 0 || len(t) == 0 {
		return 0, 0, 0
	}
	common := 0
	for w := range p {
		if t[w] {
			common++
		}
	}
	if common == 0 {
		return 0, 0, 0
	}
	precision = float64(common) / float64(len(p))
	recall = float64(common) / float64(len(t))
	return precision, recall, 2 * precision * recall / (precision + recall)
}

func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		set[w] = true
	}
	return set
}
