package qwen25vl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// goldenImage is one images[] entry of qwen25vl-tiny/expected.json.
type goldenImage struct {
	File             string `json:"file"`
	ResizedHW        [2]int `json:"resized_hw"`
	GridTHW          [3]int `json:"grid_thw"`
	NImageTokens     int    `json:"n_image_tokens"`
	ResizedRGBSHA256 string `json:"resized_rgb_sha256"`
	PixelValues      struct {
		Shape    [2]int      `json:"shape"`
		First8x8 [][]float64 `json:"first8x8"`
		goldenStats
	} `json:"pixel_values"`
	WindowIndex        []int       `json:"window_index"`
	CuWindowSeqlens    []int       `json:"cu_window_seqlens"`
	PatchEmbedFirst4x8 [][]float64 `json:"patch_embed_first4x8"`
	VisionOutput       struct {
		Shape     [2]int    `json:"shape"`
		Values    []float64 `json:"values"`
		First2048 []float64 `json:"first2048"`
		LastRow   []float64 `json:"last_row"`
		goldenStats
	} `json:"vision_output"`
}

type goldenStats struct {
	Sum    float64 `json:"sum"`
	SumSq  float64 `json:"sumsq"`
	AbsSum float64 `json:"abs_sum"`
}

type goldenVL struct {
	Format string        `json:"format"`
	Images []goldenImage `json:"images"`
}

// goldenVLDir is the golden qwen25vl-tiny folder, or the test is skipped.
func goldenVLDir(t *testing.T) string {
	t.Helper()
	return golden.Dir(t, "qwen25vl-tiny", "expected.json")
}

// loadJSON decodes dir/expected.json into v.
func loadJSON(t *testing.T, dir string, v any) {
	t.Helper()
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), v)
}

func loadGoldenVL(t *testing.T, dir string) *goldenVL {
	t.Helper()
	var g goldenVL
	loadJSON(t, dir, &g)
	if g.Format != "qwen25vl-oracle-v1" || len(g.Images) == 0 {
		t.Fatalf("unexpected expected.json format %q with %d images", g.Format, len(g.Images))
	}
	return &g
}

// preprocessFile decodes a PNG with image/png and preprocesses it.
func preprocessFile(t *testing.T, dir, file string, pc PreprocessConfig) *Image {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	im, err := Preprocess(img, pc)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return im
}

// maxAbs tracks the largest |Δ| and fails past tol.
type maxAbs struct {
	t    *testing.T
	what string
	tol  float64
	max  float64
	bad  int
}

func (m *maxAbs) check(i int, got float32, want float64) {
	m.t.Helper()
	d := math.Abs(float64(got) - want)
	if !(d <= m.tol) {
		if m.bad < 5 {
			m.t.Errorf("%s[%d] = %g, want %g (|Δ| %.3g > %g)", m.what, i, got, want, d, m.tol)
		}
		m.bad++
	}
	m.max = max(m.max, d)
}

// checkStats compares sum, sum of squares and sum of |x| relative to abs_sum.
func checkStats(t *testing.T, what string, v []float32, want goldenStats) {
	t.Helper()
	var s, s2, sa float64
	for _, x := range v {
		f := float64(x)
		s, s2, sa = s+f, s2+f*f, sa+math.Abs(f)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"sum", s, want.Sum}, {"sumsq", s2, want.SumSq}, {"abs_sum", sa, want.AbsSum}} {
		if r := math.Abs(c.got-c.want) / want.AbsSum; r > 1e-5 {
			t.Errorf("%s %s = %.9g, want %.9g (relative to abs_sum %.3g)", what, c.name, c.got, c.want, r)
		}
	}
}

func TestGolden_Preprocess(t *testing.T) {
	dir := goldenVLDir(t)
	g := loadGoldenVL(t, dir)
	pc, err := LoadPreprocessConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Images {
		t.Run(e.File, func(t *testing.T) {
			im := preprocessFile(t, dir, e.File, pc)
			if hw := [2]int{im.Resized.H, im.Resized.W}; hw != e.ResizedHW {
				t.Fatalf("resized h×w %v, want %v", hw, e.ResizedHW)
			}
			if im.Grid != e.GridTHW || im.Tokens() != e.NImageTokens {
				t.Fatalf("grid %v tokens %d, want %v %d", im.Grid, im.Tokens(), e.GridTHW, e.NImageTokens)
			}
			sum := sha256.Sum256(im.Resized.Pix)
			if got := hex.EncodeToString(sum[:]); got != e.ResizedRGBSHA256 {
				t.Errorf("resized rgb sha256 %s, want %s", got, e.ResizedRGBSHA256)
			}
			if [2]int{im.Patches(), im.PatchLen} != e.PixelValues.Shape {
				t.Fatalf("pixel values (%d, %d), want %v", im.Patches(), im.PatchLen, e.PixelValues.Shape)
			}
			m := maxAbs{t: t, what: "pixel_values", tol: 1e-5}
			for r, row := range e.PixelValues.First8x8 {
				for c, want := range row {
					m.check(r*im.PatchLen+c, im.Pixels[r*im.PatchLen+c], want)
				}
			}
			checkStats(t, "pixel_values", im.Pixels, e.PixelValues.goldenStats)
			t.Logf("pixel_values first8x8 max |Δ| %.3g", m.max)
		})
	}
}

func loadVision(t *testing.T, dir string) (*Vision, kernels.Backend) {
	t.Helper()
	ck, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	be := cpu.New(2)
	t.Cleanup(func() { be.Close() })
	v, err := LoadVision(ck, be)
	if err != nil {
		t.Fatal(err)
	}
	return v, be
}

func download(t *testing.T, be kernels.Backend, x kernels.Tensor) []float32 {
	t.Helper()
	out := make([]float32, x.Shape().Numel())
	if err := be.Download(x, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden_Vision(t *testing.T) {
	dir := goldenVLDir(t)
	g := loadGoldenVL(t, dir)
	pc, err := LoadPreprocessConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, be := loadVision(t, dir)
	var all []*Image
	var wants [][]float32
	for _, e := range g.Images {
		im := preprocessFile(t, dir, e.File, pc)
		all = append(all, im)
		t.Run(e.File, func(t *testing.T) {
			l, err := v.Layout([]*Image{im})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.WindowIndex, e.WindowIndex) {
				t.Errorf("window_index %v, want %v", l.WindowIndex, e.WindowIndex)
			}
			if !slices.Equal(l.CuWindow, e.CuWindowSeqlens) {
				t.Errorf("cu_window_seqlens %v, want %v", l.CuWindow, e.CuWindowSeqlens)
			}
			checkPatchEmbed(t, v, be, im, e.PatchEmbedFirst4x8)
			out, err := v.Forward(context.Background(), []*Image{im})
			if err != nil {
				t.Fatal(err)
			}
			defer be.Free(out)
			if s := out.Shape(); !s.Equal(kernels.Shape{e.VisionOutput.Shape[0], e.VisionOutput.Shape[1]}) {
				t.Fatalf("vision output %v, want %v", s, e.VisionOutput.Shape)
			}
			got := download(t, be, out)
			wants = append(wants, got)
			m := maxAbs{t: t, what: "vision_output", tol: 1e-4}
			compareVision(&m, got, e)
			checkStats(t, "vision_output", got, e.VisionOutput.goldenStats)
			t.Logf("vision_output max |Δ| %.3g over %d compared values", m.max, len(e.VisionOutput.Values)+len(e.VisionOutput.First2048)+len(e.VisionOutput.LastRow))
		})
	}
	if len(wants) != len(all) {
		return
	}
	// All images in one call: each image attends only within itself.
	out, err := v.Forward(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(out)
	got := download(t, be, out)
	off := 0
	for i, w := range wants {
		for j := range w {
			if d := math.Abs(float64(got[off+j] - w[j])); d > 1e-5 {
				t.Fatalf("batched image %d value %d differs from alone by %g", i, j, d)
			}
		}
		off += len(w)
	}
}

// compareVision checks every stored value of the vision output.
func compareVision(m *maxAbs, got []float32, e goldenImage) {
	vo := e.VisionOutput
	for i, w := range vo.Values {
		m.check(i, got[i], w)
	}
	for i, w := range vo.First2048 {
		m.check(i, got[i], w)
	}
	base := len(got) - len(vo.LastRow)
	for i, w := range vo.LastRow {
		m.check(base+i, got[base+i], w)
	}
}

// checkPatchEmbed compares the Conv3d output of the first patch rows.
func checkPatchEmbed(t *testing.T, v *Vision, be kernels.Backend, im *Image, want [][]float64) {
	t.Helper()
	n := len(want)
	x, err := be.Upload("pixels", kernels.F32, kernels.Shape{n, im.PatchLen}, f32Bytes(im.Pixels[:n*im.PatchLen]))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(x)
	dst, err := be.Alloc(kernels.F32, kernels.Shape{n, v.Config.HiddenSize})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Free(dst)
	if err := be.MatMul(dst, x, v.PatchEmbed.Proj, nil); err != nil {
		t.Fatal(err)
	}
	got := download(t, be, dst)
	m := maxAbs{t: t, what: "patch_embed", tol: 1e-4}
	for r, row := range want {
		for c, w := range row {
			m.check(r*v.Config.HiddenSize+c, got[r*v.Config.HiddenSize+c], w)
		}
	}
	t.Logf("patch_embed first4x8 max |Δ| %.3g", m.max)
}
