package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// TestQuant_GoldenBitExact runs `lingshu quant` on the golden qwen2-tiny
// folder and compares the files with llama.cpp's: byte for byte.
func TestQuant_GoldenBitExact(t *testing.T) {
	dir := tinyModelDir(t)
	for _, c := range []struct{ typ, golden string }{{"q8_0", "model-q8_0.gguf"}, {"f16", "model-f16.gguf"}} {
		out := filepath.Join(t.TempDir(), "m.gguf")
		var stdout, stderr bytes.Buffer
		if err := dispatch(context.Background(), []string{"quant", "--in", dir, "--out", out, "--type", c.typ}, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", c.typ, err, stderr.String())
		}
		got, _ := os.ReadFile(out)
		want, _ := os.ReadFile(filepath.Join(dir, c.golden))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from %s (%d bytes)", c.typ, len(got), c.golden, len(want))
		}
		if !strings.Contains(stderr.String(), "[26/26]") || !strings.Contains(stdout.String(), "26 tensors") {
			t.Errorf("progress/summary missing:\n%s\n%s", stderr.String(), stdout.String())
		}
	}
}

func quantCheckJSON(t *testing.T, args ...string) quantCheckOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := dispatch(context.Background(), append([]string{"quant", "check", "--json"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	for _, k := range []string{"top1_agreement", "kld_mean", "kld_p99", "ppl_ref", "ppl_quant"} {
		if _, ok := raw[k].(float64); !ok {
			t.Fatalf("--json lacks %s: %s", k, stdout.String())
		}
	}
	var o quantCheckOutput
	json.Unmarshal(stdout.Bytes(), &o)
	return o
}

// TestQuantCheck_SelfIsExact is the known answer: a checkpoint against
// itself has KLD 0, agreement 1 and equal perplexities.
func TestQuantCheck_SelfIsExact(t *testing.T) {
	dir := tinyModelDir(t)
	prompts := filepath.Join(t.TempDir(), "prompts.txt")
	os.WriteFile(prompts, []byte(defaultCheckPrompts[0]+"\n"), 0o644)
	o := quantCheckJSON(t, "--ref", dir, "--quant", dir, "--prompts", prompts)
	if o.KLDMean != 0 || o.KLDP99 != 0 || o.Top1Agreement != 1 || o.PPLRef != o.PPLQuant || o.Positions == 0 {
		t.Fatalf("self check %+v", o)
	}
}

// TestQuantCheck_GoldenGGUFs compares llama.cpp's F16 and Q8_0 files with
// the BF16 reference: F16 is nearly exact, Q8_0 is close.
func TestQuantCheck_GoldenGGUFs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two models over the built-in prompts")
	}
	dir := tinyModelDir(t)
	prompts := filepath.Join(t.TempDir(), "prompts.txt")
	os.WriteFile(prompts, []byte(defaultCheckPrompts[0]+"\n"+defaultCheckPrompts[2]+"\n"), 0o644)
	f16 := quantCheckJSON(t, "--ref", dir, "--quant", filepath.Join(dir, "model-f16.gguf"), "--prompts", prompts)
	q8 := quantCheckJSON(t, "--ref", dir, "--quant", filepath.Join(dir, "model-q8_0.gguf"), "--prompts", prompts)
	if f16.KLDMean > 1e-5 || f16.Top1Agreement < 0.99 {
		t.Errorf("F16: %+v", f16)
	}
	if q8.KLDMean <= f16.KLDMean || q8.KLDMean > 0.05 || q8.Top1Agreement < 0.8 {
		t.Errorf("Q8_0: %+v (F16 %+v)", q8, f16)
	}
}

func TestQuant_UsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"quant"}, {"quant", "--in", "x"}, {"quant", "--in", "x", "--out", "y", "--type", "q4_0"},
		{"quant", "check", "--ref", "x"}, {"quant", "check", "--ref", "x", "--quant", "y", "extra"},
	} {
		err := dispatch(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestReadPrompts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.txt")
	os.WriteFile(p, []byte("first prompt\r\n\n  \nsecond\n"), 0o644)
	got, err := readPrompts(p)
	if err != nil || len(got) != 2 || got[0] != "first prompt" || got[1] != "second" {
		t.Fatalf("%q %v", got, err)
	}
	os.WriteFile(p, []byte("\n\n"), 0o644)
	if _, err := readPrompts(p); err == nil {
		t.Error("empty prompt file accepted")
	}
}

// TestQuant_VisionPairAnswersLikeFolder converts qwen25vl-tiny to a
// BF16 GGUF plus mmproj and asks both about the same two images: the
// greedy answers are the same ids.
func TestQuant_VisionPairAnswersLikeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the vision model twice")
	}
	dir := golden.Dir(t, "qwen25vl-tiny", "expected.json")
	out := filepath.Join(t.TempDir(), "vl.gguf")
	var stdout, stderr bytes.Buffer
	if err := dispatch(context.Background(), []string{"quant", "--in", dir, "--out", out, "--type", "bf16"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "mmproj-vl.gguf") {
		t.Fatalf("no mmproj reported: %s", stdout.String())
	}
	ask := func(model string) []int {
		var o, e bytes.Buffer
		args := []string{"ask", "--model", model, "--image", filepath.Join(dir, "img1_gradient_224x224.png"),
			"--image", filepath.Join(dir, "img2_odd_100x76.png"), "--max-tokens", "8", "--json", "Compare the two images."}
		if err := dispatch(context.Background(), args, &o, &e); err != nil {
			t.Fatalf("ask %s: %v\n%s", model, err, e.String())
		}
		var r struct{ IDs []int }
		json.Unmarshal(o.Bytes(), &r)
		return r.IDs
	}
	want, got := ask(dir), ask(out)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("GGUF pair answers %v, folder %v", got, want)
	}
}

func TestProgressBar_Terminal(t *testing.T) {
	var buf bytes.Buffer
	b := &progressBar{w: &buf, tty: true}
	b.update(weights.ExportProgress{Tensor: "blk.0.attn_q.weight", Index: 1, Count: 4, Bytes: 1 << 20, Total: 4 << 20, Elapsed: time.Second})
	b.update(weights.ExportProgress{Index: 4, Count: 4, Bytes: 4 << 20, Total: 4 << 20, Elapsed: 4 * time.Second, Done: true})
	s := buf.String()
	for _, want := range []string{"\r[#######", "25%", "1/4 tensors", "1.0 MiB/4.0 MiB", "eta 3s", "100%", "4/4 tensors"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar %q lacks %q", s, want)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		t.Error("the finished bar does not end its line")
	}
}
