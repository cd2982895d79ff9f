package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/lingshu-edge/lingshu/daemon/infer"
)

// runRunner implements `lingshu runner --model PATH [--backend B]
// [--threads N] [--debug]`: the inference child process the daemon starts
// (daemon/infer). It speaks JSON lines on stdin/stdout and logs slog JSON
// records on stderr; it is not meant to be run by hand.
func runRunner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := infer.RunnerMain(ctx, args, os.Stdin, stdout, stderr)
	if errors.Is(err, infer.ErrRunnerUsage) {
		return usageError{err.Error()}
	}
	return err
}
