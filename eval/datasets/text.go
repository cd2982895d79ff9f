package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// MMLUMedical lists the MMLU subjects MedEvalKit's MMLU.py evaluates as
// "medical".
var MMLUMedical = []string{"anatomy", "clinical_knowledge", "college_biology", "college_medicine",
	"medical_genetics", "professional_medicine", "nutrition", "virology", "high_school_biology"}

// loadMMLU reads the original MMLU release (data/test/<subject>_test.csv:
// no header; question, A, B, C, D, answer letter) for the medical
// subjects. MedEvalKit labels options "A.text". (Its MMLU.py passes the
// joined option string where a list is expected, which puts one character
// per line in the prompt; that is not reproduced.)
func loadMMLU(path string, opt Options) ([]Sample, error) {
	dir := path
	if st, err := os.Stat(filepath.Join(path, "test")); err == nil && st.IsDir() {
		dir = filepath.Join(path, "test")
	}
	var missing []string
	for _, subj := range MMLUMedical {
		if _, err := os.Stat(filepath.Join(dir, subj+"_test.csv")); err != nil {
			missing = append(missing, subj+"_test.csv")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing %s", dir, strings.Join(missing, ", "))
	}
	var ps problems
	var out []Sample
	for _, subj := range MMLUMedical {
		file := filepath.Join(dir, subj+"_test.csv")
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		cr := csv.NewReader(f)
		cr.FieldsPerRecord = -1
		for i := 0; ; i++ {
			row, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			line, _ := cr.FieldPos(0)
			rid := fmt.Sprintf("row %d", i)
			if len(row) != 6 {
				ps.add(file, line, rid, "", "want 6 fields (question, A, B, C, D, answer), got %d", len(row))
				continue
			}
			ans := strings.ToUpper(strings.TrimSpace(row[5]))
			if len(ans) != 1 || ans[0] < 'A' || ans[0] > 'D' {
				ps.add(file, line, rid, "answer", "want a letter A–D, got %q", row[5])
				continue
			}
			var opts []string
			for j := range 4 {
				opts = append(opts, letter(j)+"."+row[1+j])
			}
			s := mcSample(fmt.Sprintf("%s-%d", subj, i), row[0], opts, ans, opt)
			s.Tags = tags("subject", subj)
			out = append(out, s)
		}
		f.Close()
	}
	return out, ps.err()
}

// pubMedChoices are PubMedQA's three answers, labelled as PubMedQA.py does.
var pubMedChoices = []string{"A.yes", "B.no", "C.maybe"}

// loadPubMedQA reads PubMedQA's own test_set.json / ori_pqal.json
// ({pmid: {QUESTION, CONTEXTS, final_decision, ...}}), or a JSON-lines
// export of the Hugging Face form ({data: {Question, Context, Options,
// Correct Option}}). The prompt is "Context: …" then the multiple-choice
// prompt, as PubMedQA.py builds it.
func loadPubMedQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "test_set.json", "ori_pqal.json", "test.jsonl")
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(file, ".jsonl") {
		return pubMedJSONL(file, opt)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := decodeJSON(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object {pmid: record}: %w", file, err)
	}
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	var ps problems
	var out []Sample
	for _, pmid := range ids {
		rm, ok := m[pmid].(map[string]any)
		if !ok {
			ps.add(file, 0, "pmid "+pmid, "", "want an object, got %s", jsonType(m[pmid]))
			continue
		}
		r := &rec{m: rm, file: file, id: "pmid " + pmid, ps: &ps}
		q, ok1 := r.str("QUESTION")
		ctx, ok2 := r.strList("CONTEXTS")
		dec, ok3 := r.str("final_decision")
		if !(ok1 && ok2 && ok3) {
			continue
		}
		i := map[string]int{"yes": 0, "no": 1, "maybe": 2}[strings.ToLower(dec)]
		if !isYesNo(dec) && !strings.EqualFold(dec, "maybe") {
			ps.add(file, 0, r.id, "final_decision", "want yes, no or maybe, got %q", dec)
			continue
		}
		out = append(out, pubMedSample(pmid, q, ctx, pubMedChoices, letter(i), opt))
	}
	return out, ps.err()
}

func pubMedSample(id, q string, ctx, choices []string, ans string, opt Options) Sample {
	s := mcSample(id, q, choices, ans, opt)
	s.Prompt = "Context: " + strings.Join(ctx, "\n") + "\n" + s.Prompt
	return s
}

func pubMedJSONL(file string, opt Options) ([]Sample, error) {
	var ps problems
	var out []Sample
	err := readJSONL(file, &ps, func(r *rec) {
		d, ok := r.m["data"].(map[string]any)
		if !ok {
			ps.add(r.file, r.line, "", "data", "want an object, got %s", jsonType(r.m["data"]))
			return
		}
		r = &rec{m: d, file: r.file, line: r.line, id: fmt.Sprintf("line %d", r.line), ps: &ps}
		q, ok1 := r.str("Question")
		ctx, ok2 := r.strList("Context")
		ans, ok3 := r.str("Correct Option")
		om, ok4 := d["Options"].(map[string]any)
		if !ok4 {
			ps.add(r.file, r.line, r.id, "Options", "want an object {A, B, C}, got %s", jsonType(d["Options"]))
		}
		if !(ok1 && ok2 && ok3 && ok4) {
			return
		}
		var choices []string
		for i, k := range []string{"A", "B", "C"} {
			v, ok := scalar(om[k])
			if !ok {
				ps.add(r.file, r.line, r.id, "Options."+k, "missing")
				return
			}
			choices = append(choices, letter(i)+"."+v)
		}
		if answerLetter(ans, choices) == "" {
			ps.add(r.file, r.line, r.id, "Correct Option", "want A, B or C, got %q", ans)
			return
		}
		out = append(out, pubMedSample(strconv.Itoa(r.line), q, ctx, choices, answerLetter(ans, choices), opt))
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}

// loadMedMCQA reads MedMCQA's dev.json (JSON lines: id, question, opa–opd,
// cop, subject_name, topic_name, choice_type). cop is 1–4 in the original
// release and 0–3 in the Hugging Face copy; a file with any cop of 0 is
// read as 0-based, otherwise as 1-based.
func loadMedMCQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "dev.json", "validation.jsonl", "dev.jsonl")
	if err != nil {
		return nil, err
	}
	type raw struct {
		s   Sample
		cop int
		r   rec
	}
	var ps problems
	var rows []raw
	zero := false
	err = readJSONL(file, &ps, func(r *rec) {
		if id := r.opt("id"); id != "" {
			r.id = "id " + id
		}
		q, ok := r.str("question")
		var opts []string
		for i, k := range []string{"opa", "opb", "opc", "opd"} {
			o, ok1 := r.str(k)
			ok = ok && ok1
			opts = append(opts, letter(i)+". "+o)
		}
		c, ok2 := r.str("cop")
		if !(ok && ok2) {
			return
		}
		cop, err := strconv.Atoi(c)
		if err != nil || cop < 0 || cop > 4 {
			ps.add(r.file, r.line, r.id, "cop", "want an option number 1–4 (or 0–3), got %q", c)
			return
		}
		zero = zero || cop == 0
		id := r.opt("id")
		if id == "" {
			id = strconv.Itoa(r.line)
		}
		s := mcSample(id, q, opts, "", opt)
		s.Tags = tags("subject", r.opt("subject_name"), "choice_type", r.opt("choice_type"))
		rows = append(rows, raw{s: s, cop: cop, r: *r})
	})
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, x := range rows {
		i := x.cop - 1
		if zero {
			i = x.cop
		}
		if i < 0 || i > 3 {
			ps.add(x.r.file, x.r.line, x.r.id, "cop", "%d is out of range for a 0-based file", x.cop)
			continue
		}
		x.s.Answer = letter(i)
		out = append(out, x.s)
	}
	return out, ps.err()
}

// loadMedQA reads MedQA (USMLE) JSON lines: {question, options {A: …},
// answer_idx, meta_info}.
func loadMedQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "test.jsonl", filepath.Join("questions", "US", "test.jsonl"),
		filepath.Join("questions", "US", "4_options", "phrases_no_exclude_test.jsonl"))
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	err = readJSONL(file, &ps, func(r *rec) {
		q, ok1 := r.str("question")
		ans, ok2 := r.str("answer_idx")
		om, ok3 := r.m["options"].(map[string]any)
		if !ok3 {
			ps.add(r.file, r.line, "", "options", "want an object {\"A\": …}, got %s", jsonType(r.m["options"]))
		}
		if !(ok1 && ok2 && ok3) {
			return
		}
		opts, ok := dictOptions(r, om, ". ")
		if !ok {
			return
		}
		if answerLetter(ans, opts) == "" {
			ps.add(r.file, r.line, "", "answer_idx", "%q is not an option letter", ans)
			return
		}
		s := mcSample(strconv.Itoa(r.line), q, opts, answerLetter(ans, opts), opt)
		s.Tags = tags("step", r.opt("meta_info"))
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}

// dictOptions labels the options of an {"A": text, ...} object in letter
// order; the keys must be A, B, C, ... without gaps.
func dictOptions(r *rec, om map[string]any, sep string) ([]string, bool) {
	var opts []string
	for i := range len(om) {
		k := letter(i)
		v, ok := scalar(om[k])
		if !ok {
			r.ps.add(r.file, r.line, r.id, "options."+k, "missing (keys must be A, B, C, … without gaps)")
			return nil, false
		}
		opts = append(opts, k+sep+v)
	}
	if len(opts) < 2 {
		r.ps.add(r.file, r.line, r.id, "options", "fewer than two options")
		return nil, false
	}
	return opts, true
}

// loadMedbullets reads medbullets_op4.csv / medbullets_op5.csv (question,
// opa–opd[, ope], answer_idx letter); options labelled "A.text".
func loadMedbullets(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "medbullets_op5.csv", "medbullets_op4.csv")
	if err != nil {
		return nil, err
	}
	rows, err := readCSV(file, []string{"question", "opa", "opb", "opc", "opd", "answer_idx"})
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	for i, row := range rows {
		rid := fmt.Sprintf("row %d", i)
		var opts []string
		for j, k := range []string{"opa", "opb", "opc", "opd", "ope"} {
			v, ok := row.col[k]
			if !ok || (k == "ope" && strings.TrimSpace(v) == "") {
				break
			}
			if strings.TrimSpace(v) == "" {
				ps.add(file, row.line, rid, k, "empty")
			}
			opts = append(opts, letter(j)+"."+v)
		}
		ans := answerLetter(row.col["answer_idx"], opts)
		if ans == "" {
			ps.add(file, row.line, rid, "answer_idx", "want an option letter, got %q", row.col["answer_idx"])
			continue
		}
		if strings.TrimSpace(row.col["question"]) == "" {
			ps.add(file, row.line, rid, "question", "empty")
			continue
		}
		s := mcSample(strconv.Itoa(i), row.col["question"], opts, ans, opt)
		s.Tags = tags("options", strconv.Itoa(len(opts)))
		out = append(out, s)
	}
	return out, ps.err()
}

// loadSuperGPQA reads SuperGPQA-all.jsonl ({uuid, question, options [..],
// answer_letter, discipline, field, subfield, difficulty}) and keeps the
// discipline "Medicine", as SuperGPQA.py does.
func loadSuperGPQA(path string, opt Options) ([]Sample, error) {
	file, err := resolveFile(path, "SuperGPQA-all.jsonl", "test.jsonl")
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	err = readJSONL(file, &ps, func(r *rec) {
		if id := r.opt("uuid"); id != "" {
			r.id = "uuid " + id
		}
		disc, ok := r.str("discipline")
		if !ok || disc != "Medicine" {
			return
		}
		id, ok1 := r.str("uuid")
		q, ok2 := r.str("question")
		list, ok3 := r.strList("options")
		ans, ok4 := r.str("answer_letter")
		if !(ok1 && ok2 && ok3 && ok4) {
			return
		}
		var opts []string
		for i, o := range list {
			opts = append(opts, letter(i)+"."+o)
		}
		if answerLetter(ans, opts) == "" {
			ps.add(r.file, r.line, r.id, "answer_letter", "%q is not one of %d option letters", ans, len(opts))
			return
		}
		s := mcSample(id, q, opts, answerLetter(ans, opts), opt)
		s.Tags = tags("field", r.opt("field"), "subfield", r.opt("subfield"), "difficulty", r.opt("difficulty"))
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, ps.err()
}
