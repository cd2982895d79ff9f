package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/eval/harness"
)

func TestEvalRun_Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"--model", "m"}, {"--dataset", "slake=x"}, {"--model", "m", "--dataset", "nope=x"},
		{"--model", "m", "--dataset", "slake"}, {"--model", "m", "--dataset", "slake=x", "extra"},
		{"--model", "m", "--dataset", "slake=x", "--judge-self", "--judge-url", "http://h/v1"},
		{"--model", "m", "--dataset", "jsonl=a", "--dataset", "jsonl=b"}} {
		err := runEvalRun(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("args %q: error %v, want a usage error", args, err)
		}
	}
	if err := runEvalReport(context.Background(), nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("eval report without runs accepted")
	}
}

func TestEvalRun_BadDatasetFailsBeforeModel(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "test.jsonl"), []byte(`{"id":"1","kind":"yesno","question":"q","answer":"maybe"}`+"\n"), 0o644)
	err := runEvalRun(context.Background(), []string{"--model", "/nonexistent", "--dataset", "jsonl=" + dir}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `test.jsonl:1: id 1: field "answer": want yes or no`) {
		t.Errorf("error %v", err)
	}
}

// TestEvalRunReport_TinyModel runs the CLI end to end on a two-sample
// JSONL set with the golden tiny model, twice (the second run is all
// cached), then writes the report.
func TestEvalRunReport_TinyModel(t *testing.T) {
	dir, g := tinyVLDir(t)
	if len(g.Prompts) == 0 {
		t.Skip("no golden prompts")
	}
	set := t.TempDir()
	img := filepath.Join(dir, "img1_gradient_224x224.png")
	os.WriteFile(filepath.Join(set, "test.jsonl"), []byte(
		`{"id":"a","kind":"yesno","question":"Is this a gradient?","answer":"yes","images":["`+img+`"]}`+"\n"+
			`{"id":"b","kind":"mc","question":"Which?","options":["x","y"],"answer":"A"}`+"\n"), 0o644)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--model", dir, "--dataset", "jsonl=" + set, "--out", out, "--max-tokens", "4", "--progress", "none", "--threads", "2"}
	var stdout bytes.Buffer
	for i := range 2 {
		stdout.Reset()
		if err := runEvalRun(context.Background(), args, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		m, err := harness.ReadManifest(filepath.Join(out, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := [2]int{2 - 2*i, 2 * i}; m.Counts.Computed != want[0] || m.Counts.Cached != want[1] {
			t.Errorf("run %d: counts %+v", i, m.Counts)
		}
	}
	html := filepath.Join(t.TempDir(), "r.html")
	if err := runEvalReport(context.Background(), []string{out, "--out", html}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(html, ".html") + ".json"); err != nil {
		t.Error(err)
	}
}
