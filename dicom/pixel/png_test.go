package pixel

import (
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWritePNGs writes the rendered corpus as PNG files for eyeballing
// (opt-in: PIXEL_PNG_DIR=/tmp/out go test -run TestWritePNGs).
func TestWritePNGs(t *testing.T) {
	dir := os.Getenv("PIXEL_PNG_DIR")
	if dir == "" {
		t.Skip("PIXEL_PNG_DIR not set")
	}
	paths, _ := filepath.Glob(filepath.Join(pydicomTestFiles, "*.dcm"))
	const cell, cols = 132, 8
	sheet := image.NewRGBA(image.Rect(0, 0, cols*cell, (len(paths)/cols+1)*cell))
	n := 0
	defer func() {
		f, _ := os.Create(filepath.Join(dir, "sheet.png"))
		_ = png.Encode(f, sheet)
		f.Close()
	}()
	for _, p := range paths {
		img, err := RenderFile(p, Options{MaxSize: 128})
		if err != nil {
			continue
		}
		at := image.Pt((n%cols)*cell, (n/cols)*cell)
		draw.Draw(sheet, img.Bounds().Add(at), img, image.Point{}, draw.Src)
		n++
		f, err := os.Create(filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".dcm")+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}
