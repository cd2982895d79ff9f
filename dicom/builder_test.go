package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// dsBuilder encodes test datasets in any uncompressed encoding.
type dsBuilder struct {
	be, implicit bool
	buf          []byte
}

func newBuilder(ts string) *dsBuilder {
	explicit, be, _, _ := encodingFor(ts)
	return &dsBuilder{be: be, implicit: !explicit}
}

func (b *dsBuilder) u16(v uint16) {
	if b.be {
		b.buf = binary.BigEndian.AppendUint16(b.buf, v)
	} else {
		b.buf = binary.LittleEndian.AppendUint16(b.buf, v)
	}
}

func (b *dsBuilder) u32(v uint32) {
	if b.be {
		b.buf = binary.BigEndian.AppendUint32(b.buf, v)
	} else {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, v)
	}
}

// header writes a tag, VR (explicit only) and length.
func (b *dsBuilder) header(t Tag, vr string, length uint32) *dsBuilder {
	b.u16(t.Group())
	b.u16(t.Element())
	if b.implicit || t.Group() == 0xFFFE {
		b.u32(length)
		return b
	}
	b.buf = append(b.buf, vr...)
	if longVR(vrFromString(vr)) {
		b.buf = append(b.buf, 0, 0)
		b.u32(length)
	} else {
		b.u16(uint16(length))
	}
	return b
}

// raw writes an element with the given value bytes (no padding).
func (b *dsBuilder) raw(t Tag, vr string, v []byte) *dsBuilder {
	b.header(t, vr, uint32(len(v)))
	b.buf = append(b.buf, v...)
	return b
}

// str writes a string element padded to even length.
func (b *dsBuilder) str(t Tag, vr, s string) *dsBuilder {
	v := []byte(s)
	if len(v)%2 == 1 {
		if vr == "UI" {
			v = append(v, 0)
		} else {
			v = append(v, ' ')
		}
	}
	return b.raw(t, vr, v)
}

func (b *dsBuilder) us(t Tag, vals ...uint16) *dsBuilder {
	b.header(t, "US", uint32(2*len(vals)))
	for _, v := range vals {
		b.u16(v)
	}
	return b
}

// seq writes a sequence; undefined selects undefined lengths for the
// sequence and its items. Each item is built by a function on a builder of
// the same encoding.
func (b *dsBuilder) seq(t Tag, undefined bool, items ...func(*dsBuilder)) *dsBuilder {
	var body []byte
	for _, f := range items {
		ib := &dsBuilder{be: b.be, implicit: b.implicit}
		f(ib)
		hb := &dsBuilder{be: b.be, implicit: b.implicit}
		if undefined {
			hb.header(TagItem, "", undefinedLength)
			hb.buf = append(hb.buf, ib.buf...)
			hb.header(TagItemDelimitation, "", 0)
		} else {
			hb.header(TagItem, "", uint32(len(ib.buf)))
			hb.buf = append(hb.buf, ib.buf...)
		}
		body = append(body, hb.buf...)
	}
	if undefined {
		b.header(t, "SQ", undefinedLength)
		b.buf = append(b.buf, body...)
		b.header(TagSequenceDelimitation, "", 0)
	} else {
		b.header(t, "SQ", uint32(len(body)))
		b.buf = append(b.buf, body...)
	}
	return b
}

// encapsulated writes undefined-length pixel data with an empty offset
// table and the given fragments.
func (b *dsBuilder) encapsulated(frags ...[]byte) *dsBuilder {
	b.header(TagPixelData, "OB", undefinedLength)
	b.header(TagItem, "", 0)
	for _, f := range frags {
		b.header(TagItem, "", uint32(len(f)))
		b.buf = append(b.buf, f...)
	}
	b.header(TagSequenceDelimitation, "", 0)
	return b
}

// deflate compresses data as raw DEFLATE (PS3.5 §A.5).
func deflate(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// uncompressedSyntaxes are the encodings every parser test runs over.
var uncompressedSyntaxes = []string{ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian}

// sampleDataset builds a CT-like dataset with nested sequences of both
// length forms before the indexed attributes, in encoding ts (for the
// deflated syntax, explicit VR LE then deflated).
func sampleDataset(t testing.TB, ts string, pixels int) []byte {
	t.Helper()
	enc := ts
	if ts == DeflatedExplicitVRLittleEndian {
		enc = ExplicitVRLittleEndian
	}
	b := newBuilder(enc)
	b.str(TagSpecificCharacterSet, "CS", "ISO_IR 192")
	b.str(NewTag(0x0008, 0x0008), "CS", `ORIGINAL\PRIMARY\AXIAL`)
	b.str(tagSOPClassUID, "UI", CTImageStorage)
	b.str(tagSOPInstanceUID, "UI", "1.2.3.4.5.6.7")
	b.str(tagStudyDate, "DA", "20260101")
	b.str(tagStudyTime, "TM", "101010.123")
	b.str(tagAccessionNumber, "SH", "ACC01")
	b.str(tagModality, "CS", "CT")
	b.str(tagReferringPhysicianName, "PN", "李^医生")
	b.seq(NewTag(0x0008, 0x1032), true, func(ib *dsBuilder) {
		ib.str(NewTag(0x0008, 0x0100), "SH", "CODE1")
		ib.seq(NewTag(0x0008, 0x0123), false, func(jb *dsBuilder) {
			jb.str(NewTag(0x0008, 0x0100), "SH", "INNER")
		})
	}, func(ib *dsBuilder) {
		ib.seq(NewTag(0x0040, 0xA730), true, func(jb *dsBuilder) {
			jb.str(NewTag(0x0008, 0x0104), "LO", "deep")
		})
	})
	b.str(tagStudyDescription, "LO", "胸部 CT 平扫")
	b.str(tagSeriesDescription, "LO", "Lung 1.0")
	b.seq(NewTag(0x0008, 0x1140), false, func(ib *dsBuilder) {
		ib.str(NewTag(0x0008, 0x1150), "UI", CTImageStorage)
		ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.3.9")
	})
	b.str(tagPatientName, "PN", "王^小明=Wang^XiaoMing")
	b.str(tagPatientID, "LO", "P0001")
	b.str(tagPatientBirthDate, "DA", "19700101")
	b.str(tagPatientSex, "CS", "M")
	b.str(tagBodyPartExamined, "CS", "CHEST")
	b.str(tagStudyInstanceUID, "UI", "1.2.3.4")
	b.str(tagSeriesInstanceUID, "UI", "1.2.3.4.5")
	b.str(tagSeriesNumber, "IS", "2")
	b.str(tagInstanceNumber, "IS", "17")
	b.us(NewTag(0x0028, 0x0002), 1)
	b.str(tagNumberOfFrames, "IS", "1")
	b.us(tagRows, 4)
	b.us(tagColumns, uint16(pixels/4))
	b.us(tagBitsAllocated, 16)
	b.us(NewTag(0x0028, 0x0101), 12)
	b.raw(NewTag(0x0028, 0x1050), "DS", []byte("40"))
	b.raw(TagPixelData, "OW", make([]byte, 2*pixels))
	if ts == DeflatedExplicitVRLittleEndian {
		return deflate(t, b.buf)
	}
	return b.buf
}

func sampleSummary(pixels int) Summary {
	return Summary{
		PatientID: "P0001", PatientName: "王^小明=Wang^XiaoMing", PatientBirthDate: "19700101", PatientSex: "M",
		AccessionNumber: "ACC01", StudyInstanceUID: "1.2.3.4", StudyDate: "20260101", StudyTime: "101010.123",
		StudyDescription: "胸部 CT 平扫", ReferringPhysicianName: "李^医生",
		SeriesInstanceUID: "1.2.3.4.5", SeriesNumber: "2", SeriesDescription: "Lung 1.0",
		Modality: "CT", BodyPartExamined: "CHEST", SOPClassUID: CTImageStorage, SOPInstanceUID: "1.2.3.4.5.6.7",
		InstanceNumber: "17", Rows: 4, Columns: pixels / 4, NumberOfFrames: 1, BitsAllocated: 16,
		SpecificCharacterSet: "ISO_IR 192",
	}
}

func gb18030Encode(s string) ([]byte, error) {
	return simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
}
