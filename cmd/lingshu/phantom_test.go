package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunPhantom(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	err := runPhantom(context.Background(), []string{"--out", dir, "--studies", "2", "--modality", "cr",
		"--seed", "9", "--transfer-syntax", "jpeg"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "wrote 2 studies, 2 files") {
		t.Errorf("stdout %q", out.String())
	}
	var index []struct {
		Dir       string `json:"dir"`
		Instances int    `json:"instances"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "phantom_index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &index); err != nil || len(index) != 2 {
		t.Fatalf("index %s: %v", b, err)
	}
	for _, s := range index {
		if _, err := os.Stat(filepath.Join(dir, s.Dir, "ground_truth.json")); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(dir, s.Dir, "CR000001.dcm")); err != nil {
			t.Error(err)
		}
	}
}

func TestRunPhantom_Errors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--studies", "1"}, "--out is required"},
		{"bad modality", []string{"--out", "x", "--modality", "PET"}, "unknown modality"},
		{"jpeg CT", []string{"--out", "x", "--transfer-syntax", "jpeg"}, "CR and DX only"},
		{"unknown flag", []string{"--out", "x", "--nope"}, "flag provided but not defined"},
		{"extra arg", []string{"--out", "x", "more"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := tc.args
			for i, a := range args {
				if a == "x" {
					args[i] = filepath.Join(t.TempDir(), "x")
				}
			}
			err := runPhantom(context.Background(), args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if err := runPhantom(ctx, []string{"--out", t.TempDir()}, &out, &errb); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestRunPhantomArgs runs `lingshu phantom` with the arguments in
// LINGSHU_PHANTOM_ARGS (space separated), for timing and manual runs
// before the subcommand is wired into main. Opt-in.
func TestRunPhantomArgs(t *testing.T) {
	args := os.Getenv("LINGSHU_PHANTOM_ARGS")
	if args == "" {
		t.Skip("set LINGSHU_PHANTOM_ARGS")
	}
	var out bytes.Buffer
	if err := runPhantom(context.Background(), strings.Fields(args), &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
}
