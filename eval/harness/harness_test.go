package harness

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lingshu-edge/lingshu/eval/datasets"
)

// echoGen answers every prompt with a fixed rule and counts its calls; it
// cancels the run's context after cancelAfter calls when set.
type echoGen struct {
	calls       atomic.Int64
	cancelAfter int64
	cancel      context.CancelFunc
}

func (g *echoGen) Generate(ctx context.Context, images []image.Image, prompt string) (Output, error) {
	n := g.calls.Add(1)
	if g.cancel != nil && n == g.cancelAfter {
		g.cancel()
		return Output{}, ctx.Err()
	}
	switch {
	case strings.Contains(prompt, "Options:"):
		return Output{Text: "B", Tokens: 1}, nil
	case strings.Contains(prompt, "'yes' or 'no'"):
		return Output{Text: "Yes.", Tokens: 2}, nil
	case strings.Contains(prompt, "generate a report"):
		return Output{Text: "Findings: the lungs are clear. Impression: normal.", Tokens: 10}, nil
	}
	return Output{Text: "left", Tokens: 1}, nil
}

func samples(t *testing.T, n int) []datasets.Sample {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.png")
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
	os.WriteFile(img, buf.Bytes(), 0o644)
	var out []datasets.Sample
	for i := range n {
		s := datasets.Sample{ID: fmt.Sprint(i), Images: []datasets.ImageRef{{Path: img}}}
		switch i % 4 {
		case 0:
			s.Kind, s.Options, s.Answer = datasets.MultiChoice, []string{"A. x", "B. y"}, "B"
			s.Prompt = datasets.MultiChoicePrompt("q?", s.Options, false, "en")
		case 1:
			s.Kind, s.Answer, s.Prompt = datasets.YesNo, "no", datasets.YesNoPrompt("q?", false, "en")
		case 2:
			s.Kind, s.Answer, s.Prompt = datasets.Open, "left", datasets.OpenPrompt("q?", false, "en")
		case 3:
			s.Kind, s.Answer, s.Prompt = datasets.Report, "Findings: clear lungs. Impression: normal.", datasets.ReportPrompt
		}
		out = append(out, s)
	}
	return out
}

func TestRun_InterruptResumeRerun(t *testing.T) {
	out := t.TempDir()
	ds := []Dataset{{Name: "a", Path: "x", Samples: samples(t, 8)}, {Name: "b", Path: "y", Samples: samples(t, 4)}}
	cfg := Config{Model: ModelInfo{Hash: "h1"}, Settings: Settings{MaxTokens: 16}, Datasets: ds, OutDir: out}

	ctx, cancel := context.WithCancel(context.Background())
	g := &echoGen{cancelAfter: 6, cancel: cancel}
	cfg.Gen = g
	man, err := Run(ctx, cfg)
	if err == nil || man.Status != "interrupted" || man.Counts.Computed != 5 {
		t.Fatalf("interrupted run: err %v, manifest %+v", err, man.Counts)
	}

	g2 := &echoGen{}
	cfg.Gen = g2
	man, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if man.Counts.Cached != 5 || man.Counts.Computed != 7 || g2.calls.Load() != 7 || man.Status != "complete" {
		t.Fatalf("resume: %+v, calls %d", man.Counts, g2.calls.Load())
	}

	g3 := &echoGen{}
	cfg.Gen = g3
	man, err = Run(context.Background(), cfg)
	if err != nil || man.Counts.Cached != 12 || g3.calls.Load() != 0 {
		t.Fatalf("rerun: %v %+v calls %d", err, man.Counts, g3.calls.Load())
	}
	rs, err := ReadResults(filepath.Join(out, "results.jsonl"))
	if err != nil || len(rs) != 12 {
		t.Fatalf("results: %d %v", len(rs), err)
	}
	if !*rs[0].Score.Correct || *rs[1].Score.Correct || !*rs[2].Score.Correct || rs[3].Score.RougeL == nil {
		t.Errorf("scores: %+v %+v %+v %+v", rs[0].Score, rs[1].Score, rs[2].Score, rs[3].Score)
	}
	if _, err := ReadManifest(filepath.Join(out, "manifest.json")); err != nil {
		t.Error(err)
	}

	// Another model hash or setting misses the cache.
	cfg.Model.Hash, cfg.Gen = "h2", &echoGen{}
	cfg.Limit = 2
	man, _ = Run(context.Background(), cfg)
	if man.Counts.Computed != 4 || man.Counts.Cached != 0 {
		t.Errorf("other model: %+v", man.Counts)
	}
}

func TestRun_FailedImageIsRecorded(t *testing.T) {
	s := samples(t, 1)
	s[0].Images[0].Path = filepath.Join(t.TempDir(), "gone.png")
	man, err := Run(context.Background(), Config{Model: ModelInfo{Hash: "h"}, Gen: &echoGen{}, OutDir: t.TempDir(),
		Datasets: []Dataset{{Name: "a", Samples: s}}})
	if err != nil || man.Counts.Failed != 1 {
		t.Fatalf("%v %+v", err, man.Counts)
	}
}

type fixedJudge struct{ reply string }

func (f fixedJudge) Name() string                                                { return "fixed" }
func (f fixedJudge) Complete(ctx context.Context, prompt string) (string, error) { return f.reply, nil }

func TestRun_JudgeDecidesOpen(t *testing.T) {
	s := samples(t, 3)[2:] // the open one
	s[0].Answer = "on the left side"
	out := t.TempDir()
	man, err := Run(context.Background(), Config{Model: ModelInfo{Hash: "h"}, Gen: &echoGen{}, OutDir: out,
		Judge: fixedJudge{"<think>same</think>\n<judge>0</judge>"}, Datasets: []Dataset{{Name: "a", Samples: s}}})
	if err != nil || man.Counts.Judged != 1 {
		t.Fatalf("%v %+v", err, man.Counts)
	}
	rs, _ := ReadResults(filepath.Join(out, "results.jsonl"))
	if !*rs[0].Score.Correct || *rs[0].Score.EM || rs[0].Score.Judge != "correct" {
		t.Errorf("score %+v", rs[0].Score)
	}
}

func TestParseVerdict(t *testing.T) {
	for text, want := range map[string]string{
		"<judge>0</judge>": "true", "<judge> 1 </judge>": "false", "<judge>maybe</judge>": "err",
		"no tag": "err", "<judge>0": "err", "<judge>1</judge><judge>0</judge>": "true",
	} {
		ok, err := ParseVerdict(text)
		got := fmt.Sprint(ok)
		if err != nil {
			got = "err"
		}
		if got != want {
			t.Errorf("ParseVerdict(%q) = %s, want %s", text, got, want)
		}
	}
}

func TestNewOpenAIJudge_NoDefault(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8000"} {
		if _, err := NewOpenAIJudge(u, "m", ""); err == nil {
			t.Errorf("url %q accepted", u)
		}
	}
	if _, err := NewOpenAIJudge("http://10.0.0.5:8000/v1", "", ""); err == nil {
		t.Error("empty model accepted")
	}
}

func TestRun_GREENThroughJudge(t *testing.T) {
	s := samples(t, 4)[3:] // the report
	out := t.TempDir()
	reply := "[Clinically Significant Errors]:\n(a) False report of a finding in the candidate: 1. x.\n\n[Matched Findings]:\n3. a; b; c.\n"
	man, err := Run(context.Background(), Config{Model: ModelInfo{Hash: "h"}, Gen: &echoGen{}, OutDir: out,
		Judge: fixedJudge{reply}, Datasets: []Dataset{{Name: "r", Samples: s}}})
	if err != nil || man.Counts.Judged != 1 || !strings.Contains(man.ReportMetrics["GREEN"], "by the judge fixed") {
		t.Fatalf("%v %+v %v", err, man.Counts, man.ReportMetrics)
	}
	rs, _ := ReadResults(filepath.Join(out, "results.jsonl"))
	if rs[0].Score.GREEN == nil || *rs[0].Score.GREEN != 0.75 {
		t.Errorf("score %+v", rs[0].Score)
	}
}
