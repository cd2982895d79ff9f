package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// loadVQARAD reads the VQA-RAD release (OSF): a JSON list of {qid,
// image_name, image_organ, question, answer, answer_type, question_type,
// phrase_type}; when phrase_type marks test questions (test_freeform,
// test_para) only those are kept, as the published test split.
func loadVQARAD(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "VQA_RAD Dataset Public.json", "testset.json", "test.json")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	imgDir := dir
	for _, d := range []string{"VQA_RAD Image Folder", "images"} {
		if st, err := os.Stat(filepath.Join(dir, d)); err == nil && st.IsDir() {
			imgDir = filepath.Join(dir, d)
			break
		}
	}
	var ps problems
	var all []Sample
	var phrase []string
	err = readJSONArray(file, &ps, func(r *rec) {
		if q := r.opt("qid"); q != "" {
			r.id = "qid " + q
		}
		qid, ok1 := r.str("qid")
		img, ok2 := r.str("image_name")
		q, ok3 := r.str("question")
		a, ok4 := r.str("answer")
		if !(ok1 && ok2 && ok3 && ok4) {
			return
		}
		p := filepath.Join(imgDir, img)
		ps.checkImage(r.file, 0, r.id, "image_name", p)
		s := vqaSample(qid, q, a, opt)
		s.Images = []ImageRef{{Path: p}}
		s.Tags = tags("answer_type", strings.ToUpper(r.opt("answer_type")), "question_type", r.opt("question_type"), "organ", r.opt("image_organ"))
		all = append(all, s)
		phrase = append(phrase, r.opt("phrase_type"))
	})
	if err != nil {
		return nil, err
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(phrase, func(p string) bool { return strings.HasPrefix(p, "test") }) {
		return all, nil
	}
	var test []Sample
	for i, s := range all {
		if strings.HasPrefix(phrase[i], "test") {
			test = append(test, s)
		}
	}
	return test, nil
}

// tags builds a Tags map from key, value pairs, leaving out empty values.
func tags(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// loadSLAKE reads SLAKE's test.json: {qid, img_name, question, answer,
// q_lang, answer_type (OPEN|CLOSED), content_type, modality, location};
// images under imgs/. OPEN questions get the open prompt, CLOSED the
// close-ended one (both languages); closed yes/no answers are judged as
// yes/no, other closed answers by exact match (SLAKE.py).
func loadSLAKE(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "test.json")
	if err != nil {
		return nil, err
	}
	imgDir := filepath.Join(filepath.Dir(file), "imgs")
	var ps problems
	var out []Sample
	err = readJSONArray(file, &ps, func(r *rec) {
		if q := r.opt("qid"); q != "" {
			r.id = "qid " + q
		}
		qid, ok1 := r.str("qid")
		img, ok2 := r.str("img_name")
		q, ok3 := r.str("question")
		a, ok4 := r.str("answer")
		at, ok5 := r.str("answer_type")
		if !(ok1 && ok2 && ok3 && ok4 && ok5) {
			return
		}
		lang := r.opt("q_lang")
		if lang != "zh" {
			lang = "en"
		}
		at = strings.ToUpper(at)
		if at != "OPEN" && at != "CLOSED" {
			ps.add(r.file, 0, r.id, "answer_type", "want OPEN or CLOSED, got %q", at)
			return
		}
		p := filepath.Join(imgDir, img)
		ps.checkImage(r.file, 0, r.id, "img_name", p)
		s := Sample{ID: qid, Question: q, Answer: a, Lang: lang, Images: []ImageRef{{Path: p}},
			Tags: tags("answer_type", at, "content_type", r.opt("content_type"), "modality", r.opt("modality"), "lang", lang)}
		switch {
		case at == "OPEN":
			s.Kind, s.Prompt = Open, OpenPrompt(q, opt.Reasoning, lang)
		case isYesNo(a):
			s.Kind, s.Answer, s.Prompt = YesNo, strings.ToLower(strings.TrimSpace(a)), ClosedPrompt(q, opt.Reasoning, lang)
		default:
			s.Kind, s.Prompt = Closed, ClosedPrompt(q, opt.Reasoning, lang)
		}
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}

// loadPathVQA reads PathVQA's release: qas/test/test_qa.pkl, a pickled
// list of {image, question, answer}, images at images/test/<image>.jpg.
func loadPathVQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, filepath.Join("qas", "test", "test_qa.pkl"), "test_qa.pkl")
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(file)
	if filepath.Base(root) == "test" && filepath.Base(filepath.Dir(root)) == "qas" {
		root = filepath.Dir(filepath.Dir(root))
	}
	imgDir := filepath.Join(root, "images", "test")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	v, err := unpickle(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a pickled list of dicts, got %s", file, jsonType(v))
	}
	var ps problems
	var out []Sample
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			ps.add(file, 0, fmt.Sprintf("record %d", i), "", "want a dict, got %s", jsonType(x))
			continue
		}
		r := &rec{m: m, file: file, id: fmt.Sprintf("record %d", i), ps: &ps}
		img, ok1 := r.str("image")
		q, ok2 := r.str("question")
		a, ok3 := r.str("answer")
		if !(ok1 && ok2 && ok3) {
			continue
		}
		p := filepath.Join(imgDir, img)
		if filepath.Ext(img) == "" {
			p += ".jpg"
		}
		ps.checkImage(file, 0, r.id, "image", p)
		s := vqaSample(fmt.Sprintf("%d", i), q, a, opt)
		s.Images = []ImageRef{{Path: p}}
		kind := "open"
		if s.Kind == YesNo {
			kind = "yes/no"
		}
		s.Tags = tags("answer_type", kind)
		out = append(out, s)
	}
	return out, ps.err()
}

// csvTable reads a CSV file with a header row; rows are maps by column
// name with their 1-based line numbers.
type csvRow struct {
	line int
	col  map[string]string
}

func readCSV(file string, required []string) ([]csvRow, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCSV(f, file, required)
}

// parseCSV is readCSV on an open reader.
func parseCSV(rd io.Reader, file string, required []string) ([]csvRow, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", file, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	var missing []string
	for _, c := range required {
		if !slices.Contains(header, c) {
			missing = append(missing, fmt.Sprintf("%q", c))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s:1: header lacks column(s) %s (has %q)", file, strings.Join(missing, ", "), header)
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, header has %d", file, line, len(rec), len(header))
		}
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = rec[i]
		}
		rows = append(rows, csvRow{line: line, col: m})
	}
	return rows, nil
}

// labelled reports whether an option already starts with its letter
// ("A:", "A.", "(A)").
func labelled(opt string, i int) bool {
	o := strings.TrimSpace(opt)
	l := letter(i)
	return strings.HasPrefix(o, l+":") || strings.HasPrefix(o, l+".") || strings.HasPrefix(o, "("+l+")")
}

// loadPMCVQA reads PMC-VQA's test_2.csv (index, Figure_path, Caption,
// Question, Choice A–D, Answer, split) with figures under figures/ or
// images/. Choices are passed as written ("A:…"), as PMC_VQA.py does.
func loadPMCVQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "test_2.csv", "test.csv")
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(file)
	cols := []string{"Figure_path", "Question", "Choice A", "Choice B", "Choice C", "Choice D", "Answer"}
	rows, err := readCSV(file, cols)
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	for i, row := range rows {
		id := row.col["index"]
		if id == "" {
			id = fmt.Sprint(i)
		}
		rid := "index " + id
		var opts []string
		bad := false
		for j, c := range cols[2:6] {
			o := strings.TrimSpace(row.col[c])
			if o == "" {
				ps.add(file, row.line, rid, c, "empty")
				bad = true
			}
			if !labelled(o, j) {
				o = letter(j) + ":" + o
			}
			opts = append(opts, o)
		}
		q, a, fig := row.col["Question"], strings.TrimSpace(row.col["Answer"]), row.col["Figure_path"]
		for _, kv := range [][2]string{{"Question", q}, {"Answer", a}, {"Figure_path", fig}} {
			if strings.TrimSpace(kv[1]) == "" {
				ps.add(file, row.line, rid, kv[0], "empty")
				bad = true
			}
		}
		if bad {
			continue
		}
		ans := answerLetter(a, opts)
		if ans == "" {
			ps.add(file, row.line, rid, "Answer", "%q is neither a letter A–D nor one of the choices", a)
			continue
		}
		p := filepath.Join(root, "figures", fig)
		if _, err := os.Stat(p); err != nil {
			p = filepath.Join(root, "images", fig)
		}
		ps.checkImage(file, row.line, rid, "Figure_path", p)
		s := mcSample(id, q, opts, ans, opt)
		s.Images = []ImageRef{{Path: p}}
		out = append(out, s)
	}
	return out, ps.err()
}

// answerLetter maps a letter ("B", "b", "B:") or an option text to the
// option's letter; "" if neither.
func answerLetter(a string, opts []string) string {
	t := strings.TrimSpace(a)
	u := strings.ToUpper(strings.TrimRight(t, ".:)"))
	u = strings.TrimPrefix(u, "(")
	if len(u) == 1 && u[0] >= 'A' && int(u[0]-'A') < len(opts) {
		return u
	}
	for i, o := range opts {
		body := strings.TrimSpace(o)
		if labelled(body, i) {
			body = strings.TrimSpace(body[strings.IndexAny(body, ":.)")+1:])
		}
		if strings.EqualFold(body, t) || strings.EqualFold(strings.TrimSpace(o), t) {
			return letter(i)
		}
	}
	return ""
}

// loadOmniMedVQA reads OmniMedVQA's QA_information/Open-access/*.json:
// lists of {question_id, question_type, question, gt_answer, option_A–D,
// image_path, modality_type, dataset}; image_path is relative to the root.
func loadOmniMedVQA(path string, opt Options) ([]Sample, error) {
	qaDir := filepath.Join(path, "QA_information", "Open-access")
	files, err := filepath.Glob(filepath.Join(qaDir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.json under %s", qaDir)
	}
	sort.Strings(files)
	var ps problems
	var out []Sample
	for _, file := range files {
		err := readJSONArray(file, &ps, func(r *rec) {
			if q := r.opt("question_id"); q != "" {
				r.id = "question_id " + q
			}
			id, ok1 := r.str("question_id")
			q, ok2 := r.str("question")
			gt, ok3 := r.str("gt_answer")
			img, ok4 := r.str("image_path")
			if !(ok1 && ok2 && ok3 && ok4) {
				return
			}
			var opts []string
			ans := ""
			for i, l := range []string{"A", "B", "C", "D"} {
				o, ok := scalar(r.m["option_"+l])
				if !ok {
					break
				}
				if o == gt && ans == "" {
					ans = letter(i)
				}
				opts = append(opts, l+". "+o)
			}
			if len(opts) < 2 {
				ps.add(r.file, 0, r.id, "option_A", "fewer than two options")
				return
			}
			if ans == "" {
				ps.add(r.file, 0, r.id, "gt_answer", "%q matches none of the options", gt)
				return
			}
			p := filepath.Join(path, img)
			ps.checkImage(r.file, 0, r.id, "image_path", p)
			s := mcSample(id, q, opts, ans, opt)
			s.Images = []ImageRef{{Path: p}}
			s.Tags = tags("question_type", r.opt("question_type"), "modality_type", r.opt("modality_type"), "source", r.opt("dataset"))
			out = append(out, s)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, ps.err()
}

// medXpert reads MedXpertQA's JSONL: {id, question, options {A: …},
// label, images [...] (MM), medical_task, body_system, question_type}.
func medXpert(file, imgDir string, mm bool, opt Options) ([]Sample, error) {
	var ps problems
	var out []Sample
	err := readJSONL(file, &ps, func(r *rec) {
		if q := r.opt("id"); q != "" {
			r.id = "id " + q
		}
		id, ok1 := r.str("id")
		q, ok2 := r.str("question")
		label, ok3 := r.str("label")
		om, ok4 := r.m["options"].(map[string]any)
		if !ok4 {
			ps.add(r.file, r.line, r.id, "options", "want an object {\"A\": …}, got %s", jsonType(r.m["options"]))
		}
		if !(ok1 && ok2 && ok3 && ok4) {
			return
		}
		keys := make([]string, 0, len(om))
		for k := range om {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var opts []string
		for _, k := range keys {
			v, ok := scalar(om[k])
			if !ok {
				ps.add(r.file, r.line, r.id, "options."+k, "want a string, got %s", jsonType(om[k]))
				return
			}
			opts = append(opts, k+". "+v)
		}
		if !slices.Contains(keys, label) {
			ps.add(r.file, r.line, r.id, "label", "%q is not one of the option keys %v", label, keys)
			return
		}
		s := mcSample(id, q, opts, label, opt)
		s.Tags = tags("question_type", r.opt("question_type"), "medical_task", r.opt("medical_task"), "body_system", r.opt("body_system"))
		if mm {
			imgs, ok := r.strList("images")
			if !ok {
				return
			}
			for i, im := range imgs {
				p := filepath.Join(imgDir, im)
				ps.checkImage(r.file, r.line, r.id, fmt.Sprintf("images[%d]", i), p)
				s.Images = append(s.Images, ImageRef{Path: p})
			}
		}
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}

func loadMedXpertMM(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, filepath.Join("MM", "test.jsonl"), "test.jsonl")
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(file)
	if filepath.Base(root) == "MM" {
		root = filepath.Dir(root)
	}
	return medXpert(file, filepath.Join(root, "images"), true, opt)
}

func loadMedXpertText(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, filepath.Join("Text", "test.jsonl"), "test.jsonl")
	if err != nil {
		return nil, err
	}
	return medXpert(file, "", false, opt)
}
