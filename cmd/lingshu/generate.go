package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/tokenizer"
)

// generateOutput is the JSON shape of `generate --json`.
type generateOutput struct {
	IDs  []int  `json:"ids"`
	Text string `json:"text"`
}

// generateFlags are generate's options.
type generateFlags struct {
	model, prompt, chat string
	maxTokens, ctx      int
	sampler             model.SamplerOptions
	asJSON, stats       bool
	mf                  modelFlags
}

// runGenerate implements `lingshu generate --model PATH --prompt TEXT |
// --chat TEXT [--max-tokens N] [--temperature T] [--seed S] [--json]`:
// the generated text streams to stdout as it is produced, or
// {"ids":[...],"text":"…"} (generated tokens only) is printed with --json.
func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g, err := parseGenerateFlags(args, stderr)
	if err != nil {
		return err
	}
	lm, err := openModel(g.model, g.mf, stderr)
	if err != nil {
		return err
	}
	defer lm.Close()
	prompt, err := generatePrompt(lm.tok, g)
	if err != nil {
		return err
	}
	maxSeq := g.ctx
	if maxSeq <= 0 {
		maxSeq = min(lm.m.MaxContext(), len(prompt)+g.maxTokens)
	}
	s, err := lm.m.Open(model.SessionOptions{MaxSeq: maxSeq, Chunk: lm.chunk})
	if err != nil {
		return err
	}
	defer s.Close()
	g.sampler.Allowed = lm.tok.VocabSize()
	opts := model.GenerateOptions{MaxTokens: g.maxTokens, Sampler: g.sampler, StopIDs: lm.tok.EOSIDs()}
	stream := lm.tok.NewStreamDecoder()
	if !g.asJSON {
		opts.OnToken = func(id int) error {
			_, err := io.WriteString(stdout, stream.Push(id))
			return err
		}
	}
	res, err := model.Generate(ctx, s, prompt, opts)
	if g.stats {
		printStats(stderr, res)
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if g.asJSON {
		ids := res.IDs
		if ids == nil {
			ids = []int{}
		}
		return json.NewEncoder(stdout).Encode(generateOutput{IDs: ids, Text: lm.tok.Decode(res.IDs)})
	}
	_, err = fmt.Fprintln(stdout, stream.Flush())
	return err
}

func parseGenerateFlags(args []string, stderr io.Writer) (*generateFlags, error) {
	g := &generateFlags{}
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.model, "model", "", "model `path`: Hugging Face folder or GGUF file")
	fs.StringVar(&g.prompt, "prompt", "", "raw prompt `text` (special tokens recognised)")
	fs.StringVar(&g.chat, "chat", "", "user message `text`, wrapped in the chat template")
	fs.IntVar(&g.maxTokens, "max-tokens", 256, "generate at most `N` tokens")
	fs.IntVar(&g.ctx, "ctx", 0, "KV cache `positions` (0: prompt + max tokens)")
	fs.Float64Var(&g.sampler.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	fs.IntVar(&g.sampler.TopK, "top-k", 40, "sample among the `K` most likely tokens (0: all)")
	fs.Float64Var(&g.sampler.TopP, "top-p", 0.95, "nucleus sampling mass (1: off)")
	fs.Uint64Var(&g.sampler.Seed, "seed", 0, "random `seed` for sampling")
	fs.BoolVar(&g.asJSON, "json", false, `print {"ids":[...],"text":"…"} instead of streaming`)
	fs.BoolVar(&g.stats, "stats", false, "print prefill and decode speed to stderr")
	g.mf = addModelFlags(fs)
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	const usage = "usage: lingshu generate --model PATH --prompt TEXT | --chat TEXT [--max-tokens N] [--temperature T] [--seed S] [--json]"
	switch {
	case len(pos) > 0:
		return nil, usageError{fmt.Sprintf("generate: unexpected argument %q; %s", pos[0], usage)}
	case g.model == "" || (g.prompt == "") == (g.chat == ""):
		return nil, usageError{usage}
	case g.maxTokens <= 0 || g.sampler.Temperature < 0:
		return nil, usageError{"generate: --max-tokens must be > 0 and --temperature ≥ 0"}
	}
	return g, nil
}

// generatePrompt encodes --prompt as raw text or --chat through the
// chat template (default system prompt, generation prompt added).
func generatePrompt(tok *tokenizer.Tokenizer, g *generateFlags) ([]int, error) {
	if g.chat == "" {
		return tok.Encode(g.prompt, true), nil
	}
	ids, err := tok.EncodeChat([]tokenizer.Message{tokenizer.TextMessage("user", g.chat)}, tokenizer.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		return nil, fmt.Errorf("generate: chat template: %w", err)
	}
	return ids, nil
}

func printStats(w io.Writer, r model.Result) {
	rate := func(n int, d float64) float64 {
		if d <= 0 {
			return 0
		}
		return float64(n) / d
	}
	fmt.Fprintf(w, "prompt %d tokens in %.0f ms (%.1f tok/s); generated %d tokens in %.0f ms (%.1f tok/s); stop %s\n",
		r.PromptTokens, r.Prefill.Seconds()*1000, rate(r.PromptTokens, r.Prefill.Seconds()),
		len(r.IDs), r.Decode.Seconds()*1000, rate(max(len(r.IDs)-1, 0), r.Decode.Seconds()), r.Stop)
}
