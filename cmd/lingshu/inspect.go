package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/lingshu-edge/lingshu/model/weights"
)

// runModelInspect implements `lingshu model inspect PATH [--json] [--tensors]`:
// architecture, format, dtypes, sizes and the weights' sha256 of a Hugging
// Face folder or GGUF file.
func runModelInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("model inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	tensors := fs.Bool("tensors", false, "list every tensor")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lingshu model inspect PATH [--json] [--tensors]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{fmt.Sprintf("model inspect: %v", err)}
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError{"model inspect: want exactly one PATH (a model folder or .gguf file)"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ck, err := weights.Open(pos[0])
	if err != nil {
		return fmt.Errorf("model inspect: %w", err)
	}
	defer ck.Close()
	rep, err := weights.Inspect(ck, *tensors)
	if err != nil {
		return fmt.Errorf("model inspect: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// parseInterleavedFlags parses fs from args, allowing flags after positional
// arguments ("PATH --json"), and returns the positional arguments. A lone
// "--" ends flag parsing.
func parseInterleavedFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
