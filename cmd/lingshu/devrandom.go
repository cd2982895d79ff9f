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
// Hugging Face layout, for tests and benchmarks. NAME is a Qwen2 decoder
// shape (weights.Qwen2Shapes) or a Qwen2.5-VL shape (weights.Qwen25VLShapes).
func runDevRandomModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev random-model", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, s := range weights.Qwen2Shapes() {
		names = append(names, s.Name)
	}
	for _, s := range weights.Qwen25VLShapes() {
		names = append(names, s.Name)
	}
	shapeName := fs.String("shape", "", "model shape: "+strings.Join(names, ", "))
	out := fs.String("out", "", "output folder")
	seed := fs.Uint64("seed", 0, "random seed")
	tokFrom := fs.String("tokenizer-from", "", "folder to copy tokenizer files from (default: the golden qwen2-tiny or qwen25vl-tiny folder if found; \"none\" to skip, Qwen2 shapes only)")
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{fmt.Sprintf("dev random-model: %v", err)}
	}
	if len(pos) > 0 || *shapeName == "" || *out == "" {
		fs.Usage()
		return usageError{"dev random-model: --shape and --out are required"}
	}
	vlShape, isVL := weights.LookupQwen25VLShape(*shapeName)
	shape, ok := weights.LookupQwen2Shape(*shapeName)
	if !ok && !isVL {
		return usageError{fmt.Sprintf("dev random-model: unknown shape %q (known: %s)", *shapeName, strings.Join(names, ", "))}
	}
	goldenModel := "qwen2-tiny"
	if isVL {
		goldenModel = "qwen25vl-tiny"
	}
	src := *tokFrom
	switch src {
	case "none":
		if isVL {
			return usageError{"dev random-model: Qwen2.5-VL shapes need a tokenizer (--tokenizer-from DIR)"}
		}
		src = ""
	case "":
		src = findGoldenTokenizer(goldenModel)
		if src == "" && isVL {
			return fmt.Errorf("dev random-model: no %s folder found for the tokenizer; use --tokenizer-from DIR", goldenModel)
		}
		if src == "" {
			fmt.Fprintln(stderr, "dev random-model: no tokenizer folder found; writing weights and config only (use --tokenizer-from DIR)")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := weights.RandomOptions{Seed: *seed, TokenizerFrom: src}
	if isVL {
		if err := weights.WriteRandomQwen25VL(*out, vlShape, opts); err != nil {
			return fmt.Errorf("dev random-model: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s: shape %s, %d parameters (BF16), seed %d\n", *out, vlShape.Name, vlShape.Params(), *seed)
		return nil
	}
	if err := weights.WriteRandomQwen2(*out, shape, opts); err != nil {
		return fmt.Errorf("dev random-model: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: shape %s, %d parameters (BF16), seed %d\n", *out, shape.Name, shape.Params(), *seed)
	return nil
}

// findGoldenTokenizer looks for a golden model folder (e.g. "qwen2-tiny")
// of the repository checkout: $LINGSHU_GOLDEN_DIR/NAME, then shared/golden
// beside or above the working directory.
func findGoldenTokenizer(name string) string {
	var cands []string
	if d := os.Getenv("LINGSHU_GOLDEN_DIR"); d != "" {
		cands = append(cands, filepath.Join(d, name))
	}
	cands = append(cands, filepath.Join("shared", "golden", name), filepath.Join("..", "shared", "golden", name))
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "tokenizer.json")); err == nil {
			return c
		}
	}
	return ""
}
