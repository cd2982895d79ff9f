package dicom

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestParseSummary_AllSyntaxes(t *testing.T) {
	for _, ts := range append(uncompressedSyntaxes, JPEGBaseline8Bit, "1.2.3.999.private", "") {
		t.Run(UIDName(ts), func(t *testing.T) {
			enc := ts
			if ts == JPEGBaseline8Bit || ts == "1.2.3.999.private" {
				enc = ExplicitVRLittleEndian
			}
			data := sampleDataset(t, enc, 64)
			if ts == "" { // unknown syntax: explicit VR LE data is detected
				data = sampleDataset(t, ExplicitVRLittleEndian, 64)
			}
			got, err := ParseSummary(data, ts)
			if err != nil {
				t.Fatal(err)
			}
			if want := sampleSummary(64); *got != want {
				t.Errorf("summary mismatch\n got %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestParseSummary_DeflatedLarge(t *testing.T) {
	// 2 MB of pixel data: the scan must stop after inflating a prefix.
	const pixels = 4 * 65000
	data := sampleDataset(t, DeflatedExplicitVRLittleEndian, pixels)
	got, err := ParseSummary(data, DeflatedExplicitVRLittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if got.Columns != pixels/4 || got.PatientID != "P0001" {
		t.Errorf("got %+v", got)
	}
	// A zlib-wrapped stream (a common writer mistake) is accepted too.
	plain := sampleDataset(t, ExplicitVRLittleEndian, 64)
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	zw.Write(plain)
	zw.Close()
	if got, err := ParseSummary(zb.Bytes(), DeflatedExplicitVRLittleEndian); err != nil || got.SOPInstanceUID != "1.2.3.4.5.6.7" {
		t.Errorf("zlib-wrapped: %v %+v", err, got)
	}
}

func mustEncode(t *testing.T, s string, gb bool) []byte {
	t.Helper()
	if gb {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSummary_Charsets(t *testing.T) {
	tests := []struct {
		name, charset string
		raw           []byte
		want          string
	}{
		{"ascii", "", []byte("Doe^John"), "Doe^John"},
		{"latin1", "ISO_IR 100", mustEncode(t, "Buc^Jérôme", false), "Buc^Jérôme"},
		{"utf8", "ISO_IR 192", []byte("王^小明"), "王^小明"},
		{"gb18030", "GB18030", mustEncode(t, "王^小明", true), "王^小明"},
		{"gbk", "GBK", mustEncode(t, "张^三", true), "张^三"},
		{"gb2312 alias", "GB2312", mustEncode(t, "张^三", true), "张^三"},
		{"undeclared gbk", "", mustEncode(t, "赵^六", true), "赵^六"},
		{"undeclared utf8", "", []byte("赵^六"), "赵^六"},
		// Undeclared high bytes that are valid GB18030 are read as GB18030
		// (Chinese sites); otherwise as Latin-1.
		{"undeclared latin1", "", []byte{'J', 'o', 's', 0xE9}, "José"},
		{"cyrillic", "ISO_IR 144", []byte{0xBB, 0xEE, 0xDA, 0xE1}, "Люкс"},
		// PS3.5 H.3.1: Yamada^Tarou=山田^太郎=やまだ^たろう
		{"iso2022 jis", `\ISO 2022 IR 87`, []byte("Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B"),
			"Yamada^Tarou=山田^太郎=やまだ^たろう"},
		// PS3.5 I.2: Hong^Gildong=洪^吉洞=홍^길동
		{"iso2022 korean", `\ISO 2022 IR 149`, []byte("Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf"),
			"Hong^Gildong=洪^吉洞=홍^길동"},
		{"iso2022 gb2312", `\ISO 2022 IR 58`, append([]byte("Wang^XiaoDong=\x1b$)A"), mustEncode(t, "王^", true)...), "Wang^XiaoDong=王^"},
		{"iso2022 latin1", `ISO 2022 IR 100`, mustEncode(t, "Äneas^Rüdiger", false), "Äneas^Rüdiger"},
		{"utf8 invalid", "ISO_IR 192", []byte{'a', 0xFF, 'b'}, "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ts := range uncompressedSyntaxes {
				b := newBuilder(ts)
				if ts == DeflatedExplicitVRLittleEndian {
					b = newBuilder(ExplicitVRLittleEndian)
				}
				if tc.charset != "" {
					b.str(TagSpecificCharacterSet, "CS", tc.charset)
				}
				b.str(tagPatientName, "PN", string(tc.raw))
				data := b.buf
				if ts == DeflatedExplicitVRLittleEndian {
					data = deflate(t, data)
				}
				got, err := ParseSummary(data, ts)
				if err != nil {
					t.Fatalf("%s: %v", UIDName(ts), err)
				}
				if got.PatientName != tc.want {
					t.Errorf("%s: PatientName = %q, want %q", UIDName(ts), got.PatientName, tc.want)
				}
			}
		})
	}
}

func TestParseSummary_Errors(t *testing.T) {
	good := sampleDataset(t, ExplicitVRLittleEndian, 16)
	tests := []struct {
		name string
		data func() []byte
		ts   string
		want string
	}{
		{"truncated header", func() []byte { return good[:5] }, ExplicitVRLittleEndian, "truncated element header"},
		{"length exceeds", func() []byte {
			return newBuilder(ExplicitVRLittleEndian).header(tagPatientName, "PN", 100).buf
		}, ExplicitVRLittleEndian, "dicom: parse summary: element (0010,0010) length 100 exceeds remaining 0 bytes"},
		{"long length exceeds", func() []byte {
			return newBuilder(ImplicitVRLittleEndian).str(tagSOPClassUID, "UI", "1.2").header(tagPatientName, "", 0xFFFFFFF0).buf
		}, ImplicitVRLittleEndian, "element (0010,0010) length 4294967280 exceeds remaining 0 bytes"},
		{"unterminated sequence", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(NewTag(0x0008, 0x1140), "SQ", undefinedLength)
			b.header(TagItem, "", undefinedLength).str(NewTag(0x0008, 0x1150), "UI", "1.2")
			return b.buf
		}, ExplicitVRLittleEndian, "element (0008,1140) undefined-length value not terminated"},
		{"item length exceeds", func() []byte {
			b := newBuilder(ExplicitVRLittleEndian).header(NewTag(0x0008, 0x1140), "SQ", undefinedLength)
			b.header(TagItem, "", 1000)
			return b.buf
		}, ExplicitVRLittleEndian, "element (fffe,e000) length 1000 exceeds remaining 0 bytes"},
		{"text", func() []byte { return []byte("This is not a DICOM dataset, just text.") }, ImplicitVRLittleEndian, "exceeds remaining"},
		{"deflate garbage", func() []byte { return []byte{0xff, 0xff, 0xff, 0xff} }, DeflatedExplicitVRLittleEndian, "dicom: parse summary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSummary(tc.data(), tc.ts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
			var fe *FormatError
			if tc.ts != DeflatedExplicitVRLittleEndian && !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FormatError", err)
			}
		})
	}
}

func TestParseSummary_Edges(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		s, err := ParseSummary(nil, ExplicitVRLittleEndian)
		if err != nil || *s != (Summary{}) {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("truncated pixel data is not read", func(t *testing.T) {
		data := sampleDataset(t, ExplicitVRLittleEndian, 1024)
		s, err := ParseSummary(data[:len(data)-100], ExplicitVRLittleEndian)
		if err != nil || s.BitsAllocated != 16 {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("explicit data labelled implicit", func(t *testing.T) {
		s, err := ParseSummary(sampleDataset(t, ExplicitVRLittleEndian, 8), ImplicitVRLittleEndian)
		if err != nil || s.PatientID != "P0001" {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("implicit data labelled explicit", func(t *testing.T) {
		s, err := ParseSummary(sampleDataset(t, ImplicitVRLittleEndian, 8), ExplicitVRLittleEndian)
		if err != nil || s.PatientID != "P0001" {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("UN of undefined length holds implicit VR", func(t *testing.T) {
		b := newBuilder(ExplicitVRLittleEndian).str(tagSOPClassUID, "UI", "1.2")
		b.header(NewTag(0x0009, 0x1010), "UN", undefinedLength)
		ib := newBuilder(ImplicitVRLittleEndian)
		ib.header(TagItem, "", undefinedLength).str(NewTag(0x0009, 0x1011), "", "X")
		ib.header(NewTag(0x0009, 0x1012), "", undefinedLength) // nested implicit SQ
		ib.header(TagItem, "", 8).str(NewTag(0x0009, 0x1013), "", "").header(TagSequenceDelimitation, "", 0)
		ib.header(TagItemDelimitation, "", 0).header(TagSequenceDelimitation, "", 0)
		b.buf = append(b.buf, ib.buf...)
		b.str(tagPatientID, "LO", "AFTER")
		s, err := ParseSummary(b.buf, ExplicitVRLittleEndian)
		if err != nil || s.PatientID != "AFTER" {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		b := newBuilder(ExplicitVRLittleEndian).str(tagSOPClassUID, "UI", "1.2")
		const depth = 100000
		for i := 0; i < depth; i++ {
			b.header(NewTag(0x0008, 0x1140), "SQ", undefinedLength).header(TagItem, "", undefinedLength)
		}
		for i := 0; i < depth; i++ {
			b.header(TagItemDelimitation, "", 0).header(TagSequenceDelimitation, "", 0)
		}
		b.str(tagPatientID, "LO", "DEEP")
		s, err := ParseSummary(b.buf, ExplicitVRLittleEndian)
		if err != nil || s.PatientID != "DEEP" {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("number parsing", func(t *testing.T) {
		for in, want := range map[string]int{" 12 ": 12, "+3": 3, "-4": -4, "x": 0, "": 0, "1234567890123": 0} {
			if got := atoiValue([]byte(in)); got != want {
				t.Errorf("atoiValue(%q) = %d, want %d", in, got, want)
			}
		}
	})
}

func BenchmarkParseSummary(b *testing.B) {
	for _, ts := range uncompressedSyntaxes {
		data := sampleDataset(b, ts, 512*512)
		b.Run(UIDName(ts), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseSummary(data, ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestParseSummary_DeflateBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 64 MiB")
	}
	// 80 MiB of zeros deflate to about 80 KB; they scan as empty elements of
	// tag (0000,0000), so the header never ends.
	var zb bytes.Buffer
	zw, _ := flate.NewWriter(&zb, flate.BestSpeed)
	zw.Write(make([]byte, 80<<20))
	zw.Close()
	start := time.Now()
	_, err := ParseSummary(zb.Bytes(), DeflatedExplicitVRLittleEndian)
	t.Logf("rejected a %d-byte bomb in %v", zb.Len(), time.Since(start))
	if err == nil || !strings.Contains(err.Error(), "inflated header exceeds") {
		t.Fatalf("err = %v", err)
	}
}
