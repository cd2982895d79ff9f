package metrics

import (
	"fmt"
	"math"
)

// CIDEr parameters of pycocoevalcap / cidereval.
const (
	ciderN     = 4
	ciderSigma = 6.0
)

// ciderVec is one sentence's tf-idf vector per n-gram order, its norms and
// its "length". The length counts bigrams, not words: pycocoevalcap adds the
// term frequency when the 0-based order index is 1, and both CIDEr-D
// implementations inherit this; it is kept here so the numbers agree.
type ciderVec struct {
	w      [ciderN]map[string]float64
	norm   [ciderN]float64
	length int
}

// ciderCounts counts the 1..4-grams of toks, one map per order.
func ciderCounts(toks []string) [ciderN]map[string]int {
	var c [ciderN]map[string]int
	for n := 1; n <= ciderN; n++ {
		c[n-1] = ngramCounts(toks, n)
	}
	return c
}

// ciderCorpus holds the document frequencies of the reference corpus.
type ciderCorpus struct {
	df      [ciderN]map[string]int
	logDocs float64
}

func newCiderCorpus(refs [][][]string) ciderCorpus {
	var c ciderCorpus
	for n := range c.df {
		c.df[n] = make(map[string]int)
	}
	for _, set := range refs {
		for n := 1; n <= ciderN; n++ {
			seen := make(map[string]bool)
			for _, r := range set {
				for g := range ngramCounts(r, n) {
					seen[g] = true
				}
			}
			for g := range seen {
				c.df[n-1][g]++
			}
		}
	}
	c.logDocs = math.Log(float64(len(refs)))
	return c
}

// vec turns n-gram counts into tf-idf weights tf · (log N - log max(1, df)).
func (c *ciderCorpus) vec(toks []string) ciderVec {
	var v ciderVec
	counts := ciderCounts(toks)
	for n := range ciderN {
		v.w[n] = make(map[string]float64, len(counts[n]))
		for g, tf := range counts[n] {
			x := float64(tf) * (c.logDocs - math.Log(math.Max(1, float64(c.df[n][g]))))
			v.w[n][g] = x
			v.norm[n] += x * x
			if n == 1 {
				v.length += tf
			}
		}
		v.norm[n] = math.Sqrt(v.norm[n])
	}
	return v
}

// sim is the per-order cosine similarity; with dFlavour, the hypothesis
// weight is clipped at the reference weight and a Gaussian penalty on the
// length difference is applied (CIDEr-D).
func sim(h, r ciderVec, dFlavour bool) [ciderN]float64 {
	var val [ciderN]float64
	delta := float64(h.length - r.length)
	for n := range ciderN {
		for g, hw := range h.w[n] {
			rw := r.w[n][g]
			if dFlavour {
				val[n] += math.Min(hw, rw) * rw
			} else {
				val[n] += hw * rw
			}
		}
		if h.norm[n] != 0 && r.norm[n] != 0 {
			val[n] /= h.norm[n] * r.norm[n]
		}
		if dFlavour {
			val[n] *= math.Exp(-(delta * delta) / (2 * ciderSigma * ciderSigma))
		}
	}
	return val
}

// CIDErScores returns the corpus CIDEr score (the mean) and the score of each
// hypothesis. Document frequencies come from the references of this corpus
// (df="corpus"). With d true it is CIDEr-D (pycocoevalcap's Cider / cidereval
// ciderD: clipping, sigma 6); with d false it is cidereval's plain `cider`
// (which MedEvalKit calls, but with COCO-val document frequencies; see the
// package doc). Per hypothesis: mean over n of the summed
// similarities, divided by the number of references, ×10.
//
// Hand-computed: a corpus of one pair scores 0 (log N = 0 makes every weight
// 0); two pairs with identical hypothesis and reference and no shared n-gram
// score 10 each for plain CIDEr and CIDEr-D.
func CIDErScores(refs [][][]string, hyps [][]string, d bool) (float64, []float64, error) {
	if len(refs) != len(hyps) {
		return 0, nil, fmt.Errorf("metrics: cider: %d reference sets for %d hypotheses", len(refs), len(hyps))
	}
	if len(hyps) == 0 {
		return 0, nil, fmt.Errorf("metrics: cider: empty corpus")
	}
	for i, r := range refs {
		if len(r) == 0 {
			return 0, nil, fmt.Errorf("metrics: cider: hypothesis %d has no reference", i)
		}
	}
	corpus := newCiderCorpus(refs)
	scores := make([]float64, len(hyps))
	total := 0.0
	for i, hyp := range hyps {
		hv := corpus.vec(hyp)
		var acc [ciderN]float64
		for _, r := range refs[i] {
			s := sim(hv, corpus.vec(r), d)
			for n := range acc {
				acc[n] += s[n]
			}
		}
		mean := 0.0
		for _, a := range acc {
			mean += a
		}
		mean /= ciderN
		scores[i] = mean / float64(len(refs[i])) * 10
		total += scores[i]
	}
	return total / float64(len(hyps)), scores, nil
}
