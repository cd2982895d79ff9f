package report

import (
	"math"
	"math/rand/v2"
	"slices"
)

// BootstrapCI is the percentile bootstrap 95% interval of the mean of xs:
// iters resamples with replacement drawn from a PCG seeded with seed, so
// the same data and seed give the same interval.
func BootstrapCI(xs []float64, iters int, seed uint64) [2]float64 {
	if len(xs) == 0 || iters <= 0 {
		return [2]float64{}
	}
	r := rand.New(rand.NewPCG(seed, 0x6c696e6773687521))
	means := make([]float64, iters)
	for i := range means {
		s := 0.0
		for range xs {
			s += xs[r.IntN(len(xs))]
		}
		means[i] = s / float64(len(xs))
	}
	return percentiles(means)
}

// PairedBootstrapCI is the bootstrap 95% interval of mean(b - a) over
// pairs resampled together.
func PairedBootstrapCI(a, b []float64, iters int, seed uint64) [2]float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b[i] - a[i]
	}
	return BootstrapCI(d, iters, seed)
}

func percentiles(v []float64) [2]float64 {
	slices.Sort(v)
	at := func(q float64) float64 {
		i := q * float64(len(v)-1)
		lo := int(math.Floor(i))
		hi := min(lo+1, len(v)-1)
		return v[lo] + (i-float64(lo))*(v[hi]-v[lo])
	}
	return [2]float64{at(0.025), at(0.975)}
}

// McNemar is the exact (binomial) two-sided McNemar test on paired binary
// outcomes: onlyA pairs right in A only, onlyB right in B only. It returns
// the p-value, 1 when there is no discordant pair.
func McNemar(onlyA, onlyB int) float64 {
	return binomTwoSided(onlyA, onlyA+onlyB)
}

// SignTest is the exact two-sided sign test: pos pairs where B > A, neg
// where B < A (ties dropped).
func SignTest(pos, neg int) float64 { return binomTwoSided(pos, pos+neg) }

// binomTwoSided is P(X ≤ min(k, n-k)) + P(X ≥ max(k, n-k)) for X ~
// Binomial(n, 1/2), capped at 1.
func binomTwoSided(k, n int) float64 {
	if n == 0 {
		return 1
	}
	lo := min(k, n-k)
	p := 0.0
	for i := 0; i <= lo; i++ {
		p += binomPMF(i, n)
	}
	return min(1, 2*p)
}

// binomPMF is C(n, i) / 2^n computed in logs.
func binomPMF(i, n int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
	return math.Exp(lg(n) - lg(i) - lg(n-i) - float64(n)*math.Ln2)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
