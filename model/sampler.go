package model

import (
	"math"
	"math/rand/v2"
	"sort"
)

// SamplerOptions chooses how the next token is drawn from logits.
type SamplerOptions struct {
	Temperature float64 // ≤ 0: greedy (argmax, lowest id on ties)
	TopK        int     // keep the k most likely; 0 = all
	TopP        float64 // keep the smallest set with mass ≥ TopP; 0 or ≥ 1 = all
	Seed        uint64  // same seed, same logits → same tokens
	// Allowed limits sampling to ids < Allowed (the tokenizer's vocab:
	// embedding rows past it are padding); 0 = every logit.
	Allowed int
}

// Sampler draws token ids from logits. It is not safe for concurrent use.
type Sampler struct {
	opts SamplerOptions
	rng  *rand.Rand
	buf  []int
}

// NewSampler returns a sampler seeded from opts.Seed.
func NewSampler(opts SamplerOptions) *Sampler {
	return &Sampler{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x6c696e6773687521))}
}

// Sample returns the next token id.
func (s *Sampler) Sample(logits []float32) int {
	if s.opts.Allowed > 0 && s.opts.Allowed < len(logits) {
		logits = logits[:s.opts.Allowed]
	}
	if s.opts.Temperature <= 0 || s.opts.TopK == 1 {
		return Argmax(logits)
	}
	cand := s.candidates(logits)
	probs := softmaxTemp(logits, cand, s.opts.Temperature)
	cand, probs = topP(cand, probs, s.opts.TopP)
	r := s.rng.Float64()
	for i, p := range probs {
		if r < p {
			return cand[i]
		}
		r -= p
	}
	return cand[len(cand)-1]
}

// candidates returns ids sorted by logit (descending, lower id first),
// cut to TopK.
func (s *Sampler) candidates(logits []float32) []int {
	s.buf = s.buf[:0]
	for i, v := range logits {
		if v == v {
			s.buf = append(s.buf, i)
		}
	}
	less := func(a, b int) bool { return logits[s.buf[a]] > logits[s.buf[b]] }
	sort.SliceStable(s.buf, less)
	if k := s.opts.TopK; k > 0 && k < len(s.buf) {
		return s.buf[:k]
	}
	return s.buf
}

// softmaxTemp is softmax(logit/temperature) over the candidates.
func softmaxTemp(logits []float32, cand []int, temp float64) []float64 {
	p := make([]float64, len(cand))
	if len(cand) == 0 {
		return p
	}
	m := float64(logits[cand[0]])
	var sum float64
	for i, id := range cand {
		p[i] = math.Exp((float64(logits[id]) - m) / temp)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// topP keeps the shortest prefix whose mass reaches top (renormalised).
func topP(cand []int, probs []float64, top float64) ([]int, []float64) {
	if top <= 0 || top >= 1 {
		return cand, probs
	}
	var acc float64
	n := len(probs)
	for i, p := range probs {
		acc += p
		if acc >= top {
			n = i + 1
			break
		}
	}
	cand, probs = cand[:n], probs[:n]
	for i := range probs {
		probs[i] /= acc
	}
	return cand, probs
}

// Argmax returns the index of the largest value (lowest index on ties;
// NaN never wins). It returns 0 for an empty or all-NaN slice.
func Argmax(v []float32) int {
	best, bv := 0, float32(math.Inf(-1))
	found := false
	for i, x := range v {
		if x > bv || (!found && x == bv) {
			best, bv, found = i, x, true
		}
	}
	return best
}

// TopK returns the indices of the k largest values, largest first, lower
// index first on ties; NaN is skipped.
func TopK(v []float32, k int) []int {
	if k <= 0 {
		return []int{}
	}
	best := make([]int, 0, min(k, len(v)))
	for i, x := range v {
		if x != x || (len(best) == k && x <= v[best[k-1]]) {
			continue
		}
		j := len(best)
		if j < k {
			best = append(best, i)
		} else {
			j--
		}
		for j > 0 && v[best[j-1]] < x {
			best[j] = best[j-1]
			j--
		}
		best[j] = i
	}
	return best
}
