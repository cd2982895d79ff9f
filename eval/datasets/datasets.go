package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Kind is how a sample is asked and scored.
type Kind string

const (
	MultiChoice Kind = "mc"     // options labelled A, B, …; Answer is a letter
	YesNo       Kind = "yesno"  // Answer is "yes" or "no"
	Closed      Kind = "closed" // a short closed answer ("left", "2"), exact match
	Open        Kind = "open"   // free text, exact match / token F1 / judge
	Report      Kind = "report" // report generation, scored by report metrics
)

// ImageRef is one image of a sample: a PNG/JPEG file, or a DICOM file and
// a 0-based frame.
type ImageRef struct {
	Path  string `json:"path"`
	Frame int    `json:"frame,omitempty"`
}

// Sample is one question (or one report to write), with its prompt built
// the way MedEvalKit builds it (see prompt.go).
type Sample struct {
	ID       string     `json:"id"`
	Kind     Kind       `json:"kind"`
	Question string     `json:"question"`
	Options  []string   `json:"options,omitempty"` // labelled: "A. text"
	Answer   string     `json:"answer"`            // letter for mc; text otherwise; report text for report
	Images   []ImageRef `json:"images,omitempty"`
	// Tags carry the breakdown keys of the source set (question_type,
	// answer_type, modality_type, medical_task, subject, ...).
	Tags   map[string]string `json:"tags,omitempty"`
	Lang   string            `json:"lang,omitempty"` // "en" or "zh"
	Prompt string            `json:"prompt"`
}

// Options tune how prompts are built.
type Options struct {
	// Reasoning selects MedEvalKit's REASONING=True prompts (answer in
	// \boxed{}).
	Reasoning bool
}

// Loader reads one benchmark from its native files.
type Loader struct {
	Name   string // registry name: "vqa-rad", "mmlu-medical", ...
	Task   string // "vqa", "text" or "report"
	Layout string // the native layout expected at PATH, for error messages and help
	load   func(path string, opt Options) ([]Sample, error)
}

// Load reads the benchmark at path.
func (l Loader) Load(path string, opt Options) ([]Sample, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("datasets: %s: %w (expected %s)", l.Name, err, l.Layout)
	}
	s, err := l.load(path, opt)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", l.Name, err)
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("datasets: %s: %s: no samples (expected %s)", l.Name, path, l.Layout)
	}
	seen := make(map[string]bool, len(s))
	for _, x := range s {
		if seen[x.ID] {
			return nil, fmt.Errorf("datasets: %s: %s: duplicate sample id %q", l.Name, path, x.ID)
		}
		seen[x.ID] = true
	}
	return s, nil
}

// Registry lists every loader, in a fixed order.
func Registry() []Loader {
	return []Loader{
		{"vqa-rad", "vqa", "VQA-RAD release: DIR/VQA_RAD Dataset Public.json (or any *.json list) + image folder; or the Hugging Face copy: FILE.parquet, DIR/test-*.parquet or DIR/data/test-*.parquet", loadVQARADAny},
		{"slake", "vqa", "SLAKE: DIR/test.json + DIR/imgs/", loadSLAKE},
		{"pathvqa", "vqa", "PathVQA release: DIR/qas/test/test_qa.pkl + DIR/images/test/<image>.jpg", loadPathVQA},
		{"pmc-vqa", "vqa", "PMC-VQA: DIR/test_2.csv (or test.csv) + DIR/figures/ or DIR/images/", loadPMCVQA},
		{"omnimedvqa", "vqa", "OmniMedVQA: DIR/QA_information/Open-access/*.json + image paths relative to DIR", loadOmniMedVQA},
		{"mmmu-medical", "vqa", "MMMU (Hugging Face MMMU/MMMU): DIR/<Subject>/validation-*.parquet for the five Health and Medicine subjects", loadMMMU},
		{"mmmu-medical-test", "vqa", "MMMU test split: DIR/<Subject>/test-*.parquet + DIR/answer.json (MedEvalKit's utils/MMMU/answer.json)", loadMMMUTest},
		{"medxpertqa-mm", "vqa", "MedXpertQA MM: DIR/MM/test.jsonl (or DIR/test.jsonl) + DIR/images/", loadMedXpertMM},
		{"mmlu-medical", "text", "MMLU release: DIR/test/<subject>_test.csv (or DIR/<subject>_test.csv) for the medical subjects", loadMMLU},
		{"pubmedqa", "text", "PubMedQA: DIR/test_set.json or ori_pqal.json ({pmid: {QUESTION, CONTEXTS, final_decision}}), or a JSONL of {data: {Question, Context, Options, Correct Option}}", loadPubMedQA},
		{"medmcqa", "text", "MedMCQA: DIR/dev.json (JSON lines: question, opa..opd, cop)", loadMedMCQA},
		{"medqa-usmle", "text", "MedQA: DIR/test.jsonl, DIR/questions/US/test.jsonl or DIR/questions/US/4_options/phrases_no_exclude_test.jsonl", loadMedQA},
		{"medbullets", "text", "Medbullets: DIR/medbullets_op4.csv or medbullets_op5.csv (question, opa..ope, answer_idx)", loadMedbullets},
		{"medxpertqa-text", "text", "MedXpertQA Text: DIR/Text/test.jsonl (or DIR/test.jsonl)", loadMedXpertText},
		{"supergpqa-medical", "text", "SuperGPQA: DIR/SuperGPQA-all.jsonl (discipline Medicine kept)", loadSuperGPQA},
		{"mimic-cxr", "report", "MIMIC-CXR (MedEvalKit layout): DIR/test.json [{id, image: [..], findings, impression}] + DIR/images/", loadReportSet("mimic-cxr")},
		{"chexpert-plus", "report", "CheXpert Plus (MedEvalKit layout): DIR/test.json [{id, image, findings, impression}] + DIR/images/", loadReportSet("chexpert-plus")},
		{"iu-xray", "report", "IU-Xray (MedEvalKit layout): DIR/test.json [{id, image: [..], findings, impression}] + DIR/images/", loadReportSet("iu-xray")},
		{"jsonl", "any", "Lingshu JSONL: FILE.jsonl, one {id, kind, question, options, answer, images} per line (paths relative to the file)", loadOwnJSONL},
		{"phantom", "vqa+report", "`lingshu phantom --out DIR`: DIR/phantom_index.json + DIR/<study>/ground_truth.json + DICOM files", loadPhantom},
	}
}

// Lookup returns the loader named name (case-insensitive; "_" and "-" are
// the same).
func Lookup(name string) (Loader, bool) {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	i := slices.IndexFunc(Registry(), func(l Loader) bool { return l.Name == n })
	if i < 0 {
		return Loader{}, false
	}
	return Registry()[i], true
}

// Names lists the registered loader names.
func Names() []string {
	var out []string
	for _, l := range Registry() {
		out = append(out, l.Name)
	}
	return out
}

// Problem is one thing wrong in a dataset's files.
type Problem struct {
	File   string // the file read
	Line   int    // 1-based line (JSONL, CSV), 0 if not line-based
	Record string // record index or id ("record 3", "qid 12")
	Field  string // the field at fault, "" for the whole record
	Msg    string // what is wrong: "missing", "not a string", "file not found: imgs/x.png"
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Record != "" {
		b.WriteString(": " + p.Record)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, ": field %q", p.Field)
	}
	b.WriteString(": " + p.Msg)
	return b.String()
}

// ValidationError lists every problem found (the first maxListed in
// Error()).
type ValidationError struct{ Problems []Problem }

const maxListed = 20

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the dataset files:", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// problems collects Problems while a loader reads.
type problems struct{ list []Problem }

func (ps *problems) add(file string, line int, record, field, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: file, Line: line, Record: record, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil or the ValidationError.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps.list}
}

// checkImage records a problem unless path is a readable regular file.
func (ps *problems) checkImage(file string, line int, record, field, path string) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ps.add(file, line, record, field, "image not found: %s", path)
	case err != nil:
		ps.add(file, line, record, field, "image: %v", err)
	case !st.Mode().IsRegular():
		ps.add(file, line, record, field, "image is not a regular file: %s", path)
	}
}

// firstExisting returns the first of dir/names that exists, or "" and a
// description of what was looked for.
func firstExisting(dir string, names ...string) (string, string) {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, ""
		}
	}
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n))
	}
	return "", "none of " + strings.Join(want, ", ") + " exists"
}

// resolveFile lets PATH be the file itself or the directory holding one of
// names.
func resolveFile(path string, names ...string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.Mode().IsRegular() {
		return path, nil
	}
	p, why := firstExisting(path, names...)
	if p == "" {
		return "", errors.New(why)
	}
	return p, nil
}

// letters labels options: A, B, C, ...
func letter(i int) string { return string(rune('A' + i)) }
