package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
)

// tokenizeGoldenDir is the golden qwen2-tiny folder, or the test is skipped.
func tokenizeGoldenDir(t *testing.T) string {
	t.Helper()
	return golden.Dir(t, "qwen2-tiny", "tokenizer.json")
}

func TestModelTokenize_GoldenIDs(t *testing.T) {
	dir := tokenizeGoldenDir(t)
	// Golden "english" case of qwen2-tiny expected.json (hf_js_ids).
	const text = "Hello, world! This is a test of the Qwen2 tokenizer."
	const want = "9707 11 1879 0 1096 374 264 1273 315 279 1207 16948 17 45958 13"
	for _, c := range []struct {
		name string
		args []string
		out  string
	}{
		{"folder", []string{dir, text}, want + "\n"},
		{"json after positionals", []string{dir, text, "--json"}, `{"ids":[` + strings.ReplaceAll(want, " ", ",") + "]}\n"},
		{"json first", []string{"--json", dir, text}, `{"ids":[` + strings.ReplaceAll(want, " ", ",") + "]}\n"},
		{"tokenizer.json path", []string{filepath.Join(dir, "tokenizer.json"), text}, want + "\n"},
		{"gguf", []string{filepath.Join(dir, "model-f16.gguf"), text}, want + "\n"},
		{"special", []string{dir, "<|im_end|>"}, "151645\n"},
		{"no parse special", []string{dir, "--no-parse-special", "<|im_end|>"}, "27 91 318 6213 91 29\n"},
		{"dash text", []string{dir, "--", "-5"}, "12 20\n"},
		{"empty json", []string{dir, "", "--json"}, `{"ids":[]}` + "\n"},
	} {
		var out, errb bytes.Buffer
		if err := runModelTokenize(context.Background(), c.args, &out, &errb); err != nil {
			t.Errorf("%s: %v (stderr %q)", c.name, err, errb.String())
			continue
		}
		if out.String() != c.out {
			t.Errorf("%s: got %q, want %q", c.name, out.String(), c.out)
		}
	}
}

func TestModelTokenize_Usage(t *testing.T) {
	dir := tokenizeGoldenDir(t)
	for _, args := range [][]string{nil, {dir}, {dir, "a", "b"}, {dir, "a", "--bogus"}} {
		var out, errb bytes.Buffer
		err := runModelTokenize(context.Background(), args, &out, &errb)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: want a usage error, got %v", args, err)
		}
	}
	var out, errb bytes.Buffer
	err := runModelTokenize(context.Background(), []string{filepath.Join(dir, "missing"), "x"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "model tokenize") {
		t.Errorf("missing path: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runModelTokenize(ctx, []string{dir, "x"}, &out, &errb); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
