package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestGenerate_GreedyJSONMatchesGolden(t *testing.T) {
	dir := tinyModelDir(t)
	text, _, _, greedy := tinyPrompt(t, dir, 0)
	var out bytes.Buffer
	args := []string{"--model", dir, "--prompt", text, "--max-tokens", "16", "--json", "--backend", "cpu", "--chunk", "32"}
	if err := runGenerate(context.Background(), args, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var got generateOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if !slices.Equal(got.IDs, greedy) {
		t.Errorf("ids %v, want %v", got.IDs, greedy)
	}
	if got.Text == "" {
		t.Error("empty text")
	}
}

func TestGenerate_StreamsSameTextAsJSON(t *testing.T) {
	dir := tinyModelDir(t)
	base := []string{"--model", dir, "--chat", "Hello", "--max-tokens", "8", "--temperature", "0.8", "--seed", "7", "--backend", "cpu"}
	var stream, js bytes.Buffer
	if err := runGenerate(context.Background(), base, &stream, os.Stderr); err != nil {
		t.Fatal(err)
	}
	if err := runGenerate(context.Background(), append(base, "--json"), &js, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var got generateOutput
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSuffix(stream.String(), "\n") != got.Text {
		t.Errorf("streamed %q, json text %q", stream.String(), got.Text)
	}
}

func TestGenerate_Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"--model", "m"}, {"--model", "m", "--prompt", "a", "--chat", "b"},
		{"--model", "m", "--prompt", "a", "--max-tokens", "0"}, {"--model", "m", "--prompt", "a", "extra"}} {
		err := runGenerate(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("args %q: error %v, want a usage error", args, err)
		}
	}
}
