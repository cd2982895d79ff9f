package e2e

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/harness"
	"github.com/lingshu-edge/lingshu/eval/report"
	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// cancelAfter wraps a generator and cancels the run once n generations
// have finished: the context is cancelled while sample n+1 starts.
type cancelAfter struct {
	harness.Generator
	n      int64
	done   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Generate(ctx context.Context, imgs []image.Image, p string) (harness.Output, error) {
	if c.done.Load() == c.n {
		c.cancel()
		return harness.Output{}, context.Canceled
	}
	out, err := c.Generator.Generate(ctx, imgs, p)
	c.done.Add(1)
	return out, err
}

func TestPhantomTinyModel_InterruptResumeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the tiny model and renders phantom studies (a few seconds)")
	}
	dir := golden.Dir(t, "qwen25vl-tiny", "expected.json")
	be := cpu.New(2)
	defer be.Close()
	m, err := vlm.Open(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	hash, err := m.Ckpt.Hash()
	if err != nil {
		t.Fatal(err)
	}

	ph := t.TempDir()
	if _, err := phantom.Generate(phantom.Options{OutDir: ph, Studies: 2, Modality: "CT", Slices: 4, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	l, _ := datasets.Lookup("phantom")
	samples, err := l.Load(ph, datasets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := harness.Settings{MaxTokens: 8, MaxPixels: 56 * 56 * 4}
	out := t.TempDir()
	const limit, killAt = 8, 3
	cfg := harness.Config{Model: harness.ModelInfo{Path: dir, Hash: hash, Backend: be.Name()}, Settings: st,
		Datasets: []harness.Dataset{{Name: "phantom", Path: ph, Samples: samples}}, OutDir: out, Limit: limit}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Gen = &cancelAfter{Generator: harness.VLM{M: m, Settings: st}, n: killAt, cancel: cancel}
	man, err := harness.Run(ctx, cfg)
	if err == nil || man.Status != "interrupted" || man.Counts.Computed != killAt {
		t.Fatalf("interrupted run: err %v, counts %+v", err, man.Counts)
	}

	counting := &cancelAfter{Generator: harness.VLM{M: m, Settings: st}, n: -1}
	cfg.Gen = counting
	man, err = harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if man.Counts.Cached != killAt || man.Counts.Computed != limit-killAt || counting.done.Load() != limit-killAt {
		t.Fatalf("resume: counts %+v, generations %d", man.Counts, counting.done.Load())
	}
	t.Logf("resume: %d cached, %d computed", man.Counts.Cached, man.Counts.Computed)

	counting = &cancelAfter{Generator: harness.VLM{M: m, Settings: st}, n: -1}
	cfg.Gen = counting
	if man, err = harness.Run(context.Background(), cfg); err != nil || man.Counts.Cached != limit || counting.done.Load() != 0 {
		t.Fatalf("rerun: %v %+v generations %d", err, man.Counts, counting.done.Load())
	}

	run, err := report.Load(out, report.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := report.Build([]*report.Run{run, run}, report.Options{Seed: 1}).WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "<svg") || strings.Contains(html.String(), "<script") {
		t.Error("report is not a script-free page with inline SVG")
	}
	if a := os.Getenv("LINGSHU_ARTIFACTS"); a != "" {
		os.WriteFile(filepath.Join(a, "eval_e2e_report.html"), html.Bytes(), 0o644)
	}
}
