package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/harness"
)

func TestMcNemar_HandValues(t *testing.T) {
	// Exact two-sided binomial: 0 vs 5 discordant → 2·(1/32) = 0.0625.
	if p := McNemar(0, 5); math.Abs(p-0.0625) > 1e-12 {
		t.Errorf("McNemar(0,5) = %v", p)
	}
	// 1 vs 9: 2·(1+10)/1024 = 0.021484375.
	if p := McNemar(1, 9); math.Abs(p-0.021484375) > 1e-12 {
		t.Errorf("McNemar(1,9) = %v", p)
	}
	if McNemar(0, 0) != 1 || McNemar(3, 3) != 1 {
		t.Error("no evidence must give p = 1")
	}
	if p := SignTest(10, 0); math.Abs(p-2.0/1024) > 1e-12 {
		t.Errorf("SignTest(10,0) = %v", p)
	}
}

func TestBootstrapCI_SeededAndSane(t *testing.T) {
	xs := make([]float64, 200)
	for i := range 150 {
		xs[i] = 1
	}
	a, b := BootstrapCI(xs, 1000, 7), BootstrapCI(xs, 1000, 7)
	if a != b {
		t.Fatalf("same seed, different intervals: %v %v", a, b)
	}
	// Normal approximation: 0.75 ± 1.96·sqrt(.75·.25/200) = [0.690, 0.810].
	if math.Abs(a[0]-0.69) > 0.02 || math.Abs(a[1]-0.81) > 0.02 {
		t.Errorf("interval %v, want about [0.69, 0.81]", a)
	}
	if c := BootstrapCI(xs, 1000, 8); c == a {
		t.Error("another seed gave the identical interval")
	}
	if z := BootstrapCI(nil, 100, 1); z != [2]float64{} {
		t.Errorf("empty: %v", z)
	}
}

// writeRun writes a synthetic run: n yes/no questions of which the first
// right are answered correctly, plus two reports.
func writeRun(t *testing.T, dir string, n, right int, report string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range n {
		s := datasets.Sample{ID: fmt.Sprint(i), Kind: datasets.YesNo, Question: "Is there a nodule?", Answer: "yes",
			Tags: map[string]string{"question_type": []string{"PRES", "POS"}[i%2]}}
		resp := "no"
		if i < right {
			resp = "yes"
		}
		r := harness.Result{Dataset: "vqa-rad", Sample: s, Response: resp, MS: 10}
		r.Score = harness.ScoreSample(s, resp)
		enc.Encode(r)
	}
	for i := range 2 {
		s := datasets.Sample{ID: fmt.Sprint("r", i), Kind: datasets.Report, Answer: "Findings: clear lungs. Impression: normal."}
		r := harness.Result{Dataset: "iu-xray", Sample: s, Response: report, MS: 50}
		r.Score = harness.ScoreSample(s, report)
		enc.Encode(r)
	}
	os.WriteFile(filepath.Join(dir, "results.jsonl"), buf.Bytes(), 0o644)
	m := harness.Manifest{Schema: harness.ManifestSchema, Status: "complete", Model: harness.ModelInfo{Path: "/models/m", Hash: "abc", DType: "BF16"},
		Datasets:      []harness.DatasetEntry{{Name: "vqa-rad"}, {Name: "iu-xray"}},
		ReportMetrics: map[string]string{"GREEN": "not computed: test"}, Counts: harness.Counts{Samples: n + 2, Computed: n + 2}}
	b, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}

func TestCompare_FlagsRegression(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, filepath.Join(dir, "a"), 40, 30, "Findings: clear lungs. Impression: normal.")
	writeRun(t, filepath.Join(dir, "b"), 40, 20, "Findings: a mass. Impression: cancer.")
	opt := Options{Seed: 1, RegressionThreshold: 0.02}
	a, err := Load(filepath.Join(dir, "a"), opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(filepath.Join(dir, "b"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.Datasets[0].Accuracy.Acc != 0.75 || a.Datasets[0].Metric != "accuracy" || a.Datasets[1].Metric != "rouge_l" {
		t.Fatalf("summary: %+v", a.Datasets)
	}
	// CheXpert labels: A's reports equal the reference (No Finding, TP);
	// B's "a mass … cancer" is Lung Lesion (FP) and misses No Finding (FN).
	if ra, rb := a.Datasets[1].Report.Metrics, b.Datasets[1].Report.Metrics; ra.CheXpertF1Micro != 1 || rb.CheXpertF1Micro != 0 ||
		ra.CheXpertVariant == "" {
		t.Errorf("chexpert F1: A %v, B %v", ra.CheXpertF1Micro, rb.CheXpertF1Micro)
	}
	c := a.Datasets[0].Confusions[0]
	if c.Counts[0][0] != 30 || c.Counts[0][1] != 10 {
		t.Errorf("confusion %+v", c)
	}
	if g := a.Datasets[0].ByTag["question_type"]; len(g) != 2 {
		t.Errorf("by tag %+v", g)
	}
	doc := Build([]*Run{a, b}, opt)
	rows := doc.Comparisons[0].Rows
	if len(rows) != 2 || rows[0].Metric != "accuracy" || math.Abs(rows[0].Diff+0.25) > 1e-12 || !rows[0].Regression {
		t.Fatalf("rows %+v", rows)
	}
	// 10 pairs right only in A, none only in B: p = 2/1024.
	if rows[0].OnlyA != 10 || rows[0].OnlyB != 0 || math.Abs(rows[0].P-2.0/1024) > 1e-12 || !rows[0].Significant {
		t.Errorf("mcnemar %+v", rows[0])
	}
	if rows[1].Metric != "rouge_l" || !rows[1].Regression || rows[0].DiffCI[1] >= 0 {
		t.Errorf("rouge row %+v", rows[1])
	}
	var h, j bytes.Buffer
	if err := doc.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := doc.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, want := range []string{"<svg", "regression", "mcnemar-exact", "not computed: test", "Report length", "CheXpert F1 micro / macro", "CheXpert-5 F1"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(page, bad) && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
			t.Errorf("page contains %q", bad)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<link") {
		t.Error("page is not self-contained")
	}
	if !json.Valid(j.Bytes()) || !strings.Contains(j.String(), `"chexpert_f1_micro"`) {
		t.Error("invalid JSON or no chexpert_f1_micro")
	}
	if a := os.Getenv("LINGSHU_ARTIFACTS"); a != "" {
		os.WriteFile(filepath.Join(a, "eval_report_compare.html"), h.Bytes(), 0o644)
	}
}
