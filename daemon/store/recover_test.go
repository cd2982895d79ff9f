package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/dicom"
)

// writeAsPut writes in's Part-10 file at its final path, as PutInstance
// does before its index commit (a crash right after the rename).
func writeAsPut(t *testing.T, dir string, in inst) string {
	t.Helper()
	in = in.withDefaults()
	path := filepath.Join(dir, filepath.FromSlash(relPath(in.Study, in.Series, in.SOP)))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := dicom.WritePart10(&buf, in.incoming().Meta, in.dataset()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRecover_TempFileBeforeRenameIsRemoved(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	mustPut(t, s, inst{})
	s.Close()
	// Crash after the temp file was written, before the rename.
	sdir := filepath.Join(dir, "instances", "1.2.3.1", "1.2.3.1.1")
	tmp := filepath.Join(sdir, tempPrefix+"1.2.3.1.1.2.dcm-123")
	if err := os.WriteFile(tmp, []byte("half a file"), 0o640); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, testOptions(newClock()))
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file still there: %v", err)
	}
	if r := s.Recovery(); r.TempRemoved != 1 || r.Indexed != 0 || r.MissingFiles != 0 {
		t.Errorf("recovery = %+v", r)
	}
	if c, _ := s.Counts(); c.Instances != 1 {
		t.Errorf("counts = %+v", c)
	}
}

func TestRecover_RenamedButUnindexedIsIndexed(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	mustPut(t, s, inst{})
	s.Close()
	path := writeAsPut(t, dir, inst{SOP: "1.2.3.1.1.2", InstanceNumber: "2", PatientName: "DOE^JOHN"})
	// A second study that only exists on disk, and an unreadable file.
	writeAsPut(t, dir, inst{Study: "1.2.3.7", PatientID: "P7", PatientName: "NEW^ONE"})
	junk := filepath.Join(dir, "instances", "1.2.3.1", "1.2.3.1.1", "1.2.3.1.1.99.dcm")
	os.WriteFile(junk, []byte("not dicom"), 0o640)

	s = openTest(t, dir, testOptions(newClock()))
	if r := s.Recovery(); r.Indexed != 2 || r.Quarantined != 1 || r.TempRemoved != 0 {
		t.Errorf("recovery = %+v", r)
	}
	rec, err := s.Instance("1.2.3.1.1.2")
	if err != nil || rec.Path != path || rec.InstanceNumber != 2 || rec.SenderAE != "" {
		t.Errorf("recovered instance = %+v, %v", rec, err)
	}
	st, _ := s.Study("1.2.3.1")
	if st.NumInstances != 2 {
		t.Errorf("study = %+v", st)
	}
	list, _, _ := s.FindStudies(StudyQuery{PatientID: "P7"})
	if len(list) != 1 || list[0].PatientName != "NEW^ONE" {
		t.Errorf("recovered study not searchable: %+v", list)
	}
	if _, err := os.Stat(junk); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("junk not quarantined")
	}
	if q, _ := os.ReadDir(filepath.Join(dir, "quarantine")); len(q) != 1 {
		t.Errorf("quarantine has %d files", len(q))
	}
	s.Close()
	// A second open finds nothing to do.
	s = openTest(t, dir, testOptions(newClock()))
	if r := s.Recovery(); r != (RecoveryStats{}) {
		t.Errorf("second recovery = %+v", r)
	}
}

func TestRecover_IndexPointsAtMissingFile(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	res := mustPut(t, s, inst{})
	s.Close()
	os.Remove(res.Path)
	s = openTest(t, dir, testOptions(newClock()))
	if r := s.Recovery(); r.MissingFiles != 1 {
		t.Errorf("recovery = %+v", r)
	}
	// The PACS resends: with keep policy it is stored again, not refused.
	again := mustPut(t, s, inst{})
	if !again.Stored {
		t.Errorf("resend of a lost file: %+v", again)
	}
	if _, err := os.Stat(res.Path); err != nil {
		t.Errorf("file not restored: %v", err)
	}
}

func TestRecover_ReplaceCrashedBeforeIndexNewerWins(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(newClock())
	opts.DuplicatePolicy = DuplicateReplace
	s := openTest(t, dir, opts)
	old := mustPut(t, s, inst{SOP: "5.5.5"})
	s.Close()
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old.Path, past, past)
	// The corrected instance moved to another study; crash before commit.
	newPath := writeAsPut(t, dir, inst{SOP: "5.5.5", Study: "1.2.3.8"})
	s = openTest(t, dir, opts)
	rec, err := s.Instance("5.5.5")
	if err != nil || rec.Path != newPath || rec.StudyUID != "1.2.3.8" {
		t.Errorf("instance = %+v, %v", rec, err)
	}
	if _, err := os.Stat(old.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("superseded file kept")
	}
	if _, err := s.Study("1.2.3.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("emptied study still indexed: %v", err)
	}
}

// TestCrash_KillDuringPuts runs PutInstance in a child process, kills it
// with SIGKILL while it stores, and checks that every acknowledged
// instance is indexed with a complete file and that no temporary file or
// dangling index entry is left.
func TestCrash_KillDuringPuts(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "LINGSHU_STORE_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sop, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked = append(acked, sop)
			}
			if len(acked) == 40+round*37 {
				cmd.Process.Kill()
				break
			}
		}
		cmd.Wait()
		if len(acked) < 40 {
			t.Fatalf("child acknowledged only %d instances", len(acked))
		}
		s := openTest(t, dir, testOptions(newClock()))
		for _, sop := range acked {
			rec, err := s.Instance(sop)
			if err != nil {
				t.Fatalf("acknowledged %s lost: %v", sop, err)
			}
			if _, err := dicom.ReadFile(rec.Path); err != nil {
				t.Fatalf("acknowledged %s unreadable: %v", sop, err)
			}
		}
		// Dropped > 0 when the kill hit between an overlapped index commit
		// and its rename; MissingFiles counts entries that lost their file
		// without an inflight marker, which must never happen.
		if r := s.Recovery(); r.MissingFiles != 0 || r.Quarantined != 0 {
			t.Errorf("round %d: recovery = %+v", round, r)
		} else {
			t.Logf("round %d: %d acknowledged, recovery = %+v", round, len(acked), r)
		}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), tempPrefix) {
				t.Errorf("temp file left: %s", p)
			}
			return nil
		})
		s.Close()
		if keys := inflightKeys(t, dir); len(keys) != 0 {
			t.Errorf("round %d: inflight markers left after recovery: %v", round, keys)
		}
	}
}

// TestCrashChild is the child of TestCrash_KillDuringPuts.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("LINGSHU_STORE_CRASH_DIR")
	if dir == "" {
		t.Skip("child process only")
	}
	s, err := Open(dir, testOptions(newClock()))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				in := inst{Study: fmt.Sprintf("1.2.%d", i%3+1), Series: fmt.Sprintf("1.2.%d.%d", i%3+1, g+1),
					SOP: fmt.Sprintf("1.2.9.%d.%d", g+1, i+1), PixelBytes: 64 << 10}
				if _, err := s.PutInstance(context.Background(), in.incoming()); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				mu.Lock()
				fmt.Fprintln(w, "ack", in.SOP)
				w.Flush()
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
}
