package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PhantomSchema is the ground_truth.json schema this loader reads
// (dicom/phantom.TruthSchema).
const PhantomSchema = "lingshu.phantom.truth/v1"

// loadPhantom reads a folder written by `lingshu phantom --out DIR`:
// phantom_index.json lists the study folders; each holds DICOM files and
// ground_truth.json. Every VQA pair becomes a sample about its image (file
// and frame) — yes/no answers with the judgement prompt and other closed
// answers (side, lobe, count) with the close-ended prompt, open ones with
// the open prompt — and every study a report sample on its key image whose
// reference is "Findings: … Impression: …." like MedEvalKit's report sets.
func loadPhantom(path string, opt Options) ([]Sample, error) {
	index := filepath.Join(path, "phantom_index.json")
	var ps problems
	var dirs []string
	err := readJSONArray(index, &ps, func(r *rec) {
		if d, ok := r.str("dir"); ok {
			if strings.Contains(d, "..") || filepath.IsAbs(d) {
				ps.add(index, 0, r.id, "dir", "must be a folder name inside %s, got %q", path, d)
				return
			}
			dirs = append(dirs, d)
		}
	})
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, d := range dirs {
		out = append(out, phantomStudy(filepath.Join(path, d), d, &ps, opt)...)
	}
	return out, ps.err()
}

// phantomStudy reads one study folder's ground_truth.json.
func phantomStudy(dir, name string, ps *problems, opt Options) []Sample {
	file := filepath.Join(dir, "ground_truth.json")
	data, err := os.ReadFile(file)
	if err != nil {
		ps.add(file, 0, "", "", "%v", err)
		return nil
	}
	var m map[string]any
	if err := decodeJSON(data, &m); err != nil || m == nil {
		ps.add(file, 0, "", "", "not a JSON object: %v", err)
		return nil
	}
	top := &rec{m: m, file: file, ps: ps}
	schema, ok := top.str("schema")
	if !ok {
		return nil
	}
	if schema != PhantomSchema {
		ps.add(file, 0, "", "schema", "want %q, got %q", PhantomSchema, schema)
		return nil
	}
	modality := top.opt("modality")
	var out []Sample
	vqa, ok := m["vqa"].([]any)
	if !ok {
		ps.add(file, 0, "", "vqa", "want a list, got %s", jsonType(m["vqa"]))
	}
	for i, x := range vqa {
		vm, ok := x.(map[string]any)
		if !ok {
			ps.add(file, 0, fmt.Sprintf("vqa[%d]", i), "", "want an object, got %s", jsonType(x))
			continue
		}
		r := &rec{m: vm, file: file, id: fmt.Sprintf("vqa[%d]", i), ps: ps}
		if s, ok := phantomVQA(r, dir, name, modality, opt); ok {
			out = append(out, s)
		}
	}
	if s, ok := phantomReport(top, dir, name, modality); ok {
		out = append(out, s)
	}
	return out
}

func phantomVQA(r *rec, dir, study, modality string, opt Options) (Sample, bool) {
	qid, ok1 := r.str("qid")
	img, ok2 := r.str("image_name")
	q, ok3 := r.str("question")
	a, ok4 := r.str("answer")
	at, ok5 := r.str("answer_type")
	fr, ok6 := r.str("frame")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return Sample{}, false
	}
	frame, err := strconv.Atoi(fr)
	if err != nil || frame < 1 {
		r.ps.add(r.file, 0, r.id, "frame", "want a frame number ≥ 1, got %s", fr)
		return Sample{}, false
	}
	p := filepath.Join(dir, img)
	r.ps.checkImage(r.file, 0, r.id, "image_name", p)
	s := Sample{ID: study + "/q" + qid, Question: q, Answer: a, Lang: "en", Images: []ImageRef{{Path: p, Frame: frame - 1}},
		Tags: tags("question_type", r.opt("question_type"), "answer_type", at, "content_type", r.opt("content_type"), "modality", modality)}
	switch {
	case at == "CLOSED" && isYesNo(a):
		s.Kind, s.Answer, s.Prompt = YesNo, strings.ToLower(a), YesNoPrompt(q, opt.Reasoning, "en")
	case at == "CLOSED":
		s.Kind, s.Prompt = Closed, ClosedPrompt(q, opt.Reasoning, "en")
	case at == "OPEN":
		s.Kind, s.Prompt = Open, OpenPrompt(q, opt.Reasoning, "en")
	default:
		r.ps.add(r.file, 0, r.id, "answer_type", "want OPEN or CLOSED, got %q", at)
		return Sample{}, false
	}
	return s, true
}

func phantomReport(top *rec, dir, study, modality string) (Sample, bool) {
	key, ok1 := top.m["key_image"].(map[string]any)
	rep, ok2 := top.m["report"].(map[string]any)
	if !ok1 {
		top.ps.add(top.file, 0, "", "key_image", "want an object, got %s", jsonType(top.m["key_image"]))
	}
	if !ok2 {
		top.ps.add(top.file, 0, "", "report", "want an object, got %s", jsonType(top.m["report"]))
	}
	if !(ok1 && ok2) {
		return Sample{}, false
	}
	kr := &rec{m: key, file: top.file, id: "key_image", ps: top.ps}
	rr := &rec{m: rep, file: top.file, id: "report", ps: top.ps}
	img, okA := kr.str("file")
	fr, okB := kr.str("frame")
	f, okC := rr.str("findings")
	imp, okD := rr.str("impression")
	if !(okA && okB && okC && okD) {
		return Sample{}, false
	}
	frame, err := strconv.Atoi(fr)
	if err != nil || frame < 1 {
		top.ps.add(top.file, 0, "key_image", "frame", "want a frame number ≥ 1, got %s", fr)
		return Sample{}, false
	}
	p := filepath.Join(dir, img)
	top.ps.checkImage(top.file, 0, "key_image", "file", p)
	normal := "abnormal"
	if n, _ := top.m["normal"].(bool); n {
		normal = "normal"
	}
	return Sample{ID: study + "/report", Kind: Report, Question: ReportPrompt, Prompt: ReportPrompt, Lang: "en",
		Answer: "Findings: " + f + " Impression: " + imp + ".", Images: []ImageRef{{Path: p, Frame: frame - 1}},
		Tags: tags("modality", modality, "normal", normal)}, true
}
