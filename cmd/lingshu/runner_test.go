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

	"github.com/lingshu-edge/lingshu/internal/golden"
)

func TestRunner_UsageAndLoadFailure(t *testing.T) {
	var ue usageError
	if err := runRunner(context.Background(), nil, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &ue) {
		t.Fatalf("no --model: %v, want a usage error", err)
	}
	var out, logs bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing")
	err := runRunner(context.Background(), []string{"--model", missing, "--backend", "cpu"}, &out, &logs)
	if err == nil {
		t.Fatal("a missing model loaded")
	}
	var msg struct{ Type, Error string }
	if jerr := json.Unmarshal(out.Bytes(), &msg); jerr != nil || msg.Type != "load_failed" || !strings.Contains(msg.Error, "missing") {
		t.Errorf("stdout %q (%v), want one load_failed line naming the path", out.String(), jerr)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("stderr lacks the JSON error record: %q", logs.String())
	}
}

func TestDevRandomModel_Qwen25VLShape(t *testing.T) {
	src := golden.Dir(t, "qwen25vl-tiny", "model.safetensors")
	var ue usageError
	err := runDevRandomModel(context.Background(), []string{"--shape", "qwen25vl-tiny-random", "--out", t.TempDir(),
		"--tokenizer-from", "none"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.As(err, &ue) {
		t.Errorf("VL shape without a tokenizer: %v, want a usage error", err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := runDevRandomModel(context.Background(), []string{"--shape", "qwen25vl-tiny-random", "--out", dir,
		"--tokenizer-from", src}, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Architectures []string       `json:"architectures"`
		Vision        map[string]any `json:"vision_config"`
	}
	golden.ReadJSON(t, filepath.Join(dir, "config.json"), &cfg)
	if len(cfg.Architectures) != 1 || cfg.Architectures[0] != "Qwen2_5_VLForConditionalGeneration" || cfg.Vision == nil {
		t.Errorf("config %+v", cfg)
	}
	if !strings.Contains(out.String(), "qwen25vl-tiny-random") {
		t.Errorf("output %q", out.String())
	}
}
