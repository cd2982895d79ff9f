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
	"path/filepath"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/weights"
	"github.com/lingshu-edge/lingshu/quant"
)

const quantUsage = "quant --in PATH --out FILE.gguf --type q8_0|f16|bf16 | quant check --ref PATH --quant PATH [--prompts FILE] [--json]"

// runQuant implements `lingshu quant --in PATH --out FILE.gguf --type T`
// (HF folder or GGUF → GGUF, tensor by tensor) and, with "check" first,
// `lingshu quant check`.
func runQuant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "check" {
		return runQuantCheck(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("quant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "source model `path`: Hugging Face folder or GGUF file")
	out := fs.String("out", "", "output `FILE.gguf` (a vision tower goes to mmproj-FILE.gguf beside it)")
	typ := fs.String("type", "q8_0", "target `type` of 2-D weights: q8_0, f16, bf16 or f32")
	name := fs.String("name", "", "general.name (default: the source folder's name)")
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) > 0 || *in == "" || *out == "" {
		return usageError{"usage: lingshu " + quantUsage}
	}
	t, err := quant.ParseType(*typ)
	if err != nil {
		return usageError{err.Error()}
	}
	ck, err := weights.Open(*in)
	if err != nil {
		return err
	}
	defer ck.Close()
	bar := newProgressBar(stderr)
	res, err := weights.ExportGGUF(ck, *out, weights.ExportOptions{Type: t, Name: *name, Progress: bar.update})
	if err != nil {
		return fmt.Errorf("quant: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d tensors, %s of tensor data, %s)\n", res.Main, res.Tensors, humanBytes(res.Bytes), t)
	if res.MMProj != "" {
		fmt.Fprintf(stdout, "wrote %s (vision tower)\n", res.MMProj)
	}
	return nil
}

// progressBar draws export progress: a redrawn bar with tensors, bytes and
// ETA when stderr is a terminal, one plain line per tensor otherwise.
type progressBar struct {
	w    io.Writer
	tty  bool
	last time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w)}
}

// isTerminal reports whether w is a character device (a terminal), without
// a terminal library.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (b *progressBar) update(p weights.ExportProgress) {
	eta := "?"
	// An estimate from the first few bytes (or milliseconds) is noise:
	// wait for 1% of the bytes and half a second.
	if p.Bytes*100 >= p.Total && p.Elapsed >= 500*time.Millisecond && p.Total > p.Bytes {
		left := time.Duration(float64(p.Elapsed) * float64(p.Total-p.Bytes) / float64(p.Bytes))
		eta = left.Round(time.Second).String()
	} else if p.Bytes >= p.Total {
		eta = "0s"
	}
	if !b.tty {
		if p.Done {
			fmt.Fprintf(b.w, "quant: done: %d tensors, %s in %s\n", p.Count, humanBytes(p.Total), p.Elapsed.Round(time.Millisecond))
			return
		}
		fmt.Fprintf(b.w, "quant: [%d/%d] %s  %s/%s  eta %s\n", p.Index+1, p.Count, p.Tensor, humanBytes(p.Bytes), humanBytes(p.Total), eta)
		return
	}
	if !p.Done && time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := 1.0
	if p.Total > 0 {
		frac = float64(p.Bytes) / float64(p.Total)
	}
	fill := int(frac * width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%%  %d/%d tensors  %s/%s  eta %-8s %-40.40s",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, p.Index, p.Count,
		humanBytes(p.Bytes), humanBytes(p.Total), eta, filepath.Base(p.Tensor))
	if p.Done {
		fmt.Fprintln(b.w)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// defaultCheckPrompts are short texts of the kinds the appliance sees;
// each is scored teacher-forced, token by token.
var defaultCheckPrompts = []string{
	"The chest radiograph shows clear lungs without focal consolidation, pleural effusion or pneumothorax.",
	"<|im_start|>user\nWhat does a hypodense lesion in the liver on CT usually indicate?<|im_end|>\n<|im_start|>assistant\n",
	"Impression: No acute intracranial abnormality. Mild chronic small vessel ischemic changes.",
	"The quick brown fox jumps over the lazy dog, and then it runs back into the forest.",
	"def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
	"肺部CT显示右上叶有一个小结节，建议三个月后复查。",
}

// quantCheckOutput is `quant check --json`.
type quantCheckOutput struct {
	quant.ComparisonResult
	Prompts      int     `json:"prompts"`
	Tokens       int     `json:"tokens"`
	TokPerSRef   float64 `json:"tokens_per_s_ref"`
	TokPerSQuant float64 `json:"tokens_per_s_quant"`
	Ref          string  `json:"ref"`
	Quant        string  `json:"quant"`
}

// runQuantCheck implements `lingshu quant check --ref PATH --quant PATH
// [--prompts FILE] [--json]`: both models are run teacher-forced over the
// same token ids; KL(ref ‖ quant) of the next-token distributions at every
// position that has a next token, top-1 agreement, and each model's
// perplexity and speed.
func runQuantCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("quant check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ref := fs.String("ref", "", "reference model `path`")
	qnt := fs.String("quant", "", "quantized model `path`")
	promptsFile := fs.String("prompts", "", "`file` with one prompt per line (default: built-in prompts)")
	maxTokens := fs.Int("max-tokens", 256, "score at most `N` tokens of each prompt")
	asJSON := fs.Bool("json", false, "print JSON")
	mf := addModelFlags(fs)
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) > 0 || *ref == "" || *qnt == "" || *maxTokens < 2 {
		return usageError{"usage: lingshu quant check --ref PATH --quant PATH [--prompts FILE] [--max-tokens N] [--json]"}
	}
	prompts := defaultCheckPrompts
	if *promptsFile != "" {
		if prompts, err = readPrompts(*promptsFile); err != nil {
			return err
		}
	}
	rm, err := openModel(*ref, mf, stderr)
	if err != nil {
		return err
	}
	defer rm.Close()
	qm, err := openModel(*qnt, mf, stderr)
	if err != nil {
		return err
	}
	defer qm.Close()
	if rm.m.VocabSize() != qm.m.VocabSize() {
		return fmt.Errorf("quant check: vocab sizes differ: %d vs %d", rm.m.VocabSize(), qm.m.VocabSize())
	}
	out, err := compareModels(ctx, rm, qm, prompts, *maxTokens)
	if err != nil {
		return err
	}
	out.Ref, out.Quant = *ref, *qnt
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	printQuantCheck(stdout, out)
	return nil
}

func readPrompts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("quant check: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("quant check: %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("quant check: %s has no prompts", path)
	}
	return out, nil
}

// compareModels scores every prompt (encoded with the reference's
// tokenizer, special tokens recognised) with both models.
func compareModels(ctx context.Context, rm, qm *loadedModel, prompts []string, maxTokens int) (*quantCheckOutput, error) {
	var cmp quant.Comparison
	out := &quantCheckOutput{}
	var tRef, tQuant time.Duration
	for i, p := range prompts {
		ids := rm.tok.Encode(p, true)
		if len(ids) > maxTokens {
			ids = ids[:maxTokens]
		}
		if len(ids) < 2 {
			continue
		}
		lr, dr, err := allLogits(ctx, rm, ids)
		if err != nil {
			return nil, fmt.Errorf("quant check: prompt %d: reference: %w", i+1, err)
		}
		lq, dq, err := allLogits(ctx, qm, ids)
		if err != nil {
			return nil, fmt.Errorf("quant check: prompt %d: quantized: %w", i+1, err)
		}
		tRef, tQuant = tRef+dr, tQuant+dq
		v := rm.m.VocabSize()
		for p := 0; p+1 < len(ids); p++ {
			if err := cmp.Add(lr[p*v:(p+1)*v], lq[p*v:(p+1)*v], ids[p+1]); err != nil {
				return nil, fmt.Errorf("quant check: prompt %d position %d: %w", i+1, p, err)
			}
		}
		out.Prompts++
		out.Tokens += len(ids)
	}
	if out.Prompts == 0 {
		return nil, errors.New("quant check: no prompt has two or more tokens")
	}
	out.ComparisonResult = cmp.Result()
	out.TokPerSRef = float64(out.Tokens) / tRef.Seconds()
	out.TokPerSQuant = float64(out.Tokens) / tQuant.Seconds()
	return out, nil
}

// allLogits runs ids through a fresh session and returns every position's
// logits and the time the forward pass took.
func allLogits(ctx context.Context, lm *loadedModel, ids []int) ([]float32, time.Duration, error) {
	s, err := lm.m.Open(model.SessionOptions{MaxSeq: len(ids), Chunk: lm.chunk})
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	start := time.Now()
	logits, err := s.Forward(ctx, ids, true)
	return logits, time.Since(start), err
}

func printQuantCheck(w io.Writer, o *quantCheckOutput) {
	fmt.Fprintf(w, "reference  %s\nquantized  %s\n", o.Ref, o.Quant)
	fmt.Fprintf(w, "%d prompts, %d tokens, %d positions scored\n\n", o.Prompts, o.Tokens, o.Positions)
	fmt.Fprintf(w, "%-22s %14s\n", "metric", "value")
	for _, r := range []struct {
		name string
		v    float64
		f    string
	}{
		{"top-1 agreement", o.Top1Agreement, "%14.4f"},
		{"KLD mean (nats)", o.KLDMean, "%14.6g"},
		{"KLD p99 (nats)", o.KLDP99, "%14.6g"},
		{"KLD max (nats)", o.KLDMax, "%14.6g"},
		{"perplexity ref", o.PPLRef, "%14.4f"},
		{"perplexity quant", o.PPLQuant, "%14.4f"},
		{"tokens/s ref", o.TokPerSRef, "%14.1f"},
		{"tokens/s quant", o.TokPerSQuant, "%14.1f"},
	} {
		fmt.Fprintf(w, "%-22s "+r.f+"\n", r.name, r.v)
	}
}
