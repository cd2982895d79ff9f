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
