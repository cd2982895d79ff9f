package cpu

import (
	"math"
	"sort"

	"github.com/lingshu-edge/lingshu/kernels"
)

// The *Generic functions are the plain-loop oracles of the fast paths:
// float64 arithmetic, no blocking, no parallelism.

func embeddingGeneric(dst []float32, table *tensor, ids []int32, dim int) {
	for t, id := range ids {
		for c := range dim {
			dst[t*dim+c] = weightValueGeneric(table, int(id), c, dim)
		}
	}
}

func rmsNormGeneric(dst, x, w []float32, T, n int, eps float32) {
	for t := range T {
		var ss float64
		for c := range n {
			v := float64(x[t*n+c])
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(n)+float64(eps))
		for c := range n {
			dst[t*n+c] = float32(float64(x[t*n+c]) * inv * float64(w[c]))
		}
	}
}

func swigluGeneric(dst, gate, up []float32) {
	for i := range dst {
		g := float64(gate[i])
		dst[i] = float32(g / (1 + math.Exp(-g)) * float64(up[i]))
	}
}

// geluGeneric is GELU's oracle: x·Φ(x) with Φ from the complementary
// error function (a different route to the same value).
func geluGeneric(dst, x []float32) {
	for i := range dst {
		v := float64(x[i])
		dst[i] = float32(v * 0.5 * math.Erfc(-v/math.Sqrt2))
	}
}

func addGeneric(dst, a, b []float32) {
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func softmaxGeneric(dst, x []float32, T, n int) {
	for t := range T {
		row := x[t*n : (t+1)*n]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		e := make([]float64, n)
		var sum float64
		for i, v := range row {
			e[i] = math.Exp(float64(v) - m)
			sum += e[i]
		}
		for i := range e {
			dst[t*n+i] = float32(e[i] / sum)
		}
	}
}

func topKGeneric(x []float32, k int) []kernels.Scored {
	idx := make([]int, 0, len(x))
	for i, v := range x {
		if v == v {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	out := make([]kernels.Scored, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, kernels.Scored{ID: i, Value: x[i]})
	}
	return out
}
