package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// inflightKeys lists the inflight markers in the index of the closed
// store at dir.
func inflightKeys(t *testing.T, dir string) []string {
	t.Helper()
	var keys []string
	withIndex(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket(bInflight).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	return keys
}

// withIndex runs fn in a write transaction on the index of the closed
// store at dir.
func withIndex(t *testing.T, dir string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "index.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// markInflight puts inflight markers for sops, as putOverlapped commits
// them before the file is in place.
func markInflight(t *testing.T, dir string, sops ...string) {
	t.Helper()
	withIndex(t, dir, func(tx *bolt.Tx) error {
		for _, sop := range sops {
			if err := tx.Bucket(bInflight).Put([]byte(sop), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestPutInstance_SettlesInflightMarkers(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	for i := 1; i <= 5; i++ {
		mustPut(t, s, inst{SOP: "1.2.3.1.1." + itoa(i), InstanceNumber: itoa(i)})
	}
	s.Close()
	if keys := inflightKeys(t, dir); len(keys) != 0 {
		t.Errorf("inflight markers left after Close: %v", keys)
	}
}

// A crash after the overlapped index commit but before the file's rename
// (or before its directory fsync reached the disk): the entry is marked
// inflight and its file is absent. The instance was never acknowledged, so
// the next Open drops the entry and undoes its aggregates.
func TestRecover_InflightEntryWithoutFileIsDropped(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	kept := mustPut(t, s, inst{SOP: "1.2.3.1.1.1", InstanceNumber: "1"})
	lost := mustPut(t, s, inst{SOP: "1.2.3.1.1.2", InstanceNumber: "2"})
	other := mustPut(t, s, inst{Study: "1.2.3.9", Series: "1.2.3.9.1", SOP: "1.2.3.9.1.1", PatientID: "P9"})
	s.Close()
	markInflight(t, dir, "1.2.3.1.1.2", "1.2.3.9.1.1")
	os.Remove(lost.Path)
	os.Remove(other.Path)
	// The temporary file of the store that was cut short.
	tmp := filepath.Join(filepath.Dir(lost.Path), tempPrefix+"1.2.3.1.1.2.dcm-42")
	os.WriteFile(tmp, []byte("half"), 0o640)

	s = openTest(t, dir, testOptions(newClock()))
	if r := s.Recovery(); r != (RecoveryStats{Dropped: 2, TempRemoved: 1}) {
		t.Errorf("recovery = %+v", r)
	}
	for _, sop := range []string{"1.2.3.1.1.2", "1.2.3.9.1.1"} {
		if _, err := s.Instance(sop); !errors.Is(err, ErrNotFound) {
			t.Errorf("dropped instance %s still indexed: %v", sop, err)
		}
	}
	if rec, err := s.Instance("1.2.3.1.1.1"); err != nil || rec.Path != kept.Path {
		t.Errorf("kept instance = %+v, %v", rec, err)
	}
	if st, err := s.Study("1.2.3.1"); err != nil || st.NumInstances != 1 || st.NumSeries != 1 {
		t.Errorf("study = %+v, %v", st, err)
	}
	if _, err := s.Study("1.2.3.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("emptied study still indexed: %v", err)
	}
	if list, _, _ := s.FindStudies(StudyQuery{PatientID: "P9"}); len(list) != 0 {
		t.Errorf("emptied study still searchable: %+v", list)
	}
	if c, _ := s.Counts(); c != (Counts{1, 1, 1}) {
		t.Errorf("counts = %+v", c)
	}
	list, _, err := s.InstancesOf("1.2.3.1.1", 10, "")
	if err != nil || len(list) != 1 {
		t.Errorf("series instances = %+v, %v", list, err)
	}
	// The PACS resends the unacknowledged instance: it is stored anew.
	if res := mustPut(t, s, inst{SOP: "1.2.3.1.1.2", InstanceNumber: "2"}); !res.Stored || res.Duplicate {
		t.Errorf("resend = %+v", res)
	}
	s.Close()
	if keys := inflightKeys(t, dir); len(keys) != 0 {
		t.Errorf("inflight markers left: %v", keys)
	}
}

// A crash after the file's rename but before the acknowledgement (or
// before the marker's lazy deletion): the file is complete, so the entry
// stays and only the marker goes.
func TestRecover_InflightEntryWithFileIsKept(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	res := mustPut(t, s, inst{})
	s.Close()
	markInflight(t, dir, "1.2.3.1.1.1", "9.9.9") // 9.9.9: a marker without entry
	s = openTest(t, dir, testOptions(newClock()))
	if r := s.Recovery(); r != (RecoveryStats{}) {
		t.Errorf("recovery = %+v", r)
	}
	if rec, err := s.Instance("1.2.3.1.1.1"); err != nil || rec.Path != res.Path {
		t.Errorf("instance = %+v, %v", rec, err)
	}
	s.Close()
	if keys := inflightKeys(t, dir); len(keys) != 0 {
		t.Errorf("inflight markers left: %v", keys)
	}
}

// When the file side fails after the overlapped commit succeeded, the
// entry is taken out again before PutInstance returns.
func TestPutInstance_FileFailureUnindexes(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	// A regular file where the study directory should be.
	if err := os.WriteFile(filepath.Join(dir, "instances", "1.2.3.1"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutInstance(t.Context(), inst{}.incoming()); err == nil {
		t.Fatal("PutInstance succeeded without a directory to store in")
	}
	if _, err := s.Instance("1.2.3.1.1.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("instance of a failed store is indexed: %v", err)
	}
	if _, err := s.Study("1.2.3.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("study of a failed store is indexed: %v", err)
	}
	if c, _ := s.Counts(); c != (Counts{}) {
		t.Errorf("counts = %+v", c)
	}
	s.Close()
	if keys := inflightKeys(t, dir); len(keys) != 0 {
		t.Errorf("inflight markers left: %v", keys)
	}
}
