package qwen25vl

import "fmt"

// Layout is where every patch of a batch of images goes in the vision
// tower: the window order the blocks run in, the attention segments and
// each patch's (row, col) for the 2-D rotary.
type Layout struct {
	// WindowIndex is the merged-token permutation into window order:
	// position i of the window order holds merged token WindowIndex[i]
	// (merged tokens numbered in processor order over all images).
	WindowIndex []int
	// CuWindow are the cumulative window lengths in patches (cu_window_seqlens).
	CuWindow []int
	// CuFull are the cumulative frame lengths in patches: full attention
	// stays within one frame of one image.
	CuFull []int
	// Row and Col are each patch's coordinates, in window order.
	Row, Col []int32
	// Merge is the spatial merge size (merge² patches per merged token).
	Merge int
}

// Patches is the total number of patches.
func (l *Layout) Patches() int { return len(l.Row) }

// NewLayout computes the window order of images with grids (t, h, w):
// windows of windowSize pixels, i.e. windowSize/patch/merge merged tokens
// a side, tile each frame's merged grid from the top left (edge windows
// are partial) and are visited row-major, tokens inside row-major.
func NewLayout(grids [][3]int, merge, patch, windowSize int) (*Layout, error) {
	if merge <= 0 || patch <= 0 || windowSize < merge*patch {
		return nil, fmt.Errorf("qwen25vl: layout: merge %d patch %d window %d", merge, patch, windowSize)
	}
	vws := windowSize / merge / patch
	l := &Layout{CuWindow: []int{0}, CuFull: []int{0}, Merge: merge}
	mm := merge * merge
	var rows, cols []int32 // processor order
	base := 0
	for _, g := range grids {
		t, h, w := g[0], g[1], g[2]
		if t <= 0 || h <= 0 || w <= 0 || h%merge != 0 || w%merge != 0 {
			return nil, fmt.Errorf("qwen25vl: layout: grid %v not divisible by merge %d", g, merge)
		}
		lh, lw := h/merge, w/merge
		for f := range t {
			for wy := 0; wy < lh; wy += vws {
				for wx := 0; wx < lw; wx += vws {
					n := 0
					for y := wy; y < min(wy+vws, lh); y++ {
						for x := wx; x < min(wx+vws, lw); x++ {
							l.WindowIndex = append(l.WindowIndex, base+(f*lh+y)*lw+x)
							n++
						}
					}
					l.CuWindow = append(l.CuWindow, l.CuWindow[len(l.CuWindow)-1]+n*mm)
				}
			}
			l.CuFull = append(l.CuFull, l.CuFull[len(l.CuFull)-1]+h*w)
			for by := range lh {
				for bx := range lw {
					for i := range merge {
						for j := range merge {
							rows = append(rows, int32(by*merge+i))
							cols = append(cols, int32(bx*merge+j))
						}
					}
				}
			}
		}
		base += t * lh * lw
	}
	l.Row, l.Col = make([]int32, len(rows)), make([]int32, len(cols))
	for i, src := range l.WindowIndex {
		copy(l.Row[i*mm:(i+1)*mm], rows[src*mm:(src+1)*mm])
		copy(l.Col[i*mm:(i+1)*mm], cols[src*mm:(src+1)*mm])
	}
	return l, nil
}

// Inverse is the permutation back from window order: merged token j of
// the processor order sits at window position Inverse()[j].
func (l *Layout) Inverse() []int32 {
	inv := make([]int32, len(l.WindowIndex))
	for i, src := range l.WindowIndex {
		inv[src] = int32(i)
	}
	return inv
}

// permuteRows copies rows of n values from processor order into window
// order, merge² rows per merged token.
// src: (patches, n) → (patches, n)
func (l *Layout) permuteRows(src []float32, n int) []float32 {
	mm := l.Merge * l.Merge
	out := make([]float32, len(src))
	g := mm * n
	for i, s := range l.WindowIndex {
		copy(out[i*g:(i+1)*g], src[s*g:(s+1)*g])
	}
	return out
}
