package pixel

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadImage: a DICOM file (by marker, without the extension), a PNG and
// a file that is neither take the one LoadImage path.
func TestLoadImage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dcm := write("frame.bin", part10(tsExplicitLE, append(imageAttrs(1, 3, 1, 8, 8, 0, "MONOCHROME2"), ob(tagPixelData, "OB", []byte{0, 128, 255}))))

	src := image.NewGray(image.Rect(0, 0, 2, 1))
	src.SetGray(1, 0, color.Gray{Y: 200})
	pf, err := os.Create(filepath.Join(dir, "img.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(pf, src); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	junk := write("notes.txt", []byte("not an image"))

	if !IsDICOMFile(dcm) || IsDICOMFile(pf.Name()) || !IsDICOMFile(filepath.Join(dir, "missing.dcm")) {
		t.Error("IsDICOMFile: wrong answer for the marker file, the PNG or a .dcm name")
	}
	img, err := LoadImage(dcm, Options{})
	if err != nil || img.Bounds().Dx() != 3 || img.Bounds().Dy() != 1 {
		t.Fatalf("LoadImage(dicom) = %v, %v; want 3×1", img, err)
	}
	img, err = LoadImage(pf.Name(), Options{Frame: 5}) // frame ignored for PNG
	if err != nil || img.Bounds().Dx() != 2 {
		t.Fatalf("LoadImage(png) = %v, %v", img, err)
	}
	if g, ok := img.(*image.Gray); !ok || g.GrayAt(1, 0).Y != 200 {
		t.Errorf("LoadImage(png) pixels changed: %T", img)
	}
	if _, err := LoadImage(junk, Options{}); err == nil || !strings.Contains(err.Error(), "not a DICOM, PNG or JPEG file") {
		t.Errorf("LoadImage(text) error = %v", err)
	}
	if _, err := LoadImage(dcm, Options{Frame: 3}); err == nil {
		t.Error("LoadImage(dicom, frame 3 of 1): no error")
	}
}
