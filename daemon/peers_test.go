package daemon_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// This file holds what the integration tests share: a daemon on loopback
// ports, phantom studies on disk, and real DICOM peers run as processes.

const adminPassword = "integration-secret"

// startDaemon runs a daemon on free loopback ports with its data in a
// temporary directory; mutate adjusts the configuration first.
func startDaemon(t *testing.T, mutate func(*daemon.Config)) *daemon.Daemon {
	t.Helper()
	return startDaemonWith(t, daemon.Options{}, 10*time.Second, mutate)
}

// startDaemonWith is startDaemon with daemon options (runner command,
// logger) and the time Stop may take at cleanup. The first admin's
// password is adminPassword.
func startDaemonWith(t *testing.T, opts daemon.Options, stopWithin time.Duration, mutate func(*daemon.Config)) *daemon.Daemon {
	t.Helper()
	cfg := daemon.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.DICOM.Addr = "127.0.0.1:0"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Store.MinFreeMB = 0
	cfg.Log.Level = "warn"
	if mutate != nil {
		mutate(&cfg)
	}
	opts.LookupEnv = func(k string) (string, bool) {
		if k == "LINGSHU_ADMIN_PASSWORD" {
			return adminPassword, true
		}
		return "", false
	}
	d, err := daemon.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopWithin)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop daemon: %v", err)
		}
	})
	return d
}

// writePhantom generates studies into a temporary folder and returns the
// Part-10 files, sorted.
func writePhantom(t *testing.T, opts phantom.Options) []string {
	t.Helper()
	opts.OutDir = filepath.Join(t.TempDir(), "phantom")
	if _, err := phantom.Generate(opts); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(opts.OutDir, "*", "*.dcm"))
	if err != nil || len(files) == 0 {
		t.Fatalf("phantom wrote no .dcm files under %s (%v)", opts.OutDir, err)
	}
	sort.Strings(files)
	return files
}

// requireTool skips the test when a peer program is not installed.
func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not installed (apt-get install dcmtk orthanc); skipping", n)
		}
	}
}

// runPeer runs a DICOM peer program with Nagle off (DCMTK and Orthanc stall
// ~45 ms per message on loopback otherwise) and returns its combined output.
func runPeer(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("bad address %q", addr)
	}
	return addr[:i], addr[i+1:]
}

// assertStored checks that every source file is indexed and that the stored
// dataset equals the one sent, element by element (the meta header is ours).
func assertStored(t *testing.T, st *store.Store, files []string) {
	t.Helper()
	for _, f := range files {
		want, err := dicom.ReadFile(f)
		if err != nil {
			t.Fatalf("read source %s: %v", f, err)
		}
		sop := want.Meta.MediaStorageSOPInstanceUID
		rec, err := st.Instance(sop)
		if err != nil {
			t.Errorf("instance %s from %s: %v", sop, filepath.Base(f), err)
			continue
		}
		got, err := dicom.ReadFile(rec.Path)
		if err != nil {
			t.Errorf("stored %s: %v", sop, err)
			continue
		}
		eq, diff, err := dicom.EqualDatasets(want.DatasetBytes, got.DatasetBytes, want.Meta.TransferSyntaxUID, got.Meta.TransferSyntaxUID)
		if err != nil || !eq {
			t.Errorf("stored %s differs from %s: %s %v", sop, filepath.Base(f), diff, err)
		}
	}
}

// waitForInstances polls the store until it holds n instances or the
// deadline passes.
func waitForInstances(t *testing.T, st *store.Store, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := st.Counts()
		if err != nil {
			t.Fatal(err)
		}
		if c.Instances >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("store holds %d instances after %s, want %d", c.Instances, within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
