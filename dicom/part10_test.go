package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestWritePart10_Layout(t *testing.T) {
	meta := FileMeta{
		MediaStorageSOPClassUID:      CTImageStorage,
		MediaStorageSOPInstanceUID:   "1.2.3.4.5", // odd length: NUL padded
		TransferSyntaxUID:            ExplicitVRLittleEndian,
		ImplementationClassUID:       "1.2.3",
		ImplementationVersionName:    "ABC", // odd: space padded
		SourceApplicationEntityTitle: "PACS1",
	}
	dataset := sampleDataset(t, ExplicitVRLittleEndian, 4)
	var buf bytes.Buffer
	if err := WritePart10(&buf, meta, dataset); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.Equal(b[:128], make([]byte, 128)) || string(b[128:132]) != "DICM" {
		t.Fatalf("bad preamble/magic")
	}
	// Group length element, explicit VR LE.
	if !bytes.Equal(b[132:140], []byte{0x02, 0x00, 0x00, 0x00, 'U', 'L', 4, 0}) {
		t.Fatalf("group length header % x", b[132:140])
	}
	groupLen := int(binary.LittleEndian.Uint32(b[140:144]))
	dsOff := 144 + groupLen
	if !bytes.Equal(b[dsOff:], dataset) {
		t.Fatal("dataset not written verbatim after the meta group")
	}
	// Version 00\01 as OB with the long header.
	if !bytes.Equal(b[144:158], []byte{0x02, 0x00, 0x01, 0x00, 'O', 'B', 0, 0, 2, 0, 0, 0, 0x00, 0x01}) {
		t.Fatalf("version element % x", b[144:158])
	}
	meta2 := b[158:dsOff]
	for _, want := range [][]byte{
		append([]byte{0x02, 0x00, 0x03, 0x00, 'U', 'I', 10, 0}, "1.2.3.4.5\x00"...),
		append([]byte{0x02, 0x00, 0x13, 0x00, 'S', 'H', 4, 0}, "ABC "...),
		append([]byte{0x02, 0x00, 0x16, 0x00, 'A', 'E', 6, 0}, "PACS1 "...),
	} {
		if !bytes.Contains(meta2, want) {
			t.Errorf("meta lacks % x", want)
		}
	}
	got, off, err := ReadMeta(b)
	if err != nil || off != dsOff {
		t.Fatalf("ReadMeta: off %d want %d, %v", off, dsOff, err)
	}
	if got != meta {
		t.Errorf("ReadMeta = %+v, want %+v", got, meta)
	}
}

func TestWritePart10_Defaults(t *testing.T) {
	var buf bytes.Buffer
	meta := FileMeta{MediaStorageSOPClassUID: MRImageStorage, MediaStorageSOPInstanceUID: "1.2", TransferSyntaxUID: ImplicitVRLittleEndian}
	if err := WritePart10(&buf, meta, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadMeta(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.ImplementationClassUID != ImplementationClassUID || got.ImplementationVersionName != ImplementationVersionName {
		t.Errorf("defaults not applied: %+v", got)
	}
	if !ValidUID(ImplementationClassUID) {
		t.Error("ImplementationClassUID invalid")
	}
}

func TestWritePart10_Invalid(t *testing.T) {
	base := FileMeta{MediaStorageSOPClassUID: CTImageStorage, MediaStorageSOPInstanceUID: "1.2", TransferSyntaxUID: ExplicitVRLittleEndian}
	tests := []struct {
		name string
		mod  func(*FileMeta)
		want string
	}{
		{"no sop class", func(m *FileMeta) { m.MediaStorageSOPClassUID = "" }, "media storage sop class uid is empty"},
		{"no instance", func(m *FileMeta) { m.MediaStorageSOPInstanceUID = " \x00" }, "media storage sop instance uid is empty"},
		{"no ts", func(m *FileMeta) { m.TransferSyntaxUID = "" }, "transfer syntax uid is empty"},
		{"uid too long", func(m *FileMeta) { m.MediaStorageSOPInstanceUID = "1." + strings.Repeat("1", 63) }, "longer than 64"},
		{"backslash", func(m *FileMeta) { m.SourceApplicationEntityTitle = `A\B` }, "invalid character"},
		{"ae too long", func(m *FileMeta) { m.SourceApplicationEntityTitle = strings.Repeat("A", 17) }, "longer than 16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			tc.mod(&m)
			err := WritePart10(&bytes.Buffer{}, m, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWritePart10_WriterError(t *testing.T) {
	meta := FileMeta{MediaStorageSOPClassUID: CTImageStorage, MediaStorageSOPInstanceUID: "1.2", TransferSyntaxUID: ExplicitVRLittleEndian}
	for n := 0; n < 2; n++ {
		if err := WritePart10(&failWriter{n: n}, meta, []byte{1, 2}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("n=%d: err = %v", n, err)
		}
	}
}

func TestReadMeta_Variants(t *testing.T) {
	var buf bytes.Buffer
	meta := FileMeta{MediaStorageSOPClassUID: CTImageStorage, MediaStorageSOPInstanceUID: "1.2", TransferSyntaxUID: ExplicitVRBigEndian}
	if err := WritePart10(&buf, meta, []byte{0, 8, 0, 0x16}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	t.Run("no preamble", func(t *testing.T) {
		got, off, err := ReadMeta(full[128:])
		if err != nil || got.TransferSyntaxUID != ExplicitVRBigEndian || off != len(full)-128-4 {
			t.Fatalf("%+v %d %v", got, off, err)
		}
	})
	t.Run("no group length", func(t *testing.T) {
		b := append(append([]byte{}, full[:132]...), full[144:]...)
		got, off, err := ReadMeta(b)
		if err != nil || got.MediaStorageSOPInstanceUID != "1.2" || off != len(b)-4 {
			t.Fatalf("%+v %d %v", got, off, err)
		}
	})
	t.Run("no magic", func(t *testing.T) {
		if _, off, err := ReadMeta([]byte("hello")); !errors.Is(err, ErrNoMeta) || off != 0 {
			t.Fatalf("%d %v", off, err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		if _, _, err := ReadMeta(full[:170]); err == nil || !strings.Contains(err.Error(), "dicom: read meta") {
			t.Fatalf("err = %v", err)
		}
	})
}
