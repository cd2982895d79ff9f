package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lingshu-edge/lingshu/dicom"
)

// applied is what one index transaction did, for the caller to act on
// after the commit.
type applied struct {
	events     []Event // to publish after commit
	newPending bool    // a study became pending: wake the stable timer
	oldPath    string  // relative path of a replaced file at another place
	replaced   bool
}

// indexInstance records inst (with the study/series fields of sum) in the
// index. It runs inside one bbolt write transaction and may run more than
// once (the committer retries a batch), so it only reads its arguments.
func indexInstance(tx *bolt.Tx, inst InstanceRecord, sum *dicom.Summary, now time.Time) (applied, error) {
	var out applied
	ib := tx.Bucket(bInstances)
	if raw := ib.Get([]byte(inst.SOPInstanceUID)); raw != nil {
		var old InstanceRecord
		if err := json.Unmarshal(raw, &old); err != nil {
			return out, fmt.Errorf("decode instance %s: %w", inst.SOPInstanceUID, err)
		}
		out.replaced = true
		if old.Path != inst.Path {
			out.oldPath = old.Path
		}
		if old.SeriesUID != inst.SeriesUID || old.StudyUID != inst.StudyUID {
			if err := detachInstance(tx, old); err != nil {
				return out, err
			}
			out.replaced = false // counted again below as a new member
		} else if err := tx.Bucket(bIxInst).Delete(instKey(old.SeriesUID, old.InstanceNumber, old.SOPInstanceUID)); err != nil {
			return out, err
		}
	}
	isNew := !out.replaced

	// Series.
	var se SeriesRecord
	seNew, err := getJSON(tx.Bucket(bSeries), inst.SeriesUID, &se)
	if err != nil {
		return out, err
	}
	if seNew {
		se = SeriesRecord{SeriesUID: inst.SeriesUID, StudyUID: inst.StudyUID}
	}
	setIf(&se.Modality, sum.Modality)
	setIf(&se.SeriesDescription, sum.SeriesDescription)
	setIf(&se.BodyPartExamined, sum.BodyPartExamined)
	if n := atoiLoose(sum.SeriesNumber); n != 0 || seNew {
		se.SeriesNumber = n
	}
	if isNew {
		se.NumInstances++
	}
	se.LastUpdate = now

	// Study.
	var st StudyRecord
	stNew, err := getJSON(tx.Bucket(bStudies), inst.StudyUID, &st)
	if err != nil {
		return out, err
	}
	oldKeys := studyIndexKeys(st, stNew)
	if stNew {
		st = StudyRecord{StudyUID: inst.StudyUID, FirstReceived: now, Modalities: []string{}}
	}
	setIf(&st.PatientID, sum.PatientID)
	setIf(&st.PatientName, sum.PatientName)
	setIf(&st.PatientBirthDate, sum.PatientBirthDate)
	setIf(&st.PatientSex, sum.PatientSex)
	setIf(&st.StudyDate, sum.StudyDate)
	setIf(&st.StudyTime, sum.StudyTime)
	setIf(&st.StudyDescription, sum.StudyDescription)
	setIf(&st.AccessionNumber, sum.AccessionNumber)
	setIf(&st.ReferringPhysician, sum.ReferringPhysicianName)
	if se.Modality != "" && !slices.Contains(st.Modalities, se.Modality) {
		st.Modalities = append(st.Modalities, se.Modality)
		sort.Strings(st.Modalities)
	}
	if seNew {
		st.NumSeries++
		if err := tx.Bucket(bIxSeries).Put(pairKey(st.StudyUID, se.SeriesUID), nil); err != nil {
			return out, err
		}
	}
	if isNew {
		st.NumInstances++
	}
	st.LastUpdate = now
	if stNew {
		ev, err := appendEvent(tx, Event{Type: StudyReceived, StudyUID: st.StudyUID, NumInstances: st.NumInstances, Time: now})
		if err != nil {
			return out, err
		}
		out.events = append(out.events, ev)
	}
	if st.Stable {
		st.Stable = false
		ev, err := appendEvent(tx, Event{Type: StudyLateArrival, StudyUID: st.StudyUID, NumInstances: st.NumInstances, Time: now})
		if err != nil {
			return out, err
		}
		out.events = append(out.events, ev)
	}
	pb := tx.Bucket(bPending)
	if pb.Get([]byte(st.StudyUID)) == nil {
		out.newPending = true
	}
	if err := pb.Put([]byte(st.StudyUID), timeBytes(now)); err != nil {
		return out, err
	}
	if err := rekeyStudy(tx, oldKeys, studyIndexKeys(st, false)); err != nil {
		return out, err
	}

	if err := putJSON(tx.Bucket(bSeries), se.SeriesUID, se); err != nil {
		return out, err
	}
	if err := putJSON(tx.Bucket(bStudies), st.StudyUID, st); err != nil {
		return out, err
	}
	if err := putJSON(ib, inst.SOPInstanceUID, inst); err != nil {
		return out, err
	}
	if err := tx.Bucket(bIxInst).Put(instKey(inst.SeriesUID, inst.InstanceNumber, inst.SOPInstanceUID), nil); err != nil {
		return out, err
	}
	return out, addCounts(tx, b2i(stNew), b2i(seNew), b2i(isNew))
}

// detachInstance removes old from its series and study aggregates (used
// when a replacing instance moved to another series or study), deleting a
// series or study that becomes empty.
func detachInstance(tx *bolt.Tx, old InstanceRecord) error {
	if err := tx.Bucket(bIxInst).Delete(instKey(old.SeriesUID, old.InstanceNumber, old.SOPInstanceUID)); err != nil {
		return err
	}
	var dSeries, dStudies int64
	var se SeriesRecord
	if missing, err := getJSON(tx.Bucket(bSeries), old.SeriesUID, &se); err != nil || missing {
		return err
	}
	se.NumInstances--
	if se.NumInstances <= 0 {
		dSeries = -1
		if err := tx.Bucket(bSeries).Delete([]byte(se.SeriesUID)); err != nil {
			return err
		}
		if err := tx.Bucket(bIxSeries).Delete(pairKey(old.StudyUID, se.SeriesUID)); err != nil {
			return err
		}
	} else if err := putJSON(tx.Bucket(bSeries), se.SeriesUID, se); err != nil {
		return err
	}
	var st StudyRecord
	if missing, err := getJSON(tx.Bucket(bStudies), old.StudyUID, &st); err != nil || missing {
		return err
	}
	oldKeys := studyIndexKeys(st, false)
	st.NumInstances--
	st.NumSeries += int(dSeries)
	if st.NumInstances <= 0 {
		dStudies = -1
		if err := rekeyStudy(tx, oldKeys, nil); err != nil {
			return err
		}
		if err := tx.Bucket(bPending).Delete([]byte(st.StudyUID)); err != nil {
			return err
		}
		if err := tx.Bucket(bStudies).Delete([]byte(st.StudyUID)); err != nil {
			return err
		}
	} else {
		mods, err := studyModalities(tx, st.StudyUID)
		if err != nil {
			return err
		}
		st.Modalities = mods
		if err := putJSON(tx.Bucket(bStudies), st.StudyUID, st); err != nil {
			return err
		}
	}
	return addCounts(tx, dStudies, dSeries, -1)
}

// studyModalities recomputes a study's modality set from its series.
func studyModalities(tx *bolt.Tx, studyUID string) ([]string, error) {
	mods := []string{}
	prefix := pairKey(studyUID, "")
	c := tx.Bucket(bIxSeries).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var se SeriesRecord
		if _, err := getJSON(tx.Bucket(bSeries), string(k[len(prefix):]), &se); err != nil {
			return nil, err
		}
		if se.Modality != "" && !slices.Contains(mods, se.Modality) {
			mods = append(mods, se.Modality)
		}
	}
	sort.Strings(mods)
	return mods, nil
}

type bucketKey struct {
	bucket []byte
	key    string
}

// studyIndexKeys lists the secondary index entries of a study record.
func studyIndexKeys(st StudyRecord, absent bool) []bucketKey {
	if absent {
		return nil
	}
	keys := []bucketKey{{bIxDate, string(dateKey(st.StudyDate, st.StudyTime, st.StudyUID))}}
	if st.PatientID != "" {
		keys = append(keys, bucketKey{bIxPatient, string(pairKey(st.PatientID, st.StudyUID))})
	}
	if st.AccessionNumber != "" {
		keys = append(keys, bucketKey{bIxAccess, string(pairKey(st.AccessionNumber, st.StudyUID))})
	}
	return keys
}

func rekeyStudy(tx *bolt.Tx, old, cur []bucketKey) error {
	for _, o := range old {
		if !slices.ContainsFunc(cur, func(c bucketKey) bool { return bytes.Equal(c.bucket, o.bucket) && c.key == o.key }) {
			if err := tx.Bucket(o.bucket).Delete([]byte(o.key)); err != nil {
				return err
			}
		}
	}
	for _, c := range cur {
		if err := tx.Bucket(c.bucket).Put([]byte(c.key), nil); err != nil {
			return err
		}
	}
	return nil
}

var counterKeys = [3][]byte{[]byte("count_studies"), []byte("count_series"), []byte("count_instances")}

func addCounts(tx *bolt.Tx, deltas ...int64) error {
	mb := tx.Bucket(bMeta)
	for i, d := range deltas {
		if d == 0 {
			continue
		}
		var v int64
		if raw := mb.Get(counterKeys[i]); len(raw) == 8 {
			v = int64(binary.BigEndian.Uint64(raw))
		}
		if err := mb.Put(counterKeys[i], binary.BigEndian.AppendUint64(nil, uint64(v+d))); err != nil {
			return err
		}
	}
	return nil
}

func readCounts(tx *bolt.Tx) Counts {
	var v [3]int64
	mb := tx.Bucket(bMeta)
	for i, k := range counterKeys {
		if raw := mb.Get(k); len(raw) == 8 {
			v[i] = int64(binary.BigEndian.Uint64(raw))
		}
	}
	return Counts{Studies: v[0], Series: v[1], Instances: v[2]}
}

// getJSON decodes bucket[key] into v; missing reports an absent key.
func getJSON(b *bolt.Bucket, key string, v any) (missing bool, err error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return true, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode record %s: %w", key, err)
	}
	return false, nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func timeBytes(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

func bytesTime(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)))
}

// unindexInstance takes inst, which was indexed as a new instance, out of
// the index again: its record, its place in its series and study
// (deleting a series or study that becomes empty) and its inflight marker.
// Study fields it filled in (patient name, dates) and study events it
// caused are kept.
func unindexInstance(tx *bolt.Tx, inst InstanceRecord) error {
	if err := tx.Bucket(bInflight).Delete([]byte(inst.SOPInstanceUID)); err != nil {
		return err
	}
	ib := tx.Bucket(bInstances)
	if ib.Get([]byte(inst.SOPInstanceUID)) == nil {
		return nil
	}
	if err := detachInstance(tx, inst); err != nil {
		return err
	}
	return ib.Delete([]byte(inst.SOPInstanceUID))
}
