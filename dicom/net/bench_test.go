//go:build linux

package net

import (
	"context"
	"fmt"
	"github.com/lingshu-edge/lingshu/internal/cputime"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStore measures C-STORE round trips of our SCU against our SCP
// over loopback with an in-memory handler.
func BenchmarkStore(b *testing.B) {
	for _, size := range []int{8 << 10, 512 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			var n atomic.Int64
			h := StoreFunc(func(_ context.Context, r *StoreRequest) Status { n.Add(1); return Status{} })
			_, addr := startServer(b, ServerConfig{}, h)
			a := dial(b, addr, ClientConfig{})
			data := pattern(size, 1)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if st, err := a.Store(context.Background(), CTImageStorage, uid(i), "", data); err != nil || !st.IsSuccess() {
					b.Fatal(st, err)
				}
			}
			b.StopTimer()
			a.Release()
		})
	}
}

// fsyncStore writes each data set to its own file, fsyncs it, renames it
// into place and fsyncs the directory: the durability the real store gives
// (noSync skips both fsyncs, like storescp).
type fsyncStore struct {
	dir    string
	noSync bool
}

func (f fsyncStore) Store(_ context.Context, r *StoreRequest) Status {
	tmp := filepath.Join(f.dir, r.SOPInstanceUID+".tmp")
	fh, err := os.Create(tmp)
	if err != nil {
		return Status{Code: StatusOutOfResources, Comment: "create"}
	}
	_, err = fh.Write(r.Dataset)
	if err == nil && !f.noSync {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(f.dir, r.SOPInstanceUID+".dcm"))
	}
	if err == nil && !f.noSync {
		var d *os.File
		if d, err = os.Open(f.dir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return Status{Code: StatusOutOfResources, Comment: "write"}
	}
	return Status{}
}

// TestBenchVsStorescp sends the same files with storescu to our SCP (fsyncing
// every instance) and to DCMTK's storescp, and prints instances per second.
// Opt-in: DICOMNET_BENCH=1 [DICOMNET_BENCH_N=500] [DICOMNET_BENCH_SIZE=64].
func TestBenchVsStorescp(t *testing.T) {
	if os.Getenv("DICOMNET_BENCH") == "" {
		t.Skip("set DICOMNET_BENCH=1 to compare with DCMTK storescp")
	}
	storescu, storescp := dcmtk(t, "storescu"), dcmtk(t, "storescp")
	n, size := envInt("DICOMNET_BENCH_N", 500), envInt("DICOMNET_BENCH_SIZE", 64)
	files := writeTestFiles(t, n, size, size, "1.2.840.10008.1.2.1", false)
	cpu := func() time.Duration {
		d, _ := cputime.Process()
		return d
	}
	send := func(addrHost, port string) time.Duration {
		args := []string{"-aet", "BENCH", "-aec", "ANY", addrHost, port}
		for _, f := range files {
			args = append(args, f.path)
		}
		start := time.Now()
		if out, err := runDCMTK(t, storescu, args...); err != nil {
			t.Fatalf("storescu: %v\n%s", err, out)
		}
		return time.Since(start)
	}

	// Ours: data sets discarded (protocol cost alone), files without fsync
	// (what storescp does), files with fsync (what the appliance does).
	var ours []string
	discard := StoreFunc(func(context.Context, *StoreRequest) Status { return Status{} })
	for _, h := range []struct {
		name  string
		h     StoreHandler
		reuse bool
	}{
		{"discard", discard, false},
		{"discard, reused buffers", discard, true},
		{"files, no fsync", fsyncStore{dir: t.TempDir(), noSync: true}, false},
		{"files, no fsync, reused buffers", fsyncStore{dir: t.TempDir(), noSync: true}, true},
		{"files, fsync file+dir", fsyncStore{dir: t.TempDir()}, false},
		{"files, fsync file+dir, reused buffers", fsyncStore{dir: t.TempDir()}, true},
	} {
		_, addr := startServer(t, ServerConfig{ReuseDatasetBuffers: h.reuse}, h.h)
		host, port := hostPort(t, addr)
		c0 := cpu()
		d := send(host, port)
		c := cpu() - c0
		ours = append(ours, fmt.Sprintf("lingshu (%s): %d instances of %dx%d in %v = %.0f inst/s, SCP cpu %.3f ms/instance",
			h.name, n, size, size, d.Round(time.Millisecond), float64(n)/d.Seconds(), float64(c.Microseconds())/1000/float64(n)))
	}

	// DCMTK storescp writing into a directory (default mode and bit-preserving +B).
	for _, mode := range [][]string{nil, {"+B"}} {
		out := t.TempDir()
		l, err := net.Listen("tcp", "127.0.0.1:0") // find a free port, then hand it to storescp
		if err != nil {
			t.Fatal(err)
		}
		pstr := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		args := append([]string{"-od", out}, mode...)
		args = append(args, pstr)
		cmd := exec.Command(storescp, args...)
		cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitListening(t, "127.0.0.1:"+pstr)
		d := send("127.0.0.1", pstr)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		ps := cmd.ProcessState
		c := ps.UserTime() + ps.SystemTime()
		t.Logf("storescp %v: %d instances in %v = %.0f inst/s, SCP cpu %.3f ms/instance (incl. start-up)",
			mode, n, d.Round(time.Millisecond), float64(n)/d.Seconds(), float64(c.Microseconds())/1000/float64(n))
	}
	for _, line := range ours {
		t.Log(line)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func waitListening(t *testing.T, addr string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		a, err := Dial(ctx, addr, ClientConfig{CallingAE: "PROBE", CalledAE: "ANY"})
		cancel()
		if err == nil {
			a.Release()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never listened", addr)
}
