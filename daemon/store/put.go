package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lingshu-edge/lingshu/dicom"
)

// Incoming is one received instance.
type Incoming struct {
	// Meta is written as the Part-10 file meta information. Its
	// MediaStorageSOPInstanceUID, when set, is the instance's key; its
	// TransferSyntaxUID is the encoding of Dataset.
	Meta dicom.FileMeta
	// Dataset is the dataset exactly as received (no file meta).
	Dataset []byte
	// Summary of Dataset; nil means PutInstance parses it.
	Summary    *dicom.Summary
	SenderAE   string
	RemoteAddr string
	// ReceivedAt defaults to the store's clock.
	ReceivedAt time.Time
}

// PutResult says what PutInstance did.
type PutResult struct {
	Stored bool // a file was written and indexed
	// Duplicate: the SOP Instance UID was already stored. With policy keep
	// nothing was written (Stored false); with replace it was replaced
	// (Stored true).
	Duplicate bool
	Path      string // absolute path of the instance file
}

// tempPrefix starts every temporary file name; Open removes such files.
const tempPrefix = ".tmp-"

// metaOverhead bounds the size of the preamble and file meta group.
const metaOverhead = 4096

// PutInstance stores in durably and indexes it; it returns only after the
// file is fsynced, renamed into place, its directory fsynced and the index
// committed. With DuplicatePolicy keep an already stored SOP Instance UID
// returns Duplicate without writing; with replace the file is atomically
// replaced and the index updated. Errors: ErrInvalidInstance,
// ErrOutOfResources, ErrClosed, context errors, I/O errors.
func (s *Store) PutInstance(ctx context.Context, in Incoming) (PutResult, error) {
	if err := s.checkOpen(); err != nil {
		return PutResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return PutResult{}, fmt.Errorf("store instance: %w", err)
	}
	inst, sum, err := s.describe(in)
	if err != nil {
		return PutResult{}, fmt.Errorf("store instance %s: %w", in.Meta.MediaStorageSOPInstanceUID, err)
	}
	sop := inst.SOPInstanceUID
	unlock := s.sopLocks.lock(sop)
	defer unlock()

	res, err := s.putLocked(ctx, inst, sum, in)
	if err != nil {
		return res, fmt.Errorf("store instance %s: %w", sop, err)
	}
	return res, nil
}

// describe validates in and builds its instance record.
func (s *Store) describe(in Incoming) (InstanceRecord, *dicom.Summary, error) {
	ts := in.Meta.TransferSyntaxUID
	if ts == "" {
		return InstanceRecord{}, nil, fmt.Errorf("%w: missing transfer syntax", ErrInvalidInstance)
	}
	sum := in.Summary
	if sum == nil {
		var err error
		if sum, err = dicom.ParseSummary(in.Dataset, ts); err != nil {
			return InstanceRecord{}, nil, fmt.Errorf("%w: %w", ErrInvalidInstance, err)
		}
	}
	inst := InstanceRecord{
		SOPInstanceUID:    in.Meta.MediaStorageSOPInstanceUID,
		SOPClassUID:       in.Meta.MediaStorageSOPClassUID,
		TransferSyntaxUID: ts,
		StudyUID:          sum.StudyInstanceUID,
		SeriesUID:         sum.SeriesInstanceUID,
		InstanceNumber:    atoiLoose(sum.InstanceNumber),
		Rows:              sum.Rows,
		Columns:           sum.Columns,
		NumberOfFrames:    sum.NumberOfFrames,
		BitsAllocated:     sum.BitsAllocated,
		SenderAE:          in.SenderAE,
		RemoteAddr:        in.RemoteAddr,
		ReceivedAt:        in.ReceivedAt,
	}
	if inst.SOPInstanceUID == "" {
		inst.SOPInstanceUID = sum.SOPInstanceUID
	}
	if inst.SOPClassUID == "" {
		inst.SOPClassUID = sum.SOPClassUID
	}
	if inst.ReceivedAt.IsZero() {
		inst.ReceivedAt = s.now()
	}
	if inst.NumberOfFrames == 0 && inst.Rows > 0 {
		inst.NumberOfFrames = 1
	}
	for _, c := range [][2]string{{"SOP Instance UID", inst.SOPInstanceUID}, {"Study Instance UID", inst.StudyUID}, {"Series Instance UID", inst.SeriesUID}} {
		if err := checkUID(c[0], c[1]); err != nil {
			return InstanceRecord{}, nil, err
		}
	}
	meta := in.Meta
	meta.MediaStorageSOPInstanceUID, meta.MediaStorageSOPClassUID = inst.SOPInstanceUID, inst.SOPClassUID
	if _, err := dicom.EncodeMeta(meta); err != nil { // what WritePart10 would refuse
		return InstanceRecord{}, nil, fmt.Errorf("%w: %w", ErrInvalidInstance, err)
	}
	inst.Path = relPath(inst.StudyUID, inst.SeriesUID, inst.SOPInstanceUID)
	return inst, sum, nil
}

func (s *Store) putLocked(ctx context.Context, inst InstanceRecord, sum *dicom.Summary, in Incoming) (PutResult, error) {
	final := filepath.Join(s.dir, filepath.FromSlash(inst.Path))
	old, err := s.Instance(inst.SOPInstanceUID)
	indexed := err == nil
	switch {
	case indexed && s.opts.DuplicatePolicy == DuplicateKeep:
		if _, serr := os.Stat(old.Path); serr == nil {
			return PutResult{Duplicate: true, Path: old.Path}, nil
		}
		s.log.Warn("duplicate of an instance whose file is missing; storing again", "sop_uid", inst.SOPInstanceUID)
	case err != nil && !errors.Is(err, ErrNotFound):
		return PutResult{}, err
	}
	in.Meta.MediaStorageSOPInstanceUID, in.Meta.MediaStorageSOPClassUID = inst.SOPInstanceUID, inst.SOPClassUID
	hdr, err := dicom.EncodeMeta(in.Meta) // Meta completed by describe
	if err != nil {
		return PutResult{}, fmt.Errorf("write part 10: %w", err)
	}
	inst.Size = int64(len(hdr) + len(in.Dataset))
	free, err := s.free(s.instDir)
	if err != nil {
		return PutResult{}, fmt.Errorf("check free space: %w", err)
	}
	if size := int64(len(in.Dataset)) + metaOverhead; free < s.opts.MinFreeBytes+size {
		s.log.Warn("refusing instance: low disk space", "free_bytes", free, "min_free_bytes", s.opts.MinFreeBytes, "size", size)
		return PutResult{}, ErrOutOfResources
	}
	if err := ctx.Err(); err != nil {
		return PutResult{}, err
	}
	var ap applied
	if indexed {
		ap, err = s.putSerial(inst, sum, final, hdr, in.Dataset)
	} else {
		ap, err = s.putOverlapped(inst, sum, final, hdr, in.Dataset)
	}
	if err != nil {
		return PutResult{}, err
	}
	if ap.oldPath != "" {
		old := filepath.Join(s.dir, filepath.FromSlash(ap.oldPath))
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove replaced instance file", "path", old, "err", err)
		}
	}
	s.publish(ap.events)
	if ap.newPending {
		s.poke()
	}
	return PutResult{Stored: true, Duplicate: ap.replaced || ap.oldPath != "", Path: final}, nil
}

// putSerial stores an instance whose SOP Instance UID is already indexed
// (a replace, or a resend of an instance whose file is missing): the file is made durable first and the index is committed
// after, so a crash in between leaves the previous entry or a complete
// file that the next Open indexes.
func (s *Store) putSerial(inst InstanceRecord, sum *dicom.Summary, final string, hdr, dataset []byte) (applied, error) {
	if err := s.writeDurable(final, hdr, dataset); err != nil {
		return applied{}, err
	}
	var ap applied
	err := s.commit.do(func(tx *bolt.Tx) error {
		var err error
		if ap, err = indexInstance(tx, inst, sum, s.now()); err != nil {
			return err
		}
		return tx.Bucket(bInflight).Delete([]byte(inst.SOPInstanceUID))
	})
	if err != nil {
		// The file is complete; the next Open indexes it. The sender was
		// told of the failure and may resend, which is harmless.
		return applied{}, fmt.Errorf("index: %w", err)
	}
	return ap, nil
}

// putOverlapped stores a new instance (its SOP Instance UID is not
// indexed) with the index commit running concurrently with the file's
// write, fsync, rename and directory fsync, so that a store costs the
// longer of the two rather than their sum. The index entry is committed
// together with a marker in the inflight bucket; the caller acknowledges
// only after both sides are durable. A crash before that may leave an
// entry whose file never landed: the next Open drops every marked entry
// whose file is absent (that instance was never acknowledged) and keeps
// those whose file is present (a file under its final name was fsynced
// before the rename, so it is complete). Markers of acknowledged
// instances are deleted lazily by a later commit.
func (s *Store) putOverlapped(inst InstanceRecord, sum *dicom.Summary, final string, hdr, dataset []byte) (applied, error) {
	type result struct {
		ap  applied
		err error
	}
	committed := make(chan result, 1)
	go func() {
		var r result
		r.err = s.commit.do(func(tx *bolt.Tx) error {
			var err error
			if r.ap, err = indexInstance(tx, inst, sum, s.now()); err != nil {
				return err
			}
			return tx.Bucket(bInflight).Put([]byte(inst.SOPInstanceUID), nil)
		})
		committed <- r
	}()
	ferr := s.writeDurable(final, hdr, dataset)
	r := <-committed
	switch {
	case r.err != nil:
		// As in putSerial: a complete file is indexed by the next Open.
		return applied{}, fmt.Errorf("index: %w", r.err)
	case ferr != nil:
		// The entry points at a file that is not durably in place: take
		// it out again. If that fails too, the marker makes the next Open
		// drop it.
		if err := s.commit.do(func(tx *bolt.Tx) error { return unindexInstance(tx, inst) }); err != nil {
			s.log.Warn("remove index entry of a failed store", "sop_uid", inst.SOPInstanceUID, "err", err)
		}
		return applied{}, ferr
	}
	s.commit.settle(inst.SOPInstanceUID)
	return r.ap, nil
}

// writeDurable writes the Part-10 file hdr+dataset at final through a
// temporary name: its directory is made durable, the file written,
// fsynced, renamed into place and the directory fsynced.
func (s *Store) writeDurable(final string, hdr, dataset []byte) error {
	dir := filepath.Dir(final)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	if err := writeTemp(dir, final, hdr, dataset); err != nil {
		return err
	}
	if err := s.dirSync.sync(dir, fsyncDir); err != nil {
		return fmt.Errorf("fsync directory: %w", err)
	}
	return nil
}

// writeTemp writes hdr and dataset to a temporary file in dir, flushes it
// to disk (syncFile) and renames it to final.
func writeTemp(dir, final string, hdr, dataset []byte) error {
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(hdr); err != nil {
		return fmt.Errorf("write part 10 meta: %w", err)
	}
	if _, err := f.Write(dataset); err != nil {
		return fmt.Errorf("write part 10 dataset: %w", err)
	}
	if err := syncFile(f); err != nil {
		return fmt.Errorf("fsync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	if err := renameDurable(tmp, final); err != nil {
		return fmt.Errorf("rename temp file: %w", err)
	}
	ok = true
	return nil
}

// ensureDir creates dir and any missing parents below the data directory
// and makes their entries durable (fsync of each parent) before any file
// is stored in them. A directory counts as ready only after that fsync, so
// a concurrent store cannot race ahead of a parent fsync that is still
// running.
func (s *Store) ensureDir(dir string) error {
	if s.readyDirs.has(dir) {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != s.instDir && len(parent) > len(s.instDir) {
		if err := s.ensureDir(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create directory: %w", err)
	}
	if err := s.dirSync.sync(parent, fsyncDir); err != nil {
		return fmt.Errorf("fsync directory: %w", err)
	}
	s.readyDirs.add(dir)
	return nil
}
