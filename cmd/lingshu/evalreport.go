package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lingshu-edge/lingshu/eval/report"
)

const evalReportUsage = "usage: lingshu eval report RUN [RUN...] [--out report.html] [--json FILE] [--regression-threshold 0.02] [--seed S] [--bootstrap N]"

// runEvalReport implements `lingshu eval report RUN...`: a self-contained
// HTML page and a JSON file of per-dataset scores; with two or more runs,
// each later run is compared with the first (paired bootstrap intervals,
// McNemar / sign test) and regressions beyond the threshold are flagged.
func runEvalReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "report.html", "HTML report `file`")
	jsonOut := fs.String("json", "", "JSON report `file` (default: --out with .json)")
	var opt report.Options
	fs.Float64Var(&opt.RegressionThreshold, "regression-threshold", 0.02, "flag a drop larger than this `fraction` (0.02 = 2 points)")
	fs.Uint64Var(&opt.Seed, "seed", 1, "bootstrap `seed`")
	fs.IntVar(&opt.Iters, "bootstrap", 1000, "bootstrap `resamples`")
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{"eval report: " + err.Error()}
	}
	if len(pos) == 0 || opt.RegressionThreshold < 0 || opt.Iters <= 0 {
		return usageError{evalReportUsage}
	}
	var runs []*report.Run
	for _, dir := range pos {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := report.Load(dir, opt)
		if err != nil {
			return fmt.Errorf("eval report: %w", err)
		}
		runs = append(runs, r)
	}
	doc := report.Build(runs, opt)
	var h, j bytes.Buffer
	if err := doc.WriteHTML(&h); err != nil {
		return fmt.Errorf("eval report: %w", err)
	}
	if err := doc.WriteJSON(&j); err != nil {
		return fmt.Errorf("eval report: %w", err)
	}
	if *jsonOut == "" {
		*jsonOut = strings.TrimSuffix(*out, ".html") + ".json"
	}
	if err := os.WriteFile(*out, h.Bytes(), 0o644); err != nil {
		return fmt.Errorf("eval report: %w", err)
	}
	if err := os.WriteFile(*jsonOut, j.Bytes(), 0o644); err != nil {
		return fmt.Errorf("eval report: %w", err)
	}
	for _, r := range runs {
		for _, d := range r.Datasets {
			fmt.Fprintf(stdout, "%s  %-18s n=%-5d %s %.1f\n", r.Dir, d.Name, d.N, d.Metric, 100*d.Score)
		}
	}
	for _, c := range doc.Comparisons {
		for _, row := range c.Rows {
			flag := ""
			if row.Regression {
				flag = "  REGRESSION"
			}
			fmt.Fprintf(stdout, "compare %s vs %s  %-18s %s %+.1f points [%+.1f, %+.1f] %s p=%.3g%s\n", c.Candidate, c.Baseline,
				row.Dataset, row.Metric, 100*row.Diff, 100*row.DiffCI[0], 100*row.DiffCI[1], row.Test, row.P, flag)
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", *out, *jsonOut)
	return nil
}
