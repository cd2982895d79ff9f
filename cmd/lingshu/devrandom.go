package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lingshu-edge/lingshu/model/weights"
)

// runDevRandomModel implements `lingshu dev random-model --shape NAME --out DIR
// [--seed S] [--tokenizer-from DIR|none]`: a random checkpoint in exact
// Hugging Face layout, for tests and benchmarks.
func runDevRandomModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev random-model", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, s := range weights.Qwen2Shapes() {
		names = append(names, s.Name)
	}
	shapeName := fs.String("shape", "", "model shape: "+strings.Join(names, ", "))
	out := fs.String("out", "", "output folder")
	seed := fs.Uint64("seed", 0, "random seed")
	tokFrom := fs.String("tokenizer-from", "", "folder to copy tokenizer files from (default: the golden qwen2-tiny folder if found; \"none\" to skip)")
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{fmt.Sprintf("dev random-model: %v", err)}
	}
	if len(pos) > 0 || *shapeName == "" || *out == "" {
		fs.Usage()
		return usageError{"dev random-model: --shape and --out are required"}
	}
	shape, ok := weights.LookupQwen2Shape(*shapeName)
	if !ok {
		return usageError{fmt.Sprintf("dev random-model: unknown shape %q (known: %s)", *shapeName, strings.Join(names, ", "))}
	}
	src := *tokFrom
	switch src {
	case "none":
		src = ""
	case "":
		src = findGoldenTokenizer()
		if src == "" {
			fmt.Fprintln(stderr, "dev random-model: no tokenizer folder found; writing weights and config only (use --tokenizer-from DIR)")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := weights.WriteRandomQwen2(*out, shape, weights.RandomOptions{Seed: *seed, TokenizerFrom: src}); err != nil {
		return fmt.Errorf("dev random-model: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: shape %s, %d parameters (BF16), seed %d\n", *out, shape.Name, shape.Params(), *seed)
	return nil
}

// findGoldenTokenizer looks for the golden qwen2-tiny folder of the
// repository checkout: $LINGSHU_GOLDEN_DIR/qwen2-tiny, then shared/golden
// beside or above the working directory.
func findGoldenTokenizer() string {
	var cands []string
	if d := os.Getenv("LINGSHU_GOLDEN_DIR"); d != "" {
		cands = append(cands, filepath.Join(d, "qwen2-tiny"))
	}
	cands = append(cands, filepath.Join("shared", "golden", "qwen2-tiny"), filepath.Join("..", "shared", "golden", "qwen2-tiny"))
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "tokenizer.json")); err == nil {
			return c
		}
	}
	return ""
}
