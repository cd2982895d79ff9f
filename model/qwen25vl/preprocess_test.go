package qwen25vl

import (
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSmartResize(t *testing.T) {
	cases := []struct {
		h, w, rh, rw int
	}{
		{224, 224, 224, 224},
		{76, 100, 84, 112},       // 2.71 → 3, 3.57 → 4
		{512, 512, 504, 504},     // 18.29 → 18
		{42, 42, 56, 56},         // 1.5 → 2 (half to even)
		{70, 70, 56, 56},         // 2.5 → 2 (half to even)
		{98, 98, 112, 112},       // 3.5 → 4
		{20, 20, 56, 56},         // below min_pixels: scaled up
		{4000, 4000, 3584, 3584}, // 4004² > max_pixels: floor(4000/β/28)·28
	}
	for _, c := range cases {
		rh, rw, err := SmartResize(c.h, c.w, 28, 3136, 12845056)
		if err != nil || rh != c.rh || rw != c.rw {
			t.Errorf("SmartResize(%d, %d) = %d, %d, %v; want %d, %d", c.h, c.w, rh, rw, err, c.rh, c.rw)
		}
	}
	// max_pixels branch: floor(side / beta / 28) · 28.
	rh, rw, err := SmartResize(1000, 2000, 28, 3136, 28*28*100)
	if err != nil || rh*rw > 28*28*100 || rh%28 != 0 || rw%28 != 0 || rh != 196 || rw != 392 {
		t.Errorf("max_pixels branch: %d×%d %v", rh, rw, err)
	}
	for _, bad := range [][2]int{{0, 10}, {10, 3000}} {
		if _, _, err := SmartResize(bad[0], bad[1], 28, 3136, 12845056); err == nil {
			t.Errorf("SmartResize%v accepted", bad)
		}
	}
}

func TestToRGB(t *testing.T) {
	g := image.NewGray(image.Rect(1, 1, 3, 2))
	g.SetGray(1, 1, color.Gray{7})
	g.SetGray(2, 1, color.Gray{200})
	if got := ToRGB(g); got.W != 2 || got.H != 1 || !slices.Equal(got.Pix, []uint8{7, 7, 7, 200, 200, 200}) {
		t.Errorf("gray: %+v", got)
	}
	n := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	n.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 40})
	if got := ToRGB(n); !slices.Equal(got.Pix, []uint8{10, 20, 30}) {
		t.Errorf("nrgba: %v", got.Pix)
	}
	r := image.NewRGBA(image.Rect(0, 0, 1, 1))
	r.SetRGBA(0, 0, color.RGBA{1, 2, 3, 255})
	if got := ToRGB(r); !slices.Equal(got.Pix, []uint8{1, 2, 3}) {
		t.Errorf("rgba: %v", got.Pix)
	}
}

func TestResizeBicubic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src := &RGB{W: 9, H: 7, Pix: make([]uint8, 9*7*3)}
	for i := range src.Pix {
		src.Pix[i] = uint8(r.IntN(256))
	}
	same, err := ResizeBicubic(src, 9, 7)
	if err != nil || !slices.Equal(same.Pix, src.Pix) {
		t.Fatalf("same size is not a copy: %v", err)
	}
	// A constant image stays constant whatever the scale (weights sum to 1).
	flat := &RGB{W: 5, H: 3, Pix: slices.Repeat([]uint8{90}, 5*3*3)}
	for _, s := range [][2]int{{17, 4}, {2, 9}, {1, 1}} {
		out, err := ResizeBicubic(flat, s[0], s[1])
		if err != nil || out.W != s[0] || out.H != s[1] {
			t.Fatalf("resize to %v: %v", s, err)
		}
		for i, v := range out.Pix {
			if v != 90 {
				t.Fatalf("resize to %v: pixel %d = %d", s, i, v)
			}
		}
	}
	if _, err := ResizeBicubic(src, 0, 3); err == nil {
		t.Error("zero width accepted")
	}
}

func TestPreprocess_PatchOrder(t *testing.T) {
	// A 56×56 image whose pixel value encodes its column band: patch rows
	// must come in merge-group order (t, h/2, w/2, 2, 2).
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := range 56 {
		for x := range 56 {
			img.SetGray(x, y, color.Gray{uint8(10*(y/14) + x/14)})
		}
	}
	pc := DefaultPreprocessConfig()
	pc.ImageMean, pc.ImageStd = [3]float64{}, [3]float64{1, 1, 1}
	im, err := Preprocess(img, pc)
	if err != nil {
		t.Fatal(err)
	}
	if im.Grid != [3]int{1, 4, 4} || im.Tokens() != 4 || im.PatchLen != 1176 {
		t.Fatalf("grid %v tokens %d len %d", im.Grid, im.Tokens(), im.PatchLen)
	}
	var got []int
	for r := range im.Patches() {
		got = append(got, int(im.Pixels[r*im.PatchLen]*255+0.5))
	}
	want := []int{0, 1, 10, 11, 2, 3, 12, 13, 20, 21, 30, 31, 22, 23, 32, 33}
	if !slices.Equal(got, want) {
		t.Errorf("patch order %v, want %v", got, want)
	}
}

func TestParseConfigs(t *testing.T) {
	good := `{"vision_config":{"depth":2,"hidden_size":32,"intermediate_size":64,"num_heads":2,"out_hidden_size":64,
		"patch_size":14,"spatial_merge_size":2,"temporal_patch_size":2,"window_size":112,"fullatt_block_indexes":[1]}}`
	c, err := ParseVisionConfig([]byte(good))
	if err != nil || c.HeadDim() != 16 || c.PatchLen() != 1176 || c.InChannels != 3 {
		t.Fatalf("good config: %+v %v", c, err)
	}
	for _, bad := range []string{`{}`, `{"vision_config":{"depth":2}}`, `[`,
		strings.Replace(good, `"window_size":112`, `"window_size":50`, 1),
		strings.Replace(good, `[1]`, `[2]`, 1)} {
		if _, err := ParseVisionConfig([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := ParsePreprocessConfig([]byte(`{"resample": 2}`)); err == nil {
		t.Error("bilinear resample accepted")
	}
	if p, err := ParsePreprocessConfig([]byte(`{"min_pixels": 100}`)); err != nil || p.MinPixels != 100 || p.PatchSize != 14 {
		t.Errorf("partial config: %+v %v", p, err)
	}
}

func TestNewLayout(t *testing.T) {
	// 6×8 patches → 3×4 merged, windows of 2×2 merged tokens.
	l, err := NewLayout([][3]int{{1, 6, 8}}, 2, 14, 56)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11}; !slices.Equal(l.WindowIndex, want) {
		t.Errorf("window index %v, want %v", l.WindowIndex, want)
	}
	if want := []int{0, 16, 32, 40, 48}; !slices.Equal(l.CuWindow, want) {
		t.Errorf("cu windows %v, want %v", l.CuWindow, want)
	}
	inv := l.Inverse()
	for i, s := range l.WindowIndex {
		if inv[s] != int32(i) {
			t.Fatalf("inverse %v of %v", inv, l.WindowIndex)
		}
	}
	// Window row 2 holds merged token 4 = merged (1, 0): patches rows 2–3, cols 0–1.
	if l.Row[8] != 2 || l.Col[8] != 0 || l.Row[11] != 3 || l.Col[11] != 1 {
		t.Errorf("rows %v cols %v", l.Row[8:12], l.Col[8:12])
	}
	if _, err := NewLayout([][3]int{{1, 5, 8}}, 2, 14, 56); err == nil {
		t.Error("odd grid accepted")
	}
}
