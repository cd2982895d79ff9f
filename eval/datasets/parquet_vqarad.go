package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// loadVQARADAny reads VQA-RAD in either form: the Hugging Face copy
// (flaviagiammarino/vqa-rad, Parquet), which is what MedEvalKit's
// VQA_RAD.py loads, or the original OSF release (loadVQARAD).
func loadVQARADAny(path string, opt Options) ([]Sample, error) {
	files, err := vqaRADParquetFiles(path)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return loadVQARAD(path, opt)
	}
	return loadVQARADParquet(files, opt)
}

// vqaRADParquetFiles finds the test split of the Hugging Face copy: PATH
// itself when it is a .parquet file, else PATH/test-*.parquet or
// PATH/data/test-*.parquet; none found means PATH is not that copy.
func vqaRADParquetFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() {
		if strings.EqualFold(filepath.Ext(path), ".parquet") {
			return []string{path}, nil
		}
		return nil, nil
	}
	for _, d := range []string{path, filepath.Join(path, "data")} {
		files, err := parquetFiles(d, "test-")
		if err != nil || len(files) > 0 {
			return files, err
		}
	}
	return nil, nil
}

// loadVQARADParquet reads rows {image: {bytes, path}, question, answer}.
// The copy has no question ids, so a sample's id is "test-N", N counting
// rows across the files in order. Yes/no answers get the judgement prompt,
// others the open one, as VQA_RAD.py builds them (vqaSample).
func loadVQARADParquet(files []string, opt Options) ([]Sample, error) {
	store, err := newImageStore()
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	n := 0
	for _, file := range files {
		t, err := openParquet(file)
		if err != nil {
			return nil, err
		}
		before := len(ps.list)
		img, q, a := t.imageCol(&ps, "image", true), t.stringCol(&ps, "question", true), t.stringCol(&ps, "answer", true)
		if len(ps.list) > before {
			t.Close()
			continue
		}
		err = t.each(func(i int, r pqRow) {
			id := fmt.Sprintf("test-%d", n)
			n++
			rid := fmt.Sprintf("row %d", i)
			question, ok1 := r.str(q)
			answer, ok2 := r.str(a)
			for _, c := range []struct {
				field, v string
				ok       bool
			}{{"question", question, ok1}, {"answer", answer, ok2}} {
				if !c.ok || strings.TrimSpace(c.v) == "" {
					ps.add(file, 0, rid, c.field, "missing")
				}
			}
			data := r.bytes(img)
			ext, ierr := imageFormat(data)
			if data == nil {
				ps.add(file, 0, rid, "image", "missing")
			} else if ierr != nil {
				ps.add(file, 0, rid, "image", "%v", ierr)
			}
			if strings.TrimSpace(question) == "" || strings.TrimSpace(answer) == "" || ierr != nil {
				return
			}
			p, err := store.put(data, ext)
			if err != nil {
				ps.add(file, 0, rid, "image", "%v", err)
				return
			}
			s := vqaSample(id, question, answer, opt)
			s.Images = []ImageRef{{Path: p}}
			at := "OPEN"
			if s.Kind == YesNo {
				at = "CLOSED"
			}
			s.Tags = tags("answer_type", at)
			out = append(out, s)
		})
		t.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, ps.err()
}
