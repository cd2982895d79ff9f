package model

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels/cpu"
)

// scriptSession returns logits that make token (pos+1) % vocab the argmax,
// so greedy generation counts upwards.
type scriptSession struct {
	vocab, n, cap int
	calls         int
	onForward     func()
}

func (s *scriptSession) Forward(ctx context.Context, ids []int, all bool) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.calls++
	s.n += len(ids)
	if s.onForward != nil {
		s.onForward()
	}
	out := make([]float32, s.vocab)
	out[s.n%s.vocab] = 10
	return out, nil
}
func (s *scriptSession) Len() int     { return s.n }
func (s *scriptSession) Cap() int     { return s.cap }
func (s *scriptSession) Reset()       { s.n = 0 }
func (s *scriptSession) Close() error { return nil }

func TestGenerate_StopsOnEOSAndMaxTokens(t *testing.T) {
	s := &scriptSession{vocab: 10, cap: 100}
	var streamed []int
	res, err := Generate(context.Background(), s, []int{1, 2}, GenerateOptions{
		MaxTokens: 20, StopIDs: []int{6}, OnToken: func(id int) error { streamed = append(streamed, id); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 3, 4, 5}; !slices.Equal(res.IDs, want) || !slices.Equal(streamed, want) || res.Stop != StopEOS {
		t.Errorf("ids %v streamed %v stop %s", res.IDs, streamed, res.Stop)
	}
	s = &scriptSession{vocab: 10, cap: 100}
	res, err = Generate(context.Background(), s, []int{1}, GenerateOptions{MaxTokens: 3})
	if err != nil || len(res.IDs) != 3 || res.Stop != StopMaxTokens || s.calls != 3 {
		t.Errorf("ids %v stop %s calls %d err %v", res.IDs, res.Stop, s.calls, err)
	}
	s = &scriptSession{vocab: 10, cap: 4}
	res, err = Generate(context.Background(), s, []int{1, 2}, GenerateOptions{MaxTokens: 10})
	if err != nil || res.Stop != StopContext || s.n != 4 {
		t.Errorf("ids %v stop %s len %d err %v", res.IDs, res.Stop, s.n, err)
	}
}

func TestGenerate_CancelStopsWithinOneStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &scriptSession{vocab: 1000, cap: 1000}
	s.onForward = func() {
		if s.calls == 3 {
			cancel()
		}
	}
	res, err := Generate(ctx, s, []int{1}, GenerateOptions{MaxTokens: 500})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if s.calls != 3 || len(res.IDs) != 3 {
		t.Errorf("after cancel: %d forwards, %d ids", s.calls, len(res.IDs))
	}
}

func TestGenerate_Errors(t *testing.T) {
	s := &scriptSession{vocab: 10, cap: 3}
	if _, err := Generate(context.Background(), s, nil, GenerateOptions{MaxTokens: 1}); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := Generate(context.Background(), s, []int{1}, GenerateOptions{}); err == nil {
		t.Error("max tokens 0 accepted")
	}
	if _, err := Generate(context.Background(), s, []int{1, 2, 3, 4}, GenerateOptions{MaxTokens: 1}); err == nil {
		t.Error("prompt longer than the cache accepted")
	}
	stop := errors.New("enough")
	_, err := Generate(context.Background(), &scriptSession{vocab: 10, cap: 9}, []int{1}, GenerateOptions{MaxTokens: 5, OnToken: func(int) error { return stop }})
	if !errors.Is(err, stop) {
		t.Errorf("callback error not returned: %v", err)
	}
}

func TestSampler_GreedyAndSeeded(t *testing.T) {
	logits := []float32{1, 3, 3, float32(math.NaN()), 2}
	if got := NewSampler(SamplerOptions{}).Sample(logits); got != 1 {
		t.Errorf("greedy = %d, want 1 (lowest id of the tie)", got)
	}
	draw := func(o SamplerOptions) []int {
		s := NewSampler(o)
		var out []int
		for range 200 {
			out = append(out, s.Sample(logits))
		}
		return out
	}
	o := SamplerOptions{Temperature: 1, Seed: 3}
	a, b := draw(o), draw(o)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different draws")
	}
	if slices.Contains(a, 3) {
		t.Error("NaN logit sampled")
	}
	o.Seed = 4
	if slices.Equal(a, draw(o)) {
		t.Error("different seeds gave the same 200 draws")
	}
	for _, id := range draw(SamplerOptions{Temperature: 1, TopK: 2, Seed: 1}) {
		if id != 1 && id != 2 {
			t.Fatalf("top-k 2 drew %d", id)
		}
	}
	for _, id := range draw(SamplerOptions{Temperature: 1, TopP: 0.5, Seed: 1}) {
		if id != 1 && id != 2 { // 1 and 2 each hold ~0.4 of the mass
			t.Fatalf("top-p 0.5 drew %d", id)
		}
	}
	for _, id := range draw(SamplerOptions{Temperature: 5, Allowed: 2, Seed: 1}) {
		if id >= 2 {
			t.Fatalf("allowed 2 drew %d", id)
		}
	}
}

func TestSampler_Distribution(t *testing.T) {
	logits := []float32{0, float32(math.Log(3))} // p = 1/4, 3/4
	s := NewSampler(SamplerOptions{Temperature: 1, Seed: 9})
	ones := 0
	const n = 20000
	for range n {
		ones += s.Sample(logits)
	}
	if f := float64(ones) / n; math.Abs(f-0.75) > 0.02 {
		t.Errorf("sampled id 1 with frequency %.3f, want 0.75", f)
	}
}

func TestTopKAndArgmax(t *testing.T) {
	v := []float32{1, 5, float32(math.NaN()), 5, 3}
	if got := TopK(v, 3); !slices.Equal(got, []int{1, 3, 4}) {
		t.Errorf("TopK = %v", got)
	}
	if got := TopK(v, 0); len(got) != 0 {
		t.Errorf("TopK k=0 = %v", got)
	}
	if got := Argmax(v); got != 1 {
		t.Errorf("Argmax = %d", got)
	}
}

func TestKVCache_Sizing(t *testing.T) {
	spec := KVSpec{Layers: 24, KVHeads: 2, HeadDim: 64, MaxSeq: 4096}
	if got, want := spec.Bytes(), int64(24*2*4096*128*4); got != want {
		t.Errorf("Bytes = %d, want %d", got, want)
	}
	be := cpu.New(1)
	defer be.Close()
	c, err := NewKVCache(be, KVSpec{Layers: 2, KVHeads: 2, HeadDim: 4, MaxSeq: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 2 || !c.Layers[1].V.Shape().Equal([]int{3, 8}) {
		t.Errorf("cache layers %v", c.Layers)
	}
	c.Free(be)
	if _, err := NewKVCache(be, KVSpec{}); err == nil {
		t.Error("empty spec accepted")
	}
}
