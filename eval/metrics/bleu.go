package metrics

import (
	"fmt"
	"math"
	"strings"
)

// smallestNormal is Python's sys.float_info.min, the value NLTK's method0
// substitutes for a zero n-gram precision.
const smallestNormal = 0x1p-1022

// UniformWeights returns the n equal weights MedEvalKit passes for BLEU-n
// ([1], [1/2, 1/2], [1/3]*3, [1/4]*4).
func UniformWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w
}

// ngramKey joins n tokens starting at i into one map key. The separator is a
// control character that Tokenize never produces inside a token.
func ngramKey(toks []string, i, n int) string {
	return strings.Join(toks[i:i+n], "\x1f")
}

// ngramCounts counts the n-grams of toks.
func ngramCounts(toks []string, n int) map[string]int {
	c := make(map[string]int)
	for i := 0; i+n <= len(toks); i++ {
		c[ngramKey(toks, i, n)]++
	}
	return c
}

// modifiedPrecision returns BLEU's clipped n-gram matches and the number of
// hypothesis n-grams (at least 1, as NLTK).
func modifiedPrecision(refs [][]string, hyp []string, n int) (num, den int) {
	counts := ngramCounts(hyp, n)
	maxRef := make(map[string]int, len(counts))
	for _, ref := range refs {
		rc := ngramCounts(ref, n)
		for g := range counts {
			maxRef[g] = max(maxRef[g], rc[g])
		}
	}
	total := 0
	for g, c := range counts {
		num += min(c, maxRef[g])
		total += c
	}
	return num, max(1, total)
}

// closestRefLength is the reference length closest to hypLen, the shorter
// one on a tie.
func closestRefLength(refs [][]string, hypLen int) int {
	best, bestDiff := 0, math.MaxInt
	for _, r := range refs {
		d := len(r) - hypLen
		if d < 0 {
			d = -d
		}
		if d < bestDiff || (d == bestDiff && len(r) < best) {
			best, bestDiff = len(r), d
		}
	}
	return best
}

// brevityPenalty is BP = 1 if c > r, 0 if c == 0, else exp(1 - r/c).
func brevityPenalty(refLen, hypLen int) float64 {
	switch {
	case hypLen > refLen:
		return 1
	case hypLen == 0:
		return 0
	default:
		return math.Exp(1 - float64(refLen)/float64(hypLen))
	}
}

// bleuStats accumulates BLEU's sufficient statistics.
type bleuStats struct {
	num, den       []int
	hypLen, refLen int
}

func (s *bleuStats) add(refs [][]string, hyp []string) {
	for n := 1; n <= len(s.num); n++ {
		a, b := modifiedPrecision(refs, hyp, n)
		s.num[n-1] += a
		s.den[n-1] += b
	}
	s.hypLen += len(hyp)
	s.refLen += closestRefLength(refs, len(hyp))
}

// score is NLTK's corpus_bleu tail: 0 without a unigram match; otherwise
// BP · exp(Σ w_n log p_n) with zero precisions replaced by smallestNormal.
func (s *bleuStats) score(weights []float64) float64 {
	if s.num[0] == 0 {
		return 0
	}
	sum := 0.0
	for i, w := range weights {
		p := float64(s.num[i]) / float64(s.den[i])
		if s.num[i] == 0 {
			p = smallestNormal
		}
		sum += w * math.Log(p)
	}
	return brevityPenalty(s.refLen, s.hypLen) * math.Exp(sum)
}

func checkWeights(weights []float64) error {
	if len(weights) == 0 {
		return fmt.Errorf("metrics: bleu: no weights")
	}
	for _, w := range weights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("metrics: bleu: bad weight %v", w)
		}
	}
	return nil
}

// SentenceBLEU is NLTK's sentence_bleu(refs, hyp, weights) without
// smoothing. Example (hand-computed): hyp "the cat sat", ref "the cat sat on
// the mat" with weights [1]: p1 = 3/3, BP = exp(1 - 6/3) = e^-1 ≈ 0.3679.
func SentenceBLEU(refs [][]string, hyp []string, weights []float64) (float64, error) {
	return CorpusBLEU([][][]string{refs}, [][]string{hyp}, weights)
}

// CorpusBLEU is NLTK's corpus_bleu: n-gram matches and counts are summed over
// the corpus before the precisions are formed (micro average), and the
// brevity penalty uses the summed lengths.
func CorpusBLEU(refs [][][]string, hyps [][]string, weights []float64) (float64, error) {
	if err := checkWeights(weights); err != nil {
		return 0, err
	}
	if len(refs) != len(hyps) {
		return 0, fmt.Errorf("metrics: bleu: %d reference sets for %d hypotheses", len(refs), len(hyps))
	}
	st := bleuStats{num: make([]int, len(weights)), den: make([]int, len(weights))}
	for i := range hyps {
		if len(refs[i]) == 0 {
			return 0, fmt.Errorf("metrics: bleu: hypothesis %d has no reference", i)
		}
		st.add(refs[i], hyps[i])
	}
	return st.score(weights), nil
}
