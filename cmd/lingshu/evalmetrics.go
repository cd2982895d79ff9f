package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lingshu-edge/lingshu/eval/metrics"
)

// maxPairLine bounds one JSONL line (a long report and its references).
const maxPairLine = 16 << 20

// pairLine is one line of the --pairs file.
type pairLine struct {
	Prediction *string  `json:"prediction"`
	Hypothesis *string  `json:"hypothesis"` // accepted as another name for prediction
	Reference  *string  `json:"reference"`
	References []string `json:"references"`
}

// runEvalMetrics implements `lingshu eval metrics --pairs FILE.jsonl
// [--json]`: BLEU-1..4, ROUGE-L, METEOR and CIDEr of generated texts against
// references, computed as MedEvalKit computes them for report generation
// (see package eval/metrics), and the CheXpert-label F1 of this project's
// rule-based labeler (chexpert_f1_micro/macro, chexpert5_f1_micro/macro;
// prediction against the first reference). Each line of FILE is
// {"reference": "...", "prediction": "..."} or {"references": ["...", ...],
// "prediction": "..."}; "hypothesis" is accepted for "prediction" (the
// pycocoevalcap word); other fields are ignored, blank lines skipped; FILE
// "-" is standard input.
func runEvalMetrics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval metrics", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pairsPath := fs.String("pairs", "", `JSONL file of {"reference"|"references": …, "prediction": …} ("-" for stdin)`)
	asJSON := fs.Bool("json", false, "print the scores as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lingshu eval metrics --pairs FILE.jsonl [--json]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{fmt.Sprintf("eval metrics: %v", err)}
	}
	if len(pos) != 0 || *pairsPath == "" {
		fs.Usage()
		return usageError{"eval metrics: want --pairs FILE.jsonl and no other arguments"}
	}
	pairs, err := readPairs(ctx, *pairsPath)
	if err != nil {
		return fmt.Errorf("eval metrics: %w", err)
	}
	rep, err := metrics.Evaluate(pairs)
	if err != nil {
		return fmt.Errorf("eval metrics: %s: %w", *pairsPath, err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	return printMetricsTable(stdout, rep)
}

// readPairs reads the JSONL pairs file at path ("-" is standard input).
func readPairs(ctx context.Context, path string) ([]metrics.Pair, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read pairs: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxPairLine)
	var pairs []metrics.Pair
	for line := 1; sc.Scan(); line++ {
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		p, err := parsePairLine(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pairs %s: %w", path, err)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s: no pairs", path)
	}
	return pairs, nil
}

// parsePairLine decodes one JSONL line and checks it has a prediction (or
// hypothesis, not both) and at least one reference.
func parsePairLine(text string) (metrics.Pair, error) {
	var pl pairLine
	if err := json.Unmarshal([]byte(text), &pl); err != nil {
		return metrics.Pair{}, fmt.Errorf("decode pair: %w", err)
	}
	switch {
	case pl.Prediction != nil && pl.Hypothesis != nil:
		return metrics.Pair{}, errors.New(`both "prediction" and "hypothesis": give one`)
	case pl.Prediction != nil:
		pl.Hypothesis = pl.Prediction
	case pl.Hypothesis == nil:
		return metrics.Pair{}, errors.New(`missing "prediction"`)
	}
	refs := pl.References
	if pl.Reference != nil {
		refs = append([]string{*pl.Reference}, refs...)
	}
	if len(refs) == 0 {
		return metrics.Pair{}, errors.New(`missing "reference" or "references"`)
	}
	return metrics.Pair{Hypothesis: *pl.Hypothesis, References: refs}, nil
}

// printMetricsTable prints rep as an aligned table.
func printMetricsTable(w io.Writer, rep metrics.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "pairs\t%d\t(%d empty predictions, scored 0)\n", rep.N, rep.Empty)
	rows := []struct {
		name string
		v    float64
		note string
	}{
		{"BLEU-1", rep.BLEU1, "mean sentence_bleu, NLTK method0"},
		{"BLEU-2", rep.BLEU2, ""},
		{"BLEU-3", rep.BLEU3, ""},
		{"BLEU-4", rep.BLEU4, ""},
		{"ROUGE-L", rep.RougeL, "`rouge` package (MedEvalKit)"},
		{"ROUGE-L (Lin)", rep.RougeLLin, "sentence LCS, beta 1.2 (pycocoevalcap)"},
		{"METEOR", rep.Meteor, rep.MeteorVariant},
		{"CIDEr-D", rep.CIDErD, "pycocoevalcap CIDEr-D, corpus df"},
		{"CIDEr", rep.CIDEr, "cidereval cider, corpus df (MedEvalKit: COCO df)"},
		{"corpus BLEU-4", rep.CorpusBLEU4, "NLTK corpus_bleu"},
		{"CheXpert F1 micro", rep.CheXpertF1Micro, "14 observations, rule-based labeler (not CheXbert), uncertain = positive"},
		{"CheXpert F1 macro", rep.CheXpertF1Macro, ""},
		{"CheXpert-5 F1 micro", rep.CheXpert5F1Micro, "atelectasis, cardiomegaly, consolidation, edema, effusion"},
		{"CheXpert-5 F1 macro", rep.CheXpert5F1Macro, ""},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%s\n", r.name, r.v, r.note)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval metrics: write table: %w", err)
	}
	return nil
}
