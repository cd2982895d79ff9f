// Package store is Lingshu Edge's durable instance store and index, and the
// only package that imports bbolt.
//
// Instance files live under <dir>/instances/<study>/<series>/<sop>.dcm as
// DICOM Part-10 files. The index, users, sessions, audit log and study
// events live in <dir>/index.db (bbolt).
//
// Durability contract (see DESIGN.md): PutInstance writes the Part-10 file to
// a temporary name in its final directory, fsyncs it, renames it into place
// and fsyncs the directory, and commits the index entry; it returns only
// after both the directory fsync and the commit. For a new SOP Instance UID
// the commit runs concurrently with the file's write, fsync, rename and
// directory fsync (a store then costs the longer of the two, not their sum),
// and the entry is committed with a marker in the inflight bucket; a replace
// commits only after the file is durable. A crash at any point leaves either
// no trace, an orphaned temporary file (removed by the next Open), a complete
// file that is not yet indexed (indexed by the next Open, because the sender
// may never resend it), or an inflight-marked entry: the next Open keeps it
// if its file is in place (a file is renamed only after its fsync, so it is
// complete) and drops it if not (that instance was never acknowledged).
// Markers of acknowledged instances are deleted by a later commit.
//
// Index layout (bbolt buckets, values JSON, keys UIDs):
//
//	studies    study UID  → StudyRecord (patient level fields, aggregates)
//	series     series UID → SeriesRecord
//	instances  SOP UID    → InstanceRecord
//	ix_patient patient id \x00 study UID         (patient → studies)
//	ix_date    date+time \x00 study UID          (newest-first listing, ranges)
//	ix_access  accession \x00 study UID
//	ix_series  study UID \x00 series UID         (study → series)
//	ix_inst    series UID \x00 number \x00 SOP   (series → instances, ordered)
//	pending    study UID → last update           (studies not yet stable)
//	events     sequence  → Event                 (durable study events)
//	inflight   SOP UID   → nil                   (new entries not yet known durable on disk)
//	users, sessions, audit, meta
package store

import "errors"

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound: no such study, series, instance, user or session.
	ErrNotFound = errors.New("store: not found")
	// ErrOutOfResources: free disk space is below Options.MinFreeBytes plus
	// the size of the instance. Nothing was written.
	ErrOutOfResources = errors.New("store: out of resources (low disk space)")
	// ErrInvalidInstance: the instance lacks a UID the index needs or a UID
	// is malformed. Nothing was written.
	ErrInvalidInstance = errors.New("store: invalid instance")
	// ErrBadCredentials: unknown user or wrong password (deliberately the
	// same error for both).
	ErrBadCredentials = errors.New("store: bad credentials")
	// ErrUserExists: CreateUser with a name already taken.
	ErrUserExists = errors.New("store: user exists")
	// ErrInvalidUser: bad user name, role or empty password.
	ErrInvalidUser = errors.New("store: invalid user")
	// ErrLastAdmin: UpdateUser would leave no enabled admin.
	ErrLastAdmin = errors.New("store: the last enabled admin cannot be disabled or demoted")
	// ErrBadCursor: a paging cursor that this store did not produce.
	ErrBadCursor = errors.New("store: bad cursor")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store: closed")
)
