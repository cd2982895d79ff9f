package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// runPhantom implements `lingshu phantom`: synthetic DICOM studies with
// known findings, reference reports and VQA pairs, for tests and evaluation.
func runPhantom(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("phantom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder (required)")
	studies := fs.Int("studies", 1, "number of studies")
	modality := fs.String("modality", "CT", "CT, CR, DX or MR")
	seed := fs.Uint64("seed", 1, "seed; the same seed gives byte-identical files")
	ts := fs.String("transfer-syntax", "explicit", "implicit, explicit, deflate or jpeg (CR/DX only)")
	multi := fs.Bool("multiframe", false, "CT/MR as one Multi-frame Grayscale Word SC instance")
	slices := fs.Int("slices", 0, "slices per CT/MR series (0 = default: CT 40, MR 24)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lingshu phantom --out DIR [--studies N] [--modality CT|CR|DX|MR] [--seed S]\n"+
			"                       [--transfer-syntax implicit|explicit|deflate|jpeg] [--multiframe] [--slices N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("phantom: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("phantom: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		fs.Usage()
		return errors.New("phantom: --out is required")
	}
	opts := phantom.Options{OutDir: *out, Studies: *studies, Modality: strings.ToUpper(*modality), Seed: *seed,
		TransferSyntax: *ts, MultiFrame: *multi, Slices: *slices}
	res, err := phantom.GenerateContext(ctx, opts)
	if err != nil {
		return err
	}
	findings := 0
	for _, s := range res.Studies {
		findings += len(s.Findings)
	}
	fmt.Fprintf(stdout, "wrote %d studies, %d files, %.1f MB, %d findings to %s\n",
		len(res.Studies), res.Files, float64(res.Bytes)/1e6, findings, res.OutDir)
	return nil
}
