package phantom

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// blur3 smooths a row-major float image with the 1-2-1 binomial kernel in
// both directions (edges clamp). It stands in for the partial-volume and
// detector blur that keeps analytic edges from looking jagged.
func blur3(img []float32, rows, cols int) {
	tmp := make([]float32, len(img))
	for r := 0; r < rows; r++ {
		row := img[r*cols : (r+1)*cols]
		out := tmp[r*cols : (r+1)*cols]
		for c := 0; c < cols; c++ {
			l, rr := max(c-1, 0), min(c+1, cols-1)
			out[c] = 0.25*row[l] + 0.5*row[c] + 0.25*row[rr]
		}
	}
	for r := 0; r < rows; r++ {
		up, dn := max(r-1, 0), min(r+1, rows-1)
		for c := 0; c < cols; c++ {
			img[r*cols+c] = 0.25*tmp[up*cols+c] + 0.5*tmp[r*cols+c] + 0.25*tmp[dn*cols+c]
		}
	}
}

// segDist2 is the squared distance from p to the segment a–b (2D).
func segDist2(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	ex, ey := px-(ax+t*dx), py-(ay+t*dy)
	return ex*ex + ey*ey
}

// inEllipse reports whether (x, y) lies inside the axis-aligned ellipse.
func inEllipse(x, y, cx, cy, a, b float64) bool {
	u, v := (x-cx)/a, (y-cy)/b
	return u*u+v*v <= 1
}

// ellipseR returns the normalised radius of (x, y) in the ellipse.
func ellipseR(x, y, cx, cy, a, b float64) float64 {
	u, v := (x-cx)/a, (y-cy)/b
	return math.Sqrt(u*u + v*v)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

func smoothstep(e0, e1, x float64) float64 {
	t := clamp01((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}

// hit accumulates where one finding was drawn on one frame.
type hit struct {
	n                      int
	sumR, sumC             float64
	minR, minC, maxR, maxC int
}

func (h *hit) add(r, c int) {
	if h.n == 0 {
		h.minR, h.maxR, h.minC, h.maxC = r, r, c, c
	}
	h.n++
	h.sumR += float64(r)
	h.sumC += float64(c)
	h.minR, h.maxR = min(h.minR, r), max(h.maxR, r)
	h.minC, h.maxC = min(h.minC, c), max(h.maxC, c)
}

// merge adds another accumulation of the same finding.
func (h *hit) merge(o hit) {
	if o.n == 0 {
		return
	}
	if h.n == 0 {
		*h = o
		return
	}
	h.n += o.n
	h.sumR += o.sumR
	h.sumC += o.sumC
	h.minR, h.maxR = min(h.minR, o.minR), max(h.maxR, o.maxR)
	h.minC, h.maxC = min(h.minC, o.minC), max(h.maxC, o.maxC)
}

// parallel runs fn(i) for i in [0, n) on up to GOMAXPROCS goroutines. Each
// call must only write its own outputs, so results do not depend on the
// schedule.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// addNoise adds zero-mean Gaussian noise of the given sigma.
func addNoise(img []float32, r *rand.Rand, sigma float64) {
	for i := range img {
		img[i] += float32(r.NormFloat64() * sigma)
	}
}

// boxBlur returns img averaged over a (2r+1)² box (edges clamp), by two
// running-sum passes.
func boxBlur(img []float32, rows, cols, r int) []float32 {
	tmp := make([]float32, len(img))
	out := make([]float32, len(img))
	n := float32(2*r + 1)
	for y := 0; y < rows; y++ {
		row := img[y*cols : (y+1)*cols]
		var s float32
		for k := -r; k <= r; k++ {
			s += row[min(max(k, 0), cols-1)]
		}
		for x := 0; x < cols; x++ {
			tmp[y*cols+x] = s / n
			s += row[min(x+r+1, cols-1)] - row[max(x-r, 0)]
		}
	}
	for x := 0; x < cols; x++ {
		var s float32
		for k := -r; k <= r; k++ {
			s += tmp[min(max(k, 0), rows-1)*cols+x]
		}
		for y := 0; y < rows; y++ {
			out[y*cols+x] = s / n
			s += tmp[min(y+r+1, rows-1)*cols+x] - tmp[max(y-r, 0)*cols+x]
		}
	}
	return out
}
