package quant

import (
	"fmt"
	"math"
	"sort"
)

// Comparison accumulates how far a quantized model's next-token
// distributions are from a reference model's, position by position, over
// teacher-forced text (both models see the same tokens). The zero value is
// ready to use.
type Comparison struct {
	klds              []float64
	agree             int
	nllRef, nllQuant  float64
	positions, scored int
}

// ComparisonResult is the summary of a Comparison.
type ComparisonResult struct {
	Positions     int     `json:"positions"`      // positions compared
	Top1Agreement float64 `json:"top1_agreement"` // share of positions whose argmax agrees
	KLDMean       float64 `json:"kld_mean"`       // mean KL(ref ‖ quant) in nats
	KLDP99        float64 `json:"kld_p99"`        // 99th percentile (nearest rank)
	KLDMax        float64 `json:"kld_max"`
	PPLRef        float64 `json:"ppl_ref"`   // exp(mean −log p_ref(next token))
	PPLQuant      float64 `json:"ppl_quant"` // same under the quantized model
}

// Add compares one position: ref and q are both models' logits over the
// same vocabulary, next the id that actually follows (its log-probability
// enters the perplexities), or −1 when no token follows.
func (c *Comparison) Add(ref, q []float32, next int) error {
	if len(ref) != len(q) || len(ref) == 0 {
		return fmt.Errorf("quant: compare: %d reference logits vs %d quantized", len(ref), len(q))
	}
	if next >= len(ref) {
		return fmt.Errorf("quant: compare: next id %d outside the vocab of %d", next, len(ref))
	}
	lr, ar := logSumExp(ref)
	lq, aq := logSumExp(q)
	if math.IsNaN(lr) || math.IsNaN(lq) || math.IsInf(lr, 0) || math.IsInf(lq, 0) {
		return fmt.Errorf("quant: compare: non-finite logits (reference log-sum-exp %v, quantized %v)", lr, lq)
	}
	var kld float64
	for i := range ref {
		pr := float64(ref[i]) - lr // log p_ref
		if pr < -745 {             // p underflows to 0 and contributes nothing
			continue
		}
		kld += math.Exp(pr) * (pr - (float64(q[i]) - lq))
	}
	c.klds = append(c.klds, max(kld, 0)) // tiny negative sums are rounding
	if ar == aq {
		c.agree++
	}
	c.positions++
	if next >= 0 {
		c.nllRef -= float64(ref[next]) - lr
		c.nllQuant -= float64(q[next]) - lq
		c.scored++
	}
	return nil
}

// logSumExp returns log Σ exp(x) in float64 and the index of the largest
// value (the first one on ties).
func logSumExp(x []float32) (float64, int) {
	arg := 0
	for i, v := range x {
		if v > x[arg] || x[arg] != x[arg] {
			arg = i
		}
	}
	m := float64(x[arg])
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s), arg
}

// Result summarises the positions added so far. Perplexities are NaN when
// no position had a next token; everything is NaN with no positions.
func (c *Comparison) Result() ComparisonResult {
	r := ComparisonResult{Positions: c.positions}
	nan := math.NaN()
	if c.positions == 0 {
		r.Top1Agreement, r.KLDMean, r.KLDP99, r.KLDMax, r.PPLRef, r.PPLQuant = nan, nan, nan, nan, nan, nan
		return r
	}
	sorted := append([]float64(nil), c.klds...)
	sort.Float64s(sorted)
	var sum float64
	for _, v := range sorted {
		sum += v
	}
	r.KLDMean = sum / float64(len(sorted))
	r.KLDP99 = sorted[int(math.Ceil(0.99*float64(len(sorted))))-1]
	r.KLDMax = sorted[len(sorted)-1]
	r.Top1Agreement = float64(c.agree) / float64(c.positions)
	r.PPLRef, r.PPLQuant = nan, nan
	if c.scored > 0 {
		r.PPLRef = math.Exp(c.nllRef / float64(c.scored))
		r.PPLQuant = math.Exp(c.nllQuant / float64(c.scored))
	}
	return r
}
