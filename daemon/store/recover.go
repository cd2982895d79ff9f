package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lingshu-edge/lingshu/dicom"
)

// recover makes the disk and the index agree after a crash: entries of
// unacknowledged instances whose file never landed are dropped, temporary
// files are removed, complete files without an index entry are indexed
// (files are only renamed into place after an fsync, so a file under its
// final name is complete), and index entries whose file is gone are logged.
func (s *Store) recover() error {
	if err := s.recoverInflight(); err != nil {
		return err
	}
	var orphans []string
	err := filepath.WalkDir(s.instDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			s.log.Warn("recovery: cannot read", "path", path, "err", err)
			return nil
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove temp file %s: %w", path, err)
			}
			s.recovery.TempRemoved++
		case strings.HasSuffix(name, ".dcm"):
			rel, err := filepath.Rel(s.dir, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !s.indexedAt(strings.TrimSuffix(name, ".dcm"), rel) {
				orphans = append(orphans, rel)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, rel := range orphans {
		if err := s.indexOrphan(rel); err != nil {
			return err
		}
	}
	return s.checkIndexedFiles()
}

// recoverInflight settles the entries PutInstance committed with an
// inflight marker (see putOverlapped): an entry whose file is in place is
// kept, since the file was fsynced before its rename; an entry whose file
// is absent belongs to an instance that was never acknowledged (the crash
// came before its rename or directory fsync completed) and is dropped.
// The walk that follows removes its temporary file, if any.
func (s *Store) recoverInflight() error {
	var keep [][]byte
	var drop []InstanceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bInflight).ForEach(func(k, _ []byte) error {
			var in InstanceRecord
			missing, err := getJSON(tx.Bucket(bInstances), string(k), &in)
			if err != nil {
				return err
			}
			if missing {
				keep = append(keep, append([]byte(nil), k...))
				return nil
			}
			_, err = os.Stat(s.absPath(in.Path))
			switch {
			case err == nil:
				keep = append(keep, append([]byte(nil), k...))
			case errors.Is(err, fs.ErrNotExist):
				drop = append(drop, in)
			default:
				return fmt.Errorf("check inflight instance %s: %w", in.SOPInstanceUID, err)
			}
			return nil
		})
	})
	if err != nil || len(keep)+len(drop) == 0 {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := deleteKeys(tx, bInflight, keep); err != nil {
			return err
		}
		for _, in := range drop {
			if err := unindexInstance(tx, in); err != nil {
				return fmt.Errorf("drop inflight instance %s: %w", in.SOPInstanceUID, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, in := range drop {
		s.log.Warn("recovery: dropped the index entry of an unacknowledged instance whose file never landed",
			"sop_uid", in.SOPInstanceUID, "path", in.Path)
	}
	s.recovery.Dropped = len(drop)
	return nil
}

// indexedAt reports whether the file at rel, named after SOP UID sop (or
// its hash), is the file the index points at.
func (s *Store) indexedAt(sop, rel string) bool {
	found := false
	s.db.View(func(tx *bolt.Tx) error {
		var in InstanceRecord
		if missing, err := getJSON(tx.Bucket(bInstances), sop, &in); err == nil && !missing {
			found = in.Path == rel
		}
		return nil
	})
	if found || !strings.HasPrefix(sop, "h") {
		return found
	}
	// A hashed name: the SOP UID is only in the file; parse decides.
	return false
}

// indexOrphan indexes a complete file that has no index entry, or moves an
// unreadable one to <dir>/quarantine.
func (s *Store) indexOrphan(rel string) error {
	path := filepath.Join(s.dir, filepath.FromSlash(rel))
	f, err := readSummary(path)
	var inst InstanceRecord
	if err == nil {
		inst, err = orphanRecord(f, path, rel)
	}
	if err != nil {
		return s.quarantine(path, rel, err)
	}
	if relPath(inst.StudyUID, inst.SeriesUID, inst.SOPInstanceUID) != rel {
		return s.quarantine(path, rel, errors.New("file is not at the path its UIDs give"))
	}
	cur, err := s.Instance(inst.SOPInstanceUID)
	if err == nil && cur.Path == path {
		return nil
	}
	if err == nil && !s.orphanWins(path, cur.Path) {
		return s.quarantine(path, rel, errors.New("another file of the same instance is indexed"))
	}
	var ap applied
	err = s.db.Update(func(tx *bolt.Tx) error {
		var err error
		ap, err = indexInstance(tx, inst, f.Summary, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("index recovered file %s: %w", rel, err)
	}
	if ap.oldPath != "" {
		if err := os.Remove(s.absPath(ap.oldPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("recovery: remove replaced instance file", "path", ap.oldPath, "err", err)
		}
	}
	s.recovery.Indexed++
	s.log.Warn("recovery: indexed a stored file that had no index entry", "path", rel, "sop_uid", inst.SOPInstanceUID)
	return nil
}

// orphanWins decides between an unindexed file and the indexed file of the
// same SOP Instance UID at another path (a replace that crashed between
// rename and index commit): with DuplicatePolicy replace the newer file
// wins, with keep the indexed one; a missing indexed file always loses.
func (s *Store) orphanWins(orphan, indexed string) bool {
	ist, err := os.Stat(indexed)
	if err != nil {
		return true
	}
	if s.opts.DuplicatePolicy != DuplicateReplace {
		return false
	}
	ost, err := os.Stat(orphan)
	return err == nil && ost.ModTime().After(ist.ModTime())
}

// readSummary reads the file meta and the summary of a Part-10 file
// (header-first: the pixel data is not decoded).
func readSummary(path string) (*dicom.File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	meta, off, err := dicom.ReadMeta(raw)
	if err != nil {
		return nil, err
	}
	sum, err := dicom.ParseSummary(raw[off:], meta.TransferSyntaxUID)
	if err != nil {
		return nil, err
	}
	return &dicom.File{Meta: meta, HasMeta: true, Summary: sum}, nil
}

func orphanRecord(f *dicom.File, path, rel string) (InstanceRecord, error) {
	if f.Summary == nil {
		return InstanceRecord{}, errors.New("no dataset summary")
	}
	st, err := os.Stat(path)
	if err != nil {
		return InstanceRecord{}, err
	}
	sum := f.Summary
	inst := InstanceRecord{
		SOPInstanceUID:    f.Meta.MediaStorageSOPInstanceUID,
		SOPClassUID:       f.Meta.MediaStorageSOPClassUID,
		TransferSyntaxUID: f.Meta.TransferSyntaxUID,
		StudyUID:          sum.StudyInstanceUID,
		SeriesUID:         sum.SeriesInstanceUID,
		InstanceNumber:    atoiLoose(sum.InstanceNumber),
		Rows:              sum.Rows,
		Columns:           sum.Columns,
		NumberOfFrames:    sum.NumberOfFrames,
		BitsAllocated:     sum.BitsAllocated,
		SenderAE:          f.Meta.SourceApplicationEntityTitle,
		ReceivedAt:        st.ModTime().UTC(),
		Path:              rel,
		Size:              st.Size(),
	}
	if inst.SOPInstanceUID == "" {
		inst.SOPInstanceUID = sum.SOPInstanceUID
	}
	if inst.SOPClassUID == "" {
		inst.SOPClassUID = sum.SOPClassUID
	}
	if inst.NumberOfFrames == 0 && inst.Rows > 0 {
		inst.NumberOfFrames = 1
	}
	for _, c := range [][2]string{{"SOP Instance UID", inst.SOPInstanceUID}, {"Study Instance UID", inst.StudyUID}, {"Series Instance UID", inst.SeriesUID}} {
		if err := checkUID(c[0], c[1]); err != nil {
			return InstanceRecord{}, err
		}
	}
	return inst, nil
}

func (s *Store) quarantine(path, rel string, cause error) error {
	qdir := filepath.Join(s.dir, "quarantine")
	if err := os.MkdirAll(qdir, 0o750); err != nil {
		return fmt.Errorf("quarantine %s: %w", rel, err)
	}
	dst := filepath.Join(qdir, fmt.Sprintf("%d-%s", time.Now().UnixNano(), filepath.Base(path)))
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("quarantine %s: %w", rel, err)
	}
	s.recovery.Quarantined++
	s.log.Error("recovery: unreadable instance file moved to quarantine", "path", rel, "to", dst, "err", cause)
	return nil
}

// checkIndexedFiles logs index entries whose file is missing. They are
// kept: the operator may restore the file from a backup.
func (s *Store) checkIndexedFiles() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bInstances).ForEach(func(k, v []byte) error {
			var in InstanceRecord
			if err := json.Unmarshal(v, &in); err != nil {
				s.log.Error("recovery: undecodable index record", "sop_uid", string(k), "err", err)
				return nil
			}
			if _, err := os.Stat(s.absPath(in.Path)); errors.Is(err, fs.ErrNotExist) {
				s.recovery.MissingFiles++
				s.log.Error("recovery: indexed instance file is missing", "sop_uid", in.SOPInstanceUID, "path", in.Path)
			}
			return nil
		})
	})
}
