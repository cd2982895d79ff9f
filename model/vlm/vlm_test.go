package vlm

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/tokenizer"
)

type goldenPrompt struct {
	Name     string   `json:"name"`
	Files    []string `json:"image_files"`
	Rendered string   `json:"rendered"`
	IDs      []int    `json:"ids"`
	Messages []struct {
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	Greedy struct {
		IDs []int `json:"ids"`
	} `json:"greedy"`
}

// openTiny opens the golden qwen25vl-tiny model on a 2-thread CPU backend, or skips.
func openTiny(t *testing.T) (*Model, string, []goldenPrompt) {
	t.Helper()
	dir := golden.Dir(t, "qwen25vl-tiny", "expected.json")
	var g struct {
		Prompts []goldenPrompt `json:"prompts"`
	}
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), &g)
	be := cpu.New(2)
	t.Cleanup(func() { be.Close() })
	m, err := Open(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, dir, g.Prompts
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// question is the last text part of a golden prompt's user message.
func question(p goldenPrompt) string {
	c := p.Messages[0].Content
	return c[len(c)-1].Text
}

func TestMessages_MatchGoldenLayout(t *testing.T) {
	m, dir, prompts := openTiny(t)
	for _, p := range prompts {
		t.Run(p.Name, func(t *testing.T) {
			msgs := Messages(len(p.Files), question(p))
			if got := tokenizer.RenderChat(msgs, true); got != p.Rendered {
				t.Errorf("rendered\n%q\nwant\n%q", got, p.Rendered)
			}
			var imgs []image.Image
			for _, f := range p.Files {
				imgs = append(imgs, decodePNG(t, filepath.Join(dir, f)))
			}
			ids, pre, err := m.Prompt(imgs, question(p), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, p.IDs) || len(pre) != len(imgs) {
				t.Errorf("expanded prompt ids differ from golden (%d vs %d ids)", len(ids), len(p.IDs))
			}
		})
	}
	if len(prompts) < 2 {
		t.Fatalf("%d golden prompts", len(prompts))
	}
}

func TestAsk_GreedyAndLimits(t *testing.T) {
	m, dir, prompts := openTiny(t)
	var p goldenPrompt
	for _, q := range prompts {
		if q.Name == "one_image" {
			p = q
		}
	}
	if p.Name == "" {
		t.Fatal("no one_image prompt")
	}
	img := decodePNG(t, filepath.Join(dir, p.Files[0]))
	ctx := context.Background()
	var streamed []int
	res, err := m.Ask(ctx, []image.Image{img}, question(p), Options{MaxTokens: 16, OnToken: func(id int) error {
		streamed = append(streamed, id)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, p.Greedy.IDs) || !slices.Equal(streamed, res.IDs) || res.Stop != StopMaxTokens {
		t.Errorf("ids %v streamed %v stop %s, want %v", res.IDs, streamed, res.Stop, p.Greedy.IDs)
	}
	if res.PromptTokens != len(p.IDs) || res.ImageTokens != 324 || res.Images[0].ResizedW != 504 || res.Images[0].Width != 512 {
		t.Errorf("prompt %d image tokens %d images %+v", res.PromptTokens, res.ImageTokens, res.Images)
	}
	t.Logf("timings %+v", res.Timings)

	// The context caps generation: the cache fills after 3 tokens.
	res, err = m.Ask(ctx, []image.Image{img}, question(p), Options{MaxTokens: 16, Context: len(p.IDs) + 3})
	if err != nil || res.Stop != StopContext || !slices.Equal(res.IDs, p.Greedy.IDs[:4]) {
		t.Errorf("context-capped: ids %v stop %q err %v", res.IDs, res.Stop, err)
	}
	// A prompt larger than the context is refused before any compute.
	_, err = m.Ask(ctx, []image.Image{img}, question(p), Options{MaxTokens: 1, Context: 300})
	var ce *ContextError
	if !errors.As(err, &ce) || ce.PromptTokens != len(p.IDs) || ce.ImageTokens != 324 || ce.Context != 300 {
		t.Errorf("error %v, want a ContextError", err)
	}
	// max pixels lowers the image tokens.
	res, err = m.Ask(ctx, []image.Image{img}, question(p), Options{MaxTokens: 1, MaxPixels: 28 * 28 * 16})
	if err != nil || res.ImageTokens != 16 {
		t.Errorf("max pixels: %d image tokens, err %v", res.ImageTokens, err)
	}
	// A cancelled request stops.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Ask(cctx, []image.Image{img}, question(p), Options{MaxTokens: 4}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := m.Ask(ctx, []image.Image{img}, "q", Options{}); err == nil {
		t.Error("max tokens 0 accepted")
	}
}

func TestReportPrompt(t *testing.T) {
	p := ReportPrompt([]string{"CR", "DX"}, "CHEST", 1)
	for _, want := range []string{"radiologist", "one X-ray study of the chest", "The image is a key image", "FINDINGS:", "IMPRESSION:"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	p = ReportPrompt([]string{"CT", "MR"}, "", 3)
	if !strings.Contains(p, "The 3 images are key images from one CT and MRI study.") {
		t.Errorf("prompt:\n%s", p)
	}
	if ReportPrompt(nil, "", 1) != ReportPrompt(nil, "", 1) || !strings.Contains(ReportPrompt(nil, "", 1), "medical imaging study") {
		t.Error("prompt without modality")
	}
}
