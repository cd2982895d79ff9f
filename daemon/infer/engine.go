package infer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// Engine queues requests and runs them on a supervised runner process.
// Its methods are safe for concurrent use.
type Engine struct {
	cfg Config
	exe string
	log *slog.Logger

	mu       sync.Mutex
	state    string
	inter    []*job // waiting interactive requests, oldest first
	bg       []*job // waiting background requests, oldest first
	running  *job   // sent to the runner, not yet answered
	proc     *proc  // the live runner (nil between runners)
	hash     string // of the loaded model
	backend  string
	restarts int
	lastErr  string
	nextID   uint64
	started  bool
	closed   bool
	stop     context.CancelFunc // ends the supervisor
	done     chan struct{}      // closed when the supervisor returns
	// stepsAfterCancel is the runner's count for the last cancelled request
	// (decode steps run after the cancel arrived); tests read it.
	stepsAfterCancel int
	cancelledRuns    int // requests the runner stopped on a cancel
}

// job is one request from Do until it finishes.
type job struct {
	id        uint64
	req       Request
	images    []string // base64 PNG
	begin     time.Time
	enqueued  time.Time
	queueWait time.Duration

	// guarded by Engine.mu
	toks       []Token
	finished   bool
	res        *Result
	err        error
	cancelled  bool // by the caller: drop everything
	preempting bool // cancel sent to make room for an interactive request
	notify     chan struct{}
}

// New checks cfg and returns an Engine; Start launches its runner.
// An empty ModelPath gives a disabled Engine whose Do answers ErrNoModel.
func New(cfg Config) (*Engine, error) {
	if cfg.QueueSize < 0 {
		return nil, fmt.Errorf("infer: queue size %d", cfg.QueueSize)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 16
	}
	if cfg.Backend == "" {
		cfg.Backend = "auto"
	}
	if cfg.Args == nil {
		cfg.Args = []string{"runner"}
	}
	e := &Engine{cfg: cfg, exe: cfg.Exe, log: cfg.Logger, state: StateStarting, done: make(chan struct{})}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.log = e.log.With("component", "infer")
	if cfg.ModelPath == "" {
		e.state = StateDisabled
		return e, nil
	}
	if e.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("infer: runner executable: %w", err)
		}
		e.exe = exe
	}
	return e, nil
}

// Start launches the runner and returns at once; the model loads in the
// background (Status says when it is ready; requests wait in the queue
// meanwhile). The Engine lives until Close, not until ctx ends.
func (e *Engine) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("infer: start: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return ErrClosed
	case e.started:
		return errors.New("infer: start: already started")
	}
	e.started = true
	if e.state == StateDisabled {
		close(e.done)
		return nil
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.stop = stop
	go e.supervise(sctx)
	return nil
}

// Close fails the waiting requests with ErrClosed, cancels the running one
// and stops the runner (closing its stdin; killing it when ctx ends first).
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.state = StateClosed
	for _, j := range slices.Concat(e.inter, e.bg) {
		e.finish(j, nil, ErrClosed)
	}
	e.inter, e.bg = nil, nil
	if j := e.running; j != nil {
		e.finish(j, nil, ErrClosed)
	}
	p, started := e.proc, e.started
	if p != nil {
		p.closeInput()
	}
	e.mu.Unlock()
	if !started {
		return nil
	}
	if e.stop != nil {
		e.stop() // a supervisor waiting to restart returns at once
	}
	var err error
	select {
	case <-e.done:
	case <-ctx.Done():
		if p != nil {
			p.kill()
		}
		err = fmt.Errorf("infer: close: %w", ctx.Err())
	}
	<-e.done
	return err
}

// Do runs req and blocks until it finishes, calling onToken (if not nil)
// from the calling goroutine with each generated token. ctx cancelled →
// the runner stops within one decode step and Do returns ctx.Err(); an
// error from onToken cancels the same way and is returned. The queue full
// → ErrQueueFull at once; the runner died during the request →
// ErrRunnerDied (the runner restarts for the next ones).
func (e *Engine) Do(ctx context.Context, req Request, onToken func(Token) error) (*Result, error) {
	begin := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = DefaultMaxTokens
	}
	if req.MaxTokens < 0 || req.MaxTokens > maxTokenLimit || req.Temperature < 0 || req.MaxPixels < 0 ||
		len(req.Images) > maxImages || len(req.Question) > maxQuestion {
		return nil, fmt.Errorf("infer: bad request: max tokens %d, temperature %v, max pixels %d, %d images, question %d bytes",
			req.MaxTokens, req.Temperature, req.MaxPixels, len(req.Images), len(req.Question))
	}
	if err := e.admissible(); err != nil {
		return nil, err
	}
	j := &job{req: req, begin: begin, notify: make(chan struct{}, 1)}
	for i, img := range req.Images {
		s, err := encodePNG(img)
		if err != nil {
			return nil, fmt.Errorf("infer: image %d: %w", i+1, err)
		}
		j.images = append(j.images, s)
	}
	if err := e.enqueue(j); err != nil {
		return nil, err
	}
	for {
		select {
		case <-j.notify:
			toks, fin, res, err := e.take(j)
			for _, t := range toks {
				if onToken == nil {
					continue
				}
				if terr := onToken(t); terr != nil {
					e.cancel(j)
					return nil, terr
				}
			}
			if fin {
				return res, err
			}
		case <-ctx.Done():
			e.cancel(j)
			return nil, ctx.Err()
		}
	}
}

// Status returns a snapshot of the Engine.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Status{State: e.state, ModelPath: e.cfg.ModelPath, ModelHash: e.hash, Backend: e.backend,
		Queued: len(e.inter) + len(e.bg), Restarts: e.restarts, LastError: e.lastErr,
		Cancelled: e.cancelledRuns, LastCancelSteps: e.stepsAfterCancel}
	if e.running != nil {
		s.Running = 1
	}
	return s
}

// QueueLen is the number of waiting requests.
func (e *Engine) QueueLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inter) + len(e.bg)
}

// admissible says why no request can be taken now (nil: it can).
func (e *Engine) admissible() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.admissibleLocked()
}

func (e *Engine) admissibleLocked() error {
	switch {
	case e.closed:
		return ErrClosed
	case e.state == StateDisabled:
		return fmt.Errorf("%w: no model configured", ErrNoModel)
	case e.state == StateFailed:
		return fmt.Errorf("%w: model %s failed: %s", ErrNoModel, e.cfg.ModelPath, e.lastErr)
	case len(e.inter)+len(e.bg) >= e.cfg.QueueSize:
		return fmt.Errorf("%w: %d requests waiting", ErrQueueFull, len(e.inter)+len(e.bg))
	}
	return nil
}

// enqueue admits j, preempts a running background request for an
// interactive one and dispatches.
func (e *Engine) enqueue(j *job) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.admissibleLocked(); err != nil {
		return err
	}
	e.nextID++
	j.id, j.enqueued = e.nextID, time.Now()
	if j.req.Priority == Interactive {
		e.inter = append(e.inter, j)
		if r := e.running; r != nil && r.req.Priority == Background && !r.preempting && !r.cancelled {
			r.preempting = true
			e.log.Debug("preempting background request", "id", r.id, "for", j.id)
			e.sendLocked(message{Type: msgCancel, ID: r.id})
		}
	} else {
		e.bg = append(e.bg, j)
	}
	e.dispatchLocked()
	return nil
}

// take hands Do the tokens received since the last call and, once the job
// finished, its outcome.
func (e *Engine) take(j *job) ([]Token, bool, *Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	toks := j.toks
	j.toks = nil
	return toks, j.finished, j.res, j.err
}

// cancel drops j: a waiting one leaves the queue, a running one is
// cancelled in the runner (which stays busy until it answers).
func (e *Engine) cancel(j *job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if j.finished || j.cancelled {
		return
	}
	j.cancelled = true
	if e.running == j {
		if !j.preempting {
			e.sendLocked(message{Type: msgCancel, ID: j.id})
		}
		return
	}
	e.inter = slices.DeleteFunc(e.inter, func(x *job) bool { return x == j })
	e.bg = slices.DeleteFunc(e.bg, func(x *job) bool { return x == j })
	e.finish(j, nil, context.Canceled)
}

// finish records j's outcome and wakes its Do.
func (e *Engine) finish(j *job, res *Result, err error) {
	if j.finished {
		return
	}
	j.finished, j.res, j.err = true, res, err
	j.wake()
}

func (j *job) wake() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}

// dispatchLocked sends the next waiting request to a ready, idle runner.
func (e *Engine) dispatchLocked() {
	p := e.proc
	if p == nil || !p.ready || e.running != nil || e.closed {
		return
	}
	var j *job
	switch {
	case len(e.inter) > 0:
		j, e.inter = e.inter[0], e.inter[1:]
	case len(e.bg) > 0:
		j, e.bg = e.bg[0], e.bg[1:]
	default:
		return
	}
	j.queueWait += time.Since(j.enqueued)
	e.running = j
	r := j.req
	e.sendLocked(message{Type: msgAsk, ID: j.id, Question: r.Question, Images: j.images, MaxTokens: r.MaxTokens,
		Temperature: r.Temperature, Seed: r.Seed, MaxPixels: r.MaxPixels})
}

// sendLocked queues m for the live runner.
func (e *Engine) sendLocked(m message) {
	if e.proc != nil {
		e.proc.send(m)
	}
}
