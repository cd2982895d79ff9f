package datasets

import (
	"bytes"
	"os"
	"testing"
)

// The fuzz targets check that no input makes a parser panic or loop; the
// seeds are the native fixtures under testdata. They parse from memory
// (the loaders' file handling is exercised by the fixture tests).

func seed(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzUnpickle(f *testing.F) {
	seed(f, "testdata/pathvqa/qas/test/test_qa.pkl", "testdata/pathvqa_proto2.pkl")
	f.Fuzz(func(t *testing.T, data []byte) {
		unpickle(data)
	})
}

// FuzzOwnJSONL feeds Lingshu's JSONL format (and so the JSON-lines reader
// every JSONL loader shares) through the sample builder.
func FuzzOwnJSONL(f *testing.F) {
	seed(f, "testdata/own/test.jsonl", "testdata/medxpertqa/MM/test.jsonl", "testdata/medqa/test.jsonl")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		var ps problems
		scanJSONL(bytes.NewReader(data), "fuzz.jsonl", &ps, func(r *rec) { ownSample(r, dir, Options{}) })
	})
}

func FuzzCSV(f *testing.F) {
	seed(f, "testdata/pmc-vqa/test_2.csv", "testdata/medbullets/medbullets_op5.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		parseCSV(bytes.NewReader(data), "fuzz.csv", []string{"question"})
	})
}

// FuzzJSONArray runs the JSON-list reader with the SLAKE and report-set
// record checks.
func FuzzJSONArray(f *testing.F) {
	seed(f, "testdata/slake/test.json", "testdata/iu-xray/test.json", "testdata/vqa-rad/VQA_RAD Dataset Public.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var ps problems
		parseJSONArray(data, "fuzz.json", &ps, func(r *rec) {
			r.str("question")
			r.strList("image")
			r.opt("qid")
		})
	})
}
