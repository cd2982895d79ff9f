package daemon

import "github.com/lingshu-edge/lingshu/daemon/api"

// collectDrafts exports the draft queue's counters (registered only when a
// model is configured).
func (d *Daemon) collectDrafts(e *api.Exposition) error {
	s := d.jobs.Stats()
	res := func(r string, v uint64) api.Sample {
		return api.Sample{Labels: []api.Label{{Name: "result", Value: r}}, Value: float64(v)}
	}
	e.Counter("lingshu_draft_attempts_total", "Draft job attempts, by result (done, failed for good, retried, interrupted by a stop).",
		res("done", s.Done), res("failed", s.Failed), res("interrupted", s.Interrupted), res("retried", s.Retried))
	e.Counter("lingshu_draft_requeued_at_start_total", "Draft jobs found running at start (the process had died) and queued again.",
		one(float64(s.Requeued)))
	e.Counter("lingshu_draft_seconds_total", "Time spent on drafts that were written (render, model, store).", one(s.DraftSecs))
	return nil
}
