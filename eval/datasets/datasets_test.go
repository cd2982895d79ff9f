package datasets

import (
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// fixture copies testdata/name to a temporary folder and writes a tiny PNG
// at every image path given (relative to the copy).
func fixture(t *testing.T, name string, images ...string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		writePNG(t, filepath.Join(dst, im))
	}
	return dst
}

func writePNG(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Pix[5] = 200
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t *testing.T, name, path string) []Sample {
	t.Helper()
	l, ok := Lookup(name)
	if !ok {
		t.Fatalf("no loader %q", name)
	}
	s, err := l.Load(path, Options{})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

// wantProblem loads and checks the error names every fragment.
func wantProblem(t *testing.T, name, path string, fragments ...string) {
	t.Helper()
	l, _ := Lookup(name)
	_, err := l.Load(path, Options{})
	if err == nil {
		t.Fatalf("load %s: no error, want %q", name, fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("load %s: error %q lacks %q", name, err, f)
		}
	}
}

func TestRegistry_NamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range Registry() {
		if seen[l.Name] || l.load == nil || l.Layout == "" {
			t.Errorf("loader %q duplicated or incomplete", l.Name)
		}
		seen[l.Name] = true
	}
	if _, ok := Lookup("MedQA_USMLE"); !ok {
		t.Error("Lookup is not case/underscore insensitive")
	}
}

func TestVQARAD_TestSplitAndKinds(t *testing.T) {
	dir := fixture(t, "vqa-rad", "VQA_RAD Image Folder/synpic54610.jpg", "VQA_RAD Image Folder/synpic29265.jpg")
	s := mustLoad(t, "vqa-rad", dir)
	if len(s) != 3 {
		t.Fatalf("got %d samples, want the 3 test_* questions", len(s))
	}
	if s[0].Kind != YesNo || s[0].Answer != "yes" || !strings.HasSuffix(s[0].Prompt, "Please output 'yes' or 'no'(no extra output).") {
		t.Errorf("yes/no sample: %+v", s[0])
	}
	if s[2].Kind != Open || s[2].Answer != "2" || s[2].Tags["question_type"] != "COUNT" {
		t.Errorf("numeric open answer: %+v", s[2])
	}
	os.Remove(filepath.Join(dir, "VQA_RAD Image Folder", "synpic29265.jpg"))
	wantProblem(t, "vqa-rad", dir, "qid 2", `field "image_name"`, "image not found", "synpic29265.jpg")
}

func TestSLAKE_PromptsByAnswerType(t *testing.T) {
	dir := fixture(t, "slake", "imgs/xmlab1/source.jpg")
	s := mustLoad(t, "slake", dir)
	if len(s) != 4 {
		t.Fatalf("got %d samples", len(s))
	}
	want := []Kind{Open, YesNo, Closed, Open}
	for i, k := range want {
		if s[i].Kind != k {
			t.Errorf("sample %d kind %s, want %s", i, s[i].Kind, k)
		}
	}
	if !strings.HasSuffix(s[1].Prompt, "Answer the question using a single word or phrase.") {
		t.Errorf("closed yes/no prompt: %q", s[1].Prompt)
	}
	if !strings.HasSuffix(s[3].Prompt, "请简要回答该问题。") || s[3].Lang != "zh" {
		t.Errorf("zh prompt: %q", s[3].Prompt)
	}
}

func TestSLAKE_BadAnswerType(t *testing.T) {
	dir := fixture(t, "slake", "imgs/xmlab1/source.jpg")
	p := filepath.Join(dir, "test.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"answer_type": "OPEN", "base_type": "vqa", "content_type": "Organ"`, `"answer_type": "MAYBE"`, 1)), 0o644)
	wantProblem(t, "slake", dir, "qid 11", `field "answer_type"`, `"MAYBE"`)
}

func TestPathVQA_Pickle(t *testing.T) {
	dir := fixture(t, "pathvqa", "images/test/test_0000.jpg", "images/test/test_0001.jpg")
	s := mustLoad(t, "pathvqa", dir)
	if len(s) != 3 || s[0].Kind != YesNo || s[1].Kind != Open || s[1].Answer != "granuloma" {
		t.Fatalf("samples: %+v", s)
	}
	data, _ := os.ReadFile(filepath.Join("testdata", "pathvqa_proto2.pkl"))
	v, err := unpickle(data)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := v.([]any); !ok || len(l) != 3 || l[2].(map[string]any)["answer"] != "no" {
		t.Errorf("protocol 2: %#v", v)
	}
	for _, bad := range [][]byte{{0x80, 4, 'c', 'o', 's', '\n'}, {']', 'a', '.'}, {'X', 0xff, 0xff, 0xff, 0x7f}} {
		if _, err := unpickle(bad); err == nil {
			t.Errorf("unpickle(%q): no error", bad)
		}
	}
}

func TestPMCVQA(t *testing.T) {
	dir := fixture(t, "pmc-vqa", "figures/PMC8253867_Fig2_41.jpg", "figures/PMC8253867_Fig2_42.jpg")
	s := mustLoad(t, "pmc-vqa", dir)
	if len(s) != 2 || s[0].Answer != "B" || s[0].Options[1] != "B:CT" || s[1].Question != "Where is the lesion, relative to the midline?" {
		t.Fatalf("samples: %+v", s)
	}
	if !strings.Contains(s[0].Prompt, "Options: \nA:MRI\nB:CT\n") {
		t.Errorf("prompt: %q", s[0].Prompt)
	}
	p := filepath.Join(dir, "test_2.csv")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), ",B,test", ",Q,test", 1)), 0o644)
	wantProblem(t, "pmc-vqa", dir, "test_2.csv:2", "index 0", `field "Answer"`)
}

func TestOmniMedVQA(t *testing.T) {
	dir := fixture(t, "omnimedvqa", "Images/Chest CT Scan/test/adeno/000108.png", "Images/Chest CT Scan/test/adeno/000109.png")
	s := mustLoad(t, "omnimedvqa", dir)
	if len(s) != 2 || s[0].Answer != "B" || len(s[1].Options) != 2 || s[0].Tags["modality_type"] != "CT" {
		t.Fatalf("samples: %+v", s)
	}
}

func TestMedXpertQA(t *testing.T) {
	dir := fixture(t, "medxpertqa", "images/MM-0-a.jpeg", "images/MM-0-b.jpeg")
	wantProblem(t, "medxpertqa-mm", dir, "test.jsonl:2", "id MM-1", `field "images[0]"`, "MM-1-a.jpeg")
	writePNG(t, filepath.Join(dir, "images", "MM-1-a.jpeg"))
	s := mustLoad(t, "medxpertqa-mm", dir)
	if len(s) != 2 || len(s[0].Images) != 2 || len(s[0].Options) != 5 || s[0].Answer != "C" {
		t.Fatalf("mm samples: %+v", s)
	}
	txt := mustLoad(t, "medxpertqa-text", dir)
	if len(txt) != 1 || len(txt[0].Options) != 10 || txt[0].Answer != "J" || len(txt[0].Images) != 0 {
		t.Fatalf("text samples: %+v", txt)
	}
}

func TestMMLU(t *testing.T) {
	dir := fixture(t, "mmlu")
	s := mustLoad(t, "mmlu-medical", dir)
	if len(s) != 18 || s[0].Answer != "C" || s[0].Question != `What is the anatomy question, "quoted"?` || s[0].Options[0] != "A.opt a" {
		t.Fatalf("samples[0]: %+v (n=%d)", s[0], len(s))
	}
	os.Remove(filepath.Join(dir, "test", "virology_test.csv"))
	wantProblem(t, "mmlu-medical", dir, "missing virology_test.csv")
}

func TestPubMedQA(t *testing.T) {
	dir := fixture(t, "pubmedqa")
	s := mustLoad(t, "pubmedqa", dir)
	if len(s) != 2 || s[0].ID != "12377809" || s[0].Answer != "A" || s[1].Answer != "C" {
		t.Fatalf("samples: %+v", s)
	}
	if !strings.HasPrefix(s[0].Prompt, "Context: Dyschesia can be provoked by inappropriate defecation movements.\nTwenty") {
		t.Errorf("prompt: %q", s[0].Prompt)
	}
	j := mustLoad(t, "pubmedqa", filepath.Join(dir, "test.jsonl"))
	if len(j) != 1 || j[0].Answer != "B" {
		t.Fatalf("jsonl: %+v", j)
	}
}

func TestMedMCQA_OneBased(t *testing.T) {
	dir := fixture(t, "medmcqa")
	s := mustLoad(t, "medmcqa", dir)
	if len(s) != 2 || s[0].Answer != "A" || s[1].Answer != "D" || s[0].Tags["subject"] != "Physiology" {
		t.Fatalf("samples: %+v", s)
	}
	p := filepath.Join(dir, "dev.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"cop": 4`, `"cop": "x"`, 1)), 0o644)
	wantProblem(t, "medmcqa", dir, "dev.json:2", "id b2", `field "cop"`)
}

func TestMedQA(t *testing.T) {
	dir := fixture(t, "medqa")
	s := mustLoad(t, "medqa-usmle", dir)
	if len(s) != 2 || s[0].Answer != "D" || len(s[1].Options) != 5 || s[0].Options[3] != "D. Nitrofurantoin" {
		t.Fatalf("samples: %+v", s)
	}
}

func TestMedbullets(t *testing.T) {
	dir := fixture(t, "medbullets")
	s := mustLoad(t, "medbullets", dir)
	if len(s) != 2 || s[0].Answer != "B" || len(s[0].Options) != 5 || s[0].Options[4] != "E.Discharge" {
		t.Fatalf("samples: %+v", s)
	}
}

func TestSuperGPQA_MedicineOnly(t *testing.T) {
	dir := fixture(t, "supergpqa")
	s := mustLoad(t, "supergpqa-medical", dir)
	if len(s) != 1 || s[0].Answer != "B" || s[0].Tags["subfield"] != "Biochemistry" {
		t.Fatalf("samples: %+v", s)
	}
}

func TestReportSets(t *testing.T) {
	imgs := []string{"images/CXR1_1_IM-0001-3001.png", "images/CXR1_1_IM-0001-4001.png", "images/CXR2_IM-0652-1001.png", "images/CXR3_IM-1384-1001.png"}
	for _, name := range []string{"iu-xray", "mimic-cxr", "chexpert-plus"} {
		dir := fixture(t, "iu-xray", imgs...)
		s := mustLoad(t, name, dir)
		if len(s) != 2 || s[0].Kind != Report || len(s[0].Images) != 2 || len(s[1].Images) != 1 {
			t.Fatalf("%s: %+v", name, s)
		}
		if s[1].Answer != "Findings:  Impression: No acute cardiopulmonary process.." || s[0].Prompt != ReportPrompt {
			t.Errorf("%s reference %q", name, s[1].Answer)
		}
	}
}

func TestOwnJSONL(t *testing.T) {
	dir := fixture(t, "own", "img/a.png", "img/b.dcm")
	s := mustLoad(t, "jsonl", dir)
	if len(s) != 4 {
		t.Fatalf("got %d samples", len(s))
	}
	if s[0].Answer != "B" || s[0].Options[0] != "A. Right upper" || s[0].Tags["question_type"] != "POS" {
		t.Errorf("mc: %+v", s[0])
	}
	if s[1].Images[0].Frame != 1 || s[1].Answer != "no" {
		t.Errorf("yesno: %+v", s[1])
	}
	if s[3].Prompt != "Verbatim prompt" || s[2].Prompt != ReportPrompt {
		t.Errorf("prompts: %q %q", s[3].Prompt, s[2].Prompt)
	}
	p := filepath.Join(dir, "test.jsonl")
	os.WriteFile(p, []byte(`{"id": "x", "kind": "mc", "question": "q", "options": ["a", "b"], "answer": "C"}`+"\n"+`{"id": "y", "kind": "guess", "question": "q", "answer": "a"}`+"\n"+"{not json\n"), 0o644)
	wantProblem(t, "jsonl", dir, "test.jsonl:1: id x: field \"answer\"", "test.jsonl:2: id y: field \"kind\"", "test.jsonl:3: not a JSON object")
}

func TestPhantom_GeneratedStudies(t *testing.T) {
	dir := t.TempDir()
	if _, err := phantom.Generate(phantom.Options{OutDir: dir, Studies: 2, Modality: "CT", Slices: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if PhantomSchema != phantom.TruthSchema {
		t.Fatalf("schema %q, phantom writes %q", PhantomSchema, phantom.TruthSchema)
	}
	s := mustLoad(t, "phantom", dir)
	kinds := map[Kind]int{}
	for _, x := range s {
		kinds[x.Kind]++
		if len(x.Images) != 1 || !strings.HasSuffix(x.Images[0].Path, ".dcm") {
			t.Errorf("%s: images %+v", x.ID, x.Images)
		}
	}
	if kinds[Report] != 2 || kinds[YesNo] == 0 || kinds[Open] == 0 {
		t.Errorf("kinds %v", kinds)
	}
	gt := filepath.Join(dir, s[0].ID[:strings.Index(s[0].ID, "/")], "ground_truth.json")
	b, _ := os.ReadFile(gt)
	os.WriteFile(gt, []byte(strings.Replace(string(b), `"answer_type": "OPEN"`, `"answer_type": ["x"]`, 1)), 0o644)
	l, _ := Lookup("phantom")
	_, err := l.Load(dir, Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), `field "answer_type": want a string, got a list`) {
		t.Errorf("error %v", err)
	}
}

func TestLoad_MissingPath(t *testing.T) {
	l, _ := Lookup("slake")
	_, err := l.Load(filepath.Join(t.TempDir(), "nope"), Options{})
	if err == nil || !strings.Contains(err.Error(), "test.json + DIR/imgs/") {
		t.Errorf("error %v", err)
	}
	wantProblem(t, "slake", t.TempDir(), "test.json exists")
}
