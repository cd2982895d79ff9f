package harness

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/lingshu-edge/lingshu/eval/datasets"
)

// Settings are the generation settings; every field is part of the cache
// key. The defaults follow MedEvalKit's eval.sh: greedy (TEMPERATURE=0).
type Settings struct {
	MaxTokens   int     `json:"max_tokens"`
	MaxPixels   int     `json:"max_pixels"` // 0: the processor's default
	Context     int     `json:"context"`    // 0: the model's maximum
	Temperature float64 `json:"temperature"`
	Seed        uint64  `json:"seed"`
	Reasoning   bool    `json:"reasoning"` // MedEvalKit REASONING prompts
}

// Output is one generation.
type Output struct {
	Text         string
	Tokens       int
	PromptTokens int
	Stop         string
}

// Generator produces the answer to one prompt with its images.
type Generator interface {
	Generate(ctx context.Context, images []image.Image, prompt string) (Output, error)
}

// ModelInfo describes the evaluated model for the manifest and cache key.
type ModelInfo struct {
	Path    string  `json:"path"`
	Hash    string  `json:"hash"`
	Format  string  `json:"format"` // safetensors | gguf
	DType   string  `json:"dtype"`  // of the token embedding: BF16, F16, F32, Q8_0
	Backend string  `json:"backend"`
	LoadMS  float64 `json:"load_ms"`
	HashMS  float64 `json:"hash_ms"`
}

// Dataset is one loaded benchmark.
type Dataset struct {
	Name, Path string
	Samples    []datasets.Sample
}

// Config is one evaluation run.
type Config struct {
	Model    ModelInfo
	Gen      Generator
	Settings Settings
	Datasets []Dataset
	OutDir   string // manifest.json and results.jsonl
	CacheDir string // default OutDir/cache
	Limit    int    // first N samples of each dataset; 0: all
	Judge    Judge  // nil: open answers by exact match, model-based report metrics "not computed"
	Progress io.Writer
	Terminal bool // redraw a bar in place instead of printing lines
	Log      *slog.Logger
}

// Result is one line of results.jsonl.
type Result struct {
	Dataset string `json:"dataset"`
	datasets.Sample
	Response string  `json:"response"`
	Cached   bool    `json:"cached"`
	Tokens   int     `json:"tokens"`
	Stop     string  `json:"stop,omitempty"`
	MS       float64 `json:"ms"` // generation time when it was computed
	Score    Score   `json:"score"`
	Error    string  `json:"error,omitempty"`
}

// Run generates (or takes from the cache) an answer for every sample,
// scores it, and writes results.jsonl and manifest.json to cfg.OutDir.
// Samples run one after another: one in-process model answers one request
// at a time (vlm.Model.Ask), and the CPU backend already uses every core
// inside each request. Cancelling ctx stops after the current sample; the
// files are still written (status "interrupted") and every finished sample
// is in the cache, so the next run resumes there.
func Run(ctx context.Context, cfg Config) (*Manifest, error) {
	if cfg.Gen == nil || cfg.Model.Hash == "" || cfg.OutDir == "" {
		return nil, errors.New("harness: run needs a generator, a model hash and an output folder")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.OutDir, "cache")
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	man := newManifest(cfg)
	total := 0
	for _, d := range cfg.Datasets {
		total += min(len(d.Samples), limitOr(cfg.Limit, len(d.Samples)))
	}
	prog := newProgress(cfg.Progress, cfg.Terminal, total)
	var results []Result
	var runErr error
	for di, d := range cfg.Datasets {
		t0 := time.Now()
		n := min(len(d.Samples), limitOr(cfg.Limit, len(d.Samples)))
		for _, s := range d.Samples[:n] {
			if err := ctx.Err(); err != nil {
				runErr = err
				break
			}
			r, err := runSample(ctx, cfg, d.Name, s)
			if err != nil { // cancelled mid-sample: not counted, not cached
				runErr = err
				break
			}
			man.count(di, r)
			results = append(results, r)
			prog.step(d.Name, r.Cached)
		}
		man.Datasets[di].MS += msSince(t0)
		if runErr != nil {
			break
		}
	}
	man.finish(runErr)
	if err := writeResults(filepath.Join(cfg.OutDir, "results.jsonl"), results); err != nil {
		return man, err
	}
	if err := man.write(filepath.Join(cfg.OutDir, "manifest.json")); err != nil {
		return man, err
	}
	if runErr != nil {
		return man, fmt.Errorf("harness: run interrupted after %d of %d samples: %w", len(results), total, runErr)
	}
	return man, nil
}

func limitOr(limit, n int) int {
	if limit > 0 {
		return limit
	}
	return n
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// runSample answers one sample from the cache or the model. Only a
// cancelled context is returned as an error; other failures are recorded
// in the Result.
func runSample(ctx context.Context, cfg Config, dataset string, s datasets.Sample) (Result, error) {
	r := Result{Dataset: dataset, Sample: s}
	cache := Cache{Dir: cfg.CacheDir}
	key := Key(cfg.Model.Hash, dataset, s, cfg.Settings)
	if e, ok := cache.Get(key); ok {
		r.Response, r.Cached, r.Tokens, r.Stop, r.MS = e.Text, true, e.Tokens, e.Stop, e.MS
	} else {
		imgs := make([]image.Image, len(s.Images))
		for i, ref := range s.Images {
			img, err := LoadImage(ref)
			if err != nil {
				r.Error = err.Error()
				return r, nil
			}
			imgs[i] = img
		}
		t0 := time.Now()
		out, err := cfg.Gen.Generate(ctx, imgs, s.Prompt)
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if err != nil {
			r.Error = err.Error()
			cfg.Log.Warn("sample failed", "dataset", dataset, "id", s.ID, "err", err)
			return r, nil
		}
		r.Response, r.Tokens, r.Stop, r.MS = out.Text, out.Tokens, out.Stop, msSince(t0)
		e := Entry{Key: key, ModelHash: cfg.Model.Hash, Dataset: dataset, SampleID: s.ID, Text: out.Text,
			Tokens: out.Tokens, PromptTokens: out.PromptTokens, Stop: out.Stop, MS: r.MS}
		if err := cache.Put(e); err != nil {
			return r, err
		}
	}
	r.Score = ScoreSample(s, r.Response)
	if cfg.Judge != nil && s.Kind == datasets.Open {
		if err := judgeSample(ctx, cfg, key, &r); err != nil {
			return r, err
		}
	}
	if cfg.Judge != nil && s.Kind == datasets.Report {
		if err := greenSample(ctx, cfg, key, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// greenSample grades a generated report with GREEN through the judge
// (cached like generations); a reply that cannot be read leaves GREEN
// unset and says why in Score.Judge.
func greenSample(ctx context.Context, cfg Config, key string, r *Result) error {
	h := sha256.Sum256([]byte("green\x00" + cfg.Judge.Name() + "\x00" + key + "\x00" + r.Response))
	jkey := hex.EncodeToString(h[:])
	jc := Cache{Dir: filepath.Join(cfg.CacheDir, "judge")}
	e, ok := jc.Get(jkey)
	if !ok {
		score, raw, err := GREEN(ctx, cfg.Judge, r.Answer, r.Response)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			r.Score.Judge = "error: " + err.Error()
			return nil
		}
		e = Entry{Key: jkey, Text: raw, Score: &score}
		if err := jc.Put(e); err != nil {
			return err
		}
	}
	r.Score.GREEN, r.Score.Judge = e.Score, "green"
	return nil
}

// judgeSample asks the judge (cached like generations) and lets its
// verdict decide Correct.
func judgeSample(ctx context.Context, cfg Config, key string, r *Result) error {
	h := sha256.Sum256([]byte(cfg.Judge.Name() + "\x00" + key + "\x00" + r.Response))
	jkey := hex.EncodeToString(h[:])
	jc := Cache{Dir: filepath.Join(cfg.CacheDir, "judge")}
	e, ok := jc.Get(jkey)
	if !ok {
		verdict, raw, err := Verdict(ctx, cfg.Judge, r.Question, r.Answer, r.Response)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			r.Score.Judge = "error: " + err.Error()
			return nil
		}
		e = Entry{Key: jkey, Text: raw, Stop: map[bool]string{true: "correct", false: "incorrect"}[verdict]}
		if err := jc.Put(e); err != nil {
			return err
		}
	}
	r.Score.Judge = e.Stop
	r.Score.Correct = ptr(e.Stop == "correct")
	return nil
}

func writeResults(path string, rs []Result) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".results-*")
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("harness: results: %w", err)
		}
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("harness: results: %w", err)
	}
	return os.Rename(f.Name(), path)
}

// goVersion is reported in the manifest.
func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
