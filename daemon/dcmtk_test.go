package daemon_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// Real peers: DCMTK's echoscu and storescu against the running daemon.

func TestDCMTK_EchoSCU(t *testing.T) {
	requireTool(t, "echoscu")
	d := startDaemon(t, nil)
	host, port := hostPort(t, d.DICOMAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if out, err := runPeer(ctx, "echoscu", "-aet", "PACS", "-aec", "LINGSHU", host, port); err != nil {
		t.Fatalf("echoscu to LINGSHU failed: %v\n%s", err, out)
	}
	out, err := runPeer(ctx, "echoscu", "-aet", "PACS", "-aec", "SOMEONE_ELSE", host, port)
	if err == nil || !strings.Contains(out, "Called AE Title Not Recognized") {
		t.Fatalf("echoscu to a wrong called AE title must be rejected (called AE not recognized); err=%v\n%s", err, out)
	}
}

func TestDCMTK_EchoSCU_CallingAllowList(t *testing.T) {
	requireTool(t, "echoscu")
	d := startDaemon(t, func(c *daemon.Config) { c.DICOM.AllowedCallingAETitles = []string{"PACS"} })
	host, port := hostPort(t, d.DICOMAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := runPeer(ctx, "echoscu", "-aet", "PACS", "-aec", "LINGSHU", host, port); err != nil {
		t.Fatalf("allowed caller refused: %v\n%s", err, out)
	}
	out, err := runPeer(ctx, "echoscu", "-aet", "INTRUDER", "-aec", "LINGSHU", host, port)
	if err == nil || !strings.Contains(out, "Calling AE Title Not Recognized") {
		t.Fatalf("caller outside the allow-list must be rejected; err=%v\n%s", err, out)
	}
}

// TestDCMTK_StoreSCU_OneAssociation sends studies of every modality and
// several transfer syntaxes over one association and compares what was
// stored with what was sent.
func TestDCMTK_StoreSCU_OneAssociation(t *testing.T) {
	requireTool(t, "storescu")
	var files []string
	for _, o := range []phantom.Options{
		{Modality: "CT", Slices: 12, Seed: 1},
		{Modality: "CT", Slices: 4, Seed: 2, TransferSyntax: "implicit"},
		{Modality: "CT", Slices: 4, Seed: 3, TransferSyntax: "deflate"},
		{Modality: "MR", Slices: 6, Seed: 4, MultiFrame: true},
		{Modality: "CR", Seed: 5},
		{Modality: "DX", Seed: 6},
	} {
		files = append(files, writePhantom(t, o)...)
	}
	d := startDaemon(t, nil)
	out := storeSCU(t, d, []string{"-R"}, files)
	if n := strings.Count(out, "Received Store Response (Success)"); n != len(files) {
		t.Fatalf("storescu saw %d successes, want %d\n%s", n, len(files), out)
	}
	if n := strings.Count(out, "Requesting Association"); n != 1 {
		t.Fatalf("storescu opened %d associations, want 1", n)
	}
	assertStored(t, d.Store(), files)
	c, err := d.Store().Counts()
	if err != nil {
		t.Fatal(err)
	}
	if c.Instances != int64(len(files)) || c.Studies != 6 {
		t.Fatalf("counts %+v, want %d instances in 6 studies", c, len(files))
	}
}

// TestDCMTK_StoreSCU_AsReceived checks that compressed transfer syntaxes
// are accepted and stored as the sender encoded them, not converted.
func TestDCMTK_StoreSCU_AsReceived(t *testing.T) {
	requireTool(t, "storescu")
	tests := []struct {
		name, flag string
		opts       phantom.Options
		ts         string
	}{
		{"jpeg baseline", "-xy", phantom.Options{Modality: "CR", Seed: 7, TransferSyntax: "jpeg"}, "1.2.840.10008.1.2.4.50"},
		{"deflate", "-xd", phantom.Options{Modality: "CT", Slices: 3, Seed: 8, TransferSyntax: "deflate"}, "1.2.840.10008.1.2.1.99"},
	}
	d := startDaemon(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := writePhantom(t, tt.opts)
			storeSCU(t, d, []string{"-R", tt.flag}, files)
			assertStored(t, d.Store(), files)
			for _, f := range files {
				src, err := dicom.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				rec, err := d.Store().Instance(src.Meta.MediaStorageSOPInstanceUID)
				if err != nil {
					t.Fatal(err)
				}
				if rec.TransferSyntaxUID != tt.ts {
					t.Errorf("stored as %s, want %s as sent", rec.TransferSyntaxUID, tt.ts)
				}
			}
		})
	}
}

// storeSCU sends files with storescu -v and returns its output.
func storeSCU(t *testing.T, d *daemon.Daemon, flags, files []string) string {
	t.Helper()
	host, port := hostPort(t, d.DICOMAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append(append([]string{"-v"}, flags...), "-aet", "PACS", "-aec", "LINGSHU", host, port), files...)
	out, err := runPeer(ctx, "storescu", args...)
	if err != nil {
		t.Fatalf("storescu %v failed: %v\n%s", flags, err, out)
	}
	return out
}

// TestDCMTK_StoreSCU_ConcurrentAssociations runs several storescu
// processes at once, each with its own study.
func TestDCMTK_StoreSCU_ConcurrentAssociations(t *testing.T) {
	requireTool(t, "storescu")
	const senders = 4
	sets := make([][]string, senders)
	var all []string
	for i := range sets {
		sets[i] = writePhantom(t, phantom.Options{Modality: "CT", Slices: 15, Seed: uint64(100 + i)})
		all = append(all, sets[i]...)
	}
	d := startDaemon(t, nil)
	host, port := hostPort(t, d.DICOMAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, senders)
	outs := make([]string, senders)
	for i := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"-aet", "PACS", "-aec", "LINGSHU", host, port}, sets[i]...)
			outs[i], errs[i] = runPeer(ctx, "storescu", args...)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("storescu %d failed: %v\n%s", i, err, outs[i])
		}
	}
	assertStored(t, d.Store(), all)
}
