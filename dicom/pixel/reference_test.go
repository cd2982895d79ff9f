package pixel

import (
	"bytes"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func storedValues(t *testing.T, path string, frame int) *samples {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("reference file: %v", err)
	}
	s, err := decodeBytes(b, frame)
	if err != nil {
		t.Fatalf("%s frame %d: %v", filepath.Base(path), frame, err)
	}
	return s
}

func sameSamples(t *testing.T, name string, got, want *samples) {
	t.Helper()
	if got.w != want.w || got.h != want.h || got.spp != want.spp || len(got.v) != len(want.v) {
		t.Fatalf("%s: %dx%dx%d, want %dx%dx%d", name, got.w, got.h, got.spp, want.w, want.h, want.spp)
	}
	for i := range got.v {
		if got.v[i] != want.v[i] {
			t.Fatalf("%s: sample %d = %d, want %d", name, i, got.v[i], want.v[i])
		}
	}
}

// TestReference_PydicomPairs compares, value for value, pydicom's compressed
// or re-encoded files with their uncompressed originals.
func TestReference_PydicomPairs(t *testing.T) {
	pairs := []struct {
		ref    string
		others []string
		frames int
	}{
		{"MR_small.dcm", []string{"MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_implicit.dcm", "MR_small_padded.dcm"}, 1},
		{"rtdose.dcm", []string{"rtdose_rle.dcm", "rtdose_expb.dcm"}, 15},
		{"rtdose_1frame.dcm", []string{"rtdose_rle_1frame.dcm", "rtdose_expb_1frame.dcm"}, 1},
		{"liver_1frame.dcm", []string{"liver_expb_1frame.dcm"}, 1},
		{"SC_rgb_rle.dcm", []string{"SC_rgb_jpeg_gdcm.dcm"}, 1}, // JPEG lossless SV1 by GDCM
		{"SC_rgb_rle_2frame.dcm", nil, 2},
	}
	for _, p := range pairs {
		for k := 0; k < p.frames; k++ {
			want := storedValues(t, filepath.Join(pydicomTestFiles, p.ref), k)
			for _, o := range p.others {
				sameSamples(t, o, storedValues(t, filepath.Join(pydicomTestFiles, o), k), want)
			}
		}
	}
	// The same RGB image at 8, 16 and 32 bits: the high byte agrees.
	for _, n := range []string{"", "_2frame"} {
		for k := 0; k < 1+len(n)/6; k++ {
			s8 := storedValues(t, filepath.Join(pydicomTestFiles, "SC_rgb_rle"+n+".dcm"), k)
			s16 := storedValues(t, filepath.Join(pydicomTestFiles, "SC_rgb_rle_16bit"+n+".dcm"), k)
			s32 := storedValues(t, filepath.Join(pydicomTestFiles, "SC_rgb_rle_32bit"+n+".dcm"), k)
			for i := range s8.v {
				if s16.at(i)>>8 != s8.at(i) || s32.at(i)>>24 != s8.at(i) {
					t.Fatalf("SC_rgb_rle%s frame %d sample %d: 8-bit %d, 16-bit %d, 32-bit %d", n, k, i, s8.at(i), s16.at(i), s32.at(i))
				}
			}
		}
	}
}

func renderRGBA(t *testing.T, path string) *image.RGBA {
	t.Helper()
	img, err := RenderFile(path, Options{})
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("%s: %T, want *image.RGBA", filepath.Base(path), img)
	}
	return rgba
}

// TestReference_PydicomLossyColour checks lossy and YBR colour files against
// the lossless RGB original within a tolerance (JPEG quantisation, YBR rounding).
func TestReference_PydicomLossyColour(t *testing.T) {
	if _, err := os.Stat(pydicomTestFiles); err != nil {
		t.Skip("python3-pydicom test files not installed")
	}
	cases := []struct {
		ref, other string
		tol        int
	}{
		{"SC_rgb_rle.dcm", "SC_ybr_full_422_uncompressed.dcm", 8}, // its YBR values vary inside a stripe
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cy+n2.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cy+s4.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm", 12},
		{"SC_rgb_rle.dcm", "SC_rgb_jpeg_lossy_gdcm.dcm", 12},
		{"SC_rgb_jpeg_dcmd.dcm", "SC_rgb_jpeg.dcm", 4},                        // DCMTK's decode vs image/jpeg
		{"SC_rgb_jpeg_dcmd.dcm", "SC_jpeg_no_color_transform.dcm", 4},         // same image, no APP14
		{"SC_rgb_jpeg_app14_dcmd.dcm", "SC_jpeg_no_color_transform_2.dcm", 4}, // same image, APP14
		{"SC_rgb_small_odd.dcm", "SC_rgb_small_odd_jpeg.dcm", 12},
	}
	for _, c := range cases {
		a := renderRGBA(t, filepath.Join(pydicomTestFiles, c.ref))
		b := renderRGBA(t, filepath.Join(pydicomTestFiles, c.other))
		if a.Bounds() != b.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", c.other, b.Bounds(), a.Bounds())
		}
		worst := 0
		for i := range a.Pix {
			d := int(a.Pix[i]) - int(b.Pix[i])
			worst = max(worst, d, -d)
		}
		if worst > c.tol {
			t.Errorf("%s vs %s: max difference %d > %d", c.other, c.ref, worst, c.tol)
		}
	}
}

// TestReference_DCMTK compresses uncompressed files with DCMTK (RLE, JPEG
// lossless SV1 and selection values 1..7, fragmented frames with and
// without an offset table) and checks our decoders return the original values.
func TestReference_DCMTK(t *testing.T) {
	if _, err := exec.LookPath("dcmcjpeg"); err != nil {
		t.Skip("dcmtk not installed")
	}
	dir := t.TempDir()
	multi := filepath.Join(dir, "multi12.dcm")
	if err := os.WriteFile(multi, syntheticMultiFrame(64, 48, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []string{multi}
	for _, n := range []string{"MR_small.dcm", "CT_small.dcm", "SC_rgb_small_odd.dcm", "rtdose.dcm"} {
		if _, err := os.Stat(filepath.Join(pydicomTestFiles, n)); err == nil {
			inputs = append(inputs, filepath.Join(pydicomTestFiles, n))
		}
	}
	variants := [][]string{
		{"dcmcrle"},
		{"dcmcjpeg", "+e1"},
		{"dcmcjpeg", "+e1", "+fs", "1"},
		{"dcmcjpeg", "+e1", "+fs", "1", "-ot"},
	}
	if testing.Short() {
		inputs = inputs[:1]
	}
	for sv := 1; sv <= 7; sv++ {
		variants = append(variants, []string{"dcmcjpeg", "+el", "+sv", string(rune('0' + sv))})
	}
	for _, in := range inputs {
		info, err := Inspect(in)
		if err != nil {
			t.Fatal(err)
		}
		for vi, v := range variants {
			if v[0] == "dcmcjpeg" && info.BitsAllocated > 16 {
				continue // DCMTK's lossless encoder takes 8 or 16 bits allocated
			}
			out := filepath.Join(dir, filepath.Base(in)+"_"+string(rune('a'+vi))+".dcm")
			args := append(append([]string{}, v[1:]...), in, out)
			if msg, err := exec.Command(v[0], args...).CombinedOutput(); err != nil {
				t.Fatalf("%v %s: %v\n%s", v, filepath.Base(in), err, msg)
			}
			for k := 0; k < info.Frames; k++ {
				sameSamples(t, filepath.Base(in)+" "+string(bytes.Join(toBytes(v), []byte(" "))),
					storedValues(t, out, k), storedValues(t, in, k))
			}
		}
	}
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// syntheticMultiFrame is a 12-bit signed multi-frame image with noise, so that
// compressed frames span several 1 KiB fragments.
func syntheticMultiFrame(w, h, frames int) []byte {
	vals := make([]int16, 0, w*h*frames)
	seed := uint32(1)
	for f := 0; f < frames; f++ {
		for i := 0; i < w*h; i++ {
			seed = seed*1664525 + 1013904223
			v := int16((i%w)*30+(i/w)*7+f*100) - 1500 + int16(seed>>27)
			vals = append(vals, v&0x0FFF|-(v>>11&1)<<12) // 12-bit two's complement, sign extended
		}
	}
	els := append(imageAttrs(h, w, 1, 16, 12, 1, "MONOCHROME2"),
		str(tagNumberOfFrames, "IS", strconv.Itoa(frames)),
		str(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7.2"),
		str(0x00080018, "UI", "1.2.3.4.5"),
		ob(tagPixelData, "OW", le16(vals)))
	return part10(tsExplicitLE, els)
}
