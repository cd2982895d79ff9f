package dicom

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// tsShort names the test encodings in file names.
var tsShort = map[string]string{
	ImplicitVRLittleEndian:         "implicit_le",
	ExplicitVRLittleEndian:         "explicit_le",
	ExplicitVRBigEndian:            "explicit_be",
	DeflatedExplicitVRLittleEndian: "deflated_le",
}

// richDataset exercises every JSON value form: strings, PN groups, numbers
// as text and binary, AT, NaN, empty values, nested sequences, inline and
// bulk binary, Pixel Data, GB18030 text and a private block.
func richDataset(t testing.TB, ts string) []byte {
	t.Helper()
	enc := ts
	if ts == DeflatedExplicitVRLittleEndian {
		enc = ExplicitVRLittleEndian
	}
	b := newBuilder(enc)
	f32 := func(vals ...float32) []byte {
		var out []byte
		for _, v := range vals {
			if b.be {
				out = binary.BigEndian.AppendUint32(out, math.Float32bits(v))
			} else {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
			}
		}
		return out
	}
	gb, _ := mustEncodeGB("张^三")
	b.str(TagSpecificCharacterSet, "CS", "GB18030")
	b.str(NewTag(0x0008, 0x0008), "CS", `ORIGINAL\PRIMARY\\AXIAL`)
	b.str(tagSOPClassUID, "UI", CTImageStorage)
	b.str(tagSOPInstanceUID, "UI", "1.2.3.4.5.6.7")
	b.str(tagStudyDate, "DA", "20260101")
	b.str(tagAccessionNumber, "SH", "")
	b.str(tagModality, "CS", "CT")
	pn, _ := gb18030Encode(`Smith^John=史密斯^约翰=\Doe^Jane`)
	b.str(tagReferringPhysicianName, "PN", string(pn))
	desc, _ := gb18030Encode("胸部 \"CT\"\\平扫")
	b.str(tagStudyDescription, "LO", string(desc))
	b.seq(NewTag(0x0008, 0x1140), false, func(ib *dsBuilder) {
		ib.str(NewTag(0x0008, 0x1150), "UI", CTImageStorage)
		ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.3.9")
	}, func(ib *dsBuilder) {})
	b.seq(NewTag(0x0008, 0x2112), true, func(ib *dsBuilder) {
		ib.seq(NewTag(0x0040, 0xA170), true, func(jb *dsBuilder) {
			jb.str(NewTag(0x0008, 0x0100), "SH", "121322")
			jb.str(NewTag(0x0008, 0x0104), "LO", "Source image")
		})
	})
	b.seq(NewTag(0x0008, 0x9215), false)
	b.raw(NewTag(0x0009, 0x0010), "LO", []byte("LINGSHU "))
	b.raw(NewTag(0x0009, 0x1001), "OB", []byte{1, 2, 3, 4})
	b.raw(tagPatientName, "PN", gb)
	b.str(tagPatientID, "LO", "P0001")
	b.str(NewTag(0x0018, 0x0050), "DS", `1.25\-0.5\+3\\1e3\abc`)
	b.raw(NewTag(0x0018, 0x1314), "DS", []byte("  "))
	b.raw(NewTag(0x0018, 0x2043), "FL", f32(1.5, float32(math.NaN()), float32(math.Inf(-1))))
	b.str(tagSeriesNumber, "IS", `007\-2`)
	b.header(NewTag(0x0020, 0x9165), "AT", 8)
	b.u16(0x0010)
	b.u16(0x0020)
	b.u16(0x7FE0)
	b.u16(0x0010)
	b.us(NewTag(0x0028, 0x0002), 1)
	b.us(tagRows, 2)
	b.us(tagColumns, 2)
	b.us(tagBitsAllocated, 16)
	b.us(NewTag(0x0028, 0x0103), 1)
	b.header(NewTag(0x0028, 0x0106), "SS", 2)
	b.u16(0xFFFE) // -2: "US or SS" resolved by Pixel Representation in implicit VR
	b.raw(NewTag(0x0028, 0x9505), "SQ", nil)
	lut := make([]byte, 2048)
	for i := range lut {
		lut[i] = byte(i)
	}
	b.header(NewTag(0x0028, 0x3006), "OW", 8)
	for _, w := range []uint16{0x0100, 0x0302, 0x0504, 0x0706} {
		b.u16(w)
	}
	b.raw(NewTag(0x0028, 0x1201), "OW", lut)
	b.raw(TagPixelData, "OW", []byte{1, 0, 2, 0, 3, 0, 4, 0})
	if ts == DeflatedExplicitVRLittleEndian {
		return deflate(t, b.buf)
	}
	return b.buf
}

func mustEncodeGB(s string) ([]byte, error) {
	return gb18030Encode(s)
}

func part10(t testing.TB, ts string, dataset []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	meta := FileMeta{MediaStorageSOPClassUID: CTImageStorage, MediaStorageSOPInstanceUID: "1.2.3.4.5.6.7", TransferSyntaxUID: ts}
	if err := WritePart10(&buf, meta, dataset); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testBulkURI(r BulkDataRef) string { return "bulk/" + r.Path }

// goldenCompare compares got with testdata/name, or rewrites it with -update.
func goldenCompare(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n got %s\nwant %s", name, got, want)
	}
}

func TestToJSON_Golden(t *testing.T) {
	for _, ts := range uncompressedSyntaxes {
		t.Run(tsShort[ts], func(t *testing.T) {
			file := part10(t, ts, richDataset(t, ts))
			if *update {
				os.WriteFile(filepath.Join("testdata", "rich_"+tsShort[ts]+".dcm"), file, 0o644)
			}
			js, err := ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{BulkDataURI: testBulkURI})
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(js) {
				t.Fatalf("invalid JSON: %s", js)
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, js, "", " ")
			pretty.WriteByte('\n')
			goldenCompare(t, "rich_"+tsShort[ts]+".json", pretty.Bytes())
		})
	}
}

func TestToJSON_Forms(t *testing.T) {
	file := part10(t, ExplicitVRLittleEndian, richDataset(t, ExplicitVRLittleEndian))
	js, err := ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{BulkDataURI: testBulkURI})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	check := func(key, want string) {
		t.Helper()
		got, _ := json.Marshal(m[key])
		if string(got) != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	check("00100010", `{"Value":[{"Alphabetic":"张^三"}],"vr":"PN"}`)
	check("00080090", `{"Value":[{"Alphabetic":"Smith^John","Ideographic":"史密斯^约翰"},{"Alphabetic":"Doe^Jane"}],"vr":"PN"}`)
	check("00080008", `{"Value":["ORIGINAL","PRIMARY",null,"AXIAL"],"vr":"CS"}`)
	check("00080050", `{"vr":"SH"}`)
	check("00180050", `{"Value":[1.25,-0.5,3,null,1000,"abc"],"vr":"DS"}`)
	check("00181314", `{"vr":"DS"}`)
	check("00200011", `{"Value":[7,-2],"vr":"IS"}`)
	check("00209165", `{"Value":["00100020","7FE00010"],"vr":"AT"}`)
	check("00280106", `{"Value":[-2],"vr":"SS"}`)
	check("00182043", `{"Value":[1.5,"NaN","-Infinity"],"vr":"FL"}`)
	check("00283006", `{"InlineBinary":"AAECAwQFBgc=","vr":"OW"}`)
	check("00281201", `{"BulkDataURI":"bulk/00281201","vr":"OW"}`)
	check("7FE00010", `{"BulkDataURI":"bulk/7FE00010","vr":"OW"}`)
	check("00081140", `{"Value":[{"00081150":{"Value":["1.2.840.10008.5.1.4.1.1.2"],"vr":"UI"},"00081155":{"Value":["1.2.3.9"],"vr":"UI"}},{}],"vr":"SQ"}`)
	check("00089215", `{"vr":"SQ"}`)
	if _, ok := m["00020010"]; ok {
		t.Error("meta group included")
	}
	// Without a bulk data callback, bulk values keep only their VR.
	js, _ = ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{})
	json.Unmarshal(js, &m)
	check("7FE00010", `{"vr":"OW"}`)
	// A high inline threshold inlines the LUT; Pixel Data stays bulk.
	js, _ = ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{InlineBinaryMax: 1 << 20, BulkDataURI: testBulkURI})
	json.Unmarshal(js, &m)
	if _, ok := m["00281201"]["InlineBinary"]; !ok {
		t.Error("LUT not inlined under a high threshold")
	}
	check("7FE00010", `{"BulkDataURI":"bulk/7FE00010","vr":"OW"}`)
}

func TestToJSON_EncapsulatedAndNestedBulk(t *testing.T) {
	b := newBuilder(ExplicitVRLittleEndian)
	b.str(tagSOPInstanceUID, "UI", "1.2")
	b.seq(NewTag(0x0088, 0x0200), true, func(ib *dsBuilder) { // Icon Image Sequence
		ib.raw(TagPixelData, "OB", []byte{9, 9})
	})
	b.encapsulated([]byte{0xFF, 0xD8, 0xFF, 0xD9}, []byte{1, 2})
	file := part10(t, JPEGBaseline8Bit, b.buf)
	var refs []BulkDataRef
	js, err := ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{BulkDataURI: func(r BulkDataRef) string {
		refs = append(refs, r)
		return testBulkURI(r)
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"00080018":{"vr":"UI","Value":["1.2"]},"00880200":{"vr":"SQ","Value":[{"7FE00010":{"vr":"OB","BulkDataURI":"bulk/00880200/0/7FE00010"}}]},"7FE00010":{"vr":"OB","BulkDataURI":"bulk/7FE00010"}}`
	if string(js) != want {
		t.Errorf("got  %s\nwant %s", js, want)
	}
	if len(refs) != 2 || refs[1].Length != 6 || refs[1].Tag != TagPixelData {
		t.Errorf("refs %+v", refs)
	}
}

func TestToJSON_Errors(t *testing.T) {
	file := part10(t, ExplicitVRLittleEndian, richDataset(t, ExplicitVRLittleEndian))
	for _, n := range []int{0, 100, 140, 200, len(file) - 3} {
		if _, err := ToJSON(bytes.NewReader(file[:n]), int64(n), JSONOptions{}); err == nil && n > 0 && n < len(file) {
			t.Errorf("truncated at %d: no error", n)
		} else if err != nil && !strings.HasPrefix(err.Error(), "dicom: to json: ") {
			t.Errorf("error without prefix: %v", err)
		}
	}
	if _, err := ToJSON(bytes.NewReader(file), int64(len(file)+10), JSONOptions{}); err == nil {
		t.Error("short reader: no error")
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := map[string]string{
		"plain":         `"plain"`,
		"q\"b\\":        `"q\"b\\"`,
		"a\nb\r\t\x01":  `"a\nb\r\t\u0001"`,
		"bad\xffutf8":   `"bad` + "\ufffd" + `utf8"`,
		"中文":            `"中文"`,
		"line\u2028sep": `"line\u2028sep"`,
	}
	for in, want := range tests {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
	}
	for _, s := range []string{"0", "-1.5e+3", "12", "1.0E-2"} {
		if !validJSONNumber(s) {
			t.Errorf("%q should be a JSON number", s)
		}
	}
	for _, s := range []string{"", "+1", "01", ".5", "1.", "1e", "-", "NaN", "1 "} {
		if validJSONNumber(s) {
			t.Errorf("%q should not be a JSON number", s)
		}
	}
}

func BenchmarkToJSON(b *testing.B) {
	file := part10(b, ExplicitVRLittleEndian, richDataset(b, ExplicitVRLittleEndian))
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, err := ToJSON(bytes.NewReader(file), int64(len(file)), JSONOptions{BulkDataURI: testBulkURI}); err != nil {
			b.Fatal(err)
		}
	}
}
