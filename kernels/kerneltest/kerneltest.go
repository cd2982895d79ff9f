// Package kerneltest is the conformance suite every kernels.Backend runs:
// each op on awkward sizes, compared with a reference backend (the CPU
// backend's generic oracles, cpu.NewReference) by normalised mean squared
// error, with a threshold per weight dtype.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Thresholds is the largest NMSE accepted per weight dtype. Float weights
// are widened exactly, so only f32 summation order differs; Q8_0 leaves
// room for activations quantized to int8 per block of 32 (the CPU
// backend's path, about 3e-5 on the suite's uniform inputs).
func Thresholds(dt kernels.DType) float64 {
	switch dt {
	case kernels.Q8_0:
		return 1e-4
	}
	return 1e-10
}

// pair runs the same op on the backend under test and the reference.
type pair struct {
	t       *testing.T
	be, ref kernels.Backend
	r       *rand.Rand
	toFree  []func()
}

// both is a tensor made on each backend.
type both struct{ got, want kernels.Tensor }

// Run runs every conformance test of be against ref.
func Run(t *testing.T, be, ref kernels.Backend) {
	tests := []struct {
		name string
		fn   func(*pair)
	}{
		{"Memory", testMemory},
		{"MatMul", testMatMul},
		{"Embedding", testEmbedding},
		{"RMSNorm", testRMSNorm},
		{"RoPE", testRoPE},
		{"Attention", testAttention},
		{"Elementwise", testElementwise},
		{"Softmax", testSoftmax},
		{"TopK", testTopK},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &pair{t: t, be: be, ref: ref, r: rand.New(rand.NewPCG(uint64(i), 42))}
			defer p.free()
			tc.fn(p)
		})
	}
}

func (p *pair) free() {
	for _, f := range p.toFree {
		f()
	}
}

// upload puts the same values (encoded as dt) on both backends.
func (p *pair) upload(dt kernels.DType, shape kernels.Shape, v []float32) both {
	p.t.Helper()
	data := Encode(dt, v)
	g, err := p.be.Upload("test", dt, shape, data)
	if err != nil {
		p.t.Fatalf("upload %s%v: %v", dt, shape, err)
	}
	w, err := p.ref.Upload("test", dt, shape, data)
	if err != nil {
		p.t.Fatalf("reference upload %s%v: %v", dt, shape, err)
	}
	p.toFree = append(p.toFree, func() { p.be.Free(g); p.ref.Free(w) })
	return both{g, w}
}

// random uploads uniform values in [-scale, scale).
func (p *pair) random(dt kernels.DType, shape kernels.Shape, scale float32) both {
	return p.upload(dt, shape, Random(p.r, shape.Numel(), scale))
}

// ints uploads I32 values on both backends.
func (p *pair) ints(shape kernels.Shape, v []int) both {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return p.upload(kernels.I32, shape, f)
}

// alloc makes a zeroed F32 tensor on both backends.
func (p *pair) alloc(shape kernels.Shape) both {
	p.t.Helper()
	g, err := p.be.Alloc(kernels.F32, shape)
	if err != nil {
		p.t.Fatalf("alloc %v: %v", shape, err)
	}
	w, err := p.ref.Alloc(kernels.F32, shape)
	if err != nil {
		p.t.Fatalf("reference alloc %v: %v", shape, err)
	}
	p.toFree = append(p.toFree, func() { p.be.Free(g); p.ref.Free(w) })
	return both{g, w}
}

// copyOf allocates an F32 tensor on both backends holding src's values.
func (p *pair) copyOf(src both) both {
	p.t.Helper()
	d := p.alloc(src.want.Shape())
	if err := p.be.Copy(d.got, src.got); err != nil {
		p.t.Fatal(err)
	}
	if err := p.ref.Copy(d.want, src.want); err != nil {
		p.t.Fatal(err)
	}
	return d
}

// run calls op on each backend; errors fail the test.
func (p *pair) run(name string, op func(be kernels.Backend, pick func(both) kernels.Tensor) error) {
	p.t.Helper()
	if err := op(p.be, func(b both) kernels.Tensor { return b.got }); err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
	if err := op(p.ref, func(b both) kernels.Tensor { return b.want }); err != nil {
		p.t.Fatalf("%s (reference): %v", name, err)
	}
}

// check downloads both results and compares them by NMSE.
func (p *pair) check(name string, out both, threshold float64) {
	p.t.Helper()
	got, want := p.download(p.be, out.got), p.download(p.ref, out.want)
	e := NMSE(got, want)
	if !(e <= threshold) {
		p.t.Errorf("%s: NMSE %.3g > %.3g (first values %v vs %v)", name, e, threshold, head(got), head(want))
	} else if testing.Verbose() {
		p.t.Logf("%s: NMSE %.3g", name, e)
	}
}

func (p *pair) download(be kernels.Backend, t kernels.Tensor) []float32 {
	p.t.Helper()
	out := make([]float32, t.Shape().Numel())
	if err := be.Download(t, out); err != nil {
		p.t.Fatalf("download: %v", err)
	}
	return out
}

func head(v []float32) []float32 { return v[:min(4, len(v))] }

func name(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func testMemory(p *pair) {
	x := p.random(kernels.F32, kernels.Shape{7, 5}, 1)
	want := p.download(p.be, x.got)
	rows, err := p.be.Rows(x.got, 2, 3)
	if err != nil {
		p.t.Fatal(err)
	}
	if !rows.Shape().Equal(kernels.Shape{3, 5}) {
		p.t.Fatalf("rows shape %v", rows.Shape())
	}
	if got := p.download(p.be, rows); NMSE(got, want[10:25]) != 0 {
		p.t.Errorf("rows view %v, want %v", got, want[10:25])
	}
	dst := p.alloc(kernels.Shape{3, 5})
	if err := p.be.Copy(dst.got, rows); err != nil {
		p.t.Fatal(err)
	}
	if err := p.be.Write(dst.got, Encode(kernels.F32, want[:15])); err != nil {
		p.t.Fatal(err)
	}
	if got := p.download(p.be, dst.got); NMSE(got, want[:15]) != 0 {
		p.t.Errorf("write then download %v, want %v", got, want[:15])
	}
	if err := p.be.Write(x.got, Encode(kernels.F32, want)); err == nil {
		// Uploaded tensors may alias caller memory; writing them is refused
		// on the CPU. A device backend owns its copy and may accept it.
		p.t.Logf("backend %s accepts writes to uploaded tensors", p.be.Name())
	}
}

// weightTypes are the dtypes both backends accept.
func (p *pair) weightTypes() []kernels.DType {
	var out []kernels.DType
	for _, dt := range []kernels.DType{kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0} {
		if p.be.Capabilities().SupportsWeight(dt) && p.ref.Capabilities().SupportsWeight(dt) {
			out = append(out, dt)
		}
	}
	return out
}

func testMatMul(p *pair) {
	sizes := [][3]int{{1, 7, 5}, {1, 64, 9}, {2, 33, 17}, {3, 96, 13}, {5, 130, 67}, {17, 64, 40}, {1, 896, 43}, {9, 320, 70},
		{7, 96, 13}, {6, 160, 9}, {4, 32, 4}, // Q8_0 tiles: odd block counts, rows and x rows not multiples of 4
		{1, 896, 301}, {2, 128, 1030}, {33, 256, 100}} // the last three are big enough to run in parallel
	for _, dt := range p.weightTypes() {
		for _, s := range sizes {
			T, in, out := s[0], s[1], s[2]
			if dt == kernels.Q8_0 && in%kernels.Q8_0BlockLen != 0 {
				continue
			}
			for _, withBias := range []bool{false, true} {
				x := p.random(kernels.F32, kernels.Shape{T, in}, 1)
				w := p.random(dt, kernels.Shape{out, in}, 0.5)
				var bias both
				if withBias {
					bias = p.random(kernels.F32, kernels.Shape{out}, 1)
				}
				dst := p.alloc(kernels.Shape{T, out})
				n := name("matmul %s T=%d in=%d out=%d bias=%v", dt, T, in, out, withBias)
				p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
					var b kernels.Tensor
					if withBias {
						b = pick(bias)
					}
					return be.MatMul(pick(dst), pick(x), pick(w), b)
				})
				p.check(n, dst, Thresholds(dt))
			}
		}
	}
	testMatMulShapes(p)
}

// testMatMulShapes covers an N-D weight (a Conv3d kernel read as
// (out, in)) and row views of a weight and of a half-precision bias
// (one projection of a fused qkv).
func testMatMulShapes(p *pair) {
	x := p.random(kernels.F32, kernels.Shape{5, 3 * 2 * 4 * 4}, 1)
	w := p.random(kernels.BF16, kernels.Shape{6, 3, 2, 4, 4}, 0.5)
	dst := p.alloc(kernels.Shape{5, 6})
	p.run("matmul 5-D weight", func(be kernels.Backend, pick func(both) kernels.Tensor) error {
		return be.MatMul(pick(dst), pick(x), pick(w), nil)
	})
	p.check("matmul 5-D weight", dst, 1e-10)
	x2 := p.random(kernels.F32, kernels.Shape{4, 32}, 1)
	qkv := p.random(kernels.BF16, kernels.Shape{3 * 8, 32}, 0.5)
	bias := p.random(kernels.BF16, kernels.Shape{3 * 8}, 1)
	dst2 := p.alloc(kernels.Shape{4, 8})
	p.run("matmul row views", func(be kernels.Backend, pick func(both) kernels.Tensor) error {
		wk, err := be.Rows(pick(qkv), 8, 8)
		if err != nil {
			return err
		}
		bk, err := be.Rows(pick(bias), 8, 8)
		if err != nil {
			return err
		}
		return be.MatMul(pick(dst2), pick(x2), wk, bk)
	})
	p.check("matmul row views", dst2, 1e-10)
}

func testEmbedding(p *pair) {
	for _, dt := range p.weightTypes() {
		for _, dim := range []int{96, 896} {
			ids := make([]int, 6+dim/8)
			for i := range ids {
				ids[i] = p.r.IntN(37)
			}
			ids[0], ids[1] = 0, 36
			table := p.random(dt, kernels.Shape{37, dim}, 1)
			idsT := p.ints(kernels.Shape{len(ids)}, ids)
			dst := p.alloc(kernels.Shape{len(ids), dim})
			n := name("embedding %s dim %d", dt, dim)
			p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
				return be.Embedding(pick(dst), pick(table), pick(idsT))
			})
			p.check(n, dst, Thresholds(dt))
		}
	}
}

func testRMSNorm(p *pair) {
	for _, dt := range []kernels.DType{kernels.F32, kernels.BF16, kernels.F16} {
		for _, s := range [][2]int{{1, 64}, {3, 33}, {11, 896}, {64, 896}} {
			x := p.random(kernels.F32, kernels.Shape{s[0], s[1]}, 3)
			w := p.random(dt, kernels.Shape{s[1]}, 2)
			dst := p.alloc(kernels.Shape{s[0], s[1]})
			n := name("rmsnorm w=%s %v", dt, s)
			p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
				return be.RMSNorm(pick(dst), pick(x), pick(w), 1e-6)
			})
			p.check(n, dst, 1e-10)
		}
	}
}

func testRoPE(p *pair) {
	cases := []struct {
		T   int
		rp  kernels.RoPEParams
		pos []int
	}{
		{3, kernels.RoPEParams{Heads: 2, HeadDim: 16, Theta: 1e6}, []int{0, 1, 2}},
		{4, kernels.RoPEParams{Heads: 3, HeadDim: 12, Dim: 8, Theta: 1e4}, []int{7, 100, 4095, 3}},
		{5, kernels.RoPEParams{Heads: 1, HeadDim: 128, Theta: 1e6}, []int{0, 31, 1000, 32767, 5}},
		{2, kernels.RoPEParams{Heads: 4, HeadDim: 16, Theta: 1e6, Sections: []int{2, 3, 3}}, []int{4, 9, 4, 5, 4, 7}},
		{64, kernels.RoPEParams{Heads: 14, HeadDim: 64, Theta: 1e6}, seq(64)}, // parallel
		// Qwen2-VL vision rotary: (row, col) with a frequency ladder per section.
		{3, kernels.RoPEParams{Heads: 2, HeadDim: 16, Theta: 1e4, Sections: []int{4, 4}, SectionFreqs: true}, []int{0, 5, 35, 1, 2, 17}},
	}
	if !p.be.Capabilities().MRoPE {
		cases = cases[:3]
	}
	for _, c := range cases {
		x := p.copyOf(p.random(kernels.F32, kernels.Shape{c.T, c.rp.Heads * c.rp.HeadDim}, 2))
		shape := kernels.Shape{c.T}
		if c.rp.Sections != nil {
			shape = kernels.Shape{len(c.rp.Sections), c.T}
		}
		pos := p.ints(shape, c.pos)
		n := name("rope %+v", c.rp)
		p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.RoPE(pick(x), pick(pos), c.rp)
		})
		p.check(n, x, 1e-10)
	}
}

func testAttention(p *pair) {
	cases := []struct {
		heads, kv, dim, start, T int
		causal                   bool
	}{
		{4, 2, 16, 0, 5, true}, {4, 2, 16, 7, 1, true}, {6, 2, 12, 3, 4, true},
		{3, 3, 64, 0, 9, true}, {2, 1, 8, 5, 3, false}, {14, 2, 64, 30, 2, true},
		{14, 2, 64, 300, 2, true}, {4, 2, 32, 0, 40, true}, // parallel
	}
	for _, c := range cases {
		S := c.start + c.T + 2 // cache longer than used
		q := p.random(kernels.F32, kernels.Shape{c.T, c.heads * c.dim}, 1)
		k := p.random(kernels.F32, kernels.Shape{S, c.kv * c.dim}, 1)
		v := p.random(kernels.F32, kernels.Shape{S, c.kv * c.dim}, 1)
		dst := p.alloc(kernels.Shape{c.T, c.heads * c.dim})
		ap := kernels.AttentionParams{Heads: c.heads, KVHeads: c.kv, HeadDim: c.dim, Start: c.start,
			Scale: float32(1 / math.Sqrt(float64(c.dim))), Causal: c.causal}
		n := name("attention %+v", ap)
		p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.Attention(pick(dst), pick(q), pick(k), pick(v), ap)
		})
		p.check(n, dst, 1e-10)
	}
}

func testElementwise(p *pair) {
	for _, s := range [][2]int{{1, 7}, {3, 129}, {5, 4864}, {64, 4864}} {
		shape := kernels.Shape{s[0], s[1]}
		a := p.random(kernels.F32, shape, 4)
		b := p.random(kernels.F32, shape, 4)
		sum := p.alloc(shape)
		p.run("add", func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.Add(pick(sum), pick(a), pick(b))
		})
		p.check(name("add %v", s), sum, 1e-12)
		g := p.copyOf(a)
		p.run("swiglu", func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.SwiGLU(pick(g), pick(g), pick(b)) // in place
		})
		p.check(name("swiglu in place %v", s), g, 1e-10)
		e := p.copyOf(a)
		p.run("gelu", func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.GELU(pick(e), pick(e)) // in place
		})
		p.check(name("gelu in place %v", s), e, 1e-10)
	}
}

func testSoftmax(p *pair) {
	for _, s := range [][2]int{{1, 1}, {2, 33}, {3, 151936}} {
		x := p.random(kernels.F32, kernels.Shape{s[0], s[1]}, 20)
		dst := p.alloc(kernels.Shape{s[0], s[1]})
		n := name("softmax %v", s)
		p.run(n, func(be kernels.Backend, pick func(both) kernels.Tensor) error {
			return be.Softmax(pick(dst), pick(x))
		})
		p.check(n, dst, 1e-10)
	}
}

func testTopK(p *pair) {
	v := Random(p.r, 2*1000, 5)
	v[1000+17], v[1000+900], v[1000+3] = 9, 9, 9 // ties in row 1: lower id first
	x := p.upload(kernels.F32, kernels.Shape{2, 1000}, v)
	for _, k := range []int{1, 3, 40, 1000} {
		for row := range 2 {
			got, err := p.be.TopK(x.got, row, k)
			if err != nil {
				p.t.Fatal(err)
			}
			want, err := p.ref.TopK(x.want, row, k)
			if err != nil {
				p.t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				p.t.Errorf("topk row %d k=%d: got %v, want %v", row, k, head2(got), head2(want))
			}
		}
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 3 * i
	}
	return out
}

func head2(s []kernels.Scored) []kernels.Scored { return s[:min(5, len(s))] }
