package cuda

import (
	"fmt"
	"math"
	"slices"

	"github.com/lingshu-edge/lingshu/kernels"
)

// decodeMaxT is the largest row count that takes the matrix-vector
// kernels; more rows use the tiled (tensor-core) kernels.
const decodeMaxT = 8

func errorf(op, format string, args ...any) error {
	return fmt.Errorf("cuda: "+op+": "+format, args...)
}

// f32Mat unwraps a 2-D F32 tensor and returns (tensor, rows, cols).
func (b *Backend) f32Mat(what string, t kernels.Tensor) (*tensor, int, int, error) {
	ct, err := b.asTensor(what, t)
	if err != nil {
		return nil, 0, 0, err
	}
	if ct.dt != kernels.F32 || len(ct.shape) != 2 {
		return nil, 0, 0, fmt.Errorf("cuda: %s: want 2-D F32, got %s%v", what, ct.dt, ct.shape)
	}
	return ct, ct.shape[0], ct.shape[1], nil
}

// vector returns the device address of a 1-D weight of n values as f32.
func (b *Backend) vector(what string, t kernels.Tensor, n int) (uint64, error) {
	ct, err := b.asTensor(what, t)
	if err != nil {
		return 0, err
	}
	if ct.numel() != n {
		return 0, fmt.Errorf("cuda: %s: want %d values, got %s%v", what, n, ct.dt, ct.shape)
	}
	switch {
	case ct.dt == kernels.F32:
		return ct.ptr, nil
	case ct.vec != 0:
		return ct.vec, nil
	}
	return 0, fmt.Errorf("cuda: %s: %s vector of %v: %w", what, ct.dt, ct.shape, kernels.ErrNotImplemented)
}

// checkWeight validates a (rows, in) weight; trailing dims are flattened.
func checkWeight(what string, w *tensor, in int) error {
	switch w.dt {
	case kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0:
	default:
		return errorf(what, "weight dtype %s: %w", w.dt, kernels.ErrNotImplemented)
	}
	if len(w.shape) < 2 || w.cols() != in {
		return errorf(what, "weight %s%v, want (rows, %d)", w.dt, w.shape, in)
	}
	return nil
}

// MatMul: x (T, in) × w (out, in) + bias (out) → dst (T, out).
func (b *Backend) MatMul(dst, x, w, bias kernels.Tensor) error {
	xt, T, in, err := b.f32Mat("matmul x", x)
	if err != nil {
		return err
	}
	wt, err := b.asTensor("matmul w", w)
	if err != nil {
		return err
	}
	if err := checkWeight("matmul", wt, in); err != nil {
		return err
	}
	out := wt.shape[0]
	dt, dT, dOut, err := b.f32Mat("matmul dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dOut != out {
		return errorf("matmul", "dst (%d, %d), want (%d, %d)", dT, dOut, T, out)
	}
	var bp uint64
	if bias != nil {
		if bp, err = b.vector("matmul bias", bias, out); err != nil {
			return err
		}
	}
	if T == 0 || out == 0 {
		return nil
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	if in == 0 { // empty dot products: dst = bias (or 0)
		return b.launch(mmKernel(wt.dt), grid2(ceilDiv(out, 64), ceilDiv(T, 64)), grid1(256), wt.ptr, xt.ptr, bp, dt.ptr, T, in, out)
	}
	switch {
	case wt.dt == kernels.Q8_0:
		return b.matmulQ8(dt.ptr, xt.ptr, wt, bp, T, in, out)
	case wt.dt == kernels.F16 && T > decodeMaxT && in%16 == 0:
		return b.matmulF16(dt.ptr, xt.ptr, wt, bp, T, in, out)
	case T > decodeMaxT:
		return b.launch(mmKernel(wt.dt), grid2(ceilDiv(out, 64), ceilDiv(T, 64)), grid1(256), wt.ptr, xt.ptr, bp, dt.ptr, T, in, out)
	}
	name := map[kernels.DType]string{kernels.F32: "mv_f32", kernels.F16: "mv_f16", kernels.BF16: "mv_bf16"}[wt.dt]
	if wt.dt != kernels.F32 && in%8 == 0 && wt.ptr%16 == 0 && xt.ptr%16 == 0 {
		name += "x8"
	}
	return b.launch(name, grid1(ceilDiv(out, 8)), grid1(256), wt.ptr, xt.ptr, bp, dt.ptr, T, in, out)
}

// mmKernel is the f32 tiled kernel for a float weight dtype.
func mmKernel(dt kernels.DType) string {
	switch dt {
	case kernels.F16:
		return "mm_f16w"
	case kernels.BF16:
		return "mm_bf16"
	}
	return "mm_f32"
}

// prepKey says which activations the matmul scratch holds, converted for
// the int8 or f16 kernels: x's address and size and the op that made it.
// Back-to-back MatMuls of one x (q, k, v; gate, up) convert it once: no
// other op ran in between (seq), and a MatMul never writes its own x.
type prepKey struct {
	kind  int // 0 none, 1 int8 blocks, 2 f16 hi/lo
	x     uint64
	T, in int
	seq   uint64
}

// prepared reports whether the scratch holds x in the given form, and
// records that this op (now) holds it.
func (b *Backend) prepared(kind int, x uint64, T, in int) bool {
	k := prepKey{kind: kind, x: x, T: T, in: in, seq: b.seq - 1}
	ok := b.prep == k
	k.seq = b.seq
	b.prep = k
	return ok
}

// matmulQ8 quantizes x to int8 blocks (unless the previous op just did),
// then runs dp4a (decode) or int8 mma (prefill).
func (b *Backend) matmulQ8(dst, x uint64, w *tensor, bias uint64, T, in, out int) error {
	nb := T * in / kernels.Q8_0BlockLen
	reuse := b.prepared(1, x, T, in)
	xq, err := b.scratchBuf(scrQuant, uint64(T*in))
	if err != nil {
		b.prep = prepKey{}
		return err
	}
	xd, err := b.scratchBuf(scrScale, uint64(4*nb))
	if err != nil {
		b.prep = prepKey{}
		return err
	}
	if !reuse {
		if err := b.launch("quantize_q8", grid1(ceilDiv(nb, 8)), grid1(256), x, xq, xd, nb); err != nil {
			b.prep = prepKey{}
			return err
		}
	}
	if T <= decodeMaxT {
		return b.launch("mv_q8", grid1(ceilDiv(out, 8)), grid1(256), w.ptr, w.scl, xq, xd, bias, dst, T, in, out)
	}
	return b.launch("mm_q8", grid2(ceilDiv(out, 64), ceilDiv(T, 64)), grid1(128), w.ptr, w.scl, xq, xd, bias, dst, T, in, out)
}

// matmulF16 splits x into f16 hi/lo halves (unless the previous op just
// did) and runs f16 mma.
func (b *Backend) matmulF16(dst, x uint64, w *tensor, bias uint64, T, in, out int) error {
	reuse := b.prepared(2, x, T, in)
	xh, err := b.scratchBuf(scrQuant, uint64(2*T*in))
	if err != nil {
		b.prep = prepKey{}
		return err
	}
	xl, err := b.scratchBuf(scrScale, uint64(2*T*in))
	if err != nil {
		b.prep = prepKey{}
		return err
	}
	inv, err := b.scratchBuf(scrInv, uint64(4*T))
	if err != nil {
		b.prep = prepKey{}
		return err
	}
	if !reuse {
		if err := b.launch("split_f16", grid1(T), grid1(256), x, xh, xl, inv, in); err != nil {
			b.prep = prepKey{}
			return err
		}
	}
	return b.launch("mm_f16", grid2(ceilDiv(out, 64), ceilDiv(T, 64)), grid1(128), w.ptr, xh, xl, inv, bias, dst, T, in, out)
}

// Embedding gathers table rows at ids (T) I32 → dst (T, dim) f32.
func (b *Backend) Embedding(dst, table, ids kernels.Tensor) error {
	tt, err := b.asTensor("embedding table", table)
	if err != nil {
		return err
	}
	it, err := b.asTensor("embedding ids", ids)
	if err != nil {
		return err
	}
	if it.dt != kernels.I32 || len(it.shape) != 1 {
		return errorf("embedding", "ids %s%v, want 1-D I32", it.dt, it.shape)
	}
	d, T, dim, err := b.f32Mat("embedding dst", dst)
	if err != nil {
		return err
	}
	if err := checkWeight("embedding", tt, dim); err != nil {
		return err
	}
	if T != len(it.host) {
		return errorf("embedding", "dst has %d rows for %d ids", T, len(it.host))
	}
	vocab := tt.shape[0]
	for _, id := range it.host {
		if id < 0 || int(id) >= vocab {
			return errorf("embedding", "id %d outside vocab %d", id, vocab)
		}
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	if tt.dt == kernels.Q8_0 {
		return b.launch("embed_q8", grid1(T), grid1(256), tt.ptr, tt.scl, it.ptr, d.ptr, dim)
	}
	name := map[kernels.DType]string{kernels.F32: "embed_f32", kernels.F16: "embed_f16", kernels.BF16: "embed_bf16"}[tt.dt]
	return b.launch(name, grid1(T), grid1(256), tt.ptr, it.ptr, d.ptr, dim)
}

// RMSNorm: dst = x / sqrt(mean(x²) + eps) * w per row; dst may alias x.
func (b *Backend) RMSNorm(dst, x, w kernels.Tensor, eps float32) error {
	xt, T, n, err := b.f32Mat("rmsnorm x", x)
	if err != nil {
		return err
	}
	wp, err := b.vector("rmsnorm w", w, n)
	if err != nil {
		return err
	}
	d, dT, dn, err := b.f32Mat("rmsnorm dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dn != n {
		return errorf("rmsnorm", "dst (%d, %d), want (%d, %d)", dT, dn, T, n)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.launch("rmsnorm", grid1(T), grid1(rowThreads(n)), xt.ptr, wp, d.ptr, n, eps)
}

// rowThreads is the block size of a one-block-per-row kernel.
func rowThreads(n int) int {
	switch {
	case n >= 8192:
		return 1024
	case n >= 1024:
		return 256
	}
	return 128
}

// elementwise checks three same-shaped 2-D F32 operands and returns the
// value count.
func (b *Backend) elementwise(op string, dst, x, y kernels.Tensor) (d, xt, yt *tensor, n int, err error) {
	xt, T, c, err := b.f32Mat(op+" a", x)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	yt, T2, c2, err := b.f32Mat(op+" b", y)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	d, T3, c3, err := b.f32Mat(op+" dst", dst)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	if T2 != T || T3 != T || c2 != c || c3 != c {
		return nil, nil, nil, 0, errorf(op, "shapes (%d,%d) (%d,%d) → (%d,%d) differ", T, c, T2, c2, T3, c3)
	}
	return d, xt, yt, T * c, nil
}

// elementwiseGrid covers n values with 256-thread blocks (grid-stride
// beyond 64K blocks).
func elementwiseGrid(n int) dim3 { return grid1(min(ceilDiv(n, 256), 65535)) }

// SwiGLU: dst = silu(gate) * up; dst may alias gate or up.
func (b *Backend) SwiGLU(dst, gate, up kernels.Tensor) error {
	return b.pointwise("swiglu", "swiglu", dst, gate, up)
}

// GELU: dst = x/2·(1 + erf(x/√2)), the exact form; dst may alias x.
func (b *Backend) GELU(dst, x kernels.Tensor) error {
	d, xt, _, n, err := b.elementwise("gelu", dst, x, x)
	if err != nil {
		return err
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.launch("gelu", elementwiseGrid(n), grid1(256), d.ptr, xt.ptr, n)
}

// Add: dst = a + b; dst may alias a or b.
func (b *Backend) Add(dst, x, y kernels.Tensor) error {
	return b.pointwise("add", "add_f32", dst, x, y)
}

func (b *Backend) pointwise(op, kernel string, dst, x, y kernels.Tensor) error {
	d, xt, yt, n, err := b.elementwise(op, dst, x, y)
	if err != nil {
		return err
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.launch(kernel, elementwiseGrid(n), grid1(256), d.ptr, xt.ptr, yt.ptr, n)
}

// Softmax: row-wise softmax; dst may alias x.
func (b *Backend) Softmax(dst, x kernels.Tensor) error {
	xt, T, n, err := b.f32Mat("softmax x", x)
	if err != nil {
		return err
	}
	d, dT, dn, err := b.f32Mat("softmax dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dn != n {
		return errorf("softmax", "dst (%d, %d), want (%d, %d)", dT, dn, T, n)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	return b.launch("softmax", grid1(T), grid1(rowThreads(n)), xt.ptr, d.ptr, n)
}

// maxHeadDim is the attention kernel's limit (8 values per lane).
const maxHeadDim = 256

// Attention: q (T, heads*D) over k, v (≥ Start+T, kvHeads*D) → dst (T, heads*D).
func (b *Backend) Attention(dst, q, k, v kernels.Tensor, p kernels.AttentionParams) error {
	qt, T, qw, err := b.f32Mat("attention q", q)
	if err != nil {
		return err
	}
	kt, kRows, kw, err := b.f32Mat("attention k", k)
	if err != nil {
		return err
	}
	vt, _, _, err := b.f32Mat("attention v", v)
	if err != nil {
		return err
	}
	if err := p.Validate(kernels.Shape{T, qw}, kernels.Shape{kRows, kw}, v.Shape()); err != nil {
		return err
	}
	d, dT, dw, err := b.f32Mat("attention dst", dst)
	if err != nil {
		return err
	}
	if dT != T || dw != qw {
		return errorf("attention", "dst (%d, %d), want (%d, %d)", dT, dw, T, qw)
	}
	if p.HeadDim > maxHeadDim {
		return errorf("attention", "head_dim %d > %d: %w", p.HeadDim, maxHeadDim, kernels.ErrNotImplemented)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	causal := 0
	if p.Causal {
		causal = 1
	}
	return b.launch("attention", grid2(T, p.Heads), grid1(128), qt.ptr, kt.ptr, vt.ptr, d.ptr,
		T, p.Heads, p.KVHeads, p.HeadDim, p.Start, causal, p.Scale, qw, kw)
}

// RoPE rotates x (T, heads*headDim) in place, NeoX style. The cos/sin of
// every (row, pair) are computed on the host in float64 from the host copy
// of pos, exactly as the CPU backend does, and uploaded as a table.
func (b *Backend) RoPE(x, pos kernels.Tensor, p kernels.RoPEParams) error {
	xt, T, cols, err := b.f32Mat("rope x", x)
	if err != nil {
		return err
	}
	if err := p.Validate(cols); err != nil {
		return err
	}
	pt, err := b.asTensor("rope pos", pos)
	if err != nil {
		return err
	}
	want := kernels.Shape{T}
	if p.Sections != nil {
		want = kernels.Shape{len(p.Sections), T}
	}
	if pt.dt != kernels.I32 || !pt.shape.Equal(want) {
		return errorf("rope", "pos %s%v, want I32%v", pt.dt, pt.shape, want)
	}
	done, err := b.enter()
	if err != nil {
		return err
	}
	defer done()
	tp, err := b.ropeTableOnDevice(pt.host, T, p)
	if err != nil {
		return err
	}
	half := p.RotDim() / 2
	return b.launch("rope", grid1(T), grid1(128), xt.ptr, tp, p.Heads, p.HeadDim, half, cols)
}

// ropeKey identifies the RoPE table last uploaded: the table depends on
// the positions and the frequencies, not on the head count, so q and k of
// every layer of a forward pass share one.
type ropeKey struct {
	pos      []int32
	dim      int
	theta    float64
	sections string
	freqs    bool
}

func (k *ropeKey) equal(o *ropeKey) bool {
	return k.dim == o.dim && k.theta == o.theta && k.sections == o.sections && k.freqs == o.freqs && slices.Equal(k.pos, o.pos)
}

// ropeTableOnDevice returns the device address of the (cos, sin) table
// for pos and p, computing and uploading it only when it changed.
func (b *Backend) ropeTableOnDevice(pos []int32, T int, p kernels.RoPEParams) (uint64, error) {
	key := &ropeKey{pos: pos, dim: p.RotDim(), theta: p.Theta, sections: fmt.Sprint(p.Sections), freqs: p.SectionFreqs}
	if b.rope != nil && b.rope.equal(key) && b.scratch[scrTable] != 0 {
		return b.scratch[scrTable], nil
	}
	table := ropeTable(pos, T, p)
	tp, err := b.scratchBuf(scrTable, uint64(4*len(table)))
	if err != nil {
		return 0, err
	}
	if err := b.htod(tp, f32Bytes(table)); err != nil {
		b.rope = nil
		return 0, err
	}
	key.pos = slices.Clone(pos)
	b.rope = key
	return tp, nil
}

// ropeTable returns (cos, sin) for every row t and pair i: T·half pairs.
func ropeTable(pos []int32, T int, p kernels.RoPEParams) []float32 {
	d := p.RotDim()
	half := d / 2
	inv := make([]float64, half)
	axis := make([]int, half)
	for i := range inv {
		inv[i] = math.Pow(p.Theta, -float64(2*i)/float64(d))
	}
	i := 0
	for a, s := range p.Sections {
		for j := range s {
			axis[i] = a
			if p.SectionFreqs {
				inv[i] = math.Pow(p.Theta, -float64(j)/float64(s))
			}
			i++
		}
	}
	out := make([]float32, 2*T*half)
	for t := range T {
		for i := range half {
			s, c := math.Sincos(float64(pos[axis[i]*T+t]) * inv[i])
			out[2*(t*half+i)], out[2*(t*half+i)+1] = float32(c), float32(s)
		}
	}
	return out
}
