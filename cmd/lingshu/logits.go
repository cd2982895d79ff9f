package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/auto"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/tokenizer"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// idLogit is one entry of `model logits --json`.
type idLogit struct {
	ID    int     `json:"id"`
	Logit float32 `json:"logit"`
}

// logitsOutput is the JSON shape of `model logits --json`.
type logitsOutput struct {
	PromptIDs []int     `json:"prompt_ids"`
	Top       []idLogit `json:"top"`
	Selected  []idLogit `json:"selected"`
}

// runModelLogits implements `lingshu model logits PATH --prompt TEXT
// [--top K] [--ids I,J,...] [--json]`: the logits of the last prompt
// position, the prompt parsed with special tokens recognised.
func runModelLogits(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("model logits", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prompt := fs.String("prompt", "", "prompt `text` (special tokens such as <|im_start|> are recognised)")
	top := fs.Int("top", 10, "show the `K` largest logits")
	ids := fs.String("ids", "", "also show the logits of these comma-separated `ids`")
	asJSON := fs.Bool("json", false, "print JSON")
	mf := addModelFlags(fs)
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) != 1 || *prompt == "" || *top < 0 {
		return usageError{"usage: lingshu model logits PATH --prompt TEXT [--top K] [--ids I,J,...] [--json]"}
	}
	selected, err := parseIDs(*ids)
	if err != nil {
		return usageError{err.Error()}
	}
	lm, err := openModel(pos[0], mf, stderr)
	if err != nil {
		return err
	}
	defer lm.Close()
	out, err := lastLogits(ctx, lm, *prompt, *top, selected)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	printLogits(stdout, lm.tok, out)
	return nil
}

// lastLogits runs the prompt and collects the top and selected logits.
func lastLogits(ctx context.Context, lm *loadedModel, prompt string, top int, selected []int) (*logitsOutput, error) {
	promptIDs := lm.tok.Encode(prompt, true)
	if len(promptIDs) == 0 {
		return nil, fmt.Errorf("model logits: prompt encodes to no tokens")
	}
	s, err := lm.m.Open(model.SessionOptions{MaxSeq: len(promptIDs), Chunk: lm.chunk})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	logits, err := s.Forward(ctx, promptIDs, false)
	if err != nil {
		return nil, fmt.Errorf("model logits: %w", err)
	}
	out := &logitsOutput{PromptIDs: promptIDs, Top: []idLogit{}, Selected: []idLogit{}}
	for _, id := range model.TopK(logits, top) {
		out.Top = append(out.Top, idLogit{id, logits[id]})
	}
	for _, id := range selected {
		if id < 0 || id >= len(logits) {
			return nil, fmt.Errorf("model logits: id %d outside the vocab of %d", id, len(logits))
		}
		out.Selected = append(out.Selected, idLogit{id, logits[id]})
	}
	return out, nil
}

func printLogits(w io.Writer, tok *tokenizer.Tokenizer, out *logitsOutput) {
	fmt.Fprintf(w, "prompt ids (%d): %v\n", len(out.PromptIDs), out.PromptIDs)
	for _, sec := range []struct {
		name string
		rows []idLogit
	}{{"top", out.Top}, {"selected", out.Selected}} {
		if len(sec.rows) == 0 {
			continue
		}
		fmt.Fprintln(w, sec.name+":")
		for _, r := range sec.rows {
			fmt.Fprintf(w, "  %8d %12.6f  %q\n", r.ID, r.Logit, tok.Decode([]int{r.ID}))
		}
	}
}

// parseIDs reads "1,2,3".
func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("--ids: %q is not an id", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// modelFlags are the flags every model command shares.
type modelFlags struct {
	backend *string
	threads *int
	chunk   *int
}

func addModelFlags(fs *flag.FlagSet) modelFlags {
	return modelFlags{
		backend: fs.String("backend", "auto", "compute backend: auto, cpu, cuda or cuda:N"),
		threads: fs.Int("threads", 0, "CPU worker threads (0: all cores)"),
		chunk:   fs.Int("chunk", 0, "prompt tokens per prefill pass (0: default)"),
	}
}

// loadedModel is a decoder, its tokenizer and the backend it runs on.
type loadedModel struct {
	ck    *weights.Checkpoint
	be    kernels.Backend
	m     *qwen2.Model
	tok   *tokenizer.Tokenizer
	chunk int
}

// openModel opens path (HF folder or GGUF), its tokenizer and the backend.
func openModel(path string, f modelFlags, stderr io.Writer) (*loadedModel, error) {
	ck, err := weights.Open(path)
	if err != nil {
		return nil, err
	}
	lm := &loadedModel{ck: ck, chunk: *f.chunk}
	if ck.Format == weights.FormatGGUF {
		lm.tok, err = tokenizer.FromGGUFMeta(ck.GGUFMeta)
	} else {
		lm.tok, err = tokenizer.LoadDir(ck.Dir)
	}
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("open model %s: tokenizer: %w", path, err)
	}
	be, err := openBackend(path, f, stderr)
	if err != nil {
		ck.Close()
		return nil, err
	}
	lm.be = be
	if lm.m, err = qwen2.Load(ck, be); err != nil {
		lm.Close()
		return nil, fmt.Errorf("open model %s: %w", path, err)
	}
	return lm, nil
}

// Close releases the backend and unmaps the checkpoint.
func (lm *loadedModel) Close() {
	if lm.be != nil {
		lm.be.Close()
	}
	lm.ck.Close()
}

// openBackend opens the backend the flags ask for, sized for the model at
// path: "auto" takes a GPU only when the weights and their working memory
// fit in its free memory. The choice is logged at Info, which the CLI
// keeps quiet; a GPU that exists but fails to start is a warning on stderr.
func openBackend(path string, f modelFlags, stderr io.Writer) (kernels.Backend, error) {
	need, err := weights.DeviceBytes(path)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	be, _, err := auto.Open(*f.backend, auto.Options{Threads: *f.threads, NeedBytes: need, Logger: log})
	return be, err
}
