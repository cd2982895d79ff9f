package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

func TestSizes_Pinned(t *testing.T) {
	if got := unsafe.Sizeof(BlockQ8_0{}); got != BlockQ8_0Bytes || BlockQ8_0Bytes != 34 {
		t.Fatalf("sizeof(BlockQ8_0) = %d, BlockQ8_0Bytes = %d, want 34", got, BlockQ8_0Bytes)
	}
	for _, c := range []struct {
		t    Type
		n    int
		want int
	}{{F32, 3, 12}, {F16, 3, 6}, {BF16, 3, 6}, {Q8_0, 64, 68}, {Q8_0, 32 * 896, 28 * 34 * 32}} {
		got, err := c.t.RowBytes(c.n)
		if err != nil || got != c.want {
			t.Errorf("%s.RowBytes(%d) = %d, %v; want %d", c.t, c.n, got, err, c.want)
		}
	}
	if _, err := Q8_0.RowBytes(33); err == nil {
		t.Error("Q8_0 row of 33 accepted")
	}
	// ggml's enum ggml_type numbers, written into GGUF tensor infos.
	if F32 != 0 || F16 != 1 || Q8_0 != 8 || BF16 != 30 {
		t.Error("type numbers differ from ggml_type")
	}
}

// f16Ref rounds through float64 with math.RoundToEven: an independent
// reference for F32ToF16.
func f16Ref(f float32) uint16 {
	x := float64(f)
	sign := uint16(0)
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	switch {
	case x != x:
		return sign | 0x7e00
	case x >= 65520:
		return sign | 0x7c00
	case x < 0x1p-14:
		return sign | uint16(math.RoundToEven(x*(1<<24)))
	}
	e := math.Floor(math.Log2(x))
	m := math.RoundToEven((x/math.Exp2(e) - 1) * 1024)
	if m == 1024 {
		m, e = 0, e+1
	}
	return sign | uint16(e+15)<<10 | uint16(m)
}

func TestF16_RoundTripEveryHalf(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f {
			if got := F32ToF16(f); got&0x7fff != 0x7e00 || got&0x8000 != uint16(h)&0x8000 {
				t.Fatalf("NaN %#04x → %#04x, want sign|0x7e00", h, got)
			}
			continue
		}
		if got := F32ToF16(f); got != uint16(h) {
			t.Fatalf("F32ToF16(F16ToF32(%#04x) = %g) = %#04x", h, f, got)
		}
	}
}

func TestF16_TiesToEvenBetweenEveryPair(t *testing.T) {
	for h := 0; h < 0x7bff; h++ { // positive finite halves and their successors
		lo, hi := float64(F16ToF32(uint16(h))), float64(F16ToF32(uint16(h+1)))
		mid := float32((lo + hi) / 2) // exact: 12 significant bits
		want := uint16(h)
		if h&1 == 1 {
			want = uint16(h + 1)
		}
		if got := F32ToF16(mid); got != want {
			t.Fatalf("midpoint of %#04x,%#04x (%g) → %#04x, want %#04x", h, h+1, mid, got, want)
		}
		if got := F32ToF16(math.Nextafter32(mid, 0)); got != uint16(h) {
			t.Fatalf("just below midpoint %g → %#04x, want %#04x", mid, got, h)
		}
		if got := F32ToF16(math.Nextafter32(mid, 1e9)); got != uint16(h+1) {
			t.Fatalf("just above midpoint %g → %#04x, want %#04x", mid, got, h+1)
		}
		if got := F32ToF16(-mid); got != want|0x8000 {
			t.Fatalf("negative midpoint %g → %#04x", -mid, got)
		}
	}
}

func TestF16_RandomAgainstFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		f := math.Float32frombits(r.Uint32())
		if got, want := F32ToF16(f), f16Ref(f); got != want {
			t.Fatalf("F32ToF16(%g = %#08x) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
	for _, c := range []struct {
		f    float32
		want uint16
	}{{65504, 0x7bff}, {65519.996, 0x7bff}, {65520, 0x7c00}, {float32(math.Inf(-1)), 0xfc00}, {0x1p-24, 1}, {0x1p-25, 0}, {0x1.8p-25, 1}, {float32(math.Copysign(0, -1)), 0x8000}} {
		if got := F32ToF16(c.f); got != c.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}

func TestBF16_RoundingAndNaN(t *testing.T) {
	for _, c := range []struct {
		bits uint32
		want uint16
	}{
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above half
		{0x7f7fffff, 0x7f80}, // max float rounds to Inf
		{0x7f800000, 0x7f80}, // Inf
		{0xff800001, 0xffc0}, // signalling NaN made quiet, sign kept
		{0x7fc12345, 0x7fc1}, // quiet NaN keeps its top payload
	} {
		if got := F32ToBF16(math.Float32frombits(c.bits)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.bits, got, c.want)
		}
	}
	for h := 0; h < 1<<16; h++ {
		f := BF16ToF32(uint16(h))
		if f == f && F32ToBF16(f) != uint16(h) {
			t.Fatalf("bf16 %#04x does not round-trip", h)
		}
	}
}

// q8Block quantizes one block and returns scale and values.
func q8Block(x []float32) (uint16, []int8, []float32) {
	b := make([]byte, BlockQ8_0Bytes)
	QuantizeRowQ8_0(b, x)
	q := make([]int8, QK8_0)
	for i := range q {
		q[i] = int8(b[2+i])
	}
	back := make([]float32, QK8_0)
	DequantizeRowQ8_0(back, b)
	return binary.LittleEndian.Uint16(b), q, back
}

func TestQ8_0_KnownBlock(t *testing.T) {
	// amax 127 makes d = 1 and id = 1 exactly, so q = roundf(x).
	x := make([]float32, QK8_0)
	for i := range x {
		x[i] = float32(i) - 16
	}
	x[0], x[1], x[2], x[3] = -127, 2.5, -2.5, 0.49999997
	d, q, back := q8Block(x)
	if d != 0x3c00 {
		t.Fatalf("scale %#04x, want 0x3c00 (1.0)", d)
	}
	want := map[int]int8{0: -127, 1: 3, 2: -3, 3: 0, 4: -12, 31: 15} // halves away from zero, not to even
	for i, w := range want {
		if q[i] != w {
			t.Errorf("q[%d] = %d, want %d", i, q[i], w)
		}
	}
	if back[1] != 3 || back[0] != -127 {
		t.Errorf("dequantized %g %g", back[0], back[1])
	}
}

func TestQ8_0_RoundTripWithinBound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	scales := []float32{1e-6, 1e-3, 0.02, 1, 300, 60000, 1e6}
	for _, s := range scales {
		for trial := 0; trial < 2000; trial++ {
			x := make([]float32, QK8_0)
			var amax float32
			for i := range x {
				x[i] = float32(r.NormFloat64()) * s
				amax = max(amax, float32(math.Abs(float64(x[i]))))
			}
			_, q, back := q8Block(x)
			bound := ErrorBound(amax)
			for i := range x {
				if e := math.Abs(float64(x[i]) - float64(back[i])); e > bound {
					t.Fatalf("scale %g: |x−x̂| = %g > bound %g (x %g, q %d)", s, e, bound, x[i], q[i])
				}
			}
		}
	}
	// A scale exactly representable in fp16: the error is at most d/2.
	x := make([]float32, QK8_0)
	for i := range x {
		x[i] = float32(i)*0.37 - 5
	}
	x[0] = 127 * 0.0625 // amax = 7.9375, d = 1/16 exactly
	_, _, back := q8Block(x)
	for i := range x {
		if e := math.Abs(float64(x[i] - back[i])); e > 0.0625/2 {
			t.Fatalf("exact scale: error %g > d/2", e)
		}
	}
}

func TestQ8_0_ZeroAndExtremes(t *testing.T) {
	d, q, back := q8Block(make([]float32, QK8_0))
	for i := range q {
		if q[i] != 0 || back[i] != 0 {
			t.Fatal("zero block does not stay zero")
		}
	}
	if d != 0 {
		t.Fatalf("zero block scale %#04x", d)
	}
	// Largest magnitudes map to ±127; signs survive.
	x := make([]float32, QK8_0)
	x[3], x[9] = -5, 5
	_, q, _ = q8Block(x)
	if q[3] != -127 || q[9] != 127 {
		t.Fatalf("extremes → %d %d", q[3], q[9])
	}
	// amax/127 beyond fp16: the scale overflows to Inf, as in ggml.
	x[0] = 1e7
	d, _, _ = q8Block(x)
	if d != 0x7c00 {
		t.Fatalf("huge block scale %#04x, want Inf", d)
	}
	// Below fp16's range the scale flushes to zero: all values decode to 0.
	for i := range x {
		x[i] = 1e-12
	}
	_, _, back = q8Block(x)
	for _, v := range back {
		if v != 0 {
			t.Fatalf("tiny block decodes to %g", v)
		}
	}
}

func TestQ8_0_NonFinitePolicy(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		x := make([]float32, 2*QK8_0)
		for i := range x {
			x[i] = float32(i)
		}
		x[5] = bad
		b := make([]byte, 2*BlockQ8_0Bytes)
		QuantizeRowQ8_0(b, x)
		back := make([]float32, len(x))
		DequantizeRowQ8_0(back, b)
		for i := 0; i < QK8_0; i++ {
			if !math.IsNaN(float64(back[i])) {
				t.Fatalf("%g: value %d of the poisoned block decodes to %g, want NaN", bad, i, back[i])
			}
		}
		for i := QK8_0; i < 2*QK8_0; i++ {
			if math.IsNaN(float64(back[i])) {
				t.Fatalf("%g: the next block is poisoned too", bad)
			}
		}
	}
}

func TestRows_EncodeDecode(t *testing.T) {
	src := []float32{1, -2.5, 3.140625, 1e-3, 0, -0.0, 65504, 7}
	for _, typ := range []Type{F32, F16, BF16} {
		n, _ := typ.RowBytes(len(src))
		buf := make([]byte, n)
		if err := EncodeRow(buf, typ, src); err != nil {
			t.Fatal(err)
		}
		back := make([]float32, len(src))
		if err := DecodeRow(back, typ, buf); err != nil {
			t.Fatal(err)
		}
		for i := range src {
			want := src[i]
			switch typ {
			case F16:
				want = F16ToF32(F32ToF16(src[i]))
			case BF16:
				want = BF16ToF32(F32ToBF16(src[i]))
			}
			if back[i] != want {
				t.Errorf("%s: %g → %g, want %g", typ, src[i], back[i], want)
			}
		}
	}
	if err := DecodeRow(make([]float32, 4), F16, make([]byte, 7)); err == nil {
		t.Error("short source accepted")
	}
	if err := EncodeRow(make([]byte, 34), Q8_0, make([]float32, 31)); err == nil {
		t.Error("Q8_0 row of 31 accepted")
	}
}

func FuzzQuantizeRowQ8_0(f *testing.F) {
	f.Add(make([]byte, 4*QK8_0))
	seed := make([]byte, 4*QK8_0)
	for i := range QK8_0 {
		binary.LittleEndian.PutUint32(seed[4*i:], math.Float32bits(float32(i)-15.5))
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := len(raw) / 4 / QK8_0 * QK8_0
		x := make([]float32, n)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		b := make([]byte, n/QK8_0*BlockQ8_0Bytes)
		QuantizeRowQ8_0(b, x)
		back := make([]float32, n)
		DequantizeRowQ8_0(back, b)
		for blk := 0; blk < n/QK8_0; blk++ {
			xs := x[blk*QK8_0 : (blk+1)*QK8_0]
			var amax float32
			finite := true
			for _, v := range xs {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					finite = false
				}
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			for i, v := range xs {
				got := back[blk*QK8_0+i]
				if !finite {
					if !math.IsNaN(float64(got)) {
						t.Fatalf("non-finite block decodes to %g", got)
					}
					continue
				}
				if amax/127 > 65504 { // scale overflows to Inf, as ggml
					continue
				}
				if e := math.Abs(float64(v) - float64(got)); e > ErrorBound(amax) {
					t.Fatalf("x %g → %g: error %g > %g", v, got, e, ErrorBound(amax))
				}
			}
		}
	})
}

func BenchmarkQuantizeRowQ8_0(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dst := make([]byte, len(x)/QK8_0*BlockQ8_0Bytes)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		QuantizeRowQ8_0(dst, x)
	}
}

func BenchmarkDequantizeRowQ8_0(b *testing.B) {
	x := make([]float32, 4096)
	src := make([]byte, len(x)/QK8_0*BlockQ8_0Bytes)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		DequantizeRowQ8_0(x, src)
	}
}

// q8Ref is the plain transcription of the reference algorithm (float64
// helpers from math) that QuantizeRowQ8_0 must equal bit for bit.
func q8Ref(x []float32) []byte {
	out := make([]byte, BlockQ8_0Bytes)
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(out, F32ToF16(d))
	for j, v := range x {
		out[2+j] = byte(int8(math.Round(float64(v * id))))
	}
	return out
}

func TestQ8_0_MatchesPlainReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	got := make([]byte, BlockQ8_0Bytes)
	for trial := 0; trial < 200000; trial++ {
		x := make([]float32, QK8_0)
		scale := float32(math.Exp2(float64(r.IntN(60) - 30)))
		for i := range x {
			switch r.IntN(4) {
			case 0: // values that land on exact halves of the step when amax is 127·2^k
				x[i] = float32(r.IntN(255)-127) / 2 * scale
			default:
				x[i] = float32(r.NormFloat64()) * scale
			}
		}
		if trial%3 == 0 {
			x[r.IntN(QK8_0)] = 127 * scale
		}
		QuantizeRowQ8_0(got, x)
		if want := q8Ref(x); !bytes.Equal(got, want) {
			t.Fatalf("block %v:\n got % x\nwant % x", x, got, want)
		}
	}
}

func TestVecDotQ8_0_MatchesDequantizedDot(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n := 8 * QK8_0
	a, b := make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	qa, qb := make([]byte, n/QK8_0*BlockQ8_0Bytes), make([]byte, n/QK8_0*BlockQ8_0Bytes)
	QuantizeRowQ8_0(qa, a)
	QuantizeRowQ8_0(qb, b)
	da, db := make([]float32, n), make([]float32, n)
	DequantizeRowQ8_0(da, qa)
	DequantizeRowQ8_0(db, qb)
	var want, exact float64
	for i := range da {
		want += float64(da[i]) * float64(db[i])
		exact += float64(a[i]) * float64(b[i])
	}
	got := float64(VecDotQ8_0(n, qa, qb))
	if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("VecDotQ8_0 = %g, dequantized dot = %g", got, want)
	}
	if math.Abs(got-exact) > 0.05*math.Sqrt(float64(n)) {
		t.Fatalf("VecDotQ8_0 = %g, f32 dot = %g", got, exact)
	}
	// Hand-checked case: d = 1 for both, q = (1, 2, 0, …) and (3, −4, 0, …).
	x := make([]float32, QK8_0)
	y := make([]float32, QK8_0)
	x[0], x[1], x[2] = 1, 2, 127
	y[0], y[1], y[3] = 3, -4, 127
	bx, by := make([]byte, BlockQ8_0Bytes), make([]byte, BlockQ8_0Bytes)
	QuantizeRowQ8_0(bx, x)
	QuantizeRowQ8_0(by, y)
	if got := VecDotQ8_0(QK8_0, bx, by); got != -5 {
		t.Fatalf("hand case = %g, want -5", got)
	}
}
