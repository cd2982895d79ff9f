package pixel

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles are small valid files covering every decoder path.
func seedFiles() [][]byte {
	rng := rand.New(rand.NewSource(11))
	gray := func(ts string) []byte {
		return part10(ts, append(imageAttrs(2, 3, 1, 16, 12, 1, "MONOCHROME2"), ds(tagWindowCenter, 10), ds(tagWindowWidth, 100),
			ob(tagPixelData, "OW", le16([]int16{1, -2, 3, 400, 5, 6}))))
	}
	planes := randomPlanes(rng, 1, 4, 3, 12)
	ll := encodeLossless(planes, llParams{w: 4, h: 3, prec: 12, ss: 1})
	rle := encodeRLE([]uint32{1, 2, 3, 3, 3, 3, 250, 251, 252, 0, 0, 0}, 3, 1)
	var jb bytes.Buffer
	jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	seeds := [][]byte{
		gray(tsExplicitLE), gray(tsImplicitLE), gray(tsExplicitBE), gray(tsDeflatedLE),
		part10(tsExplicitLE, append(imageAttrs(2, 2, 3, 8, 8, 0, "YBR_FULL_422"), ob(tagPixelData, "OB", []byte{1, 2, 3, 4, 5, 6, 7, 8}))),
		part10(tsExplicitLE, append(imageAttrs(3, 3, 1, 1, 1, 0, "MONOCHROME1"), str(tagNumberOfFrames, "IS", "2"), ob(tagPixelData, "OB", []byte{1, 2, 3}))),
		part10(tsJPEGLosslessS, append(imageAttrs(3, 4, 1, 16, 12, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{padEven(ll)}})),
		part10(tsRLELossless, append(imageAttrs(2, 2, 3, 8, 8, 0, "RGB"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{padEven(rle)}})),
		part10(tsJPEGBaseline, append(imageAttrs(8, 8, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{padEven(jb.Bytes())}})),
		part10(tsExplicitLE, append(imageAttrs(1, 2, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagModalityLUTSeq, items: [][]tel{{
			{tag: tagLUTDescriptor, vr: "US", val: le16([]uint16{2, 0, 8})}, {tag: tagLUTData, vr: "OW", val: le16([]uint16{3, 9})}}}},
			ob(tagPixelData, "OB", []byte{0, 1}))),
	}
	for _, n := range []string{"MR_small_RLE.dcm", "SC_rgb_jpeg_gdcm.dcm", "rtdose_rle_1frame.dcm", "SC_rgb_small_odd_jpeg.dcm"} {
		if b, err := os.ReadFile(filepath.Join(pydicomTestFiles, n)); err == nil && len(b) < 16<<10 {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func TestSeedFilesRender(t *testing.T) {
	for i, b := range seedFiles() {
		if _, err := Render(bytes.NewReader(b), int64(len(b)), Options{}); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}

// FuzzRender: Render and InspectReader never panic and fail only with the package's errors.
func FuzzRender(f *testing.F) {
	for _, b := range seedFiles() {
		f.Add(b, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, frame uint8) {
		opt := Options{Frame: int(frame % 3), MaxSize: int(frame % 5 * 3)}
		img, err := Render(bytes.NewReader(data), int64(len(data)), opt)
		var ue *UnsupportedTransferSyntaxError
		switch {
		case err != nil && strings.Contains(err.Error(), "internal error"):
			t.Fatalf("recovered panic: %v", err)
		case err == nil:
			if b := img.Bounds(); b.Empty() {
				t.Fatalf("empty image")
			}
		case errors.As(err, &ue), errors.Is(err, ErrMalformed), errors.Is(err, ErrNoPixelData), errors.Is(err, ErrNotDICOM),
			errors.Is(err, ErrTooLarge), errors.Is(err, ErrUnsupported), errors.Is(err, ErrFrameOutOfRange):
		default:
			t.Fatalf("unclassified error: %v", err)
		}
		_, _ = InspectReader(bytes.NewReader(data), int64(len(data)))
	})
}

// TestRender_Mutations feeds byte flips, insertions and truncations of the
// seed files to Render: no panic, only classified errors.
func TestRender_Mutations(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewSource(99))
	seeds := seedFiles()
	for i := 0; i < n; i++ {
		b := append([]byte(nil), seeds[i%len(seeds)]...)
		switch rng.Intn(4) {
		case 0:
			b = b[:rng.Intn(len(b))]
		case 1:
			for k := 0; k < 1+rng.Intn(4); k++ {
				b[128+rng.Intn(len(b)-128)] ^= byte(1 << uint(rng.Intn(8)))
			}
		case 2:
			p := 132 + rng.Intn(len(b)-132)
			b[p] = []byte{0xFF, 0x00, 0x7F, 0x80}[rng.Intn(4)]
		case 3:
			p := 132 + rng.Intn(len(b)-132)
			b = append(b[:p], append([]byte{0xFF, 0xFF, 0xFF, 0xFF}, b[p:]...)...)
		}
		img, err := Render(bytes.NewReader(b), int64(len(b)), Options{Frame: rng.Intn(2), MaxSize: rng.Intn(4)})
		var ue *UnsupportedTransferSyntaxError
		switch {
		case err != nil && strings.Contains(err.Error(), "internal error"):
			t.Fatalf("recovered panic: %v", err)
		case err == nil:
			if img.Bounds().Empty() {
				t.Fatalf("mutation %d: empty image", i)
			}
		case errors.As(err, &ue), errors.Is(err, ErrMalformed), errors.Is(err, ErrNoPixelData), errors.Is(err, ErrNotDICOM),
			errors.Is(err, ErrTooLarge), errors.Is(err, ErrUnsupported), errors.Is(err, ErrFrameOutOfRange):
		default:
			t.Fatalf("mutation %d: unclassified error: %v", i, err)
		}
	}
}
