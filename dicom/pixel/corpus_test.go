package pixel

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const pydicomTestFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files"

// corpusExpect pins the outcome of notable files.
var corpusExpect = map[string]string{
	"CT_small.dcm":                     "rendered 128x128 gray",
	"MR_small.dcm":                     "rendered 64x64 gray",
	"MR_small_RLE.dcm":                 "rendered 64x64 gray",
	"MR_small_bigendian.dcm":           "rendered 64x64 gray",
	"MR_small_expb.dcm":                "rendered 64x64 gray",
	"MR_small_implicit.dcm":            "rendered 64x64 gray",
	"MR_small_padded.dcm":              "rendered 64x64 gray",
	"MR_small_jp2klossless.dcm":        "unsupported: unsupported transfer syntax JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.90)",
	"MR_small_jpeg_ls_lossless.dcm":    "unsupported: unsupported transfer syntax JPEG-LS Lossless Image Compression (1.2.840.10008.1.2.4.80)",
	"JPEG2000.dcm":                     "unsupported",
	"JPGExtended.dcm":                  "unsupported", // 12-bit
	"JPEG-lossy.dcm":                   "unsupported", // 12-bit
	"ExplVR_BigEnd.dcm":                "rendered 80x60 rgba",
	"SC_rgb_jpeg_gdcm.dcm":             "rendered 100x100 rgba",
	"SC_rgb_rle_32bit_2frame.dcm":      "rendered 100x100 rgba (2 frames)",
	"SC_ybr_full_422_uncompressed.dcm": "rendered 100x100 rgba",
	"SC_jpeg_no_color_transform.dcm":   "rendered 256x256 rgba",
	"image_dfl.dcm":                    "rendered 512x512 gray",
	"liver_1frame.dcm":                 "rendered 512x512 gray",
	"rtdose.dcm":                       "rendered 10x10 gray (15 frames)",
	"rtdose_rle.dcm":                   "rendered 10x10 gray (15 frames)",
	"MR_truncated.dcm":                 "error: ",
	"rtplan.dcm":                       "not an image",
	"test-SR.dcm":                      "not an image",
	"waveform_ecg.dcm":                 "not an image",
	"zipMR.gz":                         "not DICOM",
}

// corpusResult renders frame 0 of a file and classifies the outcome.
func corpusResult(path string) (ts string, result string) {
	ts = fileTS(path)
	img, err := RenderFile(path, Options{})
	var ue *UnsupportedTransferSyntaxError
	switch {
	case err == nil:
		b := img.Bounds()
		kind := "gray"
		if _, c := img.(*image.RGBA); c {
			kind = "rgba"
		}
		info, _ := Inspect(path)
		return ts, fmt.Sprintf("rendered %dx%d %s (%d frames)", b.Dx(), b.Dy(), kind, info.Frames)
	case errors.As(err, &ue):
		return ts, "unsupported: " + err.Error()
	case errors.Is(err, ErrNoPixelData):
		return ts, "not an image"
	case errors.Is(err, ErrNotDICOM):
		return ts, "not DICOM"
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnsupported), errors.Is(err, ErrTooLarge):
		return ts, "error: " + err.Error()
	default:
		return ts, "unclassified error: " + err.Error()
	}
}

// fileTS returns the (possibly guessed) transfer syntax of a file, or "".
func fileTS(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, _ := f.Stat()
	ds, err := parse(f, st.Size(), false)
	if ds == nil || err != nil {
		return ""
	}
	return ds.ts
}

// TestCorpus_Pydicom renders every file shipped with Debian's python3-pydicom:
// each either renders or fails with a clear error; none panics.
func TestCorpus_Pydicom(t *testing.T) {
	var files []string
	err := filepath.Walk(pydicomTestFiles, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Skip("python3-pydicom test files not installed")
	}
	sort.Strings(files)
	var table strings.Builder
	for _, p := range files {
		ts, res := corpusResult(p)
		rel, _ := filepath.Rel(pydicomTestFiles, p)
		fmt.Fprintf(&table, "| %s | %s | %s |\n", rel, ts, res)
		if want, ok := corpusExpect[rel]; ok && !strings.HasPrefix(res, want) {
			t.Errorf("%s: %s, want %s...", rel, res, want)
		}
		if strings.HasPrefix(res, "unclassified") {
			t.Errorf("%s: %s", rel, res)
		}
	}
	if os.Getenv("PIXEL_CORPUS_TABLE") != "" {
		_ = os.WriteFile(os.Getenv("PIXEL_CORPUS_TABLE"), []byte(table.String()), 0o644)
	}
	t.Logf("\n%s", table.String())
}
