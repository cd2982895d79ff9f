package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EventType names a study event.
type EventType string

// Study events.
const (
	// StudyStable: no new instance of the study for Options.StableAfter.
	StudyStable EventType = "study_stable"
	// StudyLateArrival: an instance arrived for a study already stable.
	// The study becomes pending again and is reported stable again later.
	StudyLateArrival EventType = "study_late_arrival"
	// StudyReceived: the first instance of a study new to the index.
	StudyReceived EventType = "study_received"
	// JobUpdated: a job was enqueued or changed state (JobID set).
	JobUpdated EventType = "job_updated"
	// ReportAdded: a report version was added (Version set).
	ReportAdded EventType = "report_added"
	// ReportSigned: a report version was signed (Version set).
	ReportSigned EventType = "report_signed"
)

// Event is a study event, or a job or report event of a study. Events are
// recorded in the index (Seq is their key there, increasing) and delivered
// to subscribers.
type Event struct {
	Seq          uint64    `json:"seq"`
	Type         EventType `json:"type"`
	StudyUID     string    `json:"study_uid"`
	NumInstances int       `json:"num_instances"`
	Time         time.Time `json:"time"`
	// JobID is set on JobUpdated events.
	JobID string `json:"job_id,omitempty"`
	// Version is the report version of ReportAdded and ReportSigned.
	Version int `json:"version,omitempty"`
}

// Subscribe returns a channel of new events and a cancel function. The
// channel is buffered (Options.EventBuffer); when a subscriber falls behind
// events are dropped for it, never blocking the store: a consumer that must
// see every event reads EventsSince with the last Seq it handled.
func (s *Store) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, s.opts.EventBuffer)
	s.subMu.Lock()
	defer s.subMu.Unlock()
	if s.closed.Load() {
		close(ch)
		return ch, func() {}
	}
	s.subSeq++
	id := s.subSeq
	s.subs[id] = ch
	return ch, func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		if c, ok := s.subs[id]; ok {
			delete(s.subs, id)
			close(c)
		}
	}
}

// DroppedEvents counts events not delivered to a full subscriber channel.
func (s *Store) DroppedEvents() uint64 { return s.drops.Load() }

func (s *Store) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, ev := range evs {
		s.log.Info("study event", "type", ev.Type, "seq", ev.Seq, "num_instances", ev.NumInstances, "job_id", ev.JobID, "version", ev.Version)
		for _, ch := range s.subs {
			select {
			case ch <- ev:
			default:
				s.drops.Add(1)
			}
		}
	}
}

// EventsSince returns up to limit recorded events with Seq > after, oldest
// first.
func (s *Store) EventsSince(after uint64, limit int) ([]Event, error) {
	limit = clampLimit(limit)
	out := []Event{}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: events since %d: %w", after, err)
	}
	return out, nil
}

// DeleteEventsThrough removes recorded events with Seq <= seq (a consumer
// that has handled them durably calls it to bound the log).
func (s *Store) DeleteEventsThrough(seq uint64) error {
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete events through %d: %w", seq, err)
	}
	return nil
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// appendEvent records ev with the next sequence number inside tx.
func appendEvent(tx *bolt.Tx, ev Event) (Event, error) {
	b := tx.Bucket(bEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return ev, err
	}
	ev.Seq = seq
	if err := putJSON(b, string(seqKey(seq)), ev); err != nil {
		return ev, err
	}
	return ev, nil
}

// poke wakes the stable timer without blocking.
func (s *Store) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stableLoop emits StudyStable when a pending study has been quiet for
// StableAfter. Its state is the pending bucket, so after a restart the
// timers continue from the stored last-update times.
func (s *Store) stableLoop() {
	defer s.wg.Done()
	for {
		next, err := s.sweepStable()
		if err != nil {
			s.log.Error("stable sweep failed", "err", err)
			next = s.now().Add(time.Second)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(s.now()), 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-s.done:
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// sweepStable marks every pending study quiet for StableAfter as stable,
// records and publishes StudyStable, and returns when the next pending
// study falls due (zero when none is pending).
func (s *Store) sweepStable() (time.Time, error) {
	if s.closed.Load() {
		return time.Time{}, nil
	}
	now := s.now()
	var due []string
	var next time.Time
	// Find due studies in a read transaction: most wake-ups find none and
	// must not cost a commit.
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).ForEach(func(k, v []byte) error {
			at := bytesTime(v).Add(s.opts.StableAfter)
			if !at.After(now) {
				due = append(due, string(k))
			} else if next.IsZero() || at.Before(next) {
				next = at
			}
			return nil
		})
	})
	if err != nil || len(due) == 0 {
		return next, err
	}
	var evs []Event
	err = s.update(func(tx *bolt.Tx) error {
		evs = nil
		pb := tx.Bucket(bPending)
		for _, uid := range due {
			v := pb.Get([]byte(uid))
			if v == nil || bytesTime(v).Add(s.opts.StableAfter).After(now) {
				continue // an instance arrived meanwhile
			}
			if err := pb.Delete([]byte(uid)); err != nil {
				return err
			}
			var st StudyRecord
			if missing, err := getJSON(tx.Bucket(bStudies), uid, &st); err != nil || missing {
				if err != nil {
					return err
				}
				continue
			}
			st.Stable = true
			if err := putJSON(tx.Bucket(bStudies), uid, st); err != nil {
				return err
			}
			ev, err := appendEvent(tx, Event{Type: StudyStable, StudyUID: uid, NumInstances: st.NumInstances, Time: now})
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stable sweep: %w", err)
	}
	s.publish(evs)
	// Studies skipped because they were updated meanwhile are due later;
	// a short re-check finds their new deadline.
	if len(evs) < len(due) && (next.IsZero() || next.After(now.Add(time.Second))) {
		next = now.Add(time.Second)
	}
	return next, nil
}
