package infer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/auto"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/vlm"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// RunnerOptions configure RunRunner.
type RunnerOptions struct {
	ModelPath string // Hugging Face folder or GGUF file
	Backend   string // auto|cpu|cuda|cuda:N; "" → auto
	Threads   int    // CPU worker threads; 0 → GOMAXPROCS
	HashCache string // weights.HashCache file; "" hashes the weights every start
	Logger    *slog.Logger
}

// ErrRunnerUsage marks a runner command line RunnerMain cannot parse.
var ErrRunnerUsage = errors.New("infer: runner usage: lingshu runner --model PATH [--backend B] [--threads N] [--hash-cache FILE] [--debug]")

// RunnerMain is the runner's command line: it parses args (--model PATH
// --backend B --threads N --debug; a leading "runner" word is skipped),
// logs slog JSON records to stderr and runs RunRunner on stdin and stdout.
// `lingshu runner` calls it, and so can a test binary that re-executes
// itself as the runner (from TestMain, when an environment variable of its
// choosing is set, with Config{Exe: os.Args[0], Env: that variable}).
func RunnerMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "runner" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o RunnerOptions
	fs.StringVar(&o.ModelPath, "model", "", "model `path`: Qwen2.5-VL / Lingshu Hugging Face folder or GGUF file")
	fs.StringVar(&o.Backend, "backend", "auto", "compute backend: auto, cpu, cuda or cuda:N")
	fs.IntVar(&o.Threads, "threads", 0, "CPU worker threads (0: all cores)")
	fs.StringVar(&o.HashCache, "hash-cache", "", "`file` remembering weight hashes across starts")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrRunnerUsage, err)
	}
	if o.ModelPath == "" || fs.NArg() > 0 {
		return ErrRunnerUsage
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	return RunRunner(ctx, stdin, stdout, o)
}

// errCancelled stops vlm.Ask from OnToken when a cancel arrived.
var errCancelled = errors.New("infer: cancelled")

// RunRunner is the runner process (`lingshu runner`): it loads the model
// once, writes "ready" (or "load_failed", returning the error), then
// answers the requests read from in one at a time, streaming tokens to out.
// It returns nil when in ends, ctx.Err() when ctx is cancelled.
func RunRunner(ctx context.Context, in io.Reader, out io.Writer, opts RunnerOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &lineWriter{w: out}
	t0 := time.Now()
	m, be, hash, err := loadRunnerModel(opts)
	if err != nil {
		log.Error("model load failed", "model", opts.ModelPath, "err", err)
		if serr := w.send(message{Type: msgLoadFailed, Error: err.Error()}); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	defer be.Close()
	defer m.Close()
	log.Info("model loaded", "model", opts.ModelPath, "backend", be.Name(), "hash", hash,
		"load_ms", time.Since(t0).Milliseconds())
	if err := w.send(message{Type: msgReady, ModelHash: hash, ModelPath: opts.ModelPath, Backend: be.Name()}); err != nil {
		return err
	}
	r := &runner{m: m, w: w, log: log, cancelled: map[uint64]bool{}}
	reqs := make(chan message, 16)
	readErr := make(chan error, 1)
	go func() { readErr <- r.readLoop(in, reqs) }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case req, ok := <-reqs:
			if !ok {
				err := <-readErr
				log.Info("runner input closed", "err", err)
				return err
			}
			if err := r.serve(ctx, req); err != nil {
				return err
			}
		}
	}
}

// loadRunnerModel opens the backend and the model and hashes the weights.
func loadRunnerModel(opts RunnerOptions) (*vlm.Model, kernels.Backend, string, error) {
	name := opts.Backend
	if name == "" {
		name = "auto"
	}
	need, err := weights.DeviceBytes(opts.ModelPath)
	if err != nil {
		return nil, nil, "", fmt.Errorf("infer: runner: %w", err)
	}
	be, _, err := auto.Open(name, auto.Options{Threads: opts.Threads, NeedBytes: need, Logger: opts.Logger})
	if err != nil {
		return nil, nil, "", fmt.Errorf("infer: runner: backend %s: %w", name, err)
	}
	m, err := vlm.Open(opts.ModelPath, be)
	if err != nil {
		be.Close()
		return nil, nil, "", fmt.Errorf("infer: runner: %w", err)
	}
	if opts.HashCache != "" {
		m.Ckpt.UseHashCache(weights.NewHashCache(opts.HashCache))
	}
	hash, err := m.Ckpt.Hash()
	if err != nil {
		m.Close()
		be.Close()
		return nil, nil, "", fmt.Errorf("infer: runner: hash weights: %w", err)
	}
	return m, be, hash, nil
}

// runner serves requests on one loaded model.
type runner struct {
	m   *vlm.Model
	w   *lineWriter
	log *slog.Logger

	mu        sync.Mutex
	cur       uint64             // the running request's id (0: none)
	curCancel context.CancelFunc // cancels the running request
	lastID    uint64             // the highest id started
	cancelled map[uint64]bool    // cancels that arrived before their ask started
	steps     int                // OnToken calls of the running request
	cancelAt  int                // steps when its cancel arrived (-1: none)
}

// readLoop decodes lines: asks go to reqs, cancels act at once. A line
// that does not decode is logged and skipped.
func (r *runner) readLoop(in io.Reader, reqs chan<- message) error {
	defer close(reqs)
	sc := newLineScanner(in)
	for sc.Scan() {
		m, err := decodeMessage(sc.Bytes())
		if err != nil {
			r.log.Warn("bad message from parent", "err", err)
			continue
		}
		switch m.Type {
		case msgAsk:
			reqs <- m
		case msgCancel:
			r.cancel(m.ID)
		default:
			r.log.Warn("unexpected message from parent", "type", m.Type)
		}
	}
	// The parent is gone (or closed our input): nobody will read the
	// running request's answer, so free the model now rather than at its
	// next token write.
	r.mu.Lock()
	if r.cur != 0 && r.cancelAt < 0 {
		r.cancelAt = r.steps
		r.curCancel()
	}
	r.mu.Unlock()
	return sc.Err()
}

// cancel stops request id if it runs, or marks it if it is still to come.
func (r *runner) cancel(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case id == r.cur:
		if r.cancelAt < 0 {
			r.cancelAt = r.steps
			r.curCancel()
		}
	case id > r.lastID:
		r.cancelled[id] = true
	}
}

// serve runs one ask and writes its tokens and outcome. Only a failure to
// write to the parent is returned.
func (r *runner) serve(ctx context.Context, req message) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.mu.Lock()
	if r.cancelled[req.ID] {
		delete(r.cancelled, req.ID)
		r.mu.Unlock()
		return r.w.send(message{Type: msgError, ID: req.ID, Code: codeCancelled, Error: "cancelled before start"})
	}
	r.cur, r.curCancel, r.steps, r.cancelAt = req.ID, cancel, 0, -1
	r.lastID = max(r.lastID, req.ID)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cur, r.curCancel = 0, nil
		r.mu.Unlock()
	}()

	res, err := r.ask(rctx, req)
	r.mu.Lock()
	steps, cancelAt := r.steps, r.cancelAt
	r.mu.Unlock()
	switch {
	case cancelAt >= 0:
		after := steps - cancelAt
		r.log.Debug("request cancelled", "id", req.ID, "steps", steps, "steps_after_cancel", after)
		return r.w.send(message{Type: msgError, ID: req.ID, Code: codeCancelled, Error: "cancelled", StepsAfterCancel: after})
	case err != nil:
		r.log.Warn("request failed", "id", req.ID, "err", err)
		code := codeFailed
		var ce *vlm.ContextError
		if errors.As(err, &ce) {
			code = CodeContext
		}
		return r.w.send(message{Type: msgError, ID: req.ID, Code: code, Error: err.Error()})
	}
	t := res.Timings
	r.log.Debug("request done", "id", req.ID, "tokens", len(res.IDs), "stop", res.Stop,
		"prefill_ms", t.Prefill.Milliseconds(), "decode_ms", t.Decode.Milliseconds())
	return r.w.send(message{Type: msgDone, ID: req.ID, Result: &wireResult{
		Text: res.Text, IDs: res.IDs, Stop: res.Stop, PromptTokens: res.PromptTokens, ImageTokens: res.ImageTokens,
		TimingsMS: map[string]float64{"preprocess": msF(t.Preprocess), "vision": msF(t.Vision),
			"prefill": msF(t.Prefill), "decode": msF(t.Decode)},
	}})
}

// ask decodes the images and runs vlm.Ask, streaming each token. OnToken
// checks the cancel flag before anything else, so after a cancel at most
// the decode step already under way completes.
func (r *runner) ask(ctx context.Context, req message) (*vlm.Result, error) {
	imgs := make([]image.Image, len(req.Images))
	for i, s := range req.Images {
		var err error
		if imgs[i], err = decodePNG(s); err != nil {
			return nil, fmt.Errorf("image %d: %w", i+1, err)
		}
	}
	stream := r.m.Tok.NewStreamDecoder()
	opts := vlm.Options{MaxTokens: req.MaxTokens, MaxPixels: req.MaxPixels,
		Sampler: model.SamplerOptions{Temperature: req.Temperature, Seed: req.Seed}}
	if req.Temperature > 0 {
		opts.Sampler.TopK, opts.Sampler.TopP = 40, 0.95 // as `lingshu ask`
	}
	opts.OnToken = func(id int) error {
		r.mu.Lock()
		r.steps++
		stop := r.cancelAt >= 0
		r.mu.Unlock()
		if stop {
			return errCancelled
		}
		return r.w.send(message{Type: msgToken, ID: req.ID, Token: id, Text: stream.Push(id)})
	}
	return r.m.Ask(ctx, imgs, req.Question, opts)
}

func msF(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
