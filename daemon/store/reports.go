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

// Report kinds and statuses.
const (
	ReportAIDraft = "ai_draft"
	ReportEdited  = "edited"

	ReportStatusDraft      = "draft"
	ReportStatusSigned     = "signed"
	ReportStatusSuperseded = "superseded"
)

// AI status of a study (AIStatus).
const (
	AINone       = "none"
	AIWaiting    = "waiting" // received, not yet stable
	AIQueued     = "queued"
	AIDrafting   = "drafting"
	AIDraftReady = "draft_ready"
	AISigned     = "signed"
	AIFailed     = "failed"
)

// Report errors.
var (
	// ErrSigned: the report version is already signed (or was signed and
	// then superseded); a signed report never changes.
	ErrSigned = errors.New("store: report already signed")
	// ErrInvalidReport: AddReport with an unknown kind, no author, or a
	// BasedOn version that does not exist.
	ErrInvalidReport = errors.New("store: invalid report")
)

// Provenance records how an AI draft was made, so that any draft can be
// traced to the model, prompt, images and settings that produced it.
type Provenance struct {
	ModelHash       string             `json:"model_hash"`
	ModelPath       string             `json:"model_path"`
	Backend         string             `json:"backend"`
	PromptVersion   string             `json:"prompt_version"`
	Prompt          string             `json:"prompt"`
	SOPInstanceUIDs []string           `json:"sop_instance_uids"`
	Frames          []int              `json:"frames"`
	MaxTokens       int                `json:"max_tokens"`
	Temperature     float64            `json:"temperature"`
	Seed            uint64             `json:"seed"`
	MaxPixels       int                `json:"max_pixels"`
	TimingsMS       map[string]float64 `json:"timings_ms"`
	JobID           string             `json:"job_id"`
	Trigger         string             `json:"trigger"`
}

// Report is one version of a study's report. Versions are never
// overwritten: edits and new drafts add versions, and only the status of a
// signed version changes (to superseded, when a later signing replaces it).
type Report struct {
	StudyUID   string      `json:"study_uid"`
	Version    int         `json:"version"`
	Kind       string      `json:"kind"`
	Text       string      `json:"text"`
	Author     string      `json:"author"`
	BasedOn    int         `json:"based_on,omitempty"`
	Status     string      `json:"status"`
	CreatedAt  time.Time   `json:"created_at"`
	SignedBy   string      `json:"signed_by,omitempty"`
	SignedAt   *time.Time  `json:"signed_at,omitempty"`
	Provenance *Provenance `json:"provenance,omitempty"`
}

func reportKey(studyUID string, version int) []byte {
	return binary.BigEndian.AppendUint32(pairKey(studyUID, ""), uint32(version))
}

// ListReports returns the versions of a study's report, oldest first.
func (s *Store) ListReports(studyUID string) ([]Report, error) {
	out := []Report{}
	err := s.view(func(tx *bolt.Tx) error {
		prefix := pairKey(studyUID, "")
		c := tx.Bucket(bReports).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var r Report
			if err := getOne(tx, bReports, string(k), &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reports of %s: %w", studyUID, err)
	}
	return out, nil
}

// GetReport returns one version (ErrNotFound when there is none).
func (s *Store) GetReport(studyUID string, version int) (Report, error) {
	var r Report
	err := s.view(func(tx *bolt.Tx) error { return getOne(tx, bReports, string(reportKey(studyUID, version)), &r) })
	if err != nil {
		return Report{}, fmt.Errorf("store: report %s v%d: %w", studyUID, version, err)
	}
	return r, nil
}

// AddReport adds r as the next version of its study's report, as a draft
// (Version, Status, CreatedAt and the signature fields are set by the
// store). Kind is ReportAIDraft or ReportEdited; BasedOn, when set, must
// name an existing version.
func (s *Store) AddReport(r Report) (Report, error) {
	var out Report
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		out, evs, err = s.addReport(tx, r)
		return err
	})
	if err != nil {
		return Report{}, fmt.Errorf("store: add report for %s: %w", r.StudyUID, err)
	}
	s.publish(evs)
	return out, nil
}

func (s *Store) addReport(tx *bolt.Tx, r Report) (Report, []Event, error) {
	if r.Kind != ReportAIDraft && r.Kind != ReportEdited || r.Author == "" {
		return r, nil, fmt.Errorf("%w: kind %q author %q", ErrInvalidReport, r.Kind, r.Author)
	}
	if tx.Bucket(bStudies).Get([]byte(r.StudyUID)) == nil {
		return r, nil, ErrNotFound
	}
	b := tx.Bucket(bReports)
	if r.BasedOn != 0 && b.Get(reportKey(r.StudyUID, r.BasedOn)) == nil {
		return r, nil, fmt.Errorf("%w: based on version %d, which does not exist", ErrInvalidReport, r.BasedOn)
	}
	last := 0
	prefix := pairKey(r.StudyUID, "")
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+4 {
			last = int(binary.BigEndian.Uint32(k[len(prefix):]))
		}
	}
	now := s.now().UTC()
	r.Version, r.Status, r.CreatedAt = last+1, ReportStatusDraft, now
	r.SignedBy, r.SignedAt = "", nil
	if err := putJSON(b, string(reportKey(r.StudyUID, r.Version)), r); err != nil {
		return r, nil, err
	}
	ev, err := appendEvent(tx, Event{Type: ReportAdded, StudyUID: r.StudyUID, Version: r.Version, Time: now})
	return r, []Event{ev}, err
}

// CompleteDraftJob adds r (an AI draft) as a new report version and marks
// the running job jobID done with that version, in one transaction: a
// crash leaves either neither or both, so one job gives at most one draft.
// A job that is not running (already done, failed, requeued) gives
// ErrJobState and no report.
func (s *Store) CompleteDraftJob(jobID string, r Report) (Report, error) {
	var out Report
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		var j Job
		if err := getOne(tx, bJobs, jobID, &j); err != nil {
			return err
		}
		if j.State != JobRunning {
			return fmt.Errorf("%w: job is %s", ErrJobState, j.State)
		}
		if j.StudyUID != r.StudyUID {
			return fmt.Errorf("%w: report study %s is not the job's", ErrInvalidReport, r.StudyUID)
		}
		var err error
		out, evs, err = s.addReport(tx, r)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		j.State, j.FinishedAt, j.ReportVersion, j.Error = JobDone, now, out.Version, ""
		if err := putJob(tx, j); err != nil {
			return err
		}
		ev, err := jobEvent(tx, j, now)
		evs = append(evs, ev)
		return err
	})
	if err != nil {
		return Report{}, fmt.Errorf("store: complete job %s: %w", jobID, err)
	}
	s.publish(evs)
	return out, nil
}

// SignReport signs a draft version as user. Every other signed version of
// the study becomes superseded; texts never change. ErrSigned when the
// version is signed or superseded already.
func (s *Store) SignReport(studyUID string, version int, user string) (Report, error) {
	var out Report
	var evs []Event
	err := s.update(func(tx *bolt.Tx) error {
		evs = nil
		if user == "" {
			return fmt.Errorf("%w: no signing user", ErrInvalidReport)
		}
		b := tx.Bucket(bReports)
		if err := getOne(tx, bReports, string(reportKey(studyUID, version)), &out); err != nil {
			return err
		}
		if out.Status != ReportStatusDraft {
			return fmt.Errorf("%w: version %d is %s", ErrSigned, version, out.Status)
		}
		prefix := pairKey(studyUID, "")
		c := b.Cursor()
		var superseded []Report
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r Report
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Status == ReportStatusSigned {
				superseded = append(superseded, r)
			}
		}
		for _, r := range superseded {
			r.Status = ReportStatusSuperseded
			if err := putJSON(b, string(reportKey(studyUID, r.Version)), r); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		out.Status, out.SignedBy, out.SignedAt = ReportStatusSigned, user, &now
		if err := putJSON(b, string(reportKey(studyUID, version)), out); err != nil {
			return err
		}
		ev, err := appendEvent(tx, Event{Type: ReportSigned, StudyUID: studyUID, Version: version, Time: now})
		evs = append(evs, ev)
		return err
	})
	if err != nil {
		return Report{}, fmt.Errorf("store: sign report %s v%d: %w", studyUID, version, err)
	}
	s.publish(evs)
	return out, nil
}

// AIStatus returns the AI status of each study named (see the AI*
// constants): a running draft job → drafting, a queued one → queued, else
// a signed version → signed, a draft version → draft_ready, a last job that
// failed → failed, a study still receiving → waiting, else none (also for
// unknown studies).
func (s *Store) AIStatus(studyUIDs ...string) (map[string]string, error) {
	out := make(map[string]string, len(studyUIDs))
	err := s.view(func(tx *bolt.Tx) error {
		for _, uid := range studyUIDs {
			st, err := aiStatus(tx, uid)
			if err != nil {
				return err
			}
			out[uid] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: ai status: %w", err)
	}
	return out, nil
}

func aiStatus(tx *bolt.Tx, uid string) (string, error) {
	if tx.Bucket(bStudies).Get([]byte(uid)) == nil {
		return AINone, nil
	}
	running, queued := false, false
	var last Job
	err := forStudyJobs(tx, uid, func(j Job) bool {
		running = running || j.State == JobRunning
		queued = queued || j.State == JobQueued
		last = j
		return true
	})
	if err != nil {
		return "", err
	}
	switch {
	case running:
		return AIDrafting, nil
	case queued:
		return AIQueued, nil
	}
	signed, draft := false, false
	prefix := pairKey(uid, "")
	c := tx.Bucket(bReports).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r Report
		if err := json.Unmarshal(v, &r); err != nil {
			return "", err
		}
		signed = signed || r.Status == ReportStatusSigned
		draft = draft || r.Status == ReportStatusDraft
	}
	switch {
	case signed:
		return AISigned, nil
	case draft:
		return AIDraftReady, nil
	case last.State == JobFailed:
		return AIFailed, nil
	case tx.Bucket(bPending).Get([]byte(uid)) != nil:
		return AIWaiting, nil
	}
	return AINone, nil
}
