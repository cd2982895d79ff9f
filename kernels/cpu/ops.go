package cpu

import (
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Embedding gathers table rows at ids (T) I32 → dst (T, dim) f32.
func (b *Backend) Embedding(dst, table, ids kernels.Tensor) error {
	tt, err := asTensor("embedding table", table)
	if err != nil {
		return err
	}
	it, err := asTensor("embedding ids", ids)
	if err != nil {
		return err
	}
	if it.dt != kernels.I32 || len(it.shape) != 1 {
		return errorf("embedding", "ids %s%v, want 1-D I32", it.dt, it.shape)
	}
	ds, T, dim, err := writableF32("embedding dst", dst)
	if err != nil {
		return err
	}
	if err := checkWeight("embedding", tt, dim); err != nil {
		return err
	}
	if T != len(it.i32) {
		return errorf("embedding", "dst has %d rows for %d ids", T, len(it.i32))
	}
	vocab := tt.shape[0]
	for _, id := range it.i32 {
		if id < 0 || int(id) >= vocab {
			return errorf("embedding", "id %d outside vocab %d", id, vocab)
		}
	}
	if b.reference {
		embeddingGeneric(ds, tt, it.i32, dim)
		return nil
	}
	b.pool.run(T, b.pool.grainForWork(T, dim, 1, 1), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			decodeRows(ds[t*dim:(t+1)*dim], tt, int(it.i32[t]), 1, dim)
		}
	})
	return nil
}

// RMSNorm: dst = x / sqrt(mean(x²) + eps) * w per row; dst may alias x.
func (b *Backend) RMSNorm(dst, x, w kernels.Tensor, eps float32) error {
	xs, T, n, err := f32Mat("rmsnorm x", x)
	if err != nil {
		return err
	}
	ws, err := vector("rmsnorm w", w, n)
	if err != nil {
		return err
	}
	ds, dT, dn, err := writableF32("rmsnorm dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dn != n {
		return errorf("rmsnorm", "dst (%d, %d), want (%d, %d)", dT, dn, T, n)
	}
	if b.reference {
		rmsNormGeneric(ds, xs, ws, T, n, eps)
		return nil
	}
	b.pool.run(T, b.pool.grainForWork(T, 2*n, 1, 1), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			rmsNormRow(ds[t*n:(t+1)*n], xs[t*n:(t+1)*n], ws, eps)
		}
	})
	return nil
}

func rmsNormRow(dst, x, w []float32, eps float32) {
	var s0, s1 float64
	k := 0
	for ; k+2 <= len(x); k += 2 {
		s0 += float64(x[k] * x[k])
		s1 += float64(x[k+1] * x[k+1])
	}
	for ; k < len(x); k++ {
		s0 += float64(x[k] * x[k])
	}
	scale := float32(1 / math.Sqrt((s0+s1)/float64(len(x))+float64(eps)))
	dst, w = dst[:len(x)], w[:len(x)]
	for i, v := range x {
		dst[i] = v * scale * w[i]
	}
}

// SwiGLU: dst = silu(gate) * up; dst may alias gate or up.
func (b *Backend) SwiGLU(dst, gate, up kernels.Tensor) error {
	ds, gs, us, err := b.elementwise("swiglu", dst, gate, up)
	if err != nil {
		return err
	}
	if b.reference {
		swigluGeneric(ds, gs, us)
		return nil
	}
	b.pool.run(len(ds), b.pool.grainForWork(len(ds), 8, 64, 1), func(lo, hi int) {
		b.kern.swiglu(ds[lo:hi], gs[lo:hi], us[lo:hi])
	})
	return nil
}

// GELU: dst = x/2·(1 + erf(x/√2)) (exact form); dst may alias x.
func (b *Backend) GELU(dst, x kernels.Tensor) error {
	ds, xs, _, err := b.elementwise("gelu", dst, x, x)
	if err != nil {
		return err
	}
	if b.reference {
		geluGeneric(ds, xs)
		return nil
	}
	b.pool.run(len(ds), b.pool.grainForWork(len(ds), 8, 64, 1), func(lo, hi int) {
		d, s := ds[lo:hi], xs[lo:hi]
		for i := range d {
			v := float64(s[i])
			d[i] = float32(0.5 * v * (1 + math.Erf(v*math.Sqrt2/2)))
		}
	})
	return nil
}

// Add: dst = a + b; dst may alias a or b.
func (b *Backend) Add(dst, x, y kernels.Tensor) error {
	ds, xs, ys, err := b.elementwise("add", dst, x, y)
	if err != nil {
		return err
	}
	if b.reference {
		addGeneric(ds, xs, ys)
		return nil
	}
	b.pool.run(len(ds), b.pool.grainForWork(len(ds), 1, 64, 1), func(lo, hi int) {
		d, p, q := ds[lo:hi], xs[lo:hi], ys[lo:hi]
		for i := range d {
			d[i] = p[i] + q[i]
		}
	})
	return nil
}

// elementwise checks three same-shaped 2-D F32 operands.
func (b *Backend) elementwise(op string, dst, x, y kernels.Tensor) (ds, xs, ys []float32, err error) {
	xs, T, n, err := f32Mat(op+" a", x)
	if err != nil {
		return nil, nil, nil, err
	}
	ys, T2, n2, err := f32Mat(op+" b", y)
	if err != nil {
		return nil, nil, nil, err
	}
	ds, T3, n3, err := writableF32(op+" dst", dst)
	if err != nil {
		return nil, nil, nil, err
	}
	if T2 != T || T3 != T || n2 != n || n3 != n {
		return nil, nil, nil, errorf(op, "shapes (%d,%d) (%d,%d) → (%d,%d) differ", T, n, T2, n2, T3, n3)
	}
	return ds, xs, ys, nil
}

// Softmax: row-wise softmax; dst may alias x.
func (b *Backend) Softmax(dst, x kernels.Tensor) error {
	xs, T, n, err := f32Mat("softmax x", x)
	if err != nil {
		return err
	}
	ds, dT, dn, err := writableF32("softmax dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dn != n {
		return errorf("softmax", "dst (%d, %d), want (%d, %d)", dT, dn, T, n)
	}
	if b.reference {
		softmaxGeneric(ds, xs, T, n)
		return nil
	}
	b.pool.run(T, b.pool.grainForWork(T, 4*n, 1, 1), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			softmaxRow(ds[t*n:(t+1)*n], xs[t*n:(t+1)*n])
		}
	})
	return nil
}

// softmaxRow writes softmax(x) to dst (which may alias x).
func softmaxRow(dst, x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	dst = dst[:len(x)]
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range dst {
		dst[i] *= inv
	}
}

// TopK returns the k largest values of one row, largest first, lower id
// first on ties; NaN counts as smallest.
func (b *Backend) TopK(x kernels.Tensor, row, k int) ([]kernels.Scored, error) {
	xs, T, n, err := f32Mat("topk x", x)
	if err != nil {
		return nil, err
	}
	if row < 0 || row >= T || k < 1 {
		return nil, errorf("topk", "row %d of %d, k %d", row, T, k)
	}
	k = min(k, n)
	r := xs[row*n : (row+1)*n]
	if b.reference {
		return topKGeneric(r, k), nil
	}
	return topK(r, k), nil
}

// topK keeps a sorted list of the best k in one pass.
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
