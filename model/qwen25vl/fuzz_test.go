package qwen25vl

import (
	"image"
	"testing"
)

func FuzzParseConfigs(f *testing.F) {
	f.Add([]byte(`{"vision_config":{"depth":4,"hidden_size":32,"intermediate_size":64,"num_heads":2,"out_hidden_size":64,"patch_size":14,"spatial_merge_size":2,"temporal_patch_size":2,"window_size":56,"fullatt_block_indexes":[1,3]}}`))
	f.Add([]byte(`{"min_pixels":3136,"max_pixels":12845056,"patch_size":14,"temporal_patch_size":2,"merge_size":2,"resample":3}`))
	f.Add([]byte(`{"vision_config":{"num_heads":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseVisionConfig(data); err == nil && (c.HeadDim() <= 0 || c.PatchLen() <= 0) {
			t.Fatalf("accepted %+v", c)
		}
		if c, err := ParsePreprocessConfig(data); err == nil && (c.PatchSize <= 0 || c.MergeSize <= 0) {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzPreprocess runs small images of any size through preprocessing:
// errors are fine, panics and wrong sizes are not.
func FuzzPreprocess(f *testing.F) {
	f.Add(uint8(7), uint8(9), uint8(3), []byte{1, 2, 3, 250})
	f.Add(uint8(1), uint8(200), uint8(0), []byte{0})
	f.Fuzz(func(t *testing.T, w, h, seed uint8, pix []byte) {
		img := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		for i := range img.Pix {
			if len(pix) > 0 {
				img.Pix[i] = pix[i%len(pix)] + seed
			}
		}
		im, err := Preprocess(img, DefaultPreprocessConfig())
		if err != nil {
			return
		}
		if im.Resized.H%28 != 0 || im.Resized.W%28 != 0 || len(im.Pixels) != im.Patches()*im.PatchLen {
			t.Fatalf("%d×%d → %d×%d, %d values", w, h, im.Resized.W, im.Resized.H, len(im.Pixels))
		}
	})
}
