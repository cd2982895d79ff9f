package dicom

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseDataset_Tree(t *testing.T) {
	for _, ts := range uncompressedSyntaxes {
		t.Run(tsShort[ts], func(t *testing.T) {
			ds, err := ParseDataset(sampleDataset(t, ts, 16), ts)
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.String(tagStudyDescription); got != "胸部 CT 平扫" {
				t.Errorf("StudyDescription %q", got)
			}
			if v, _ := ds.Strings(NewTag(0x0008, 0x0008)); len(v) != 3 || v[2] != "AXIAL" {
				t.Errorf("ImageType %q", v)
			}
			seq := ds.Find(NewTag(0x0008, 0x1032))
			if seq == nil || seq.VR != "SQ" || len(seq.Items) != 2 || !seq.UndefinedLength {
				t.Fatalf("sequence %+v", seq)
			}
			inner := seq.Items[0].Find(NewTag(0x0008, 0x0123))
			if inner == nil || len(inner.Items) != 1 || inner.Items[0].String(NewTag(0x0008, 0x0100)) != "INNER" {
				t.Fatalf("nested item %+v", inner)
			}
			px := ds.Find(TagPixelData)
			if px == nil || len(px.Value) != 32 || px.VR != "OW" {
				t.Fatalf("pixel data %+v", px)
			}
			if _, err := ds.Strings(NewTag(0x0010, 0x4000)); !errors.Is(err, ErrNotFound) {
				t.Errorf("absent element: %v", err)
			}
		})
	}
}

func TestParseDataset_Encapsulated(t *testing.T) {
	for _, ts := range []string{JPEGBaseline8Bit, ImplicitVRLittleEndian} {
		b := newBuilder(ts)
		b.str(tagSOPInstanceUID, "UI", "1.2")
		b.encapsulated([]byte{0xFF, 0xD8}, []byte{1, 2, 3, 4})
		ds, err := ParseDataset(b.buf, ts)
		if err != nil {
			t.Fatal(err)
		}
		px := ds.Find(TagPixelData)
		if px == nil || len(px.Fragments) != 3 || len(px.Fragments[0]) != 0 || !bytes.Equal(px.Fragments[2], []byte{1, 2, 3, 4}) || px.VR != "OB" {
			t.Fatalf("%s: %+v", ts, px)
		}
	}
}

func TestParseDataset_UN(t *testing.T) {
	// Explicit UN of undefined length: an implicit VR sequence.
	b := newBuilder(ExplicitVRLittleEndian)
	b.header(NewTag(0x0008, 0x1140), "UN", undefinedLength)
	ib := newBuilder(ImplicitVRLittleEndian)
	ib.header(TagItem, "", undefinedLength).str(NewTag(0x0008, 0x1155), "", "1.2.9").header(TagItemDelimitation, "", 0)
	ib.header(TagSequenceDelimitation, "", 0)
	b.buf = append(b.buf, ib.buf...)
	// Explicit UN of defined length for a standard SQ and a standard string.
	sq := newBuilder(ImplicitVRLittleEndian)
	sq.header(TagItem, "", 14).str(NewTag(0x0008, 0x1155), "", "1.2.10")
	b.raw(NewTag(0x0008, 0x1150), "UN", []byte("1.2\x00"))
	b.raw(NewTag(0x0008, 0x1200), "UN", sq.buf)
	b.raw(tagPatientName, "UN", []byte("Doe^J "))
	ds, err := ParseDataset(b.buf, ExplicitVRLittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if e := ds.Find(NewTag(0x0008, 0x1140)); e.VR != "SQ" || len(e.Items) != 1 || e.Items[0].String(NewTag(0x0008, 0x1155)) != "1.2.9" || !e.Items[0].ImplicitVR {
		t.Errorf("undefined UN: %+v", e)
	}
	if e := ds.Find(NewTag(0x0008, 0x1200)); e.VR != "SQ" || len(e.Items) != 1 || e.Items[0].String(NewTag(0x0008, 0x1155)) != "1.2.10" {
		t.Errorf("defined UN sequence: %+v", e)
	}
	if e := ds.Find(tagPatientName); e.VR != "PN" || ds.String(tagPatientName) != "Doe^J" {
		t.Errorf("UN string: %+v", e)
	}
}

func TestParseDataset_Errors(t *testing.T) {
	nest := func(depth int) []byte {
		b := newBuilder(ExplicitVRLittleEndian)
		for i := 0; i < depth; i++ {
			b.header(NewTag(0x0008, 0x1140), "SQ", undefinedLength).header(TagItem, "", undefinedLength)
		}
		for i := 0; i < depth; i++ {
			b.header(TagItemDelimitation, "", 0).header(TagSequenceDelimitation, "", 0)
		}
		return b.buf
	}
	if _, err := ParseDataset(nest(MaxNestingDepth), ExplicitVRLittleEndian); err != nil {
		t.Fatalf("depth %d: %v", MaxNestingDepth, err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"too deep", nest(MaxNestingDepth + 1), "nested deeper than 64"},
		{"truncated", sampleDataset(t, ExplicitVRLittleEndian, 16)[:300], "dicom: parse dataset: "},
		{"item outside sequence", newBuilder(ExplicitVRLittleEndian).header(TagItem, "", 0).buf, "element (fffe,e000) unexpected outside a sequence"},
		{"non-item in sequence", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(NewTag(0x0008, 0x1140), "SQ", undefinedLength)
			return b.str(tagPatientID, "LO", "X").buf
		}(), "expected an item, found (0010,0020)"},
		{"items overrun", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(NewTag(0x0008, 0x1140), "SQ", 8)
			return b.header(TagItem, "", 10).str(tagPatientID, "LO", "XXXXXXXXX").buf
		}(), "dicom: parse dataset: "},
		{"fragment too long", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(TagPixelData, "OB", undefinedLength)
			return b.header(TagItem, "", 100).buf
		}(), "fragment length 100 exceeds remaining 0 bytes"},
		{"unterminated item", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(NewTag(0x0008, 0x1140), "SQ", undefinedLength)
			return b.header(TagItem, "", undefinedLength).str(tagPatientID, "LO", "X").buf
		}(), "item without delimitation"},
		{"deflate bomb", deflate(t, make([]byte, 2<<20)), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := ExplicitVRLittleEndian
			if tc.name == "deflate bomb" {
				ts = DeflatedExplicitVRLittleEndian
			}
			_, err := ParseDataset(tc.data, ts)
			if tc.want == "" {
				return // must merely not panic or exhaust memory
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := inflateAll(deflate(t, make([]byte, 4096)), 1024); err == nil || !strings.Contains(err.Error(), "exceeds 1024 bytes") {
		t.Errorf("inflate limit: %v", err)
	}
}

func TestDictionaryVR(t *testing.T) {
	tests := map[Tag]string{
		tagPatientName:         "PN",
		NewTag(0x0008, 0x0000): "UL",
		NewTag(0x0009, 0x0010): "LO",
		NewTag(0x0009, 0x1010): "UN",
		TagPixelData:           "OW",
		NewTag(0x6002, 0x3000): "OW", // overlay data, repeating group
		NewTag(0x6000, 0x0010): "US",
		NewTag(0x0008, 0x1140): "SQ",
		NewTag(0x0002, 0x0001): "OB",
		NewTag(0x0000, 0x0000): "UL",
		NewTag(0xABCC, 0x1234): "UN",
	}
	for tg, want := range tests {
		if got := dictionaryVR(tg).String(); got != want {
			t.Errorf("dictionaryVR(%s) = %s, want %s", tg, got, want)
		}
	}
}

func TestReadFile(t *testing.T) {
	for _, ts := range uncompressedSyntaxes {
		t.Run(tsShort[ts], func(t *testing.T) {
			f, err := ReadFile("testdata/rich_" + tsShort[ts] + ".dcm")
			if err != nil {
				t.Fatal(err)
			}
			if !f.HasMeta || f.Meta.TransferSyntaxUID != ts || f.Summary.PatientName != "张^三" || f.Dataset.Find(TagPixelData) == nil {
				t.Errorf("%+v %+v", f.Meta, f.Summary)
			}
			lib, err := f.LibraryDataset()
			if ts == ExplicitVRBigEndian || ts == DeflatedExplicitVRLittleEndian {
				return // the library's support is partial; it must only not panic
			}
			if err != nil {
				t.Fatalf("library: %v", err)
			}
			if len(lib.Elements) < 20 {
				t.Errorf("library parsed %d elements", len(lib.Elements))
			}
		})
	}
	t.Run("bare dataset", func(t *testing.T) {
		data := sampleDataset(t, ExplicitVRLittleEndian, 16)
		f, err := ParseFileBytes(data)
		if err != nil || f.HasMeta || f.Summary.SOPInstanceUID != "1.2.3.4.5.6.7" {
			t.Fatalf("%+v %v", f, err)
		}
		f.LibraryDataset() // must not panic
	})
	t.Run("bare big endian", func(t *testing.T) {
		f, err := ParseFileBytes(sampleDataset(t, ExplicitVRBigEndian, 16))
		if err != nil || f.Summary.Rows != 4 {
			t.Fatalf("%+v %v", f, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := ReadFile("testdata/absent.dcm"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("absent: %v", err)
		}
		if _, err := ParseFile(bytes.NewReader(nil), -1); err == nil {
			t.Error("negative size accepted")
		}
		data, _ := os.ReadFile("testdata/rich_explicit_le.dcm")
		_, err := ParseFileBytes(data[:len(data)-5])
		if err == nil || !strings.HasPrefix(err.Error(), "dicom: parse file: parse dataset: element (7fe0,0010) length 8 exceeds remaining 3 bytes") {
			t.Errorf("truncated: %v", err)
		}
	})
}

func BenchmarkParseDataset(b *testing.B) {
	for _, ts := range uncompressedSyntaxes {
		data := sampleDataset(b, ts, 512*512)
		b.Run(tsShort[ts], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseDataset(data, ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
