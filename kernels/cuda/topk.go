package cuda

import (
	"math"
	"unsafe"

	"github.com/lingshu-edge/lingshu/kernels"
)

// TopK returns the k largest values of one row, largest first, lower id
// first on ties; NaN counts as smallest (never returned). k = 1 runs the
// argmax kernel and copies back 8 bytes; larger k copies the row back and
// selects on the host with the CPU backend's rule.
func (b *Backend) TopK(x kernels.Tensor, row, k int) ([]kernels.Scored, error) {
	xt, T, n, err := b.f32Mat("topk x", x)
	if err != nil {
		return nil, err
	}
	if row < 0 || row >= T || k < 1 {
		return nil, errorf("topk", "row %d of %d, k %d", row, T, k)
	}
	k = min(k, n)
	done, err := b.enter()
	if err != nil {
		return nil, err
	}
	defer done()
	src := xt.ptr + uint64(4*row*n)
	if k == 1 {
		res, err := b.scratchBuf(scrResult, 8)
		if err != nil {
			return nil, err
		}
		if err := b.launch("argmax", grid1(1), grid1(1024), src, n, res); err != nil {
			return nil, err
		}
		var out [2]int32
		if err := b.dtoh(unsafe.Pointer(&out[0]), res, 8); err != nil {
			return nil, err
		}
		if out[0] < 0 {
			return []kernels.Scored{}, nil
		}
		return []kernels.Scored{{ID: int(out[0]), Value: math.Float32frombits(uint32(out[1]))}}, nil
	}
	r := make([]float32, n)
	if err := b.dtoh(unsafe.Pointer(unsafe.SliceData(r)), src, uint64(4*n)); err != nil {
		return nil, err
	}
	return topK(r, k), nil
}

// topK keeps a sorted list of the best k in one pass (the CPU backend's
// rule: larger first, lower index on ties, NaN skipped).
func topK(x []float32, k int) []kernels.Scored {
	best := make([]kernels.Scored, 0, k)
	floor := float32(math.Inf(-1))
	for i, v := range x {
		if v != v || (len(best) == k && v <= floor) {
			continue
		}
		j := len(best)
		if j < k {
			best = append(best, kernels.Scored{})
		} else {
			j--
		}
		for j > 0 && best[j-1].Value < v {
			best[j] = best[j-1]
			j--
		}
		best[j] = kernels.Scored{ID: i, Value: v}
		if len(best) == k {
			floor = best[k-1].Value
		}
	}
	return best
}
