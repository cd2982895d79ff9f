package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Duplicate policies for Options.DuplicatePolicy.
const (
	DuplicateKeep    = "keep"
	DuplicateReplace = "replace"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultStableAfter = 30 * time.Second
	DefaultSessionTTL  = 12 * time.Hour
	DefaultEventBuffer = 256
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// StableAfter is the quiet time after the last instance of a study
	// before StudyStable is emitted. 0 means DefaultStableAfter.
	StableAfter time.Duration
	// DuplicatePolicy is DuplicateKeep (default) or DuplicateReplace.
	DuplicatePolicy string
	// MinFreeBytes is the free space that must remain on the data
	// filesystem after an instance is written.
	MinFreeBytes int64
	// SessionTTL is the lifetime of a login session. 0 means 12 h.
	SessionTTL time.Duration
	// BcryptCost for new password hashes; 0 means bcrypt.DefaultCost.
	BcryptCost int
	// EventBuffer is the channel capacity of each Subscribe; 0 means 256.
	EventBuffer int
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// FreeSpace reports the free bytes of the filesystem holding dir;
	// nil means the operating system's (statfs / GetDiskFreeSpaceEx).
	FreeSpace func(dir string) (int64, error)
}

// Store is the durable instance store and index. It is safe for
// concurrent use.
type Store struct {
	dir     string
	instDir string
	db      *bolt.DB
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	free    func(string) (int64, error)

	commit    *committer
	sopLocks  keyedMutex
	dirSync   dirSyncer
	readyDirs dirSet
	dummy     []byte // bcrypt hash compared for unknown users (constant time)

	subMu  sync.Mutex
	subs   map[int]chan Event
	subSeq int
	drops  atomic.Uint64

	wake     chan struct{}
	done     chan struct{}
	wg       sync.WaitGroup
	closed   atomic.Bool
	closeMu  sync.Mutex
	recovery RecoveryStats
}

// RecoveryStats reports what Open found on disk.
type RecoveryStats struct {
	TempRemoved  int // orphaned temporary files removed
	Indexed      int // complete files that were not indexed and now are
	Quarantined  int // unreadable unindexed files moved to <dir>/quarantine
	MissingFiles int // index entries whose file does not exist (kept, logged)
	// Dropped counts index entries of instances that were never
	// acknowledged (still marked inflight) and whose file is absent: a
	// crash hit between their index commit and their file's rename.
	Dropped int
}

// Open opens (creating if needed) the store rooted at dir: dir/instances
// holds the files and dir/index.db the index. It removes orphaned
// temporary files, indexes complete but unindexed files, checks that indexed
// files exist, and starts the study-stable timer.
func Open(dir string, opts Options) (*Store, error) {
	if opts.StableAfter < 0 || opts.MinFreeBytes < 0 || opts.SessionTTL < 0 {
		return nil, fmt.Errorf("store: open %s: negative duration or size in options", dir)
	}
	switch opts.DuplicatePolicy {
	case "":
		opts.DuplicatePolicy = DuplicateKeep
	case DuplicateKeep, DuplicateReplace:
	default:
		return nil, fmt.Errorf("store: open %s: duplicate policy %q is not keep or replace", dir, opts.DuplicatePolicy)
	}
	if opts.StableAfter == 0 {
		opts.StableAfter = DefaultStableAfter
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = DefaultEventBuffer
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.DefaultCost
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FreeSpace == nil {
		opts.FreeSpace = diskFree
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := &Store{
		dir:     abs,
		instDir: filepath.Join(abs, "instances"),
		opts:    opts,
		log:     opts.Logger.With("component", "store"),
		now:     opts.Now,
		free:    opts.FreeSpace,
		subs:    map[int]chan Event{},
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if err := os.MkdirAll(s.instDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s.dummy, err = bcrypt.GenerateFromPassword([]byte("lingshu-dummy-password"), opts.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: dummy hash: %w", dir, err)
	}
	s.db, err = bolt.Open(filepath.Join(abs, "index.db"), 0o600, &bolt.Options{
		Timeout:        2 * time.Second,
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
		// Reserve address space up front so growth rarely remaps (a remap
		// waits for every open read transaction).
		InitialMmapSize: 64 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open index %s: %w", dir, err)
	}
	if err := s.db.Update(createBuckets); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: open index %s: %w", dir, err)
	}
	s.commit = newCommitter(s.db)
	start := time.Now()
	if err := s.recover(); err != nil {
		s.commit.close()
		s.db.Close()
		return nil, fmt.Errorf("store: open %s: recovery: %w", dir, err)
	}
	s.log.Info("store opened", "dir", abs, "recovery_ms", time.Since(start).Milliseconds(),
		"temp_removed", s.recovery.TempRemoved, "indexed", s.recovery.Indexed, "dropped", s.recovery.Dropped,
		"quarantined", s.recovery.Quarantined, "missing_files", s.recovery.MissingFiles)
	s.wg.Add(1)
	go s.stableLoop()
	return s, nil
}

// Recovery returns what Open found and repaired.
func (s *Store) Recovery() RecoveryStats { return s.recovery }

// Dir returns the absolute data directory.
func (s *Store) Dir() string { return s.dir }

// Close stops the stable timer, closes subscriber channels, commits queued
// index updates and closes the index. Stop the DICOM server first: a
// PutInstance still running fails with ErrClosed (a file it already renamed
// into place is indexed by the next Open). Calls after the first return nil.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	s.wg.Wait()
	s.subMu.Lock()
	for id, ch := range s.subs {
		close(ch)
		delete(s.subs, id)
	}
	s.subMu.Unlock()
	s.commit.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

var allBuckets = [][]byte{
	bStudies, bSeries, bInstances, bIxPatient, bIxDate, bIxAccess, bIxSeries, bIxInst,
	bPending, bEvents, bUsers, bSessions, bAudit, bMeta, bInflight,
	bJobs, bJobQueue, bIxJobStudy, bReports, bAsks,
}

var (
	bStudies   = []byte("studies")
	bSeries    = []byte("series")
	bInstances = []byte("instances")
	bIxPatient = []byte("ix_patient")
	bIxDate    = []byte("ix_date")
	bIxAccess  = []byte("ix_access")
	bIxSeries  = []byte("ix_series")
	bIxInst    = []byte("ix_inst")
	bPending   = []byte("pending")
	bEvents    = []byte("events")
	bUsers     = []byte("users")
	bSessions  = []byte("sessions")
	bAudit     = []byte("audit")
	bMeta      = []byte("meta")
	bInflight  = []byte("inflight")
	// Jobs, reports and questions (jobs.go, reports.go, asks.go).
	bJobs       = []byte("jobs")         // job ID → Job
	bJobQueue   = []byte("job_queue")    // job ID → nil, for queued jobs (ID order = creation order)
	bIxJobStudy = []byte("ix_job_study") // study UID \x00 job ID → nil
	bReports    = []byte("reports")      // study UID \x00 version (uint32 BE) → Report
	bAsks       = []byte("asks")         // study UID \x00 sequence (uint64 BE) → AskRecord
)

func createBuckets(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// view and update wrap bbolt transactions and map a closed database to
// ErrClosed.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	err := s.db.Update(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
