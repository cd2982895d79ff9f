package store

import (
	"bufio"
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
	if s.opts.DuplicatePolicy == DuplicateKeep {
		old, err := s.Instance(inst.SOPInstanceUID)
		switch {
		case err == nil:
			if _, serr := os.Stat(old.Path); serr == nil {
				return PutResult{Duplicate: true, Path: old.Path}, nil
			}
			s.log.Warn("duplicate of an instance whose file is missing; storing again", "sop_uid", inst.SOPInstanceUID)
		case !errors.Is(err, ErrNotFound):
			return PutResult{}, err
		}
	}
	size := int64(len(in.Dataset)) + metaOverhead
	free, err := s.free(s.instDir)
	if err != nil {
		return PutResult{}, fmt.Errorf("check free space: %w", err)
	}
	if free < s.opts.MinFreeBytes+size {
		s.log.Warn("refusing instance: low disk space", "free_bytes", free, "min_free_bytes", s.opts.MinFreeBytes, "size", size)
		return PutResult{}, ErrOutOfResources
	}
	if err := ctx.Err(); err != nil {
		return PutResult{}, err
	}
	dir := filepath.Dir(final)
	if err := s.ensureDir(dir); err != nil {
		return PutResult{}, err
	}
	in.Meta.MediaStorageSOPInstanceUID, in.Meta.MediaStorageSOPClassUID = inst.SOPInstanceUID, inst.SOPClassUID
	written, err := writeTemp(dir, final, in)
	if err != nil {
		return PutResult{}, err
	}
	inst.Size = written
	if err := s.dirSync.sync(dir, fsyncDir); err != nil {
		return PutResult{}, fmt.Errorf("fsync directory: %w", err)
	}

	var ap applied
	err = s.commit.do(func(tx *bolt.Tx) error {
		var err error
		ap, err = indexInstance(tx, inst, sum, s.now())
		return err
	})
	if err != nil {
		// The file is complete; the next Open indexes it. The sender was
		// told of the failure and may resend, which is harmless.
		return PutResult{}, fmt.Errorf("index: %w", err)
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

// writeTemp writes the Part-10 file to a temporary name in dir, fsyncs it
// and renames it to final. It returns the file size.
func writeTemp(dir, final string, in Incoming) (int64, error) {
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return 0, fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := dicom.WritePart10(bw, in.Meta, in.Dataset); err != nil { // Meta completed by describe
		return 0, fmt.Errorf("write part 10: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write part 10: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("fsync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close temp file: %w", err)
	}
	if err := renameDurable(tmp, final); err != nil {
		return 0, fmt.Errorf("rename temp file: %w", err)
	}
	ok = true
	return st.Size(), nil
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
