package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditRecord is one audit log entry. Seq is assigned by Audit.
type AuditRecord struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	User       string    `json:"user"`
	Action     string    `json:"action"`
	StudyUID   string    `json:"study_uid,omitempty"`
	SOPUID     string    `json:"sop_uid,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// AuditFilter selects audit records; empty fields match everything.
type AuditFilter struct {
	User     string
	Action   string
	StudyUID string
	From, To time.Time // inclusive bounds on Time when set
}

// Audit appends r with the next sequence number (and the store's clock
// when r.Time is zero). It returns after the record is committed; audit
// writes from concurrent requests share commits.
func (s *Store) Audit(r AuditRecord) error {
	if r.Time.IsZero() {
		r.Time = s.now().UTC()
	}
	err := s.commit.do(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		rec := r
		rec.Seq = seq
		return putJSON(b, string(seqKey(seq)), rec)
	})
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", r.Action, err)
	}
	return nil
}

// QueryAudit returns matching records newest first, and the cursor of the
// next page ("" when there is none).
func (s *Store) QueryAudit(f AuditFilter, limit int, cursor string) ([]AuditRecord, string, error) {
	limit = clampLimit(limit)
	after, err := decodeCursor('a', cursor)
	if err != nil {
		return nil, "", err
	}
	if after != nil && len(after) != 8 {
		return nil, "", ErrBadCursor
	}
	out := []AuditRecord{}
	next := ""
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.Last()
		} else if k, v = c.Seek(after); k == nil {
			k, v = c.Last()
		}
		for after != nil && k != nil && bytes.Compare(k, after) >= 0 {
			k, v = c.Prev()
		}
		for ; k != nil; k, v = c.Prev() {
			var r AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode audit %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !f.match(r) {
				continue
			}
			if len(out) == limit {
				next = encodeCursor('a', seqKey(out[limit-1].Seq))
				return nil
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: query audit: %w", err)
	}
	return out, next, nil
}

func (f AuditFilter) match(r AuditRecord) bool {
	switch {
	case f.User != "" && r.User != f.User,
		f.Action != "" && r.Action != f.Action,
		f.StudyUID != "" && r.StudyUID != f.StudyUID,
		!f.From.IsZero() && r.Time.Before(f.From),
		!f.To.IsZero() && r.Time.After(f.To):
		return false
	}
	return true
}
