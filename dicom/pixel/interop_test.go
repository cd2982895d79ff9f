package pixel

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// TestInterop_SuyashkumarRead cross-checks our native decoding with
// suyashkumar/dicom's frames (raw containers, which we mask and sign extend).
func TestInterop_SuyashkumarRead(t *testing.T) {
	for _, n := range []string{"MR_small.dcm", "CT_small.dcm", "rtdose.dcm", "SC_rgb_small_odd.dcm", "MR_small_implicit.dcm"} {
		path := filepath.Join(pydicomTestFiles, n)
		if _, err := os.Stat(path); err != nil {
			t.Skip("python3-pydicom test files not installed")
		}
		lib, err := dicom.ParseFile(path, nil)
		if err != nil {
			t.Fatalf("%s: suyashkumar/dicom: %v", n, err)
		}
		el, err := lib.FindElementByTag(tag.PixelData)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		pd := dicom.MustGetPixelDataInfo(el.Value)
		info, err := Inspect(path)
		if err != nil {
			t.Fatal(err)
		}
		conv := newStoredConv(info.BitsStored, info.HighBit, info.PixelRepresentation == 1)
		for k, fr := range pd.Frames {
			nf, err := fr.GetNativeFrame()
			if err != nil {
				t.Fatalf("%s frame %d: %v", n, k, err)
			}
			ours := storedValues(t, path, k)
			for y := 0; y < nf.Rows(); y++ {
				for x := 0; x < nf.Cols(); x++ {
					px, _ := nf.GetPixel(x, y)
					for c, raw := range px {
						want := int64(conv.conv(uint32(raw)))
						if ours.u32 {
							want = int64(uint32(want))
						}
						if got := ours.at((y*ours.w+x)*ours.spp + c); got != want {
							t.Fatalf("%s frame %d (%d,%d) sample %d: %d, suyashkumar/dicom %d", n, k, x, y, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestInterop_SuyashkumarWrite renders a file written by suyashkumar/dicom.
func TestInterop_SuyashkumarWrite(t *testing.T) {
	nf := frame.NewNativeFrame[uint16](16, 2, 3, 6, 1)
	copy(nf.RawData, []uint16{0, 100, 200, 300, 400, 500})
	mk := func(tg tag.Tag, v any) *dicom.Element {
		e, err := dicom.NewElement(tg, v)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ds := dicom.Dataset{Elements: []*dicom.Element{
		mk(tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.7"}),
		mk(tag.MediaStorageSOPInstanceUID, []string{"1.2.3.4"}),
		mk(tag.TransferSyntaxUID, []string{tsExplicitLE}),
		mk(tag.SamplesPerPixel, []int{1}),
		mk(tag.PhotometricInterpretation, []string{"MONOCHROME2"}),
		mk(tag.Rows, []int{2}),
		mk(tag.Columns, []int{3}),
		mk(tag.BitsAllocated, []int{16}),
		mk(tag.BitsStored, []int{16}),
		mk(tag.HighBit, []int{15}),
		mk(tag.PixelRepresentation, []int{0}),
		mk(tag.WindowCenter, []string{"250"}),
		mk(tag.WindowWidth, []string{"501"}),
		mk(tag.PixelData, dicom.PixelDataInfo{Frames: []*frame.Frame{{NativeData: nf}}}),
	}}
	var buf bytes.Buffer
	if err := dicom.Write(&buf, ds); err != nil {
		t.Fatalf("suyashkumar/dicom write: %v", err)
	}
	img := render(t, buf.Bytes(), Options{})
	pix := grayPix(t, img)
	for i, x := range []float64{0, 100, 200, 300, 400, 500} {
		if want := linearRef(x, 250, 501); pix[i] != want {
			t.Fatalf("pixels %v: pixel %d want %d", pix, i, want)
		}
	}
}
