package cpu

import (
	"github.com/lingshu-edge/lingshu/kernels"
)

// Q8_0 matmul. Each activation row is quantized once per matmul to int8
// blocks of 32 (one f32 scale each) and multiplied with the GGUF Q8_0
// weight blocks as exact int8·int8 dots, scaled per block in f32. Decode
// (and prefill on CPUs without the grouped kernels) reads the GGUF blocks
// directly, with activations in the pair layout below; prefill repacks
// weights into the grouped layout of q8g.go.
//
// Quantized activation row (q8ActRowBytes bytes), blocks taken in pairs
// (an odd last block is followed by a zero block), 192 bytes a pair:
//
//	[0, 64)    int8 quants of blocks 2p and 2p+1
//	[64, 128)  int32 correction lanes: lane j of a block is -128·(q[4j]+…+q[4j+3])
//	[128, 192) f32 scale of block 2p eight times, then of block 2p+1 eight times
//
// The kernels multiply unsigned weights (w+128, the GGUF int8 with its sign
// bit flipped) by signed activations (VPDPBUSD takes u8 × s8), starting each
// int32 lane from its correction so that it ends at the exact Σ w·q.
const (
	q8ActPairBytes = 192
	// q8TileMinT is the number of x rows from which the matmul repacks
	// weights into grouped tiles; fewer rows (decode) read the GGUF blocks
	// directly.
	q8TileMinT = 4
	// q8TileBytes is about how many weight bytes one worker keeps hot
	// while the activation rows stream past them.
	q8TileBytes = 192 << 10
)

// q8ActRowBytes is the size of one quantized activation row of n values.
func q8ActRowBytes(n int) int {
	nb := n / kernels.Q8_0BlockLen
	return (nb + 1) / 2 * q8ActPairBytes
}

// matmulQ8 is MatMul for Q8_0 weights.
func (b *Backend) matmulQ8(dst, x []float32, w *tensor, bias []float32, T, in, out int) {
	k := b.kern
	if T >= q8TileMinT && k.q8gTile != nil {
		b.matmulQ8G(dst, x, w, bias, T, in, out)
		return
	}
	arb := q8ActRowBytes(in)
	abuf := b.bytes(T * arb)
	defer b.releaseBytes(abuf)
	act := *abuf
	b.pool.run(T, b.pool.grainForWork(T, 4*in, 1, 1), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			k.quantQ8(act[t*arb:(t+1)*arb], x[t*in:(t+1)*in])
		}
	})
	wrb := in / kernels.Q8_0BlockLen * kernels.Q8_0BlockBytes
	// Blocks of rows sized for the cache, every activation row over each.
	block := max(q8TileBytes/wrb/4*4, 4)
	grain := b.pool.grainForWork(out, T*in, 4, 4)
	b.pool.run(out, grain, func(lo, hi int) {
		for r0 := lo; r0 < hi; r0 += block {
			r1 := min(r0+block, hi)
			for t := range T {
				k.q8Rows(dst[t*out+r0:t*out+r1], w.raw[r0*wrb:r1*wrb], act[t*arb:(t+1)*arb])
			}
		}
		addBias(dst, bias, T, out, lo, hi)
	})
}

// addBias adds bias[lo:hi] to columns [lo, hi) of the T rows of dst.
func addBias(dst, bias []float32, T, out, lo, hi int) {
	if bias == nil {
		return
	}
	for t := range T {
		d := dst[t*out+lo : t*out+hi]
		for i := range d {
			d[i] += bias[lo+i]
		}
	}
}
