// Package jobs runs the daemon's durable background work: AI draft
// reports. Jobs are records in the store (they survive restarts), workers
// claim them one at a time, and a draft is written together with its job's
// completion in one transaction, so a job gives exactly one draft even when
// the process dies mid-job (the job then runs again after the restart).
//
// Drafts are queued by rules, when a study becomes stable (and again, as a
// new report version, when late instances made it change), and on demand
// (RequestDraft). The rule loop reads the store's event log from a cursor
// kept in the store, so no study_stable event is lost across restarts and
// none queues a job twice.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
)

// Inferer is what the queue needs of the inference engine; *infer.Engine
// satisfies it.
type Inferer interface {
	Do(ctx context.Context, req infer.Request, onToken func(infer.Token) error) (*infer.Result, error)
}

// ConsumerName is the event-log cursor name of the rule loop.
const ConsumerName = "jobs/drafts"

// Queue runs draft jobs from the store.
type Queue struct {
	st  *store.Store
	eng Inferer
	cfg Config
	log *slog.Logger
	// cfgErr is a configuration error found by New; Start returns it.
	cfgErr error

	stats counters
	wake  chan struct{} // a job was queued
	// running holds the cancel functions of the jobs this process runs,
	// so CancelJob can stop the model within a decode step.
	runMu   sync.Mutex
	running map[string]context.CancelFunc
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	state   int // 0 new, 1 started, 2 stopped
}

// New makes a queue over st that runs drafts on eng. Nothing runs until
// Start. A configuration error is returned by Start (use Config.Validate
// to check a configuration earlier).
func New(st *store.Store, eng Inferer, cfg Config, log *slog.Logger) *Queue {
	if log == nil {
		log = slog.Default()
	}
	c, err := cfg.withDefaults()
	return &Queue{st: st, eng: eng, cfg: c, log: log.With("component", "jobs"), cfgErr: err, wake: make(chan struct{}, 1),
		running: map[string]context.CancelFunc{}}
}

// Start requeues the jobs that were running when the process stopped,
// then starts the workers and, when Config.Enabled, the rule loop. It
// does not block.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cfgErr != nil {
		return fmt.Errorf("jobs: %w", q.cfgErr)
	}
	if q.state != 0 {
		return errors.New("jobs: start: already started")
	}
	n, err := q.st.RequeueRunningJobs()
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	if n > 0 {
		q.log.Warn("requeued jobs interrupted by the last stop", "jobs", n)
		q.stats.requeued.Add(uint64(n))
	}
	var after uint64
	if q.cfg.Enabled {
		if after, err = q.initCursor(); err != nil {
			return err
		}
	}
	// The workers' context is the queue's own: Stop ends it, not the
	// caller's start context.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.cancel = cancel
	for i := range q.cfg.Workers {
		q.wg.Add(1)
		go q.worker(runCtx, i)
	}
	if q.cfg.Enabled {
		events, unsubscribe := q.st.Subscribe()
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			defer unsubscribe()
			q.ruleLoop(runCtx, events, after)
		}()
	}
	q.state = 1
	q.log.Info("draft queue started", "workers", q.cfg.Workers, "rules_enabled", q.cfg.Enabled, "rules", len(q.cfg.Rules),
		"prompts", len(q.cfg.Prompts), "key_images", q.cfg.KeyImages, "max_tokens", q.cfg.MaxTokens)
	return nil
}

// Stop ends the rule loop and the workers: a draft in progress is
// cancelled and its job queued again (it runs after the next start). It
// returns when all have ended or ctx ends.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if q.state != 1 {
		q.state = 2
		q.mu.Unlock()
		return nil
	}
	q.state = 2
	q.cancel()
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		q.log.Info("draft queue stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: stop: %w", ctx.Err())
	}
}

// RequestDraft queues a draft of a study for user (trigger on_demand). A
// draft already queued for the study is returned instead of a second one.
// store.ErrNotFound (wrapped) when the study does not exist.
func (q *Queue) RequestDraft(ctx context.Context, studyUID, user string) (store.Job, error) {
	if err := ctx.Err(); err != nil {
		return store.Job{}, fmt.Errorf("jobs: request draft: %w", err)
	}
	j, err := q.st.EnqueueJob(store.Job{Kind: store.JobDraft, StudyUID: studyUID, Trigger: store.TriggerOnDemand, RequestedBy: user})
	if err != nil {
		return store.Job{}, fmt.Errorf("jobs: request draft: %w", err)
	}
	q.log.Info("draft requested", "job_id", j.ID, "study_uid", studyUID, "user", user)
	q.poke()
	return j, nil
}

// CancelJob cancels a queued or running job for user; a running draft
// stops within a decode step and writes nothing. store.ErrJobState when
// the job already ended.
func (q *Queue) CancelJob(ctx context.Context, jobID, user string) (store.Job, error) {
	if err := ctx.Err(); err != nil {
		return store.Job{}, fmt.Errorf("jobs: cancel %s: %w", jobID, err)
	}
	j, err := q.st.CancelJob(jobID, user)
	if err != nil {
		return store.Job{}, fmt.Errorf("jobs: cancel: %w", err)
	}
	q.runMu.Lock()
	stop := q.running[jobID]
	q.runMu.Unlock()
	if stop != nil {
		stop()
	}
	q.stats.cancelled.Add(1)
	q.log.Info("job cancelled", "job_id", jobID, "user", user, "was_running", stop != nil)
	return j, nil
}

func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// worker claims and runs jobs until ctx ends.
func (q *Queue) worker(ctx context.Context, n int) {
	defer q.wg.Done()
	log := q.log.With("worker", n)
	for ctx.Err() == nil {
		j, ok, err := q.st.ClaimJob()
		if err != nil {
			log.Error("claim job failed", "err", err)
		}
		if err != nil || !ok {
			q.idle(ctx, q.cfg.PollInterval)
			continue
		}
		if failed := q.run(ctx, j, log); failed {
			q.idle(ctx, q.cfg.RetryDelay)
		}
		q.poke() // other workers: there may be more
	}
}

// idle waits for a wake-up, d, or ctx's end.
func (q *Queue) idle(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-q.wake:
	case <-t.C:
	}
}

// run runs one claimed job and records its outcome; failed reports an
// attempt that failed (the worker pauses before the next claim).
func (q *Queue) run(ctx context.Context, j store.Job, log *slog.Logger) (failed bool) {
	log = log.With("job_id", j.ID, "attempt", j.Attempts)
	log.Info("draft started", "trigger", j.Trigger)
	start := time.Now()
	jctx, stop := context.WithCancel(ctx)
	q.runMu.Lock()
	q.running[j.ID] = stop
	q.runMu.Unlock()
	defer func() {
		q.runMu.Lock()
		delete(q.running, j.ID)
		q.runMu.Unlock()
		stop()
	}()
	rep, err := q.draft(jctx, j)
	if err == nil {
		q.stats.done.Add(1)
		q.stats.draftMicros.Add(uint64(time.Since(start).Microseconds()))
		log.Info("draft done", "version", rep.Version, "ms", time.Since(start).Milliseconds(),
			"images", len(rep.Provenance.SOPInstanceUIDs), slog.Any("timings_ms", rep.Provenance.TimingsMS))
		return false
	}
	var perm *permanentError
	switch {
	case errors.Is(err, store.ErrJobState):
		log.Warn("draft result dropped: the job is no longer running", "err", err)
		return false
	case ctx.Err() == nil && jctx.Err() != nil:
		log.Info("draft stopped: the job was cancelled")
		return false
	case ctx.Err() != nil:
		// Stopping: leave the job for the next start.
		q.stats.interrupted.Add(1)
		if ferr := q.st.FailJob(j.ID, "interrupted: the daemon stopped", true); ferr != nil {
			log.Warn("requeue interrupted job", "err", ferr)
		}
		return false
	case errors.As(err, &perm) || j.Attempts >= q.cfg.MaxAttempts:
		log.Error("draft failed", "err", err)
		q.stats.failed.Add(1)
		if ferr := q.st.FailJob(j.ID, err.Error(), false); ferr != nil {
			log.Error("record job failure", "err", ferr)
		}
	default:
		log.Warn("draft attempt failed; will retry", "err", err, "max_attempts", q.cfg.MaxAttempts)
		q.stats.retried.Add(1)
		if ferr := q.st.FailJob(j.ID, err.Error(), true); ferr != nil {
			log.Error("record job failure", "err", ferr)
		}
	}
	return true
}

// Stats are the queue's counters since New, for metrics.
type Stats struct {
	Done        uint64  // drafts written
	Failed      uint64  // jobs failed for good
	Retried     uint64  // attempts that failed and were queued again
	Interrupted uint64  // attempts cancelled by Stop (queued again)
	Requeued    uint64  // jobs found running at Start (the process had died)
	Cancelled   uint64  // jobs cancelled through CancelJob
	DraftSecs   float64 // total time of the done drafts (render + model + store)
}

type counters struct {
	done, failed, retried, interrupted, requeued, cancelled atomic.Uint64
	draftMicros                                             atomic.Uint64
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	c := &q.stats
	return Stats{Done: c.done.Load(), Failed: c.failed.Load(), Retried: c.retried.Load(), Interrupted: c.interrupted.Load(),
		Requeued: c.requeued.Load(), Cancelled: c.cancelled.Load(), DraftSecs: float64(c.draftMicros.Load()) / 1e6}
}

// permanentError marks a failure that another attempt cannot fix (the
// study has no image, the prompt template fails).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }
