package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/harness"
	"github.com/lingshu-edge/lingshu/eval/report"
)

// datasetList collects repeated --dataset NAME[:LABEL]=PATH flags: NAME
// picks the loader, LABEL (default NAME) names the set in the run, so two
// sets of one format ("jsonl:ward-a=…", "jsonl:ward-b=…") stay apart.
type datasetList []evalSet

type evalSet struct{ loader, label, path string }

func (l *datasetList) String() string { return fmt.Sprint(*l) }
func (l *datasetList) Set(s string) error {
	spec, path, ok := strings.Cut(s, "=")
	name, label, _ := strings.Cut(spec, ":")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME[:LABEL]=PATH, got %q (names: %s)", s, strings.Join(datasets.Names(), ", "))
	}
	if _, ok := datasets.Lookup(name); !ok {
		return fmt.Errorf("unknown dataset %q (names: %s)", name, strings.Join(datasets.Names(), ", "))
	}
	if label == "" {
		label = name
	}
	for _, x := range *l {
		if x.label == label {
			return fmt.Errorf("dataset %q given twice; name the second NAME:LABEL=PATH", label)
		}
	}
	*l = append(*l, evalSet{name, label, path})
	return nil
}

const evalRunUsage = "usage: lingshu eval run --model PATH --dataset NAME=PATH [--dataset NAME=PATH...] [--limit N] [--out DIR] [--max-tokens N] [--max-pixels N] [--judge-url URL --judge-model M | --judge-self] [--progress auto|bar|lines|none]"

// runEvalRun implements `lingshu eval run`: load each dataset from its
// native files, answer every sample with the model in this process
// (greedy, as MedEvalKit), cache each answer, score, and write
// manifest.json and results.jsonl to --out. Rerunning with the same --out
// resumes an interrupted run and recomputes nothing.
func runEvalRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sets datasetList
	var st harness.Settings
	fs := flag.NewFlagSet("eval run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelPath := fs.String("model", "", "model `path`: Hugging Face folder or GGUF file")
	fs.Var(&sets, "dataset", "benchmark as `NAME[:LABEL]=PATH`; repeat (names: "+strings.Join(datasets.Names(), ", ")+")")
	limit := fs.Int("limit", 0, "evaluate the first `N` samples of each dataset (0: all)")
	out := fs.String("out", "eval-run", "output `folder`: manifest.json, results.jsonl, cache/")
	cacheDir := fs.String("cache", "", "answer cache `folder` (default OUT/cache); share it between runs to reuse answers")
	fs.IntVar(&st.MaxTokens, "max-tokens", 512, "generate at most `N` tokens per answer")
	fs.IntVar(&st.MaxPixels, "max-pixels", 0, "resize each image to at most `N` pixels (0: preprocessor_config.json)")
	fs.IntVar(&st.Context, "ctx", 0, "context `tokens` per request (0: the model's maximum)")
	fs.Float64Var(&st.Temperature, "temperature", 0, "sampling temperature (0: greedy, as MedEvalKit)")
	fs.Uint64Var(&st.Seed, "seed", 0, "sampling `seed` (recorded in the manifest)")
	fs.BoolVar(&st.Reasoning, "reasoning", false, `MedEvalKit REASONING prompts (answer in \boxed{})`)
	judgeURL := fs.String("judge-url", "", "OpenAI-compatible judge on the hospital network, e.g. http://10.0.0.5:8000/v1 (no default)")
	judgeModel := fs.String("judge-model", "", "judge model name at --judge-url")
	judgeKeyEnv := fs.String("judge-api-key-env", "", "environment `variable` holding the judge's API key")
	judgeSelf := fs.Bool("judge-self", false, "judge open answers with the evaluated model itself")
	progressMode := fs.String("progress", "auto", "progress display: auto, bar, lines or none")
	mf := addModelFlags(fs)
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{"eval run: " + err.Error()}
	}
	if len(pos) != 0 || *modelPath == "" || len(sets) == 0 || st.MaxTokens <= 0 || *limit < 0 {
		return usageError{evalRunUsage}
	}
	if *judgeSelf && *judgeURL != "" {
		return usageError{"eval run: --judge-self and --judge-url exclude each other"}
	}
	loaded, err := loadEvalSets(sets, datasets.Options{Reasoning: st.Reasoning}, stderr)
	if err != nil {
		return err
	}
	t0 := time.Now()
	m, be, err := openVLM(*modelPath, mf, stderr)
	if err != nil {
		return fmt.Errorf("eval run: %w", err)
	}
	defer be.Close()
	defer m.Close()
	info := harness.ModelInfo{Path: *modelPath, Format: m.Ckpt.Format, Backend: be.Name(), LoadMS: ms(time.Since(t0))}
	if ti, ok := m.Ckpt.Tensor("model.embed_tokens.weight"); ok {
		info.DType = ti.DType.String()
	}
	t1 := time.Now()
	if info.Hash, err = m.Ckpt.Hash(); err != nil {
		return fmt.Errorf("eval run: model hash: %w", err)
	}
	info.HashMS = ms(time.Since(t1))
	gen := harness.VLM{M: m, Settings: st}
	cfg := harness.Config{Model: info, Gen: gen, Settings: st, Datasets: loaded, OutDir: *out, CacheDir: *cacheDir,
		Limit: *limit, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if cfg.Judge, err = evalJudge(*judgeURL, *judgeModel, *judgeKeyEnv, *judgeSelf, gen, info.Hash); err != nil {
		return usageError{"eval run: " + err.Error()}
	}
	switch *progressMode {
	case "auto":
		cfg.Progress, cfg.Terminal = stderr, evalIsTerminal(stderr)
	case "bar", "lines":
		cfg.Progress, cfg.Terminal = stderr, *progressMode == "bar"
	case "none":
	default:
		return usageError{"eval run: --progress is auto, bar, lines or none"}
	}
	fmt.Fprintf(stderr, "eval: model %s (%s %s, hash %.12s) on %s; samples run one at a time (one in-process model)\n",
		*modelPath, info.Format, info.DType, info.Hash, info.Backend)
	man, runErr := harness.Run(ctx, cfg)
	if man != nil {
		printRunSummary(stdout, *out, man)
	}
	return runErr
}

// loadEvalSets loads and validates every dataset before the model loads,
// so a bad path fails in a second, not after minutes of loading.
func loadEvalSets(sets datasetList, opt datasets.Options, stderr io.Writer) ([]harness.Dataset, error) {
	var out []harness.Dataset
	for _, s := range sets {
		l, _ := datasets.Lookup(s.loader)
		samples, err := l.Load(s.path, opt)
		if err != nil && s.label != s.loader {
			return nil, fmt.Errorf("eval run: %s: %w", s.label, err)
		}
		if err != nil {
			return nil, fmt.Errorf("eval run: %w", err)
		}
		fmt.Fprintf(stderr, "eval: %s: %d samples from %s\n", s.label, len(samples), s.path)
		out = append(out, harness.Dataset{Name: s.label, Path: s.path, Samples: samples})
	}
	return out, nil
}

func evalJudge(url, model, keyEnv string, self bool, gen harness.Generator, hash string) (harness.Judge, error) {
	switch {
	case self:
		return harness.GeneratorJudge{Gen: gen, Label: "self:" + hash[:min(12, len(hash))]}, nil
	case url != "":
		key := ""
		if keyEnv != "" {
			key = os.Getenv(keyEnv)
		}
		return harness.NewOpenAIJudge(url, model, key)
	case model != "":
		return nil, fmt.Errorf("--judge-model needs --judge-url")
	}
	return nil, nil
}

// evalIsTerminal reports whether w is a character device (a terminal).
func evalIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func printRunSummary(w io.Writer, out string, man *harness.Manifest) {
	c := man.Counts
	fmt.Fprintf(w, "run %s: %s; %d samples: %d computed, %d cached, %d failed; %.1f s\n",
		out, man.Status, c.Samples, c.Computed, c.Cached, c.Failed, man.TotalMS/1000)
	rs, err := harness.ReadResults(out + "/results.jsonl")
	if err != nil {
		return
	}
	for _, d := range report.Summarize(rs, man, report.Options{Seed: 1}) {
		fmt.Fprintf(w, "  %-18s n=%-5d %s %.1f\n", d.Name, d.N, d.Metric, 100*d.Score)
	}
}
