package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
)

func TestRunService_UsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"--config", "x"}, {"launch"}, {"status", "extra"}, {"install", "--bogus"}} {
		var out, errb bytes.Buffer
		var ue usageError
		if err := runService(context.Background(), args, &out, &errb); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestServiceSpecFromConfig(t *testing.T) {
	cfg := daemon.DefaultConfig()
	cfg.DataDir, cfg.DICOM.Addr, cfg.HTTP.Addr = "/srv/lingshu", ":104", "10.0.0.5:8443"
	s := serviceSpec("/usr/bin/lingshu", "/etc/lingshu/lingshu.toml", cfg)
	if s.DataDir != "/srv/lingshu" || len(s.Ports) != 2 || s.Ports[0] != 104 || s.Ports[1] != 8443 || s.StopTimeout != daemon.DefaultStopTimeout {
		t.Errorf("spec %+v", s)
	}
	if runtime.GOOS == "linux" && s.User != "lingshu" {
		t.Errorf("user %q", s.User)
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestServiceRun_StartsAndStopsGracefully runs `lingshu service run` as
// the unit does and stops it the way SIGTERM does (main cancels ctx).
func TestServiceRun_StartsAndStopsGracefully(t *testing.T) {
	if daemon.RunningUnderServiceManager() {
		t.Skip("test process itself runs under a service manager")
	}
	dir := t.TempDir()
	cfg := writeConfig(t, "data_dir = "+strconvQuote(dir)+"\n[dicom]\naddr = \"127.0.0.1:0\"\n[http]\naddr = \"127.0.0.1:0\"\n[store]\nmin_free_mb = 0\n")
	t.Setenv("LINGSHU_ADMIN_PASSWORD", "test-password-1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- runService(ctx, []string{"run", "--config", cfg}, &out, &errb) }()
	httpRe := regexp.MustCompile(`HTTP http://(\S+),`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("service run ended early: %v\n%s", err, errb.String())
		default:
		}
		if m := httpRe.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no start line:\n%s\n%s", out.String(), errb.String())
	}
	resp, err := http.Get("http://" + addr + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("service run: %v", err)
		}
	case <-time.After(daemon.DefaultStopTimeout + 5*time.Second):
		t.Fatal("service run did not stop")
	}
	b, err := os.ReadFile(filepath.Join(dir, "logs", "lingshu.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lingshu started", "lingshu stopped"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file lacks %q", want)
		}
	}
}
