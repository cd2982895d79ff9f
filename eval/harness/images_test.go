package harness

import (
	"bytes"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/eval/datasets"
)

func TestLoadImage_DICOMFrames(t *testing.T) {
	dir := t.TempDir()
	res, err := phantom.Generate(phantom.Options{OutDir: dir, Studies: 1, Modality: "CT", Slices: 3, Seed: 2, MultiFrame: true})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, res.Studies[0].Dir, "*.dcm"))
	if len(files) != 1 {
		t.Fatalf("multi-frame study has %d files", len(files))
	}
	path := files[0]
	var frames []image.Image
	for f := range 3 {
		img, err := LoadImage(datasets.ImageRef{Path: path, Frame: f})
		if err != nil {
			t.Fatalf("frame %d: %v", f, err)
		}
		frames = append(frames, img)
	}
	g0, ok0 := frames[0].(*image.Gray)
	g2, ok2 := frames[2].(*image.Gray)
	if !ok0 || !ok2 || bytes.Equal(g0.Pix, g2.Pix) {
		t.Error("frames 1 and 3 render the same pixels")
	}
	if _, err := LoadImage(datasets.ImageRef{Path: path, Frame: 3}); err == nil || !strings.Contains(err.Error(), "frame 4") {
		t.Errorf("frame past the end: %v", err)
	}
	if _, err := LoadImage(datasets.ImageRef{Path: filepath.Join(dir, "phantom_index.json")}); err == nil || !strings.Contains(err.Error(), "not a DICOM, PNG or JPEG") {
		t.Errorf("json as image: %v", err)
	}
}
