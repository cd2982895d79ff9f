package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePairs(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pairs.jsonl")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const pairsJSONL = `{"prediction": "Findings: The lungs are clear. Impression: Normal.", "reference": "Findings: The lungs are clear. Impression: Normal.", "id": 1}

{"hypothesis": "Small left pleural effusion.", "references": ["Findings: small left pleural effusion. Impression: effusion.", "Left effusion."]}
{"prediction": "", "reference": "Findings: no pneumothorax. Impression: normal."}
`

func TestEvalMetrics_JSON(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runEvalMetrics(context.Background(), []string{"--pairs", writePairs(t, pairsJSONL), "--json"}, &out, &errb); err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"bleu1", "bleu2", "bleu3", "bleu4", "rouge_l", "meteor", "cider"} {
		v, ok := got[k].(float64)
		if !ok || v <= 0 || v > 10 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	// CheXpert labels: pair 1 No Finding both (TP); pair 2 effusion both
	// (TP); pair 3 reference No Finding, empty hypothesis (FN) → micro 0.8.
	if got["chexpert_f1_micro"] != 0.8 || got["chexpert5_f1_micro"] != 1.0 {
		t.Errorf("chexpert micro %v, 5-micro %v", got["chexpert_f1_micro"], got["chexpert5_f1_micro"])
	}
	if v, ok := got["chexpert_f1_macro"].(float64); !ok || v <= 0 || v > 1 {
		t.Errorf("chexpert_f1_macro = %v", got["chexpert_f1_macro"])
	}
	if got["n"] != 3.0 || got["empty_hypotheses"] != 1.0 {
		t.Errorf("n = %v, empty = %v", got["n"], got["empty_hypotheses"])
	}
}

func TestEvalMetrics_Table(t *testing.T) {
	var out bytes.Buffer
	if err := runEvalMetrics(context.Background(), []string{"--pairs", writePairs(t, pairsJSONL)}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BLEU-1", "BLEU-4", "ROUGE-L", "METEOR", "meteor-exact-stem", "CIDEr-D", "pairs", "CheXpert F1 micro", "CheXpert-5 F1 micro"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEvalMetrics_Errors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		content string
		usage   bool
		msg     string
	}{
		{name: "no pairs flag", args: []string{}, usage: true, msg: "--pairs"},
		{name: "extra argument", args: []string{"x"}, content: pairsJSONL, usage: true, msg: "no other arguments"},
		{name: "bad json", content: "{\"hypothesis\": \n", msg: ":1: decode pair"},
		{name: "no prediction", content: `{"reference": "a"}` + "\n", msg: `missing "prediction"`},
		{name: "prediction and hypothesis", content: `{"reference": "a", "prediction": "b", "hypothesis": "c"}` + "\n", msg: `both "prediction" and "hypothesis"`},
		{name: "no reference", content: `{"hypothesis": "a"}` + "\n", msg: `missing "reference"`},
		{name: "empty file", content: "\n\n", msg: "no pairs"},
	}
	for _, tt := range tests {
		args := tt.args
		if tt.content != "" {
			args = append([]string{"--pairs", writePairs(t, tt.content)}, args...)
		}
		var out bytes.Buffer
		err := runEvalMetrics(context.Background(), args, &out, &out)
		if err == nil {
			t.Errorf("%s: want error", tt.name)
			continue
		}
		var ue usageError
		if errors.As(err, &ue) != tt.usage || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v (usage %v), want usage %v containing %q", tt.name, err, errors.As(err, &ue), tt.usage, tt.msg)
		}
	}
	var out bytes.Buffer
	if err := runEvalMetrics(context.Background(), []string{"--pairs", "/nonexistent/pairs.jsonl"}, &out, &out); err == nil ||
		!strings.Contains(err.Error(), "eval metrics: read pairs") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParsePairLine(t *testing.T) {
	p, err := parsePairLine(`{"hypothesis": "h", "reference": "r1", "references": ["r2"]}`)
	if err != nil || p.Hypothesis != "h" || len(p.References) != 2 || p.References[0] != "r1" {
		t.Errorf("got %+v, %v", p, err)
	}
}

func FuzzParsePairLine(f *testing.F) {
	f.Add(`{"hypothesis": "h", "reference": "r"}`)
	f.Add(`{"prediction": "h", "reference": "r"}`)
	f.Add(`{"hypothesis": "h", "references": []}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePairLine(s)
		if err == nil && len(p.References) == 0 {
			t.Fatalf("accepted a pair without references: %q", s)
		}
	})
}
