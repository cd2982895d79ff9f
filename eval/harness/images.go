package harness

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.Decode of JPEG benchmark images
	_ "image/png"  // image.Decode of PNG benchmark images
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lingshu-edge/lingshu/dicom/pixel"
	"github.com/lingshu-edge/lingshu/eval/datasets"
)

// LoadImage reads one sample image: a DICOM file is rendered by dicom/pixel
// (frame ref.Frame, modality LUT, the file's window or an automatic one),
// anything else is decoded by image.Decode (PNG, JPEG).
func LoadImage(ref datasets.ImageRef) (image.Image, error) {
	if isDICOM(ref.Path) {
		img, err := pixel.RenderFile(ref.Path, pixel.Options{Frame: ref.Frame})
		if err != nil {
			return nil, fmt.Errorf("harness: image %s frame %d: %w", ref.Path, ref.Frame+1, err)
		}
		return img, nil
	}
	f, err := os.Open(ref.Path)
	if err != nil {
		return nil, fmt.Errorf("harness: image: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if errors.Is(err, image.ErrFormat) {
		return nil, fmt.Errorf("harness: image %s: not a DICOM, PNG or JPEG file", ref.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("harness: image %s: %w", ref.Path, err)
	}
	return img, nil
}

// isDICOM reports whether path is named .dcm/.dicom or holds "DICM" at 128.
func isDICOM(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".dcm", ".dicom":
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [132]byte
	n, _ := io.ReadFull(f, head[:])
	return n == len(head) && bytes.Equal(head[128:], []byte("DICM"))
}
