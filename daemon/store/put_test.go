package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom"
)

func TestPutInstance_StoresPart10AndIndexes(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	in := inst{PatientName: "Müller^Anna", Accession: "A100", StudyDesc: "CT CHEST", Body: "CHEST", SeriesDesc: "AX 1mm", InstanceNumber: "7", Rows: 8, Cols: 6}
	res := mustPut(t, s, in)
	if !res.Stored || res.Duplicate {
		t.Fatalf("result = %+v, want stored", res)
	}
	raw, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	meta, off, err := dicom.ReadMeta(raw)
	if err != nil {
		t.Fatalf("ReadMeta: %v", err)
	}
	if meta.MediaStorageSOPInstanceUID != "1.2.3.1.1.1" || meta.TransferSyntaxUID != tsExplicitLE {
		t.Errorf("meta = %+v", meta)
	}
	if !bytes.Equal(raw[off:], in.dataset()) {
		t.Errorf("stored dataset differs from what was sent")
	}
	rec, err := s.Instance("1.2.3.1.1.1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Path != res.Path || rec.InstanceNumber != 7 || rec.Rows != 8 || rec.Columns != 6 || rec.NumberOfFrames != 1 ||
		rec.SenderAE != "MODALITY1" || rec.Size != int64(len(raw)) || rec.SOPClassUID != ctImage || rec.TransferSyntaxUID != tsExplicitLE {
		t.Errorf("instance record = %+v", rec)
	}
	st, err := s.Study("1.2.3.1")
	if err != nil {
		t.Fatal(err)
	}
	if st.PatientName != "Müller^Anna" || st.AccessionNumber != "A100" || st.NumSeries != 1 || st.NumInstances != 1 ||
		len(st.Modalities) != 1 || st.Modalities[0] != "CT" || st.StudyDescription != "CT CHEST" {
		t.Errorf("study record = %+v", st)
	}
	se, err := s.Series("1.2.3.1.1")
	if err != nil || se.BodyPartExamined != "CHEST" || se.SeriesDescription != "AX 1mm" || se.SeriesNumber != 1 || se.NumInstances != 1 {
		t.Errorf("series record = %+v, %v", se, err)
	}
	if c, _ := s.Counts(); c != (Counts{1, 1, 1}) {
		t.Errorf("counts = %+v", c)
	}
	if entries, _ := os.ReadDir(filepath.Dir(res.Path)); len(entries) != 1 {
		t.Errorf("instance directory has %d entries, want 1 (no temp files)", len(entries))
	}
}

func TestPutInstance_DuplicateKeep(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	first := mustPut(t, s, inst{StudyDesc: "FIRST"})
	before, _ := os.Stat(first.Path)
	res := mustPut(t, s, inst{StudyDesc: "SECOND"})
	if res.Stored || !res.Duplicate || res.Path != first.Path {
		t.Fatalf("duplicate result = %+v", res)
	}
	after, _ := os.Stat(first.Path)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("keep policy rewrote the file")
	}
	st, _ := s.Study("1.2.3.1")
	if st.StudyDescription != "FIRST" || st.NumInstances != 1 {
		t.Errorf("study after duplicate = %+v", st)
	}
}

func TestPutInstance_DuplicateReplace(t *testing.T) {
	opts := testOptions(newClock())
	opts.DuplicatePolicy = DuplicateReplace
	s := openTest(t, t.TempDir(), opts)
	mustPut(t, s, inst{StudyDesc: "FIRST", InstanceNumber: "1"})
	res := mustPut(t, s, inst{StudyDesc: "SECOND", InstanceNumber: "9", PixelBytes: 100})
	if !res.Stored || !res.Duplicate {
		t.Fatalf("replace result = %+v", res)
	}
	raw, _ := os.ReadFile(res.Path)
	_, off, _ := dicom.ReadMeta(raw)
	if !bytes.Equal(raw[off:], inst{StudyDesc: "SECOND", InstanceNumber: "9", PixelBytes: 100}.dataset()) {
		t.Errorf("file not replaced")
	}
	st, _ := s.Study("1.2.3.1")
	if st.StudyDescription != "SECOND" || st.NumInstances != 1 || st.NumSeries != 1 {
		t.Errorf("study after replace = %+v", st)
	}
	list, _, err := s.InstancesOf("1.2.3.1.1", 0, "")
	if err != nil || len(list) != 1 || list[0].InstanceNumber != 9 {
		t.Errorf("instances after replace = %+v, %v", list, err)
	}
	if c, _ := s.Counts(); c != (Counts{1, 1, 1}) {
		t.Errorf("counts = %+v", c)
	}
}

func TestPutInstance_ReplaceMovesToAnotherStudy(t *testing.T) {
	opts := testOptions(newClock())
	opts.DuplicatePolicy = DuplicateReplace
	s := openTest(t, t.TempDir(), opts)
	old := mustPut(t, s, inst{SOP: "9.9.9", Modality: "MR"})
	mustPut(t, s, inst{SOP: "9.9.8"}) // keeps study 1.2.3.1 alive
	res := mustPut(t, s, inst{SOP: "9.9.9", Study: "1.2.3.2", Series: "1.2.3.2.1"})
	if _, err := os.Stat(old.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old file still present: %v", err)
	}
	if _, err := os.Stat(res.Path); err != nil {
		t.Fatal(err)
	}
	st1, _ := s.Study("1.2.3.1")
	if st1.NumInstances != 1 {
		t.Errorf("old study = %+v", st1)
	}
	if st1.Modalities[0] != "CT" || len(st1.Modalities) != 1 {
		t.Errorf("old study modalities = %v, want [CT]", st1.Modalities)
	}
	st2, _ := s.Study("1.2.3.2")
	if st2.NumInstances != 1 || st2.NumSeries != 1 {
		t.Errorf("new study = %+v", st2)
	}
	if c, _ := s.Counts(); c != (Counts{2, 2, 2}) {
		t.Errorf("counts = %+v", c)
	}
}

func TestPutInstance_LowDisk(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(newClock())
	opts.MinFreeBytes = 1 << 20
	free := int64(1<<20 + 100) // less than MinFreeBytes + instance size
	opts.FreeSpace = func(string) (int64, error) { return free, nil }
	s := openTest(t, dir, opts)
	_, err := s.PutInstance(context.Background(), inst{}.incoming())
	if !errors.Is(err, ErrOutOfResources) {
		t.Fatalf("err = %v, want ErrOutOfResources", err)
	}
	if _, err := s.Instance("1.2.3.1.1.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("instance indexed despite low disk: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "instances")); len(entries) != 0 {
		t.Errorf("something was written: %v", entries)
	}
	free = 1 << 30
	mustPut(t, s, inst{})
}

func TestPutInstance_Invalid(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	for name, in := range map[string]Incoming{
		"no transfer syntax": func() Incoming { i := inst{}.incoming(); i.Meta.TransferSyntaxUID = ""; return i }(),
		"garbage":            {Meta: inst{}.incoming().Meta, Dataset: []byte{1, 2, 3}},
		"no study uid":       {Meta: inst{}.incoming().Meta, Summary: &dicom.Summary{SeriesInstanceUID: "1.2"}},
		"control char uid":   {Meta: dicom.FileMeta{TransferSyntaxUID: tsExplicitLE, MediaStorageSOPInstanceUID: "1.2\n"}, Summary: &dicom.Summary{StudyInstanceUID: "1", SeriesInstanceUID: "2"}},
	} {
		if _, err := s.PutInstance(context.Background(), in); !errors.Is(err, ErrInvalidInstance) {
			t.Errorf("%s: err = %v, want ErrInvalidInstance", name, err)
		}
	}
}

func TestPutInstance_NonConformingUIDsStayInside(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	res := mustPut(t, s, inst{Study: "../../etc", Series: "/abs/x", SOP: "1.2.3.4"})
	rel, err := filepath.Rel(filepath.Join(dir, "instances"), res.Path)
	if err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, string(filepath.Separator)) != 2 {
		t.Errorf("path %s escapes or is not study/series/sop (%s)", res.Path, rel)
	}
	if rec, err := s.Instance("1.2.3.4"); err != nil || rec.Path != res.Path {
		t.Errorf("Instance = %+v, %v", rec, err)
	}
	// The SOP UID goes into the file meta, where it must be a valid UID.
	if _, err := s.PutInstance(context.Background(), inst{SOP: "..\\evil"}.incoming()); !errors.Is(err, ErrInvalidInstance) {
		t.Errorf("SOP UID ..\\evil: err = %v, want ErrInvalidInstance", err)
	}
}

func TestPutInstance_ConcurrentSameSeries(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := inst{SOP: "1.2.3.1.1." + itoa(i), InstanceNumber: itoa(i)}
			// Half the goroutines send the same SOP twice.
			if _, err := s.PutInstance(context.Background(), in.incoming()); err != nil {
				errs <- err
			}
			if i%2 == 0 {
				if _, err := s.PutInstance(context.Background(), in.incoming()); err != nil {
					errs <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, _ := s.Study("1.2.3.1")
	if st.NumInstances != 64 || st.NumSeries != 1 {
		t.Errorf("study = %+v", st)
	}
	if c, _ := s.Counts(); c != (Counts{1, 1, 64}) {
		t.Errorf("counts = %+v", c)
	}
}

func TestPutInstance_Closed(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	s.Close()
	if _, err := s.PutInstance(context.Background(), inst{}.incoming()); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
