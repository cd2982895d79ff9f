package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Job kinds, states and triggers.
const (
	JobDraft = "draft"

	JobQueued    = "queued"
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"

	TriggerStudyStable = "study_stable"
	TriggerLateArrival = "late_arrival"
	TriggerOnDemand    = "on_demand"
)

// Job errors.
var (
	// ErrJobState: the job is not in a state that allows the operation
	// (completing or failing a job that is not running, e.g. one already
	// done: a job is never completed twice).
	ErrJobState = errors.New("store: job state does not allow this")
	// ErrInvalidJob: EnqueueJob with an unknown kind or trigger or without
	// a study.
	ErrInvalidJob = errors.New("store: invalid job")
)

// Job is one durable unit of background work (today: drafting a report
// for a study). Jobs survive restarts: a job running when the process died
// is queued again by RequeueRunningJobs.
type Job struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	StudyUID      string    `json:"study_uid"`
	State         string    `json:"state"`
	Trigger       string    `json:"trigger"`
	RequestedBy   string    `json:"requested_by"`
	Attempts      int       `json:"attempts"`
	Error         string    `json:"error,omitempty"`
	ReportVersion int       `json:"report_version,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	FinishedAt    time.Time `json:"finished_at,omitzero"`
}

// JobFilter selects jobs; empty fields match every job.
type JobFilter struct {
	State    string
	StudyUID string
}

func (f JobFilter) match(j Job) bool {
	return (f.State == "" || j.State == f.State) && (f.StudyUID == "" || j.StudyUID == f.StudyUID)
}

// jobKey makes job IDs from the jobs bucket sequence: zero-padded so that
// key order is creation order.
func jobKey(seq uint64) string { return fmt.Sprintf("j%012d", seq) }

// EnqueueJob records a new queued job with Kind, StudyUID, Trigger and
// RequestedBy from j (other fields are set by the store) and returns it.
// A draft job for a study that already has a queued (not yet running)
// draft job is not added twice: the queued one is returned.
func (s *Store) EnqueueJob(j Job) (Job, error) { return s.enqueue(j, nil) }

// enqueue adds j and runs also (when not nil) in the same transaction.
func (s *Store) enqueue(j Job, also func(*bolt.Tx) error) (Job, error) {
	if j.Kind != JobDraft || j.StudyUID == "" {
		return Job{}, fmt.Errorf("store: enqueue job: %w: kind %q study %q", ErrInvalidJob, j.Kind, j.StudyUID)
	}
	switch j.Trigger {
	case TriggerStudyStable, TriggerLateArrival, TriggerOnDemand:
	default:
		return Job{}, fmt.Errorf("store: enqueue job: %w: trigger %q", ErrInvalidJob, j.Trigger)
	}
	var out Job
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		evs = nil
		if tx.Bucket(bStudies).Get([]byte(j.StudyUID)) == nil {
			return ErrNotFound
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		found := false
		err := forStudyJobs(tx, j.StudyUID, func(old Job) bool {
			if old.Kind == j.Kind && old.State == JobQueued {
				out, found = old, true
				return false
			}
			return true
		})
		if err != nil || found {
			return err
		}
		b := tx.Bucket(bJobs)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := s.now().UTC()
		out = Job{ID: jobKey(seq), Kind: j.Kind, StudyUID: j.StudyUID, State: JobQueued, Trigger: j.Trigger,
			RequestedBy: j.RequestedBy, CreatedAt: now}
		if err := putJob(tx, out); err != nil {
			return err
		}
		if err := tx.Bucket(bIxJobStudy).Put(pairKey(j.StudyUID, out.ID), nil); err != nil {
			return err
		}
		ev, err := jobEvent(tx, out, now)
		evs = append(evs, ev)
		return err
	})
	if err != nil {
		return Job{}, fmt.Errorf("store: enqueue job for %s: %w", j.StudyUID, err)
	}
	s.publish(evs)
	return out, nil
}

// ClaimJob moves the oldest queued job to running, counts the attempt and
// returns it; ok is false when no job is queued.
func (s *Store) ClaimJob() (Job, bool, error) {
	var out Job
	var ok bool
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		ok, evs = false, nil
		k, _ := tx.Bucket(bJobQueue).Cursor().First()
		if k == nil {
			return nil
		}
		if err := getOne(tx, bJobs, string(k), &out); err != nil {
			return fmt.Errorf("job %s: %w", k, err)
		}
		now := s.now().UTC()
		out.State, out.StartedAt = JobRunning, now
		out.Attempts++
		if err := putJob(tx, out); err != nil {
			return err
		}
		ev, err := jobEvent(tx, out, now)
		evs, ok = append(evs, ev), true
		return err
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("store: claim job: %w", err)
	}
	s.publish(evs)
	return out, ok, nil
}

// FailJob ends a running job's attempt with msg: retry puts it back in
// the queue, otherwise it is failed for good. ErrJobState when the job is
// not running.
func (s *Store) FailJob(jobID string, msg string, retry bool) error {
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		evs = nil
		var j Job
		if err := getOne(tx, bJobs, jobID, &j); err != nil {
			return err
		}
		if j.State != JobRunning {
			return fmt.Errorf("%w: job is %s", ErrJobState, j.State)
		}
		now := s.now().UTC()
		j.Error = msg
		if retry {
			j.State = JobQueued
		} else {
			j.State, j.FinishedAt = JobFailed, now
		}
		if err := putJob(tx, j); err != nil {
			return err
		}
		ev, err := jobEvent(tx, j, now)
		evs = append(evs, ev)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: fail job %s: %w", jobID, err)
	}
	s.publish(evs)
	return nil
}

// CancelJob ends a queued or running job as cancelled, recording who
// cancelled it. A running job's worker sees the state when it tries to
// complete and drops its result (CompleteDraftJob requires running), so a
// cancel never races a draft into the reports. Jobs already done, failed
// or cancelled give ErrJobState.
func (s *Store) CancelJob(jobID, user string) (Job, error) {
	var j Job
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		evs = nil
		if err := getOne(tx, bJobs, jobID, &j); err != nil {
			return err
		}
		if j.State != JobQueued && j.State != JobRunning {
			return fmt.Errorf("%w: job is %s", ErrJobState, j.State)
		}
		now := s.now().UTC()
		j.State, j.FinishedAt, j.Error = JobCancelled, now, "cancelled by "+user
		if err := putJob(tx, j); err != nil {
			return err
		}
		ev, err := jobEvent(tx, j, now)
		evs = append(evs, ev)
		return err
	})
	if err != nil {
		return Job{}, fmt.Errorf("store: cancel job %s: %w", jobID, err)
	}
	s.publish(evs)
	return j, nil
}

// RequeueRunningJobs puts every running job back in the queue and returns
// how many there were. Call it at startup, before any worker runs: a job
// that was running when the process died runs again (its result is written
// once, by CompleteDraftJob).
func (s *Store) RequeueRunningJobs() (int, error) {
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		evs = nil
		var running []Job
		err := tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			var j Job
			if _, err := getJSON(tx.Bucket(bJobs), string(k), &j); err != nil {
				return err
			}
			if j.State == JobRunning {
				running = append(running, j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := s.now().UTC()
		for _, j := range running {
			j.State = JobQueued
			j.Error = "interrupted: the process stopped while the job was running"
			if err := putJob(tx, j); err != nil {
				return err
			}
			ev, err := jobEvent(tx, j, now)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: requeue running jobs: %w", err)
	}
	s.publish(evs)
	return len(evs), nil
}

// GetJob returns one job (ErrNotFound when there is none).
func (s *Store) GetJob(id string) (Job, error) {
	var j Job
	err := s.view(func(tx *bolt.Tx) error { return getOne(tx, bJobs, id, &j) })
	if err != nil {
		return Job{}, fmt.Errorf("store: job %s: %w", id, err)
	}
	return j, nil
}

// ListJobs returns the jobs matching f, newest first, and the cursor of the
// next page ("" when there is none).
func (s *Store) ListJobs(f JobFilter, limit int, cursor string) ([]Job, string, error) {
	limit = clampLimit(limit)
	after, err := decodeCursor('j', cursor)
	if err != nil {
		return nil, "", err
	}
	out := []Job{}
	next := ""
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bJobs).Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.Last()
		} else {
			k, v = c.Seek(after)
			if k == nil {
				k, v = c.Last()
			}
			for k != nil && bytes.Compare(k, after) >= 0 {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job %s: %w", k, err)
			}
			if !f.match(j) {
				continue
			}
			if len(out) == limit {
				next = encodeCursor('j', []byte(out[limit-1].ID))
				return nil
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: list jobs: %w", err)
	}
	return out, next, nil
}

// putJob writes j and keeps the queue bucket in step with its state.
func putJob(tx *bolt.Tx, j Job) error {
	if err := putJSON(tx.Bucket(bJobs), j.ID, j); err != nil {
		return err
	}
	q := tx.Bucket(bJobQueue)
	if j.State == JobQueued {
		return q.Put([]byte(j.ID), nil)
	}
	return q.Delete([]byte(j.ID))
}

func jobEvent(tx *bolt.Tx, j Job, now time.Time) (Event, error) {
	return appendEvent(tx, Event{Type: JobUpdated, StudyUID: j.StudyUID, JobID: j.ID, Time: now})
}

// forStudyJobs calls fn with the jobs of a study, oldest first, until fn
// returns false.
func forStudyJobs(tx *bolt.Tx, studyUID string, fn func(Job) bool) error {
	prefix := pairKey(studyUID, "")
	c := tx.Bucket(bIxJobStudy).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var j Job
		if err := getOne(tx, bJobs, string(k[len(prefix):]), &j); err != nil {
			return fmt.Errorf("job %s: %w", k[len(prefix):], err)
		}
		if !fn(j) {
			return nil
		}
	}
	return nil
}

// Event consumers (the draft rules) keep their position in the event log
// in the index, so that no event is lost or handled twice across restarts.

func cursorKey(consumer string) []byte { return []byte("event_cursor/" + consumer) }

// EventCursor returns the Seq of the last event the named consumer
// handled; found is false when it never recorded one.
func (s *Store) EventCursor(consumer string) (seq uint64, found bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(cursorKey(consumer)); len(v) == 8 {
			seq, found = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: event cursor %s: %w", consumer, err)
	}
	return seq, found, nil
}

// SetEventCursor records that the named consumer handled every event up
// to Seq seq.
func (s *Store) SetEventCursor(consumer string, seq uint64) error {
	err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(cursorKey(consumer), seqKey(seq)) })
	if err != nil {
		return fmt.Errorf("store: set event cursor %s: %w", consumer, err)
	}
	return nil
}

// LastEventSeq returns the Seq of the newest recorded event (0 when none).
func (s *Store) LastEventSeq() (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bEvents).Sequence()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return seq, nil
}

// EnqueueJobAfterEvent is EnqueueJob and SetEventCursor(consumer, seq) in
// one transaction: the job exists if and only if the event counts as
// handled, so a crash between the two can neither lose nor repeat it.
func (s *Store) EnqueueJobAfterEvent(j Job, consumer string, seq uint64) (Job, error) {
	return s.enqueue(j, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(cursorKey(consumer), seqKey(seq)) })
}
