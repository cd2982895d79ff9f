package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrInvalidAsk: AddAsk without a study, instance, user or question.
var ErrInvalidAsk = errors.New("store: invalid question record")

// AskRecord is one question asked about an image and the model's answer.
type AskRecord struct {
	ID             string             `json:"id"`
	StudyUID       string             `json:"study_uid"`
	SOPInstanceUID string             `json:"sop_instance_uid"`
	Frame          int                `json:"frame"`
	User           string             `json:"user"`
	Question       string             `json:"question"`
	Answer         string             `json:"answer"`
	Stop           string             `json:"stop"`
	CreatedAt      time.Time          `json:"created_at"`
	TimingsMS      map[string]float64 `json:"timings_ms"`
	ModelHash      string             `json:"model_hash"`
}

// AddAsk records a question and its answer; the store sets ID (and
// CreatedAt when zero).
func (s *Store) AddAsk(a AskRecord) (AskRecord, error) {
	if a.StudyUID == "" || a.SOPInstanceUID == "" || a.User == "" || a.Question == "" {
		return AskRecord{}, fmt.Errorf("store: add ask: %w", ErrInvalidAsk)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now().UTC()
	}
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bStudies).Get([]byte(a.StudyUID)) == nil {
			return ErrNotFound
		}
		b := tx.Bucket(bAsks)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		a.ID = "a" + strconv.FormatUint(seq, 10)
		return putJSON(b, string(binary.BigEndian.AppendUint64(pairKey(a.StudyUID, ""), seq)), a)
	})
	if err != nil {
		return AskRecord{}, fmt.Errorf("store: add ask for %s: %w", a.StudyUID, err)
	}
	return a, nil
}

// ListAsks returns a study's questions, oldest first.
func (s *Store) ListAsks(studyUID string) ([]AskRecord, error) {
	out := []AskRecord{}
	err := s.view(func(tx *bolt.Tx) error {
		prefix := pairKey(studyUID, "")
		c := tx.Bucket(bAsks).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a AskRecord
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode ask %q: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: asks of %s: %w", studyUID, err)
	}
	return out, nil
}
