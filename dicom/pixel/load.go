package pixel

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // LoadImage decodes JPEG files
	_ "image/png"  // LoadImage decodes PNG files
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadImage is the one path from a file to the image a model sees, so
// that `lingshu ask`, the evaluation harness and anything else treat .dcm,
// .png and .jpg inputs alike: a DICOM file (Part 10, or a bare dataset
// named .dcm/.dicom) is rendered by RenderFile with opt (frame, modality
// LUT, the file's VOI window or an automatic one, MONOCHROME1 inverted);
// anything else is decoded by image.Decode (PNG, JPEG) and opt is ignored.
func LoadImage(path string, opt Options) (image.Image, error) {
	if IsDICOMFile(path) {
		img, err := RenderFile(path, opt)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", path, err)
		}
		return img, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if errors.Is(err, image.ErrFormat) {
		return nil, fmt.Errorf("image %s: not a DICOM, PNG or JPEG file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	return img, nil
}

// IsDICOMFile reports whether path is named .dcm / .dicom or holds the
// Part-10 marker "DICM" at offset 128.
func IsDICOMFile(path string) bool {
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
