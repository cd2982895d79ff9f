package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// hfImage is the Hugging Face Image feature as pyarrow writes it.
type hfImage struct {
	Bytes []byte  `parquet:"bytes,optional"`
	Path  *string `parquet:"path,optional"`
}

// mmmuParquetRow is MMMU's column schema (MMMU/MMMU on the Hugging Face
// hub), every column optional as pyarrow writes them.
type mmmuParquetRow struct {
	ID              string   `parquet:"id,optional"`
	Question        string   `parquet:"question,optional"`
	Options         string   `parquet:"options,optional"`
	Explanation     string   `parquet:"explanation,optional"`
	Image1          *hfImage `parquet:"image_1,optional"`
	Image2          *hfImage `parquet:"image_2,optional"`
	Image3          *hfImage `parquet:"image_3,optional"`
	Image4          *hfImage `parquet:"image_4,optional"`
	Image5          *hfImage `parquet:"image_5,optional"`
	Image6          *hfImage `parquet:"image_6,optional"`
	Image7          *hfImage `parquet:"image_7,optional"`
	ImgType         string   `parquet:"img_type,optional"`
	Answer          string   `parquet:"answer,optional"`
	TopicDifficulty string   `parquet:"topic_difficulty,optional"`
	QuestionType    string   `parquet:"question_type,optional"`
	Subfield        string   `parquet:"subfield,optional"`
}

// mmmuNoOptions lacks the options column.
type mmmuNoOptions struct {
	ID           string   `parquet:"id,optional"`
	Question     string   `parquet:"question,optional"`
	Image1       *hfImage `parquet:"image_1,optional"`
	Answer       string   `parquet:"answer,optional"`
	QuestionType string   `parquet:"question_type,optional"`
}

func writeParquet[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, parquet.Compression(&parquet.Snappy)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngBytes is a tiny PNG whose first pixel is v (distinct images hash to
// distinct cache files).
func pngBytes(t testing.TB, v uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	img.Pix[0] = v
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hfImg(data []byte) *hfImage { p := "img.png"; return &hfImage{Bytes: data, Path: &p} }

// pyRepr writes s as Python's repr does (the form MMMU's options take).
func pyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteString(`\` + string(q))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

func pyListLit(items ...string) string {
	var parts []string
	for _, s := range items {
		parts = append(parts, pyRepr(s))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// mmmuFixture writes one validation file per medical subject: a
// multiple-choice question with two images and an open question.
func mmmuFixture(t *testing.T) string {
	t.Helper()
	t.Setenv(ImageDirEnv, t.TempDir())
	dir := t.TempDir()
	for si, subj := range MMMUMedical {
		rows := []mmmuParquetRow{{
			ID: "validation_" + subj + "_1", Question: "<image 1> Which stain is shown? Compare <image 2>.",
			Options: pyListLit("H&E", "Gram's stain", `Ziehl "Neelsen"`, "PAS"), Explanation: "",
			Image1: hfImg(pngBytes(t, uint8(2*si))), Image2: hfImg(pngBytes(t, uint8(2*si+1))),
			ImgType: "['Microscopic Images']", Answer: "B", TopicDifficulty: "Easy",
			QuestionType: "multiple-choice", Subfield: "Pathology",
		}, {
			ID: "validation_" + subj + "_2", Question: "What is the dose in mg? <image 1>", Options: "[]",
			Image1: hfImg(pngBytes(t, 200)), ImgType: "['Tables']", Answer: "12.5",
			TopicDifficulty: "Hard", QuestionType: "open", Subfield: "Pharmacology",
		}}
		writeParquet(t, filepath.Join(dir, subj, "validation-00000-of-00001.parquet"), rows)
	}
	return dir
}

func TestMMMU_Medical(t *testing.T) {
	dir := mmmuFixture(t)
	s := mustLoad(t, "mmmu-medical", dir)
	if len(s) != 2*len(MMMUMedical) {
		t.Fatalf("got %d samples, want %d", len(s), 2*len(MMMUMedical))
	}
	mc, open := s[0], s[1]
	wantMC := "\n<image 1> Which stain is shown? Compare <image 2>.\n\n(A) H&E\n(B) Gram's stain\n(C) Ziehl \"Neelsen\"\n(D) PAS\n\n\n        Answer with the option's letter from the given choices directly."
	if mc.Kind != MultiChoice || mc.Answer != "B" || mc.Prompt != wantMC || mc.ID != "validation_Basic_Medical_Science_1" {
		t.Errorf("multiple choice: %+v\nprompt %q", mc, mc.Prompt)
	}
	if !slices.Equal(mc.Options, []string{"(A) H&E", "(B) Gram's stain", `(C) Ziehl "Neelsen"`, "(D) PAS"}) {
		t.Errorf("options %q", mc.Options)
	}
	wantTags := map[string]string{"subject": "Basic_Medical_Science", "subfield": "Pathology", "question_type": "multiple-choice",
		"img_type": "['Microscopic Images']", "topic_difficulty": "Easy", "images": "2"}
	if !reflect.DeepEqual(mc.Tags, wantTags) {
		t.Errorf("tags %v", mc.Tags)
	}
	// MedEvalKit shows the model image_1 only.
	if len(mc.Images) != 1 {
		t.Fatalf("images %+v", mc.Images)
	}
	got, err := os.ReadFile(mc.Images[0].Path)
	if err != nil || !bytes.Equal(got, pngBytes(t, 0)) || filepath.Ext(mc.Images[0].Path) != ".png" {
		t.Errorf("extracted image %s: %v", mc.Images[0].Path, err)
	}
	if open.Kind != Closed || open.Answer != "12.5" || open.Options != nil ||
		open.Prompt != "\nWhat is the dose in mg? <image 1>\n\n        Answer the question using a single word or phrase." {
		t.Errorf("open: %+v\nprompt %q", open, open.Prompt)
	}
	if open.Images[0].Path != s[3].Images[0].Path {
		t.Error("the same image bytes were extracted to two files")
	}
	r, _ := Lookup("mmmu-medical")
	again, err := r.Load(dir, Options{Reasoning: true})
	if err != nil || again[0].Images[0].Path != mc.Images[0].Path || !strings.HasSuffix(again[0].Prompt, `put the letter in one "\boxed{}".`) {
		t.Errorf("second load: %v %+v", err, again[0])
	}
}

func TestMMMU_MalformedRows(t *testing.T) {
	dir := mmmuFixture(t)
	file := filepath.Join(dir, "Pharmacy", "validation-00000-of-00001.parquet")
	base := mmmuParquetRow{Question: "Q <image 1>", Options: pyListLit("a", "b", "c"), Image1: hfImg(pngBytes(t, 9)),
		Answer: "A", QuestionType: "multiple-choice"}
	var rows []mmmuParquetRow
	add := func(id string, edit func(r *mmmuParquetRow)) {
		r := base
		r.ID = id
		edit(&r)
		rows = append(rows, r)
	}
	add("ok", func(r *mmmuParquetRow) {})
	add("bad-options", func(r *mmmuParquetRow) { r.Options = "['a', 'b'" })
	add("answer-out", func(r *mmmuParquetRow) { r.Answer = "D" })
	add("no-image", func(r *mmmuParquetRow) { r.Question = "Compare <image 1> with <image 2>" })
	add("no-image-1", func(r *mmmuParquetRow) { r.Image1 = nil })
	add("not-png", func(r *mmmuParquetRow) { r.Image1 = hfImg([]byte("GIF89a....")) })
	add("bad-type", func(r *mmmuParquetRow) { r.QuestionType = "essay" })
	add("", func(r *mmmuParquetRow) {})
	add("one-option", func(r *mmmuParquetRow) { r.Options = "['only']" })
	writeParquet(t, file, rows)
	l, _ := Lookup("mmmu-medical")
	_, err := l.Load(dir, Options{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		file + ": row 1 (id bad-options): field \"options\": python list literal: want ',' or ']' after an item at byte 9",
		file + ": row 2 (id answer-out): field \"answer\": \"D\" is not among the options A–C",
		file + ": row 3 (id no-image): field \"image_2\": missing (the question refers to <image 2>)",
		file + ": row 4 (id no-image-1): field \"image_1\": missing",
		file + ": row 5 (id not-png): field \"image_1\": not a PNG or JPEG image",
		file + ": row 6 (id bad-type): field \"question_type\": want multiple-choice or open, got \"essay\"",
		file + ": row 7: field \"id\": missing",
		file + ": row 8 (id one-option): field \"options\": multiple-choice question with 1 option(s)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if strings.Contains(err.Error(), "id ok") || strings.Count(err.Error(), "\n  ") != 8 {
		t.Errorf("error:\n%v", err)
	}
}

func TestMMMU_MissingColumnAndSubject(t *testing.T) {
	dir := mmmuFixture(t)
	file := filepath.Join(dir, "Clinical_Medicine", "validation-00000-of-00001.parquet")
	writeParquet(t, file, []mmmuNoOptions{{ID: "x", Question: "q", Image1: hfImg(pngBytes(t, 1)), Answer: "A", QuestionType: "open"}})
	wantProblem(t, "mmmu-medical", dir, file+`: field "options": column missing (has id, question, image_1, answer, question_type)`)

	writeParquet(t, file, []struct {
		ID      string `parquet:"id,optional"`
		Image1  string `parquet:"image_1,optional"`
		Options int64  `parquet:"options"`
	}{{ID: "x"}})
	wantProblem(t, "mmmu-medical", dir, `field "options": want a string column, got INT64`,
		`field "image_1": want an image column {bytes, path}, got a plain column`, `field "question": column missing`)

	os.WriteFile(file, []byte("PAR1 not really"), 0o644)
	wantProblem(t, "mmmu-medical", dir, file, "not a Parquet file: no PAR1 magic")
	// A damaged footer length is refused before parquet-go allocates it.
	writeParquet(t, file, []mmmuParquetRow{{ID: "x"}})
	b, _ := os.ReadFile(file)
	copy(b[len(b)-8:], []byte{0xff, 0xff, 0xff, 0x7f})
	os.WriteFile(file, b, 0o644)
	wantProblem(t, "mmmu-medical", dir, file, "footer of 2147483647 bytes")

	os.RemoveAll(filepath.Join(dir, "Public_Health"))
	wantProblem(t, "mmmu-medical", dir, "missing "+filepath.Join("Public_Health", "validation-*.parquet"))
}

func TestParsePyStringList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"[]", []string{}},
		{" [ ] ", []string{}},
		{"['a', 'b']", []string{"a", "b"}},
		{`["Crohn's disease", 'say "hi"', 'it\'s']`, []string{"Crohn's disease", `say "hi"`, "it's"}},
		{`['a\nb', 'tab\t', 'back\\slash', '\x41\u00e9\U0001F600', '\101', 'keep\d']`, []string{"a\nb", "tab\t", `back\slash`, "Aé😀", "A", `keep\d`}},
		{"['<image 2>', 'x',]", []string{"<image 2>", "x"}},
		{"['α β', '5 mg/kg']", []string{"α β", "5 mg/kg"}},
	} {
		got, err := ParsePyStringList(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParsePyStringList(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "a", "['a'", "['a' 'b']", "['a', 1]", "[['a']]", "['a'] x", `['\x4']`, `['\ud800']`, "['a\nb']", "[,]", `['a\`, "['\x83']"} {
		if got, err := ParsePyStringList(bad); err == nil {
			t.Errorf("ParsePyStringList(%q) = %q, want an error", bad, got)
		}
	}
}

// FuzzPyStringList checks the options parser never panics and that what
// it accepts survives a repr round trip.
func FuzzPyStringList(f *testing.F) {
	for _, s := range []string{"[]", "['a', 'b']", `["it's", 'say "x"', '\\n\x41\u00e9']`, "['<image 1>',]", "['a' 'b']", `['\`, "['\x83']"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePyStringList(s)
		if err != nil {
			return
		}
		again, err := ParsePyStringList(pyListLit(got...))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("round trip of %q: %q -> %q, %v", s, got, again, err)
		}
	})
}

// FuzzParquetMMMU feeds mutated MMMU files through the file reader: a
// malformed file is an error, never a panic.
func FuzzParquetMMMU(f *testing.F) {
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []mmmuParquetRow{{ID: "v_1", Question: "q <image 1>", Options: pyListLit("a", "b"),
		Image1: hfImg(pngBytes(f, 3)), Answer: "A", QuestionType: "multiple-choice"}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	dir := f.TempDir()
	store := imageStore{dir: filepath.Join(dir, "images")}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var ps problems
		readMMMUFile(file, "Pharmacy", store, nil, &ps, Options{})
	})
}

func TestMMMU_TestSplitWithAnswerJSON(t *testing.T) {
	t.Setenv(ImageDirEnv, t.TempDir())
	dir := t.TempDir()
	for _, subj := range MMMUMedical {
		writeParquet(t, filepath.Join(dir, subj, "test-00000-of-00001.parquet"), []mmmuParquetRow{{
			ID: "test_" + subj + "_1", Question: "<image 1> Which?", Options: pyListLit("a", "b", "c"),
			Image1: hfImg(pngBytes(t, 7)), Answer: "?", QuestionType: "multiple-choice",
		}})
	}
	wantProblem(t, "mmmu-medical-test", dir, "answer.json", "MedEvalKit")
	answers := `{"test_Basic_Medical_Science_1": {"question_type": "multiple-choice", "ground_truth": "C"},
		"test_Clinical_Medicine_1": {"question_type": "multiple-choice", "ground_truth": "B"},
		"test_Diagnostics_and_Laboratory_Medicine_1": {"question_type": "multiple-choice", "ground_truth": "A"},
		"test_Pharmacy_1": {"question_type": "multiple-choice", "ground_truth": "A"}}`
	os.WriteFile(filepath.Join(dir, "answer.json"), []byte(answers), 0o644)
	wantProblem(t, "mmmu-medical-test", dir, "row 0 (id test_Public_Health_1): field \"id\": not in answer.json")
	answers = strings.Replace(answers, `}}`, `}, "test_Public_Health_1": {"question_type": "multiple-choice", "ground_truth": "D"}}`, 1)
	os.WriteFile(filepath.Join(dir, "answer.json"), []byte(answers), 0o644)
	wantProblem(t, "mmmu-medical-test", dir, `(id test_Public_Health_1): field "answer": "D" is not among the options A–C`)
	os.WriteFile(filepath.Join(dir, "answer.json"), []byte(strings.Replace(answers, `"D"}}`, `"B"}}`, 1)), 0o644)
	s := mustLoad(t, "mmmu-medical-test", dir)
	if len(s) != 5 || s[0].Answer != "C" || s[4].Answer != "B" || s[0].Kind != MultiChoice {
		t.Fatalf("samples %+v", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "Pharmacy", "validation-00000-of-00001.parquet")); err == nil {
		t.Fatal("fixture has a validation split")
	}
	wantProblem(t, "mmmu-medical", dir, "missing "+filepath.Join("Basic_Medical_Science", "validation-*.parquet"))
}
