package harness

import (
	"fmt"
	"image"

	"github.com/lingshu-edge/lingshu/dicom/pixel"
	"github.com/lingshu-edge/lingshu/eval/datasets"
)

// LoadImage reads one sample image: a DICOM file is rendered by dicom/pixel
// (frame ref.Frame, modality LUT, the file's window or an automatic one),
// anything else is decoded by image.Decode (PNG, JPEG).
func LoadImage(ref datasets.ImageRef) (image.Image, error) {
	img, err := pixel.LoadImage(ref.Path, pixel.Options{Frame: ref.Frame})
	if err != nil {
		return nil, fmt.Errorf("harness: frame %d: %w", ref.Frame+1, err)
	}
	return img, nil
}
