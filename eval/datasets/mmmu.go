package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MMMUMedical lists the MMMU subjects of the "Health and Medicine"
// discipline, which MedEvalKit's MMMU-Medical-val / -test evaluate
// (utils/MMMU/data_utils.py, DOMAIN_CAT2SUB_CAT).
var MMMUMedical = []string{"Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine", "Pharmacy", "Public_Health"}

// mmmuMaxImages is the number of image columns of an MMMU row.
const mmmuMaxImages = 7

// imagePlaceholder matches MMMU's "<image 3>" references.
var imagePlaceholder = regexp.MustCompile(`<image (\d+)>`)

// loadMMMU reads the Hugging Face copy of MMMU (MMMU/MMMU), the only form
// it is distributed in: DIR/<Subject>/validation-*.parquet for the five
// medical subjects, with columns id, question, options (a Python list
// literal "['a', 'b']"), explanation, image_1..image_7 ({bytes, path}),
// img_type, answer, topic_difficulty, question_type (multiple-choice |
// open), subfield.
//
// As MedEvalKit's MMMU-Medical-val does, the question text keeps its
// "<image N>" placeholders, the model sees image_1 only
// (process_single_sample), multiple-choice options are listed "(A) text"
// and open questions get the single-word-or-phrase instruction
// (construct_prompt). The images are extracted to the image cache
// (ImageDirEnv) so that each ImageRef is a plain PNG/JPEG file.
func loadMMMU(path string, opt Options) ([]Sample, error) {
	return loadMMMUSplit(path, "validation", nil, opt)
}

// loadMMMUTest reads the test split (DIR/<Subject>/test-*.parquet), whose
// answer column is hidden ("?"), with the answers MedEvalKit ships for it
// (utils/MMMU/answer.json: {id: {question_type, ground_truth}}) copied to
// DIR/answer.json, as MedEvalKit's MMMU-Medical-test does.
func loadMMMUTest(path string, opt Options) ([]Sample, error) {
	gold, err := readMMMUAnswers(filepath.Join(path, "answer.json"))
	if err != nil {
		return nil, err
	}
	return loadMMMUSplit(path, "test", gold, opt)
}

// readMMMUAnswers reads MedEvalKit's answer.json into id -> ground truth.
func readMMMUAnswers(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("answers for the test split: %w (MedEvalKit's utils/MMMU/answer.json)", err)
	}
	var m map[string]any
	if err := decodeJSON(data, &m); err != nil {
		return nil, fmt.Errorf("%s: want {id: {question_type, ground_truth}}: %w", file, err)
	}
	var ps problems
	gold := make(map[string]string, len(m))
	for id, v := range m {
		rm, ok := v.(map[string]any)
		if !ok {
			ps.add(file, 0, "id "+id, "", "want an object, got %s", jsonType(v))
			continue
		}
		r := &rec{m: rm, file: file, id: "id " + id, ps: &ps}
		if g, ok := r.str("ground_truth"); ok {
			gold[id] = g
		}
	}
	return gold, ps.err()
}

// loadMMMUSplit reads one split of the medical subjects; gold, when not
// nil, gives the answers by id instead of the answer column.
func loadMMMUSplit(path, split string, gold map[string]string, opt Options) ([]Sample, error) {
	var missing []string
	dirs := make(map[string][]string)
	for _, subj := range MMMUMedical {
		files, err := parquetFiles(filepath.Join(path, subj), split+"-")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			missing = append(missing, filepath.Join(subj, split+"-*.parquet"))
		}
		dirs[subj] = files
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing %s", path, strings.Join(missing, ", "))
	}
	store, err := newImageStore()
	if err != nil {
		return nil, err
	}
	var ps problems
	var out []Sample
	for _, subj := range MMMUMedical {
		for _, file := range dirs[subj] {
			s, err := readMMMUFile(file, subj, store, gold, &ps, opt)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
	}
	return out, ps.err()
}

// mmmuCols are the columns of one MMMU file.
type mmmuCols struct {
	id, question, options, answer, qtype, subfield, imgType, difficulty pqCol
	images                                                              [mmmuMaxImages]pqCol
}

// readMMMUFile reads and checks the rows of one subject file.
func readMMMUFile(file, subject string, store imageStore, gold map[string]string, ps *problems, opt Options) ([]Sample, error) {
	t, err := openParquet(file)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	before := len(ps.list)
	c := mmmuCols{
		id: t.stringCol(ps, "id", true), question: t.stringCol(ps, "question", true),
		options: t.stringCol(ps, "options", true), answer: t.stringCol(ps, "answer", gold == nil),
		qtype: t.stringCol(ps, "question_type", true), subfield: t.stringCol(ps, "subfield", false),
		imgType: t.stringCol(ps, "img_type", false), difficulty: t.stringCol(ps, "topic_difficulty", false),
	}
	for k := range c.images {
		c.images[k] = t.imageCol(ps, fmt.Sprintf("image_%d", k+1), k == 0)
	}
	if len(ps.list) > before {
		return nil, nil // the schema is wrong: every row would repeat it
	}
	var out []Sample
	err = t.each(func(i int, r pqRow) {
		if s, ok := mmmuRow(t.file, i, r, c, subject, store, gold, ps, opt); ok {
			out = append(out, s)
		}
	})
	return out, err
}

// mmmuRow checks one row and builds its Sample.
func mmmuRow(file string, i int, r pqRow, c mmmuCols, subject string, store imageStore, gold map[string]string, ps *problems, opt Options) (Sample, bool) {
	rid := fmt.Sprintf("row %d", i)
	id, _ := r.str(c.id)
	if strings.TrimSpace(id) != "" {
		rid += " (id " + id + ")"
	}
	need := func(col pqCol, name string) (string, bool) {
		v, ok := r.str(col)
		if !ok || strings.TrimSpace(v) == "" {
			ps.add(file, 0, rid, name, "missing")
			return "", false
		}
		return v, true
	}
	_, ok1 := need(c.id, "id")
	q, ok2 := need(c.question, "question")
	rawOpts, ok3 := r.str(c.options)
	if !ok3 {
		ps.add(file, 0, rid, "options", "missing")
	}
	var ans string
	ok4 := true
	if gold == nil {
		ans, ok4 = need(c.answer, "answer")
	} else if ans, ok4 = gold[id]; !ok4 && ok1 {
		ps.add(file, 0, rid, "id", "not in answer.json")
	}
	qt, ok5 := need(c.qtype, "question_type")
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return Sample{}, false
	}
	opts, err := ParsePyStringList(rawOpts)
	if err != nil {
		ps.add(file, 0, rid, "options", "%v", err)
		return Sample{}, false
	}
	s := Sample{ID: id, Question: q, Lang: "en"}
	switch qt {
	case "multiple-choice":
		if len(opts) < 2 || len(opts) > 26 {
			ps.add(file, 0, rid, "options", "multiple-choice question with %d option(s)", len(opts))
			return Sample{}, false
		}
		a := strings.ToUpper(strings.TrimSpace(ans))
		if len(a) != 1 || a[0] < 'A' || int(a[0]-'A') >= len(opts) {
			ps.add(file, 0, rid, "answer", "%q is not among the options A–%s", ans, letter(len(opts)-1))
			return Sample{}, false
		}
		s.Kind, s.Answer = MultiChoice, a
		for j, o := range opts {
			s.Options = append(s.Options, "("+letter(j)+") "+o)
		}
	case "open":
		s.Kind, s.Answer = Closed, strings.TrimSpace(ans)
	default:
		ps.add(file, 0, rid, "question_type", "want multiple-choice or open, got %q", qt)
		return Sample{}, false
	}
	s.Prompt = MMMUPrompt(q, opts, s.Kind == MultiChoice, opt.Reasoning)

	// image_1 is what the model sees; every image the text refers to must
	// be there too, or the question cannot be answered as written.
	needed := map[int]bool{1: true}
	for _, text := range append([]string{q}, opts...) {
		for _, m := range imagePlaceholder.FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[1])
			needed[n] = true
		}
	}
	count, bad := 0, false
	var first []byte
	for k := 1; k <= mmmuMaxImages; k++ {
		data := r.bytes(c.images[k-1])
		if data != nil {
			count++
		}
		if !needed[k] && data == nil {
			continue
		}
		field := fmt.Sprintf("image_%d", k)
		if data == nil {
			ps.add(file, 0, rid, field, "missing (the question refers to <image %d>)", k)
			bad = true
			continue
		}
		if _, err := imageFormat(data); err != nil {
			ps.add(file, 0, rid, field, "%v", err)
			bad = true
			continue
		}
		if k == 1 {
			first = data
		}
	}
	for n := range needed {
		if n < 1 || n > mmmuMaxImages {
			ps.add(file, 0, rid, "question", "refers to <image %d>; MMMU rows have image_1..image_%d", n, mmmuMaxImages)
			bad = true
		}
	}
	if bad {
		return Sample{}, false
	}
	ext, _ := imageFormat(first)
	p, err := store.put(first, ext)
	if err != nil {
		ps.add(file, 0, rid, "image_1", "%v", err)
		return Sample{}, false
	}
	s.Images = []ImageRef{{Path: p}}
	sf, _ := r.str(c.subfield)
	it, _ := r.str(c.imgType)
	td, _ := r.str(c.difficulty)
	s.Tags = tags("subject", subject, "subfield", sf, "question_type", qt, "img_type", it, "topic_difficulty", td,
		"images", strconv.Itoa(count))
	return s, true
}

// MMMUPrompt is MedEvalKit's construct_prompt for MMMU (utils/MMMU/
// data_utils.py), character for character: the question between blank
// lines, then for multiple choice the options one per line as "(A) text",
// then a line of eight spaces (the closing indentation of Python's
// triple-quoted template) followed by the instruction.
func MMMUPrompt(question string, options []string, multiChoice, reasoning bool) string {
	var b strings.Builder
	b.WriteString("\n" + question + "\n\n")
	if multiChoice {
		for j, o := range options {
			b.WriteString("(" + letter(j) + ") " + o + "\n")
		}
		b.WriteString("\n\n        ")
		if reasoning {
			b.WriteString(`Answer with the option's letter from the given choices and put the letter in one "\boxed{}".`)
		} else {
			b.WriteString("Answer with the option's letter from the given choices directly.")
		}
		return b.String()
	}
	b.WriteString("        ")
	if reasoning {
		b.WriteString(`Answer the question using a single word or phrase and put the answer in one "\boxed{}".`)
	} else {
		b.WriteString("Answer the question using a single word or phrase.")
	}
	return b.String()
}

// ParsePyStringList parses a Python list literal of string literals, as
// MMMU stores its options ("['5 mg', \"Crohn's disease\"]", "[]"):
// single- or double-quoted strings with Python's backslash escapes,
// separated by commas, an optional trailing comma, whitespace anywhere
// between tokens. Anything else (numbers, nesting, implicit string
// concatenation, text after the list, invalid UTF-8) is an error.
func ParsePyStringList(s string) ([]string, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("python list literal: not valid UTF-8")
	}
	p := pyParser{s: s}
	p.space()
	if !p.eat('[') {
		return nil, p.fail("want '[' to start the list")
	}
	out := []string{}
	for {
		p.space()
		if p.eat(']') {
			break
		}
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		out = append(out, str)
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			break
		}
		return nil, p.fail("want ',' or ']' after an item")
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.fail("text after the list")
	}
	return out, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) fail(msg string) error {
	return fmt.Errorf("python list literal: %s at byte %d", msg, p.i)
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

var errUnterminated = errors.New("unterminated string")

// str reads one quoted string literal at p.i.
func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.fail("want a quoted string")
	}
	q := p.s[p.i]
	start := p.i
	p.i++
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			p.i = start
			return "", p.fail(errUnterminated.Error())
		}
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\n':
			return "", p.fail("newline in a string")
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		// A backslash escape.
		p.i++
		if p.i >= len(p.s) {
			p.i = start
			return "", p.fail(errUnterminated.Error())
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '\n': // line continuation
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for k := 0; k < 2 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7'; k++ {
				v = v*8 + int(p.s[p.i]-'0')
				p.i++
			}
			b.WriteRune(rune(v))
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if p.i+n > len(p.s) {
				return "", p.fail(fmt.Sprintf(`truncated \%c escape`, e))
			}
			v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
			if err != nil || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
				return "", p.fail(fmt.Sprintf(`bad \%c escape %q`, e, p.s[p.i:p.i+n]))
			}
			p.i += n
			b.WriteRune(rune(v))
		default: // Python keeps unknown escapes as written
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
}
