package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// initCursor returns the rule loop's position in the event log. The
// first time the rules run on a data directory they start at the newest
// event: studies received before drafts were turned on are not drafted
// all at once (RequestDraft drafts them one by one).
func (q *Queue) initCursor() (uint64, error) {
	seq, found, err := q.st.EventCursor(ConsumerName)
	if err != nil {
		return 0, fmt.Errorf("jobs: %w", err)
	}
	if found {
		return seq, nil
	}
	if seq, err = q.st.LastEventSeq(); err != nil {
		return 0, fmt.Errorf("jobs: %w", err)
	}
	if err := q.st.SetEventCursor(ConsumerName, seq); err != nil {
		return 0, fmt.Errorf("jobs: %w", err)
	}
	q.log.Info("draft rules start at the newest event", "seq", seq)
	return seq, nil
}

// ruleLoop handles the event log from after: each event from the
// subscription only wakes it, and it reads the log from its cursor, so
// events dropped by a full subscription are still handled in order.
func (q *Queue) ruleLoop(ctx context.Context, events <-chan store.Event, after uint64) {
	cursor := after
	t := time.NewTicker(q.cfg.PollInterval)
	defer t.Stop()
	for {
		next, err := q.catchUp(cursor)
		if err != nil && ctx.Err() == nil {
			q.log.Error("draft rules: reading events failed", "after", cursor, "err", err)
		}
		cursor = next
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				return // the store closed
			}
		case <-t.C:
		}
	}
}

// catchUp handles every recorded event after cursor and returns the new
// cursor.
func (q *Queue) catchUp(cursor uint64) (uint64, error) {
	for {
		evs, err := q.st.EventsSince(cursor, 256)
		if err != nil || len(evs) == 0 {
			return cursor, err
		}
		handled := false // the cursor is saved with each job; else once per batch
		for _, ev := range evs {
			if ev.Type == store.StudyStable {
				queued, err := q.onStable(ev)
				if err != nil {
					return cursor, err
				}
				handled = queued
			} else {
				handled = false
			}
			cursor = ev.Seq
		}
		if !handled {
			if err := q.st.SetEventCursor(ConsumerName, cursor); err != nil {
				return cursor, err
			}
		}
	}
}

// onStable applies the rules to a study that became stable and queues a
// draft when one matches: trigger study_stable the first time, and
// late_arrival when a rule drafted the study before (instances arrived
// after it was stable — the store's study_late_arrival — and it is stable
// again now: it is drafted again as a new version, earlier versions kept).
// queued reports a job queued together with the cursor.
func (q *Queue) onStable(ev store.Event) (queued bool, err error) {
	_, facts, err := q.studyImages(ev.StudyUID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, err
	}
	rule, ok := matchRule(q.cfg.Rules, facts)
	if !ok {
		q.log.Debug("no draft rule matches", "study_uid", ev.StudyUID, "modalities", facts.Modalities)
		return false, nil
	}
	trigger := store.TriggerStudyStable
	prior, _, err := q.st.ListJobs(store.JobFilter{StudyUID: ev.StudyUID}, store.MaxLimit, "")
	if err != nil {
		return false, err
	}
	for _, p := range prior {
		if p.Trigger != store.TriggerOnDemand { // a rule drafted it before: it changed since
			trigger = store.TriggerLateArrival
		}
	}
	j, err := q.st.EnqueueJobAfterEvent(store.Job{Kind: store.JobDraft, StudyUID: ev.StudyUID, Trigger: trigger,
		RequestedBy: "rule:" + rule.Name}, ConsumerName, ev.Seq)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	q.log.Info("draft queued by rule", "job_id", j.ID, "rule", rule.Name, "trigger", trigger, "event_seq", ev.Seq)
	q.poke()
	return true, nil
}
