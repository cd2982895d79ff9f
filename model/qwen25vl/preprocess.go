package qwen25vl

import (
	"fmt"
	"image"
)

// Image is one preprocessed image: the resized pixels and the patch rows
// the vision tower reads.
type Image struct {
	// Resized is the 8-bit RGB image after smart_resize and the bicubic
	// resize (Resized.H × Resized.W, both multiples of patch·merge).
	Resized *RGB
	// Grid is grid_thw: (temporal patches, patch rows, patch columns).
	Grid [3]int
	// Pixels holds Patches() rows of PatchLen values, normalised, in
	// (channel, frame, py, px) order; rows are ordered (t, h/m, w/m, m, m)
	// so that every merge group of m×m patches is m² consecutive rows.
	Pixels []float32
	// PatchLen is channels · temporal · patch² (1176 for Qwen2.5-VL).
	PatchLen int
	// Merge is the spatial merge size.
	Merge int
}

// Patches is the number of patch rows: t·h·w.
func (im *Image) Patches() int { return im.Grid[0] * im.Grid[1] * im.Grid[2] }

// Tokens is the number of <|image_pad|> tokens (merged patches) the image
// takes in the prompt: t·h·w / merge².
func (im *Image) Tokens() int { return im.Patches() / (im.Merge * im.Merge) }

// Preprocess converts img to RGB, resizes it with smart_resize and Pillow's
// bicubic filter, rescales by 1/255, normalises with the config's mean and
// std, repeats the frame temporal_patch_size times and cuts it into patch
// rows, as transformers' Qwen2VLImageProcessor (slow) does.
func Preprocess(img image.Image, c PreprocessConfig) (*Image, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rgb := ToRGB(img)
	P, M, TP := c.PatchSize, c.MergeSize, c.TemporalPatchSize
	rh, rw, err := SmartResize(rgb.H, rgb.W, P*M, c.MinPixels, c.MaxPixels)
	if err != nil {
		return nil, err
	}
	rs, err := ResizeBicubic(rgb, rw, rh)
	if err != nil {
		return nil, fmt.Errorf("qwen25vl: preprocess: %w", err)
	}
	gh, gw := rh/P, rw/P
	plen := 3 * TP * P * P
	out := &Image{Resized: rs, Grid: [3]int{1, gh, gw}, PatchLen: plen, Merge: M,
		Pixels: make([]float32, gh*gw*plen)}
	// Normalised planes, one per channel: (x/255 − mean) / std in float64.
	var norm [3][]float32
	for ch := range 3 {
		norm[ch] = make([]float32, rh*rw)
		for i := range rh * rw {
			v := float64(rs.Pix[3*i+ch]) / 255
			norm[ch][i] = float32((v - c.ImageMean[ch]) / c.ImageStd[ch])
		}
	}
	// Rows (h/M, w/M, M, M); columns (channel, frame, py, px).
	row := 0
	for bh := range gh / M {
		for bw := range gw / M {
			for i := range M {
				for j := range M {
					ph, pw := bh*M+i, bw*M+j // patch coordinates
					dst := out.Pixels[row*plen : (row+1)*plen]
					k := 0
					for ch := range 3 {
						for range TP { // the frame repeated
							for py := range P {
								src := norm[ch][(ph*P+py)*rw+pw*P:]
								copy(dst[k:k+P], src[:P])
								k += P
							}
						}
					}
					row++
				}
			}
		}
	}
	return out, nil
}
