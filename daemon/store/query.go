package store

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Paging limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// unknownDate is the ix_date date of studies without a valid StudyDate.
const unknownDate = "00000000"

// StudyQuery selects studies. Empty fields match everything; a study
// without a valid study date matches no date range.
type StudyQuery struct {
	PatientID   string // exact, or a pattern with * and ?
	PatientName string // case-insensitive pattern with * and ?; "^" and " " are equivalent
	DateFrom    string // YYYYMMDD, inclusive
	DateTo      string // YYYYMMDD, inclusive
	Modality    string // exact, case-insensitive; matches any series of the study
	Accession   string // exact
	Limit       int    // 0 means DefaultLimit; capped at MaxLimit
	Cursor      string // from a previous call's next
}

// FindStudies returns the studies matching q, newest study date first, and
// the cursor of the next page ("" when there is none).
func (s *Store) FindStudies(q StudyQuery) ([]StudyRecord, string, error) {
	limit := clampLimit(q.Limit)
	for _, d := range []string{q.DateFrom, q.DateTo} {
		if d != "" && (len(d) != 8 || !allDigits(d)) {
			return nil, "", fmt.Errorf("store: find studies: date %q is not YYYYMMDD", d)
		}
	}
	after, err := decodeCursor('s', q.Cursor)
	if err != nil {
		return nil, "", err
	}
	m := newStudyMatcher(q)
	var out []StudyRecord
	var keys [][]byte
	err = s.view(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bStudies)
		take := func(key []byte, st StudyRecord) bool { // false: page full
			if !m.match(st) {
				return true
			}
			out = append(out, st)
			keys = append(keys, key)
			return len(out) <= limit
		}
		if cands, ok := m.candidates(tx); ok {
			return scanCandidates(sb, cands, after, q, take)
		}
		return scanByDate(tx, after, q, take)
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: find studies: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor('s', keys[limit-1])
	}
	return out, next, nil
}

// scanByDate walks ix_date newest first between q's dates, from after.
func scanByDate(tx *bolt.Tx, after []byte, q StudyQuery, take func([]byte, StudyRecord) bool) error {
	sb := tx.Bucket(bStudies)
	dated := q.DateFrom != "" || q.DateTo != ""
	c := tx.Bucket(bIxDate).Cursor()
	upper := []byte("99999999\xff")
	if q.DateTo != "" {
		upper = []byte(q.DateTo + "\xff")
	}
	if after != nil && bytes.Compare(after, upper) < 0 {
		upper = after
	}
	k, _ := c.Seek(upper)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev() // Seek landed on a key >= upper
	}
	for ; k != nil; k, _ = c.Prev() {
		if q.DateFrom != "" && string(k[:8]) < q.DateFrom || dated && string(k[:8]) == unknownDate {
			return nil // unknown dates sort last and match no range
		}
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			continue
		}
		var st StudyRecord
		if missing, err := getJSON(sb, string(k[i+1:]), &st); err != nil || missing {
			if err != nil {
				return err
			}
			continue
		}
		if !take(append([]byte(nil), k...), st) {
			return nil
		}
	}
	return nil
}

// scanCandidates orders a small candidate set (one patient or accession)
// by date key and pages it like scanByDate.
func scanCandidates(sb *bolt.Bucket, uids []string, after []byte, q StudyQuery, take func([]byte, StudyRecord) bool) error {
	type cand struct {
		key []byte
		st  StudyRecord
	}
	var cs []cand
	for _, uid := range uids {
		var st StudyRecord
		missing, err := getJSON(sb, uid, &st)
		if err != nil {
			return err
		}
		if missing {
			continue
		}
		k := dateKey(st.StudyDate, st.StudyTime, st.StudyUID)
		if after != nil && bytes.Compare(k, after) >= 0 {
			continue
		}
		date := string(k[:8])
		if q.DateFrom != "" && date < q.DateFrom || q.DateTo != "" && date > q.DateTo ||
			(q.DateFrom != "" || q.DateTo != "") && date == unknownDate {
			continue
		}
		cs = append(cs, cand{k, st})
	}
	sort.Slice(cs, func(i, j int) bool { return bytes.Compare(cs[i].key, cs[j].key) > 0 })
	for _, c := range cs {
		if !take(c.key, c.st) {
			return nil
		}
	}
	return nil
}

type studyMatcher struct {
	q       StudyQuery
	name    *pattern
	pid     *pattern
	pidWild bool
}

func newStudyMatcher(q StudyQuery) *studyMatcher {
	m := &studyMatcher{q: q}
	if q.PatientName != "" {
		m.name = compilePattern(normName(q.PatientName), true)
	}
	if q.PatientID != "" {
		m.pidWild = strings.ContainsAny(q.PatientID, "*?")
		m.pid = compilePattern(q.PatientID, false)
	}
	return m
}

// candidates returns the study UIDs of an exact patient id or accession
// lookup; ok is false when the query needs a scan.
func (m *studyMatcher) candidates(tx *bolt.Tx) (uids []string, ok bool) {
	var bucket []byte
	var value string
	switch {
	case m.q.PatientID != "" && !m.pidWild:
		bucket, value = bIxPatient, m.q.PatientID
	case m.q.Accession != "":
		bucket, value = bIxAccess, m.q.Accession
	default:
		return nil, false
	}
	prefix := pairKey(value, "")
	c := tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		uids = append(uids, string(k[len(prefix):]))
	}
	return uids, true
}

func (m *studyMatcher) match(st StudyRecord) bool {
	if m.pid != nil && !m.pid.match(st.PatientID) {
		return false
	}
	if m.name != nil && !m.name.match(normName(st.PatientName)) {
		return false
	}
	if m.q.Accession != "" && st.AccessionNumber != m.q.Accession {
		return false
	}
	if m.q.Modality != "" {
		found := false
		for _, mod := range st.Modalities {
			found = found || strings.EqualFold(mod, m.q.Modality)
		}
		if !found {
			return false
		}
	}
	return true
}

// normName makes "DOE^JOHN" and "doe john" compare equal.
func normName(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "^", " "))
}

// Study returns one study.
func (s *Store) Study(studyUID string) (StudyRecord, error) {
	var st StudyRecord
	err := s.view(func(tx *bolt.Tx) error { return getOne(tx, bStudies, studyUID, &st) })
	if err != nil {
		return StudyRecord{}, fmt.Errorf("store: study %s: %w", studyUID, err)
	}
	return st, nil
}

// Series returns one series.
func (s *Store) Series(seriesUID string) (SeriesRecord, error) {
	var se SeriesRecord
	err := s.view(func(tx *bolt.Tx) error { return getOne(tx, bSeries, seriesUID, &se) })
	if err != nil {
		return SeriesRecord{}, fmt.Errorf("store: series %s: %w", seriesUID, err)
	}
	return se, nil
}

// SeriesOf returns the series of a study ordered by series number.
func (s *Store) SeriesOf(studyUID string) ([]SeriesRecord, error) {
	out := []SeriesRecord{}
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bStudies).Get([]byte(studyUID)) == nil {
			return ErrNotFound
		}
		prefix := pairKey(studyUID, "")
		c := tx.Bucket(bIxSeries).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var se SeriesRecord
			if err := getOne(tx, bSeries, string(k[len(prefix):]), &se); err != nil {
				return err
			}
			out = append(out, se)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: series of %s: %w", studyUID, err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].SeriesNumber != out[j].SeriesNumber {
			return out[i].SeriesNumber < out[j].SeriesNumber
		}
		return out[i].SeriesUID < out[j].SeriesUID
	})
	return out, nil
}

// InstancesOf returns a page of a series' instances ordered by instance
// number, and the cursor of the next page ("" when there is none).
func (s *Store) InstancesOf(seriesUID string, limit int, cursor string) ([]InstanceRecord, string, error) {
	limit = clampLimit(limit)
	after, err := decodeCursor('i', cursor)
	if err != nil {
		return nil, "", err
	}
	out := []InstanceRecord{}
	next := ""
	err = s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bSeries).Get([]byte(seriesUID)) == nil {
			return ErrNotFound
		}
		prefix := pairKey(seriesUID, "")
		if after != nil && !bytes.HasPrefix(after, prefix) {
			return ErrBadCursor
		}
		c := tx.Bucket(bIxInst).Cursor()
		k, _ := c.Seek(prefix)
		if after != nil {
			if k, _ = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(out) == limit {
				next = encodeCursor('i', out[limit-1].cursorKey)
				return nil
			}
			i := bytes.LastIndexByte(k, 0)
			var in InstanceRecord
			if err := getOne(tx, bInstances, string(k[i+1:]), &in); err != nil {
				return err
			}
			in.cursorKey = append([]byte(nil), k...)
			out = append(out, in)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: instances of %s: %w", seriesUID, err)
	}
	for i := range out {
		out[i].Path = s.absPath(out[i].Path)
		out[i].cursorKey = nil
	}
	return out, next, nil
}

// Instance returns one instance record with its absolute file path.
func (s *Store) Instance(sopUID string) (InstanceRecord, error) {
	var in InstanceRecord
	err := s.view(func(tx *bolt.Tx) error { return getOne(tx, bInstances, sopUID, &in) })
	if err != nil {
		return InstanceRecord{}, fmt.Errorf("store: instance %s: %w", sopUID, err)
	}
	in.Path = s.absPath(in.Path)
	return in, nil
}

// Counts returns the numbers of studies, series and instances.
func (s *Store) Counts() (Counts, error) {
	var c Counts
	err := s.view(func(tx *bolt.Tx) error { c = readCounts(tx); return nil })
	return c, err
}

func (s *Store) absPath(rel string) string {
	return filepath.Join(s.dir, filepath.FromSlash(rel))
}

func getOne(tx *bolt.Tx, bucket []byte, key string, v any) error {
	missing, err := getJSON(tx.Bucket(bucket), key, v)
	if err == nil && missing {
		return ErrNotFound
	}
	return err
}

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// Cursors are opaque to callers: a kind byte and an index key, base64url.
func encodeCursor(kind byte, key []byte) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, key...))
}

func decodeCursor(kind byte, c string) ([]byte, error) {
	if c == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != kind {
		return nil, ErrBadCursor
	}
	return raw[1:], nil
}
