package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Defaults for the service's log file in <data dir>/logs.
const (
	DefaultLogFileMaxBytes = 20 << 20 // rotate at 20 MiB
	DefaultLogFileKeep     = 5        // lingshu.log.1 … lingshu.log.5
)

// RotatingFile is an io.WriteCloser over a log file that rotates by size:
// when a write would take the file past MaxBytes, path is renamed to
// path.1 (path.1 to path.2, and so on, the oldest beyond Keep deleted) and a
// new path is opened. A single write larger than MaxBytes goes whole into a
// fresh file, so a log line is never split across files. It is safe for
// concurrent use. Rotation closes the file before renaming it, so it also
// works on Windows, where an open file cannot be renamed.
type RotatingFile struct {
	path     string
	maxBytes int64
	keep     int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenRotatingFile opens (appending) or creates path and its directory.
// maxBytes must be positive; keep is the number of rotated files kept
// besides the live one (0 keeps none: the live file is truncated).
func OpenRotatingFile(path string, maxBytes int64, keep int) (*RotatingFile, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("daemon: log file %s: max bytes must be positive, got %d", path, maxBytes)
	}
	if keep < 0 {
		return nil, fmt.Errorf("daemon: log file %s: keep must not be negative, got %d", path, keep)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("daemon: log dir: %w", err)
	}
	r := &RotatingFile{path: path, maxBytes: maxBytes, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("daemon: open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("daemon: stat log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would not fit.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, fmt.Errorf("daemon: write log file %s: %w", r.path, os.ErrClosed)
	}
	if r.size > 0 && r.size+int64(len(p)) > r.maxBytes {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("daemon: write log file: %w", err)
	}
	return n, nil
}

// rotate shifts path.N-1 → path.N … path → path.1 and reopens path.
func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("daemon: close log file for rotation: %w", err)
	}
	r.f = nil
	var errs []error
	if r.keep == 0 {
		if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	} else {
		if err := os.Remove(r.rotated(r.keep)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		for i := r.keep - 1; i >= 1; i-- {
			if err := os.Rename(r.rotated(i), r.rotated(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if err := os.Rename(r.path, r.rotated(1)); err != nil {
			errs = append(errs, err)
		}
	}
	// Reopen even if a rename failed: losing rotation is better than
	// losing the log.
	if err := r.open(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("daemon: rotate log file %s: %w", r.path, errors.Join(errs...))
	}
	return nil
}

func (r *RotatingFile) rotated(i int) string { return r.path + "." + strconv.Itoa(i) }

// Sync flushes the live file to disk.
func (r *RotatingFile) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	return r.f.Sync()
}

// Close closes the live file; later writes fail. Closing twice is a no-op.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("daemon: close log file: %w", err)
	}
	return nil
}
