package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/dicom/pixel"
	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// vlmFlags are the generation flags `ask` and `report` share.
type vlmFlags struct {
	model          string
	maxTokens, ctx int
	maxPixels      int
	sampler        model.SamplerOptions
	asJSON, stats  bool
	mf             modelFlags
}

func addVLMFlags(fs *flag.FlagSet, v *vlmFlags, maxTokens int) {
	fs.StringVar(&v.model, "model", "", "model `path`: Qwen2.5-VL / Lingshu Hugging Face folder")
	fs.IntVar(&v.maxTokens, "max-tokens", maxTokens, "generate at most `N` tokens")
	fs.IntVar(&v.ctx, "ctx", 0, "context `tokens` for prompt, image tokens and answer (0: max_position_embeddings)")
	fs.IntVar(&v.maxPixels, "max-pixels", 0, "resize each image to at most `N` pixels before the vision tower (0: preprocessor_config.json)")
	fs.Float64Var(&v.sampler.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	fs.IntVar(&v.sampler.TopK, "top-k", 40, "sample among the `K` most likely tokens (0: all)")
	fs.Float64Var(&v.sampler.TopP, "top-p", 0.95, "nucleus sampling mass (1: off)")
	fs.Uint64Var(&v.sampler.Seed, "seed", 0, "random `seed` for sampling")
	fs.BoolVar(&v.asJSON, "json", false, "print one JSON object (text, ids, timings) instead of streaming")
	fs.BoolVar(&v.stats, "stats", false, "print per-stage timings to stderr")
	v.mf = addModelFlags(fs)
}

func (v *vlmFlags) check(cmd string) error {
	if v.maxTokens <= 0 || v.sampler.Temperature < 0 || v.ctx < 0 || v.maxPixels < 0 {
		return usageError{cmd + ": --max-tokens must be > 0; --temperature, --ctx and --max-pixels ≥ 0"}
	}
	return nil
}

func (v *vlmFlags) options(onToken func(int) error) vlm.Options {
	return vlm.Options{MaxTokens: v.maxTokens, Sampler: v.sampler, Context: v.ctx, MaxPixels: v.maxPixels, OnToken: onToken}
}

// imageList collects repeated --image flags.
type imageList []string

func (l *imageList) String() string     { return strings.Join(*l, ",") }
func (l *imageList) Set(s string) error { *l = append(*l, s); return nil }

// timingsMS is `timings_ms` of `ask --json` and `report --json`, in
// milliseconds.
type timingsMS struct {
	Load       float64  `json:"load"`
	Hash       *float64 `json:"hash,omitempty"`
	Render     float64  `json:"render"`
	Preprocess float64  `json:"preprocess"`
	Vision     float64  `json:"vision"`
	Prefill    float64  `json:"prefill"`
	Decode     float64  `json:"decode"`
	Total      float64  `json:"total"`
}

// rates is `tokens_per_s`: prompt tokens (image tokens included) per
// second of prefill, generated tokens after the first per second of decode.
type rates struct {
	Prefill float64 `json:"prefill"`
	Decode  float64 `json:"decode"`
}

// askOutput is the JSON shape of `ask --json`.
type askOutput struct {
	Text         string    `json:"text"`
	IDs          []int     `json:"ids"`
	Stop         string    `json:"stop"`
	PromptTokens int       `json:"prompt_tokens"`
	ImageTokens  int       `json:"image_tokens"`
	Images       []askImg  `json:"images"`
	TimingsMS    timingsMS `json:"timings_ms"`
	TokensPerS   rates     `json:"tokens_per_s"`
}

// askImg is one image of askOutput.
type askImg struct {
	File   string `json:"file"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Resize [2]int `json:"resized_wh"`
	Tokens int    `json:"tokens"`
}

// runAsk implements `lingshu ask --model PATH --image FILE [--image
// FILE...] QUESTION [--json]`: FILE is a DICOM file (rendered with its
// modality LUT and VOI window, frame 0), a PNG or a JPEG. The answer
// streams to stdout as it is generated, or one JSON object is printed
// with --json.
func runAsk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var v vlmFlags
	var images imageList
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&images, "image", "image `FILE` (.dcm, .png, .jpg); repeat for several")
	addVLMFlags(fs, &v, 256)
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	const usage = "usage: lingshu ask --model PATH --image FILE [--image FILE...] QUESTION [--max-tokens N] [--temperature T] [--seed S] [--json]"
	if len(pos) != 1 || v.model == "" || len(images) == 0 || strings.TrimSpace(pos[0]) == "" {
		return usageError{usage}
	}
	if err := v.check("ask"); err != nil {
		return err
	}
	start := time.Now()
	var tm timingsMS
	imgs := make([]image.Image, len(images))
	for i, path := range images { // before the model: a bad file fails fast
		var err error
		if imgs[i], err = loadImage(path); err != nil {
			return fmt.Errorf("ask: %w", err)
		}
	}
	tm.Render = ms(time.Since(start))
	t0 := time.Now()
	m, be, err := openVLM(v.model, v.mf, stderr)
	if err != nil {
		return err
	}
	defer be.Close()
	defer m.Close()
	tm.Load = ms(time.Since(t0))
	res, err := askStream(ctx, m, imgs, pos[0], &v, stdout)
	fillTimings(&tm, res, start)
	if v.stats {
		printVLMStats(stderr, tm, res)
	}
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	if !v.asJSON {
		return nil
	}
	out := askOutput{Text: res.Text, IDs: nonNil(res.IDs), Stop: res.Stop, PromptTokens: res.PromptTokens,
		ImageTokens: res.ImageTokens, TimingsMS: tm, TokensPerS: tokenRates(res)}
	for i, im := range res.Images {
		out.Images = append(out.Images, askImg{File: images[i], Width: im.Width, Height: im.Height,
			Resize: [2]int{im.ResizedW, im.ResizedH}, Tokens: im.Tokens})
	}
	return json.NewEncoder(stdout).Encode(out)
}

// askStream runs m.Ask, streaming decoded text to stdout unless --json.
func askStream(ctx context.Context, m *vlm.Model, imgs []image.Image, question string, v *vlmFlags, stdout io.Writer) (*vlm.Result, error) {
	var onToken func(int) error
	stream := m.Tok.NewStreamDecoder()
	if !v.asJSON {
		onToken = func(id int) error {
			_, err := io.WriteString(stdout, stream.Push(id))
			return err
		}
	}
	res, err := m.Ask(ctx, imgs, question, v.options(onToken))
	if err == nil && !v.asJSON {
		_, err = fmt.Fprintln(stdout, stream.Flush())
	}
	return res, err
}

// openVLM opens the backend and the Qwen2.5-VL model at path.
func openVLM(path string, f modelFlags, stderr io.Writer) (*vlm.Model, kernels.Backend, error) {
	be, err := openBackend(path, f, stderr)
	if err != nil {
		return nil, nil, err
	}
	m, err := vlm.Open(path, be)
	if err != nil {
		be.Close()
		return nil, nil, err
	}
	return m, be, nil
}

// loadImage reads an image for the model: a DICOM file (Part 10, or a
// bare dataset named .dcm) is rendered by dicom/pixel — frame 0, modality
// LUT, the file's VOI window or an automatic one, MONOCHROME1 inverted,
// grey as *image.Gray (the model repeats it into R, G, B) — and anything
// else is decoded by image.Decode (PNG, JPEG).
func loadImage(path string) (image.Image, error) {
	return pixel.LoadImage(path, pixel.Options{})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fillTimings copies res's stage times into tm and sets the total since start.
func fillTimings(tm *timingsMS, res *vlm.Result, start time.Time) {
	if res != nil {
		tm.Preprocess, tm.Vision = ms(res.Timings.Preprocess), ms(res.Timings.Vision)
		tm.Prefill, tm.Decode = ms(res.Timings.Prefill), ms(res.Timings.Decode)
	}
	tm.Total = ms(time.Since(start))
}

func tokenRates(res *vlm.Result) rates {
	var r rates
	if s := res.Timings.Prefill.Seconds(); s > 0 {
		r.Prefill = float64(res.PromptTokens) / s
	}
	if s := res.Timings.Decode.Seconds(); s > 0 && len(res.IDs) > 1 {
		r.Decode = float64(len(res.IDs)-1) / s
	}
	return r
}

func printVLMStats(w io.Writer, tm timingsMS, res *vlm.Result) {
	if res == nil {
		return
	}
	r := tokenRates(res)
	hash := ""
	if tm.Hash != nil {
		hash = fmt.Sprintf(" hash %.0f ms;", *tm.Hash)
	}
	fmt.Fprintf(w, "load %.0f ms;%s render %.1f ms; preprocess %.1f ms; vision %.1f ms; prefill (%d prompt tokens, %d of them image) %.1f ms (%.1f tok/s); decode %d tokens %.1f ms (%.1f tok/s); stop %s; total %.0f ms\n",
		tm.Load, hash, tm.Render, tm.Preprocess, tm.Vision, res.PromptTokens, res.ImageTokens, tm.Prefill, r.Prefill,
		len(res.IDs), tm.Decode, r.Decode, res.Stop, tm.Total)
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
