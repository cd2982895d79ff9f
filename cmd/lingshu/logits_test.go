package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
)

// tinyModelDir is the golden qwen2-tiny folder, or the test is skipped.
func tinyModelDir(t *testing.T) string {
	return golden.Dir(t, "qwen2-tiny", "expected.json")
}

// tinyPrompt returns prompt i of expected.json.
func tinyPrompt(t *testing.T, dir string, i int) (text string, ids []int, top [][2]float64, greedy []int) {
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Prompts []struct {
			Text      string       `json:"text"`
			IDs       []int        `json:"ids"`
			LastTop20 [][2]float64 `json:"last_top20"`
			Greedy    struct {
				IDs []int `json:"ids"`
			} `json:"greedy"`
		} `json:"prompts"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	p := e.Prompts[i]
	return p.Text, p.IDs, p.LastTop20, p.Greedy.IDs
}

func TestModelLogits_JSONMatchesGolden(t *testing.T) {
	dir := tinyModelDir(t)
	text, ids, top, _ := tinyPrompt(t, dir, 1) // ChatML prompt: special tokens parsed
	for _, path := range []string{dir, filepath.Join(dir, "model-f16.gguf")} {
		t.Run(filepath.Base(path), func(t *testing.T) { checkLogitsCLI(t, path, text, ids, top) })
	}
}

func checkLogitsCLI(t *testing.T, path, text string, ids []int, top [][2]float64) {
	var out bytes.Buffer
	args := []string{path, "--prompt", text, "--top", "5", "--ids", "151645, 0", "--json", "--backend", "cpu"}
	if err := runModelLogits(context.Background(), args, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var got logitsOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if !slices.Equal(got.PromptIDs, ids) {
		t.Errorf("prompt_ids %v, want %v", got.PromptIDs, ids)
	}
	if len(got.Top) != 5 || len(got.Selected) != 2 || got.Selected[0].ID != 151645 {
		t.Fatalf("top %v selected %v", got.Top, got.Selected)
	}
	for i, e := range got.Top {
		if e.ID != int(top[i][0]) || math.Abs(float64(e.Logit)-top[i][1]) > 1e-3 {
			t.Errorf("top[%d] = %+v, want %v", i, e, top[i])
		}
	}
}

func TestModelLogits_Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"dir"}, {"--prompt", "x"}, {"a", "b", "--prompt", "x"}, {"dir", "--prompt", "x", "--ids", "1,x"}} {
		err := runModelLogits(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("args %q: error %v, want a usage error", args, err)
		}
	}
}
