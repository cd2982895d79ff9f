package dicom

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSyntaxes are the transfer syntaxes FuzzParseSummary picks from.
var fuzzSyntaxes = []string{ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian,
	DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit, "", "1.2.3.4"}

// seedFiles returns the Part-10 files of testdata.
func seedFiles(f *testing.F) [][]byte {
	paths, _ := filepath.Glob("testdata/*.dcm")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParseSummary(f *testing.F) {
	for i, ts := range uncompressedSyntaxes {
		f.Add(sampleDataset(f, ts, 8), uint8(i))
		f.Add(richDataset(f, ts), uint8(i))
	}
	for _, file := range seedFiles(f) {
		meta, off, err := ReadMeta(file)
		if err != nil {
			continue
		}
		for i, ts := range fuzzSyntaxes {
			if ts == meta.TransferSyntaxUID {
				f.Add(file[off:], uint8(i))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, tsIndex uint8) {
		ts := fuzzSyntaxes[int(tsIndex)%len(fuzzSyntaxes)]
		s, err := ParseSummary(data, ts)
		if err != nil {
			if s != nil || !strings.HasPrefix(err.Error(), "dicom: parse summary: ") {
				t.Fatalf("bad error result: %v %v", s, err)
			}
			return
		}
		v := reflect.ValueOf(*s)
		for i := 0; i < v.NumField(); i++ {
			if str, ok := v.Field(i).Interface().(string); ok && !utf8.ValidString(str) {
				t.Fatalf("field %s not UTF-8: %q", v.Type().Field(i).Name, str)
			}
		}
	})
}

func FuzzToJSON(f *testing.F) {
	for _, file := range seedFiles(f) {
		f.Add(file)
	}
	for _, ts := range uncompressedSyntaxes {
		f.Add(part10(f, ts, sampleDataset(f, ts, 8)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := ToJSON(bytes.NewReader(data), int64(len(data)), JSONOptions{BulkDataURI: testBulkURI, InlineBinaryMax: 64})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dicom: to json: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if !json.Valid(js) {
			t.Fatalf("invalid JSON %q", js)
		}
		// A dataset always equals itself.
		file, err := ParseFileBytes(data)
		if err != nil {
			t.Fatalf("ToJSON succeeded but ParseFileBytes failed: %v", err)
		}
		ts := file.Meta.TransferSyntaxUID
		if eq, diff, err := EqualDatasets(file.DatasetBytes, file.DatasetBytes, ts, ts); err != nil || !eq {
			t.Fatalf("not equal to itself: %v %s", err, diff)
		}
	})
}

// FuzzLibraryDataset checks that panics inside github.com/suyashkumar/dicom
// come back as errors.
func FuzzLibraryDataset(f *testing.F) {
	for _, file := range seedFiles(f) {
		f.Add(file)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		file, err := ParseFileBytes(data)
		if err != nil {
			return
		}
		if _, err := file.LibraryDataset(); err != nil && !strings.HasPrefix(err.Error(), "dicom: library parse: ") {
			t.Fatalf("error without prefix: %v", err)
		}
		if _, err := (&File{Raw: data}).LibraryDataset(); err == nil {
			t.Fatal("unvalidated file accepted")
		}
	})
}

func FuzzParseDataset(f *testing.F) {
	for i, ts := range uncompressedSyntaxes {
		f.Add(sampleDataset(f, ts, 8), uint8(i))
		f.Add(richDataset(f, ts), uint8(i))
	}
	b := newBuilder(ExplicitVRLittleEndian).str(tagSOPInstanceUID, "UI", "1.2")
	b.header(NewTag(0x0009, 0x1010), "UN", undefinedLength)
	b.buf = append(b.buf, newBuilder(ImplicitVRLittleEndian).header(TagItem, "", undefinedLength).
		str(NewTag(0x0009, 0x1011), "", "X").header(TagItemDelimitation, "", 0).header(TagSequenceDelimitation, "", 0).buf...)
	f.Add(b.encapsulated([]byte{1, 2}).buf, uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, tsIndex uint8) {
		ts := fuzzSyntaxes[int(tsIndex)%len(fuzzSyntaxes)]
		ds, err := ParseDataset(data, ts)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dicom: parse dataset: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		js, err := DatasetJSON(ds, JSONOptions{BulkDataURI: testBulkURI, InlineBinaryMax: 16})
		if err != nil || !json.Valid(js) {
			t.Fatalf("invalid JSON %v %q", err, js)
		}
		if eq, diff, err := EqualDatasets(data, data, ts, ts); err != nil || !eq {
			t.Fatalf("not equal to itself: %v %s", err, diff)
		}
	})
}
