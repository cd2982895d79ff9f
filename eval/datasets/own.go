package datasets

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// loadReportSet reads the MedEvalKit layout shared by MIMIC-CXR, CheXpert
// Plus and IU-Xray: test.json, a list of {id, image (a name or a list),
// findings, impression}, images under images/. Records whose findings and
// impression are both empty are skipped, as MedEvalKit does; the
// reference is "Findings: {findings} Impression: {impression}." as its
// cal_metrics writes it.
func loadReportSet(name string) func(string, Options) ([]Sample, error) {
	return func(path string, _ Options) ([]Sample, error) {
		file, err := resolveFile(path, "test.json")
		if err != nil {
			return nil, err
		}
		imgDir := filepath.Join(filepath.Dir(file), "images")
		var ps problems
		var out []Sample
		err = readJSONArray(file, &ps, func(r *rec) {
			if id := r.opt("id"); id != "" {
				r.id = "id " + id
			}
			id := r.opt("id")
			if id == "" {
				id = strings.TrimPrefix(r.id, "record ")
			}
			imgs, ok1 := r.strList("image")
			f, okF := r.m["findings"].(string)
			imp, okI := r.m["impression"].(string)
			if !okF {
				ps.add(r.file, 0, r.id, "findings", "want a string, got %s", jsonType(r.m["findings"]))
			}
			if !okI {
				ps.add(r.file, 0, r.id, "impression", "want a string, got %s", jsonType(r.m["impression"]))
			}
			if !(ok1 && okF && okI) || (strings.TrimSpace(f) == "" && strings.TrimSpace(imp) == "") {
				return
			}
			s := Sample{ID: id, Kind: Report, Question: ReportPrompt, Prompt: ReportPrompt, Lang: "en",
				Answer: "Findings: " + f + " Impression: " + imp + "."}
			for i, im := range imgs {
				p := filepath.Join(imgDir, im)
				ps.checkImage(r.file, 0, r.id, fmt.Sprintf("image[%d]", i), p)
				s.Images = append(s.Images, ImageRef{Path: p})
			}
			s.Tags = tags("views", strconv.Itoa(len(imgs)))
			out = append(out, s)
		})
		if err != nil {
			return nil, err
		}
		return out, ps.err()
	}
}

// loadOwnJSONL reads Lingshu's own format, for a hospital's sets: one JSON
// object per line,
//
//	{"id": "…", "kind": "mc"|"yesno"|"closed"|"open"|"report",
//	 "question": "…", "options": ["…", …] (mc; "A. " labels added when absent),
//	 "answer": "B" (mc: letter or option text) | "yes" | "…" | reference report,
//	 "images": ["x.png", "y.dcm", {"path": "z.dcm", "frame": 2}],
//	 "tags": {"question_type": "…"}, "lang": "en"|"zh", "prompt": "…" (optional, used verbatim)}
//
// Image paths are relative to the file's folder; DICOM frames count from 1.
// A report sample's question defaults to MedEvalKit's report prompt.
func loadOwnJSONL(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "test.jsonl", "dataset.jsonl")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	var ps problems
	var out []Sample
	err = readJSONL(file, &ps, func(r *rec) {
		if id := r.opt("id"); id != "" {
			r.id = "id " + id
		}
		if s, ok := ownSample(r, dir, opt); ok {
			out = append(out, s)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}

func ownSample(r *rec, dir string, opt Options) (Sample, bool) {
	id, ok1 := r.str("id")
	k, ok2 := r.str("kind")
	ans, ok3 := r.str("answer")
	if !(ok1 && ok2 && ok3) {
		return Sample{}, false
	}
	s := Sample{ID: id, Kind: Kind(k), Answer: ans, Lang: r.opt("lang")}
	if s.Lang == "" {
		s.Lang = "en"
	}
	if s.Kind != Report {
		q, ok := r.str("question")
		if !ok {
			return Sample{}, false
		}
		s.Question = q
	} else if s.Question = r.opt("question"); s.Question == "" {
		s.Question = ReportPrompt
	}
	switch s.Kind {
	case MultiChoice:
		list, ok := r.strList("options")
		if !ok {
			return Sample{}, false
		}
		for i, o := range list {
			if !labelled(o, i) {
				o = letter(i) + ". " + o
			}
			s.Options = append(s.Options, o)
		}
		if s.Answer = answerLetter(ans, s.Options); s.Answer == "" {
			r.ps.add(r.file, r.line, r.id, "answer", "%q is neither an option letter nor an option text", ans)
			return Sample{}, false
		}
		s.Prompt = MultiChoicePrompt(s.Question, s.Options, opt.Reasoning, s.Lang)
	case YesNo:
		if !isYesNo(ans) {
			r.ps.add(r.file, r.line, r.id, "answer", "want yes or no for kind yesno, got %q", ans)
			return Sample{}, false
		}
		s.Answer = strings.ToLower(strings.TrimSpace(ans))
		s.Prompt = YesNoPrompt(s.Question, opt.Reasoning, s.Lang)
	case Closed:
		s.Prompt = ClosedPrompt(s.Question, opt.Reasoning, s.Lang)
	case Open:
		s.Prompt = OpenPrompt(s.Question, opt.Reasoning, s.Lang)
	case Report:
		s.Prompt = s.Question
	default:
		r.ps.add(r.file, r.line, r.id, "kind", "want mc, yesno, closed, open or report, got %q", k)
		return Sample{}, false
	}
	if p := r.opt("prompt"); p != "" {
		s.Prompt = p
	}
	if t, ok := r.m["tags"].(map[string]any); ok {
		s.Tags = map[string]string{}
		for k, v := range t {
			if sv, ok := scalar(v); ok {
				s.Tags[k] = sv
			}
		}
	}
	imgs, ok := ownImages(r, dir)
	if !ok {
		return Sample{}, false
	}
	s.Images = imgs
	return s, true
}

// ownImages reads the "images" list: strings, or {"path", "frame"} objects.
func ownImages(r *rec, dir string) ([]ImageRef, bool) {
	v, ok := r.m["images"]
	if !ok || v == nil {
		return nil, true
	}
	arr, ok := v.([]any)
	if !ok {
		r.ps.add(r.file, r.line, r.id, "images", "want a list, got %s", jsonType(v))
		return nil, false
	}
	var out []ImageRef
	for i, x := range arr {
		field := fmt.Sprintf("images[%d]", i)
		ref := ImageRef{}
		switch y := x.(type) {
		case string:
			ref.Path = y
		case map[string]any:
			p, ok := y["path"].(string)
			if !ok || p == "" {
				r.ps.add(r.file, r.line, r.id, field+".path", "missing")
				return nil, false
			}
			ref.Path = p
			if f, ok := scalar(y["frame"]); ok {
				n, err := strconv.Atoi(f)
				if err != nil || n < 1 {
					r.ps.add(r.file, r.line, r.id, field+".frame", "want a frame number ≥ 1, got %s", f)
					return nil, false
				}
				ref.Frame = n - 1
			}
		default:
			r.ps.add(r.file, r.line, r.id, field, "want a path or {\"path\", \"frame\"}, got %s", jsonType(x))
			return nil, false
		}
		if !filepath.IsAbs(ref.Path) {
			ref.Path = filepath.Join(dir, ref.Path)
		}
		r.ps.checkImage(r.file, r.line, r.id, field, ref.Path)
		out = append(out, ref)
	}
	return out, true
}
