package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// GenerateOptions controls Generate.
type GenerateOptions struct {
	MaxTokens int            // generated tokens at most; must be > 0
	Sampler   SamplerOptions // greedy by default
	StopIDs   []int          // end-of-sequence ids (tokenizer / generation_config)
	// OnToken is called with each generated id as soon as it is chosen
	// (stop ids excluded); an error stops generation and is returned.
	OnToken func(id int) error
}

// Stop reasons reported in Result.
const (
	StopEOS       = "eos"
	StopMaxTokens = "max_tokens"
	StopContext   = "context_full"
)

// Result is what Generate produced.
type Result struct {
	IDs          []int  // generated ids, stop id excluded
	Stop         string // StopEOS, StopMaxTokens or StopContext
	PromptTokens int
	Prefill      time.Duration
	Decode       time.Duration // all decode steps together
}

// Generate feeds prompt into a fresh or continuing session, then samples
// one token per step through the KV cache until a stop id, MaxTokens or
// a full cache. Cancelling ctx stops it within one decode step; the
// partial result is returned with ctx's error.
func Generate(ctx context.Context, s Session, prompt []int, opts GenerateOptions) (res Result, err error) {
	res.PromptTokens = len(prompt)
	if len(prompt) == 0 {
		return res, errors.New("model: generate: empty prompt")
	}
	if opts.MaxTokens <= 0 {
		return res, fmt.Errorf("model: generate: max tokens %d", opts.MaxTokens)
	}
	if s.Len()+len(prompt) > s.Cap() {
		return res, fmt.Errorf("model: generate: prompt of %d tokens after %d exceeds the context of %d", len(prompt), s.Len(), s.Cap())
	}
	sampler := NewSampler(opts.Sampler)
	t0 := time.Now()
	logits, err := s.Forward(ctx, prompt, false)
	res.Prefill = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("model: generate: prefill: %w", err)
	}
	t1 := time.Now()
	defer func() { res.Decode = time.Since(t1) }()
	for {
		id := sampler.Sample(logits)
		if slices.Contains(opts.StopIDs, id) {
			res.Stop = StopEOS
			return res, nil
		}
		res.IDs = append(res.IDs, id)
		if opts.OnToken != nil {
			if err := opts.OnToken(id); err != nil {
				return res, err
			}
		}
		if len(res.IDs) >= opts.MaxTokens {
			res.Stop = StopMaxTokens
			return res, nil
		}
		if s.Len() >= s.Cap() {
			res.Stop = StopContext
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("model: generate: %w", err)
		}
		if logits, err = s.Forward(ctx, []int{id}, false); err != nil {
			return res, fmt.Errorf("model: generate: step %d: %w", len(res.IDs), err)
		}
	}
}
