package daemon

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// recLogger is a service.Logger that records lines by severity.
type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) add(sev string, v ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, sev+": "+fmt.Sprint(v...))
	return nil
}
func (l *recLogger) Error(v ...any) error              { return l.add("error", v...) }
func (l *recLogger) Warning(v ...any) error            { return l.add("warning", v...) }
func (l *recLogger) Info(v ...any) error               { return l.add("info", v...) }
func (l *recLogger) Errorf(f string, a ...any) error   { return l.add("error", fmt.Sprintf(f, a...)) }
func (l *recLogger) Warningf(f string, a ...any) error { return l.add("warning", fmt.Sprintf(f, a...)) }
func (l *recLogger) Infof(f string, a ...any) error    { return l.add("info", fmt.Sprintf(f, a...)) }
func (l *recLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestSysLogHandler(t *testing.T) {
	sys := &recLogger{}
	log := slog.New(NewSysLogHandler(sys, slog.LevelWarn)).With("component", "store").WithGroup("req")
	log.Info("not forwarded")
	log.Warn("disk low", "free_mb", 12, "dir", "/var/lib/lingshu data")
	log.Error("listener failed", slog.Group("peer", "ae", "PACS"), "err", fmt.Errorf("boom"))
	want := "warning: disk low component=store req.free_mb=12 req.dir=\"/var/lib/lingshu data\"\n" +
		"error: listener failed component=store req.peer.ae=PACS req.err=boom"
	if got := sys.all(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestNewServiceLogger_FanOut(t *testing.T) {
	var file, console bytes.Buffer
	sys := &recLogger{}
	log, err := NewServiceLogger(LogConfig{Level: "debug", Format: "json"}, &file, sys, &console)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("detail", "k", 1)
	log.Warn("careful")
	if !strings.Contains(file.String(), `"msg":"detail"`) || !strings.Contains(file.String(), `"msg":"careful"`) {
		t.Errorf("file log %q", file.String())
	}
	if !strings.Contains(console.String(), "msg=detail") {
		t.Errorf("console %q", console.String())
	}
	if got := sys.all(); got != "warning: careful" {
		t.Errorf("system log %q", got)
	}
	if _, err := NewServiceLogger(LogConfig{Level: "loud"}, &file, nil, nil); err == nil {
		t.Error("bad level accepted")
	}
}

func testServiceConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.DICOM.Addr, cfg.HTTP.Addr, cfg.Store.MinFreeMB = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", 0
	return cfg
}

// TestServiceProgram_StartStop runs the program as a service manager
// would (Start returns once listening, Stop within its bound) and checks
// the log file and the operator lines.
func TestServiceProgram_StartStop(t *testing.T) {
	cfg := testServiceConfig(t)
	p, err := NewServiceProgram(cfg, ServiceOptions{StopTimeout: 5 * time.Second,
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if p.Daemon() == nil || p.Daemon().DICOMAddr() == nil {
		t.Fatal("no running daemon after Start")
	}
	if err := p.Start(nil); err == nil {
		t.Error("second Start succeeded")
	}
	// Stop right after Start can race fasthttp's Serve (see report); a
	// request first makes sure the HTTP server is serving.
	if resp, err := http.Get("http://" + p.Daemon().HTTPAddr().String() + "/api/v1/health"); err == nil {
		resp.Body.Close()
	} else {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %s", d)
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	b, err := os.ReadFile(LogFilePath(cfg.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lingshu started", "lingshu stopped", "first start: created user admin with password"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file lacks %q:\n%s", want, b)
		}
	}
}

// TestServiceProgram_StartFailureRollsBack: a busy port fails Start with
// the daemon's error and leaves nothing running.
func TestServiceProgram_StartFailureRollsBack(t *testing.T) {
	cfg := testServiceConfig(t)
	p1, _ := NewServiceProgram(cfg, ServiceOptions{})
	if err := p1.Start(nil); err != nil {
		t.Fatal(err)
	}
	defer p1.Stop(nil)
	cfg2 := testServiceConfig(t)
	cfg2.HTTP.Addr = p1.Daemon().HTTPAddr().String()
	p2, _ := NewServiceProgram(cfg2, ServiceOptions{})
	err := p2.Start(nil)
	if err == nil || !strings.Contains(err.Error(), "listen http") {
		t.Fatalf("start on a busy port: %v", err)
	}
	if p2.Daemon() != nil {
		t.Error("daemon kept after failed start")
	}
	if err := p2.Stop(nil); err != nil {
		t.Errorf("stop after failed start: %v", err)
	}
}

func TestNewServiceProgram_InvalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DICOM.AETitle = ""
	if _, err := NewServiceProgram(cfg, ServiceOptions{}); err == nil || !strings.Contains(err.Error(), "dicom.ae_title") {
		t.Errorf("got %v", err)
	}
}

func TestProcessIsService(t *testing.T) {
	env := map[string]string{"INVOCATION_ID": "abc"}
	if !processIsService(func(k string) (string, bool) { v, ok := env[k]; return v, ok }) {
		t.Error("INVOCATION_ID not recognised")
	}
	if processIsService(func(string) (string, bool) { return "", false }) {
		t.Error("no INVOCATION_ID recognised as service")
	}
}
