package phantom

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom"
)

// TestDicomPackageReadsPhantoms parses every kind of generated file with
// the project's own DICOM reader (package dicom), a second opinion next to
// DCMTK.
func TestDicomPackageReadsPhantoms(t *testing.T) {
	for _, o := range []Options{
		{Modality: "CT", TransferSyntax: "implicit"}, {Modality: "CT", TransferSyntax: "deflate", MultiFrame: true},
		{Modality: "MR"}, {Modality: "CR", TransferSyntax: "jpeg"}, {Modality: "DX", TransferSyntax: "deflate"},
	} {
		t.Run(o.Modality+"/"+o.TransferSyntax, func(t *testing.T) {
			st, err := NewStudy(small(o), 3)
			if err != nil {
				t.Fatal(err)
			}
			in := st.Instances[0]
			if _, ok := dicom.LookupTransferSyntax(in.TransferSyntaxUID); !ok {
				t.Errorf("dicom does not know %s", in.TransferSyntaxUID)
			}
			f, err := dicom.ParseFile(bytes.NewReader(in.File), int64(len(in.File)))
			if err != nil {
				t.Fatal(err)
			}
			s := f.Summary
			if f.Meta.TransferSyntaxUID != in.TransferSyntaxUID || s.SOPInstanceUID != in.SOPInstanceUID ||
				s.StudyInstanceUID != st.StudyInstanceUID || !strings.HasPrefix(s.PatientName, "PHANTOM^") ||
				s.PatientID != st.Truth.PatientID || s.Modality != st.Modality ||
				s.Rows != st.Truth.Geometry.Rows || s.Columns != st.Truth.Geometry.Columns ||
				s.InstanceNumber != strconv.Itoa(in.InstanceNumber) {
				t.Errorf("summary %+v\nmeta %+v", *s, f.Meta)
			}
			if o.MultiFrame && s.NumberOfFrames != st.Truth.Geometry.Frames {
				t.Errorf("frames %d, want %d", s.NumberOfFrames, st.Truth.Geometry.Frames)
			}
		})
	}
}
