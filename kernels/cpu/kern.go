package cpu

// kernelSet is the set of inner kernels a backend runs, chosen once at
// New from the CPU's features (kern_amd64.go, kern_arm64.go) or the
// pure-Go twins (kern_generic.go) under -tags noasm and on other
// architectures. Each field's contract is the doc comment of its
// *Generic twin.
type kernelSet struct {
	name string // e.g. "avx512vnni", "avx2", "neon-dotprod", "neon", "generic"

	// Q8_0 weights × int8-quantized activations (layout in q8.go).
	quantQ8 func(dst []byte, x []float32)    // quantizeRowQ8Generic
	q8Rows  func(dst []float32, w, a []byte) // q8RowsGeneric

	// Grouped Q8 layout for prefill (q8g.go); nil q8gTile: prefill runs
	// the kernels above.
	quantQ8G  func(dst []byte, x []float32)              // quantizeRowQ8GGeneric
	q8gRepack func(dst, w []byte, nb, rows int)          // repackQ8GGeneric
	q8gTile   func(dst []float32, wt, a []byte, lda int) // q8gTile4x3Generic

	// Attention rows (attention.go): attnScoresGeneric, attnAccumGeneric,
	// expShiftGeneric.
	attnScores func(dst, q, k []float32, ldk, d int, scale float32) float32
	attnAccum  func(out, p, v []float32, ldv int, scale float32)
	expShift   func(x []float32, m float32) float32
	swiglu     func(dst, g, u []float32) // swigluRowGeneric

	// Float weights × f32 activations; nil when only the plain-Go
	// matmul (matmulBlock and the fused loops) is available.
	f32x1, f32x3   func(dst []float32, w, x []float32, n int) // dotF32x1Generic, dotF32x3Generic
	f16x1, f16x3   func(dst []float32, w []uint16, x []float32, n int)
	bf16x1, bf16x3 func(dst []float32, w []uint16, x []float32, n int)
	// Four weight rows × six x rows (dotF32x6Generic …); nil: x3 only.
	f32x6         func(dst []float32, w, x []float32, n int)
	f16x6, bf16x6 func(dst []float32, w []uint16, x []float32, n int)
}

// genericKernels is the pure-Go kernel set: the oracle of every other set.
func genericKernels() *kernelSet {
	return &kernelSet{
		name:    "generic",
		quantQ8: quantizeRowQ8Generic,
		q8Rows:  q8RowsGeneric,

		quantQ8G:  quantizeRowQ8GGeneric,
		q8gRepack: repackQ8GGeneric,
		q8gTile:   q8gTile4x3Generic,

		attnScores: attnScoresGeneric,
		attnAccum:  attnAccumGeneric,
		expShift:   expShiftGeneric,
		swiglu:     swigluRowGeneric,
	}
}

// hasFloatKernels reports whether the float matmul runs through the
// vector kernels rather than the plain-Go loops.
func (k *kernelSet) hasFloatKernels() bool { return k.f32x1 != nil }
