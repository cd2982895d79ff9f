package cpu

import (
	"encoding/binary"
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Grouped Q8 layout for prefill. Sixteen blocks of 32 (a group, 512
// values) are interleaved four bytes at a time, so that lane i of a
// 16-lane int32 vector accumulates block i: eight VPDPBUSD finish sixteen
// block dots before any float work, instead of converting and scaling after
// every block pair (q8.go). Rows are padded with zero blocks to whole groups.
//
// Quantized activation row: per group 640 bytes:
//
//	[0, 512)   quants: byte k·64 + 4i + j is q[block i][4k + j] (k < 8, i < 16, j < 4)
//	[512, 576) int32 correction per block: -128·Σ q[block i]
//	[576, 640) f32 scale per block
//
// Weight tile (four rows): per group 4 × 576 bytes, for each row the
// quants +128 (sign bit flipped) interleaved as above, then the sixteen f32
// block scales. Pad blocks are w = 0 (0x80) with scale 0.
const (
	q8gBlocks     = 16
	q8gActBytes   = 640 // one group of one activation row
	q8gRowBytes   = 576 // one group of one weight row
	q8gTileBytes  = 4 * q8gRowBytes
	q8gTileRows   = 4 // weight rows per kernel call
	q8gTileXRows  = 3 // activation rows per kernel call
	q8gScaleStart = 512
)

// q8gGroups is the number of groups of a row of n values.
func q8gGroups(n int) int {
	return (n/kernels.Q8_0BlockLen + q8gBlocks - 1) / q8gBlocks
}

// q8gOffset is where byte e (< 32) of block i (< 16) lies in a group.
func q8gOffset(i, e int) int { return e/4*64 + 4*i + e%4 }

// quantizeRowQ8GGeneric quantizes x (len a multiple of 32) into dst
// (q8gGroups·640 bytes) in the grouped layout, with quantizeRowQ8Generic's
// arithmetic.
func quantizeRowQ8GGeneric(dst []byte, x []float32) {
	ng := q8gGroups(len(x))
	dst = dst[:ng*q8gActBytes]
	clear(dst[(ng-1)*q8gActBytes:])
	var pair [q8ActPairBytes]byte
	for b := range len(x) / kernels.Q8_0BlockLen {
		quantizeRowQ8Generic(pair[:], x[b*32:b*32+32]) // block in slot 0, zero pad in slot 1
		g := dst[b/q8gBlocks*q8gActBytes:]
		i := b % q8gBlocks
		var s int32
		for e := range 32 {
			g[q8gOffset(i, e)] = pair[e]
			s += int32(int8(pair[e]))
		}
		binary.LittleEndian.PutUint32(g[q8gScaleStart+4*i:], uint32(-128*s))
		copy(g[576+4*i:580+4*i], pair[128:132])
	}
}

// repackQ8GGeneric writes rows (≤ 4) GGUF Q8_0 rows w of nb blocks as a
// grouped weight tile dst (q8gGroups·2304 bytes); missing rows and pad
// blocks are zero weights.
func repackQ8GGeneric(dst, w []byte, nb, rows int) {
	ng := (nb + q8gBlocks - 1) / q8gBlocks
	dst = dst[:ng*q8gTileBytes]
	for r := range q8gTileRows {
		for b := range ng * q8gBlocks {
			g := dst[b/q8gBlocks*q8gTileBytes+r*q8gRowBytes:]
			i := b % q8gBlocks
			var d float32
			if r < rows && b < nb {
				blk := w[(r*nb+b)*kernels.Q8_0BlockBytes:]
				d = f16ToF32(binary.LittleEndian.Uint16(blk))
				for e := range 32 {
					g[q8gOffset(i, e)] = blk[2+e] ^ 0x80
				}
			} else {
				for e := range 32 {
					g[q8gOffset(i, e)] = 0x80
				}
			}
			binary.LittleEndian.PutUint32(g[q8gScaleStart+4*i:], math.Float32bits(d))
		}
	}
}

// q8gTile4x3Generic sets dst[t*4+r] (t < 3, r < 4) to the dot of weight
// row r of tile wt with activation row t of a (rows lda bytes apart), both
// grouped; the row length is given by wt's size.
func q8gTile4x3Generic(dst []float32, wt, a []byte, lda int) {
	ng := len(wt) / q8gTileBytes
	for t := range q8gTileXRows {
		for r := range q8gTileRows {
			var s float32
			for gi := range ng {
				wg := wt[gi*q8gTileBytes+r*q8gRowBytes:]
				ag := a[t*lda+gi*q8gActBytes:]
				for i := range q8gBlocks {
					var dot int32
					for e := range 32 {
						o := q8gOffset(i, e)
						dot += int32(int8(wg[o]^0x80)) * int32(int8(ag[o]))
					}
					dw := math.Float32frombits(binary.LittleEndian.Uint32(wg[q8gScaleStart+4*i:]))
					dx := math.Float32frombits(binary.LittleEndian.Uint32(ag[576+4*i:]))
					s += float32(dot) * (dw * dx)
				}
			}
			dst[t*4+r] = s
		}
	}
}

// matmulQ8G is the prefill Q8_0 matmul through the grouped kernels: the
// activation rows are quantized once (padded with zero rows to a multiple
// of three), and each worker repacks blocks of weight rows into tiles that
// stay in cache while every activation row passes over them.
func (b *Backend) matmulQ8G(dst, x []float32, w *tensor, bias []float32, T, in, out int) {
	k := b.kern
	ng := q8gGroups(in)
	arb := ng * q8gActBytes
	Tp := (T + q8gTileXRows - 1) / q8gTileXRows * q8gTileXRows
	abuf := b.bytes(Tp * arb)
	defer b.releaseBytes(abuf)
	act := *abuf
	clear(act[T*arb:])
	b.pool.run(T, b.pool.grainForWork(T, 4*in, 1, 1), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			k.quantQ8G(act[t*arb:(t+1)*arb], x[t*in:(t+1)*in])
		}
	})
	nb := in / kernels.Q8_0BlockLen
	wrb := nb * kernels.Q8_0BlockBytes
	trb := ng * q8gTileBytes
	block := max(q8TileBytes/trb, 1) * q8gTileRows
	grain := b.pool.grainForWork(out, T*in, q8gTileRows, min(block, 16))
	b.pool.run(out, grain, func(lo, hi int) {
		tbuf := b.bytes((min(block, hi-lo) + 3) / 4 * trb)
		defer b.releaseBytes(tbuf)
		tiles := *tbuf
		var s [q8gTileRows * q8gTileXRows]float32
		for r0 := lo; r0 < hi; r0 += block {
			n := min(block, hi-r0)
			groups := (n + 3) / 4
			for gi := range groups {
				rows := min(4, n-4*gi)
				k.q8gRepack(tiles[gi*trb:(gi+1)*trb], w.raw[(r0+4*gi)*wrb:(r0+4*gi+rows)*wrb], nb, rows)
			}
			for t := 0; t < T; t += q8gTileXRows {
				a := act[t*arb : (t+q8gTileXRows)*arb]
				for gi := range groups {
					k.q8gTile(s[:], tiles[gi*trb:(gi+1)*trb], a, arb)
					r, rows := r0+4*gi, min(4, n-4*gi)
					for i := range min(q8gTileXRows, T-t) {
						d := dst[(t+i)*out+r : (t+i)*out+r+rows]
						for j := range d {
							d[j] = s[4*i+j]
						}
					}
				}
			}
		}
		addBias(dst, bias, T, out, lo, hi)
	})
}
