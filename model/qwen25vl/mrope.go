package qwen25vl

import (
	"fmt"
	"slices"
)

// ImagePadID is <|image_pad|> in the Qwen2-VL vocabulary (config
// image_token_id).
const ImagePadID = 151655

// ExpandImagePads replaces the k-th single <|image_pad|> (padID) of ids,
// as the chat template renders one per image, by tokens[k] copies: the
// number of merged patches of image k (Image.Tokens).
func ExpandImagePads(ids []int, padID int, tokens []int) ([]int, error) {
	out := make([]int, 0, len(ids))
	k := 0
	for _, id := range ids {
		if id != padID {
			out = append(out, id)
			continue
		}
		if k >= len(tokens) {
			return nil, fmt.Errorf("qwen25vl: expand: more image pads than the %d images", len(tokens))
		}
		for range tokens[k] {
			out = append(out, padID)
		}
		k++
	}
	if k != len(tokens) {
		return nil, fmt.Errorf("qwen25vl: expand: %d image pads for %d images", k, len(tokens))
	}
	return out, nil
}

// Positions are M-RoPE position ids: one row per axis (temporal, height,
// width), one column per token.
type Positions [3][]int32

// RopeIndex computes Qwen2.5-VL's M-RoPE positions for expanded ids
// (get_rope_index, images only, no padding): a text token gets its running
// index on all three axes; image k's run of grid t·h·w/merge² pads gets
// base + (0, row, col) over its merged grid, base being the position its
// first pad would have had as text; text after an image continues from the
// largest position so far + 1. delta = max + 1 − len(ids), so the token
// generated after the prompt sits at len(ids) + delta on every axis.
func RopeIndex(ids []int, padID int, grids [][3]int, merge int) (Positions, int, error) {
	var pos Positions
	for a := range pos {
		pos[a] = make([]int32, len(ids))
	}
	next, k := 0, 0
	for i := 0; i < len(ids); {
		if ids[i] != padID {
			for a := range pos {
				pos[a][i] = int32(next)
			}
			next++
			i++
			continue
		}
		if k >= len(grids) {
			return pos, 0, fmt.Errorf("qwen25vl: rope index: image run at %d but only %d images", i, len(grids))
		}
		g := grids[k]
		lh, lw := g[1]/merge, g[2]/merge
		n := g[0] * lh * lw
		if i+n > len(ids) || slices.ContainsFunc(ids[i:i+n], func(id int) bool { return id != padID }) {
			return pos, 0, fmt.Errorf("qwen25vl: rope index: image %d wants %d pads at %d", k, n, i)
		}
		top := next
		for j := range n {
			r, c := (j/lw)%lh, j%lw
			pos[0][i+j] = int32(next) // temporal index 0 for a still image
			pos[1][i+j] = int32(next + r)
			pos[2][i+j] = int32(next + c)
			top = max(top, next+r, next+c)
		}
		next = top + 1
		i += n
		k++
	}
	if k != len(grids) {
		return pos, 0, fmt.Errorf("qwen25vl: rope index: %d image runs for %d images", k, len(grids))
	}
	return pos, next - len(ids), nil
}
