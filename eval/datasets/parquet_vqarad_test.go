package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vqaRADParquetRow is the schema of flaviagiammarino/vqa-rad.
type vqaRADParquetRow struct {
	Image    *hfImage `parquet:"image,optional"`
	Question string   `parquet:"question,optional"`
	Answer   string   `parquet:"answer,optional"`
}

func TestVQARAD_Parquet(t *testing.T) {
	t.Setenv(ImageDirEnv, t.TempDir())
	dir := t.TempDir()
	file := filepath.Join(dir, "data", "test-00000-of-00001-e5bc3d208bb4deeb.parquet")
	writeParquet(t, filepath.Join(dir, "data", "train-00000-of-00001-eb8844602202be60.parquet"),
		[]vqaRADParquetRow{{Image: hfImg(pngBytes(t, 1)), Question: "train?", Answer: "yes"}})
	writeParquet(t, file, []vqaRADParquetRow{
		{Image: hfImg(pngBytes(t, 5)), Question: "is there a fracture?", Answer: "Yes"},
		{Image: hfImg(pngBytes(t, 6)), Question: "how many lesions?", Answer: "2"},
	})
	for _, p := range []string{dir, filepath.Join(dir, "data"), file} {
		s := mustLoad(t, "vqa-rad", p)
		if len(s) != 2 || s[0].ID != "test-0" || s[0].Kind != YesNo || s[0].Answer != "yes" || s[0].Tags["answer_type"] != "CLOSED" ||
			s[1].Kind != Open || s[1].Answer != "2" || !strings.HasSuffix(s[1].Prompt, "Please answer the question concisely.") {
			t.Fatalf("%s: %+v", p, s)
		}
		got, err := os.ReadFile(s[1].Images[0].Path)
		if err != nil || !bytes.Equal(got, pngBytes(t, 6)) {
			t.Errorf("image %s: %v", s[1].Images[0].Path, err)
		}
	}
	writeParquet(t, file, []vqaRADParquetRow{
		{Image: hfImg(pngBytes(t, 5)), Question: "q", Answer: "no"},
		{Question: "no image?", Answer: "no"},
		{Image: hfImg([]byte("junk")), Question: "", Answer: "no"},
	})
	wantProblem(t, "vqa-rad", dir, file+`: row 1: field "image": missing`, file+`: row 2: field "question": missing`,
		file+`: row 2: field "image": not a PNG or JPEG image`)
	writeParquet(t, file, []mmmuNoOptions{{ID: "x"}})
	wantProblem(t, "vqa-rad", dir, `field "image": column missing`)
}
