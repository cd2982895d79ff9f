package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
)

// VerifyReport is what VerifyStore found. Problems lists the first
// problems in words; the counts cover all of them.
type VerifyReport struct {
	Studies    int      `json:"studies"`
	Instances  int      `json:"instances"`  // indexed instances
	Unreadable int      `json:"unreadable"` // indexed files missing, torn or not DICOM
	Expected   int      `json:"expected"`   // source files given to check against
	Missing    int      `json:"missing"`    // expected instances not indexed
	Mismatched int      `json:"mismatched"` // indexed, but the dataset differs from the source
	Recovered  int      `json:"recovered"`  // complete files indexed by this open's recovery
	Problems   []string `json:"problems"`
}

// OK reports whether nothing is wrong.
func (r VerifyReport) OK() bool { return r.Unreadable == 0 && r.Missing == 0 && r.Mismatched == 0 }

const maxReportedProblems = 50

func (r *VerifyReport) problem(format string, args ...any) {
	if len(r.Problems) < maxReportedProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// VerifyStore opens the store in dataDir (running its crash recovery),
// reads back every indexed instance, and checks that each source file in
// expected is indexed with a dataset equal to the source's. The daemon
// must not be running on dataDir (the index is locked while it is).
func VerifyStore(ctx context.Context, dataDir string, expected []string, log *slog.Logger) (VerifyReport, error) {
	var rep VerifyReport
	st, err := store.Open(dataDir, store.Options{Logger: log})
	if err != nil {
		return rep, fmt.Errorf("verify store: %w", err)
	}
	defer st.Close()
	rep.Recovered = st.Recovery().Indexed
	if err := verifyIndexed(ctx, st, &rep); err != nil {
		return rep, err
	}
	for _, src := range expected {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Expected++
		verifyExpected(st, src, &rep)
	}
	return rep, nil
}

// verifyIndexed walks studies → series → instances and parses each file.
func verifyIndexed(ctx context.Context, st *store.Store, rep *VerifyReport) error {
	cursor := ""
	for {
		studies, next, err := st.FindStudies(store.StudyQuery{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("verify store: list studies: %w", err)
		}
		for _, study := range studies {
			rep.Studies++
			series, err := st.SeriesOf(study.StudyUID)
			if err != nil {
				return fmt.Errorf("verify store: series of %s: %w", study.StudyUID, err)
			}
			for _, se := range series {
				if err := verifySeries(ctx, st, se.SeriesUID, rep); err != nil {
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

func verifySeries(ctx context.Context, st *store.Store, seriesUID string, rep *VerifyReport) error {
	cursor := ""
	for {
		insts, next, err := st.InstancesOf(seriesUID, store.MaxLimit, cursor)
		if err != nil {
			return fmt.Errorf("verify store: instances of %s: %w", seriesUID, err)
		}
		for _, in := range insts {
			if err := ctx.Err(); err != nil {
				return err
			}
			rep.Instances++
			f, err := dicom.ReadFile(in.Path)
			if err != nil {
				rep.Unreadable++
				rep.problem("instance %s: %v", in.SOPInstanceUID, err)
				continue
			}
			if f.Meta.MediaStorageSOPInstanceUID != in.SOPInstanceUID {
				rep.Unreadable++
				rep.problem("instance %s: file holds %s", in.SOPInstanceUID, f.Meta.MediaStorageSOPInstanceUID)
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

func verifyExpected(st *store.Store, src string, rep *VerifyReport) {
	want, err := dicom.ReadFile(src)
	if err != nil {
		rep.Missing++
		rep.problem("source %s: %v", src, err)
		return
	}
	sop := want.Meta.MediaStorageSOPInstanceUID
	rec, err := st.Instance(sop)
	if errors.Is(err, store.ErrNotFound) {
		rep.Missing++
		rep.problem("instance %s (from %s) is not indexed", sop, src)
		return
	}
	if err != nil {
		rep.Missing++
		rep.problem("instance %s: %v", sop, err)
		return
	}
	got, err := dicom.ReadFile(rec.Path)
	if err != nil {
		rep.Mismatched++
		rep.problem("instance %s: stored file: %v", sop, err)
		return
	}
	equal, diff, err := dicom.EqualDatasets(want.DatasetBytes, got.DatasetBytes, want.Meta.TransferSyntaxUID, got.Meta.TransferSyntaxUID)
	if err != nil || !equal {
		rep.Mismatched++
		rep.problem("instance %s: stored dataset differs from %s: %s%v", sop, src, diff, errOrNil(err))
	}
}

func errOrNil(err error) any {
	if err == nil {
		return ""
	}
	return err
}
