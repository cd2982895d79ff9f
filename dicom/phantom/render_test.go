package phantom

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderPNG decodes native pixel data of one frame from an explicit or
// implicit VR dataset and writes it through a linear window as 8-bit PNG:
// an independent look at what the files hold.
func renderPNG(t *testing.T, in Instance, frame int, center, width float64, path string, crop image.Rectangle) {
	t.Helper()
	es, err := walk(in.Dataset, in.TransferSyntaxUID != ImplicitVRLittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	u16 := func(tg tag) int {
		e, _ := find(es, tg)
		return int(binary.LittleEndian.Uint16(e.value))
	}
	dsv := func(tg tag, def float64) float64 {
		e, ok := find(es, tg)
		if !ok {
			return def
		}
		var v float64
		fmt.Sscan(strings.TrimSpace(string(e.value)), &v)
		return v
	}
	rows, cols, signed := u16(0x00280010), u16(0x00280011), u16(0x00280103) == 1
	slope, icpt := dsv(0x00281053, 1), dsv(0x00281052, 0)
	px, _ := find(es, tagPixelData)
	img := image.NewGray(image.Rect(0, 0, cols, rows))
	base := frame * rows * cols * 2
	for i := 0; i < rows*cols; i++ {
		raw := binary.LittleEndian.Uint16(px.value[base+2*i:])
		v := float64(raw)
		if signed {
			v = float64(int16(raw))
		}
		v = v*slope + icpt
		img.Pix[i] = uint8(math.Max(0, math.Min(255, (v-(center-width/2))/width*255)))
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out image.Image = img
	if !crop.Empty() {
		out = img.SubImage(crop.Intersect(img.Rect))
	}
	if err := png.Encode(f, out); err != nil {
		t.Fatal(err)
	}
}

// TestRenderPNG writes the key image of each finding as PNG for a person to
// look at. Opt-in: PHANTOM_PNG_DIR=/tmp/somewhere go test -run RenderPNG.
func TestRenderPNG(t *testing.T) {
	dir := os.Getenv("PHANTOM_PNG_DIR")
	if dir == "" {
		t.Skip("set PHANTOM_PNG_DIR to write PNGs")
	}
	chest := []*Finding{
		{Type: "nodule", Side: "right", Lobe: "right upper lobe", SizeMM: 16, Density: "solid"},
		{Type: "pleural_effusion", Side: "right", Extent: "moderate"},
		{Type: "pneumothorax", Side: "left", Extent: "large"},
		{Type: "rib_fracture", Side: "left", Rib: 6},
	}
	normal := forced(t, Options{Modality: "DX", Seed: 6})
	renderPNG(t, normal.Instances[0], 0, 2048, 4096, filepath.Join(dir, "DX_normal.png"), image.Rectangle{})
	for _, o := range []Options{{Modality: "CT", Seed: 5, Slices: 40}, {Modality: "CR", Seed: 5},
		{Modality: "MR", Seed: 5, Slices: 24}} {
		fs := chest
		if o.Modality == "MR" {
			fs = []*Finding{{Type: "brain_mass", Side: "right", Lobe: "temporal lobe", SizeMM: 26}}
		}
		var copies []*Finding
		for _, f := range fs {
			g := *f
			copies = append(copies, &g)
		}
		st := forced(t, o, copies...)
		for _, f := range st.Truth.Findings {
			in := st.Instances[f.Center.InstanceNumber-1]
			name := filepath.Join(dir, fmt.Sprintf("%s_%s_%s.png", o.Modality, f.ID, f.Type))
			c, w := st.Truth.Geometry.WindowCenter, st.Truth.Geometry.WindowWidth
			if f.Type == "rib_fracture" && o.Modality == "CT" {
				c, w = 400, 1800
			}
			renderPNG(t, in, f.Center.Frame-1, c, w, name, image.Rectangle{})
			if o.Modality == "CR" {
				r, c0 := int(f.Center.Row), int(f.Center.Column)
				renderPNG(t, in, f.Center.Frame-1, c, w, strings.TrimSuffix(name, ".png")+"_crop.png",
					image.Rect(c0-160, r-160, c0+160, r+160))
			}
			t.Logf("%s: %s r%.0f c%.0f", name, describe(o.Modality, f), f.Center.Row, f.Center.Column)
		}
	}
}
