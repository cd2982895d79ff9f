package dicom

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pydicomDirs hold the sample files of Debian's python3-pydicom.
var pydicomDirs = []string{
	"/usr/lib/python3/dist-packages/pydicom/data/test_files",
	"/usr/lib/python3/dist-packages/pydicom/data/charset_files",
}

func corpusFiles(t *testing.T) []string {
	var files []string
	for _, dir := range pydicomDirs {
		filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Skip("pydicom sample files not installed (apt-get install python3-pydicom)")
	}
	return files
}

// TestCorpus_Pydicom runs every entry point over pydicom's sample files:
// each must parse or fail with a "dicom: " error, never panic. Failures are
// logged (go test -v -run Corpus) for the report.
func TestCorpus_Pydicom(t *testing.T) {
	var failed []string
	for _, path := range corpusFiles(t) {
		name := strings.TrimPrefix(path, "/usr/lib/python3/dist-packages/pydicom/data/")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		meta, off, merr := ReadMeta(data)
		if _, err := ParseSummary(data[off:], meta.TransferSyntaxUID); err != nil {
			checkErr(t, name, "summary", err)
		}
		f, err := ReadFile(path)
		if err != nil {
			checkErr(t, name, "read", err)
			failed = append(failed, name+": "+err.Error())
			continue
		}
		if _, err := ToJSON(bytes.NewReader(data), int64(len(data)), JSONOptions{BulkDataURI: func(r BulkDataRef) string { return "bulk/" + r.Path }}); err != nil {
			t.Errorf("%s: ToJSON failed after ReadFile succeeded: %v", name, err)
		}
		if eq, diff, err := EqualDatasets(f.DatasetBytes, f.DatasetBytes, f.Meta.TransferSyntaxUID, f.Meta.TransferSyntaxUID); err != nil || !eq {
			t.Errorf("%s: not equal to itself: %v %s", name, err, diff)
		}
		if merr == nil {
			if _, err := f.LibraryDataset(); err != nil {
				t.Logf("%s: library: %v", name, err)
			}
		}
	}
	t.Logf("%d files failed:\n%s", len(failed), strings.Join(failed, "\n"))
}

func checkErr(t *testing.T, name, op string, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "dicom: ") && !strings.Contains(err.Error(), ": dicom: ") {
		t.Errorf("%s: %s: error without package prefix: %v", name, op, err)
	}
}

// TestCorpus_PydicomJSONOracle compares ToJSON with pydicom's JSON for every
// corpus file we parse (testdata/pydicom_json_oracle.py lists the tolerated
// differences). It needs /usr/bin/python3 with pydicom, so it runs only with
// LINGSHU_PYDICOM_ORACLE=1.
func TestCorpus_PydicomJSONOracle(t *testing.T) {
	if os.Getenv("LINGSHU_PYDICOM_ORACLE") != "1" {
		t.Skip("set LINGSHU_PYDICOM_ORACLE=1 (needs python3-pydicom)")
	}
	const root = "/usr/lib/python3/dist-packages/pydicom/data/"
	dir := t.TempDir()
	for _, path := range corpusFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseFileBytes(data)
		if err != nil {
			continue
		}
		js, err := DatasetJSON(f.Dataset, JSONOptions{InlineBinaryMax: 1 << 30, BulkDataURI: func(BulkDataRef) string { return "bulk" }})
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ReplaceAll(strings.TrimPrefix(path, root), "/", "__") + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/pydicom_json_oracle.py", dir, root).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("differences from pydicom: %v", err)
	}
}

// TestCorpus_EqualAcrossEncodings: pydicom ships the same datasets in
// several transfer syntaxes; EqualDatasets must find them equal.
func TestCorpus_EqualAcrossEncodings(t *testing.T) {
	const dir = "/usr/lib/python3/dist-packages/pydicom/data/test_files/"
	groups := [][]string{
		{"MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm"},
		{"rtdose.dcm", "rtdose_expb.dcm"},
		{"rtdose_1frame.dcm", "rtdose_expb_1frame.dcm"},
		{"liver_1frame.dcm", "liver_expb_1frame.dcm"},
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skip("pydicom sample files not installed")
	}
	for _, g := range groups {
		first, err := ReadFile(dir + g[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range g[1:] {
			other, err := ReadFile(dir + name)
			if err != nil {
				t.Fatal(err)
			}
			eq, diff, err := EqualDatasets(first.DatasetBytes, other.DatasetBytes, first.Meta.TransferSyntaxUID, other.Meta.TransferSyntaxUID)
			if err != nil || !eq {
				t.Errorf("%s vs %s: %v %s", g[0], name, err, diff)
			}
		}
	}
}
