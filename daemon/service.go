package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// DefaultStopTimeout bounds a graceful stop under a service manager:
// in-flight C-STOREs finish and the index closes within it. The systemd
// unit's TimeoutStopSec is this plus a margin, so the manager never kills
// the process while it is still closing the index.
const DefaultStopTimeout = 30 * time.Second

// LogFilePath is the service's log file inside a data directory.
func LogFilePath(dataDir string) string { return filepath.Join(dataDir, "logs", "lingshu.log") }

// ServiceOptions configure a ServiceProgram.
type ServiceOptions struct {
	// StopTimeout bounds Stop; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
	// Interactive is true when a person runs the program in a terminal
	// (service.Interactive()): logs then also go to Console, and the
	// service manager's log is not used.
	Interactive bool
	// Console receives the operator lines (listening addresses, a
	// generated admin password). Under a service manager leave it nil:
	// those lines then go to the log file.
	Console io.Writer
	// LogConsole receives the logs as text when Interactive (like `serve`,
	// which logs to stderr); nil means Console.
	LogConsole io.Writer
	// LookupEnv is passed to the daemon; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// LogFileMaxBytes and LogFileKeep size the rotating log file;
	// 0 means DefaultLogFileMaxBytes and DefaultLogFileKeep.
	LogFileMaxBytes int64
	LogFileKeep     int
}

// ServiceProgram adapts a Daemon to a service manager (systemd, the
// Windows SCM) through kardianos/service: Start returns once the daemon
// listens (or fails and rolls back), Stop is bounded by StopTimeout. Logs go
// to a rotating file in <data dir>/logs and, at warn and above, to the
// service manager's log (journald via syslog, the Windows Event Log), which
// also receives one line per start and stop.
type ServiceProgram struct {
	cfg  Config
	opts ServiceOptions

	mu      sync.Mutex
	d       *Daemon
	sys     service.Logger // nil when interactive or unavailable
	logFile *RotatingFile
}

// NewServiceProgram checks cfg; nothing is opened until Start.
func NewServiceProgram(cfg Config, opts ServiceOptions) (*ServiceProgram, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.LogFileMaxBytes <= 0 {
		opts.LogFileMaxBytes = DefaultLogFileMaxBytes
	}
	if opts.LogFileKeep <= 0 {
		opts.LogFileKeep = DefaultLogFileKeep
	}
	return &ServiceProgram{cfg: cfg, opts: opts}, nil
}

// Start implements service.Interface. s may be nil (tests, or a caller
// without a service manager).
func (p *ServiceProgram) Start(s service.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d != nil {
		return errors.New("daemon: service already started")
	}
	p.sys = nil
	if s != nil && !p.opts.Interactive {
		// An unavailable system log (no syslog socket in a container) is
		// not fatal: the file log still works.
		if sys, err := s.SystemLogger(nil); err == nil {
			p.sys = sys
		}
	}
	lf, err := OpenRotatingFile(LogFilePath(p.cfg.DataDir), p.opts.LogFileMaxBytes, p.opts.LogFileKeep)
	if err != nil {
		p.sysError("lingshu failed to start: %v", err)
		return err
	}
	var console io.Writer
	if p.opts.Interactive {
		console = p.opts.LogConsole
		if console == nil {
			console = p.opts.Console
		}
	}
	log, err := NewServiceLogger(p.cfg.Log, lf, p.sys, console)
	if err != nil {
		lf.Close()
		p.sysError("lingshu failed to start: %v", err)
		return err
	}
	operator := p.opts.Console
	if operator == nil {
		operator = lf // first-start password and addresses land in the 0640 log file
	}
	d, err := New(p.cfg, Options{Logger: log, Console: operator, LookupEnv: p.opts.LookupEnv})
	if err == nil {
		err = d.Start(context.Background())
	}
	if err != nil {
		log.Error("service start failed", "err", err)
		p.sysError("lingshu failed to start: %v", err)
		lf.Close()
		return fmt.Errorf("daemon: service start: %w", err)
	}
	p.d, p.logFile = d, lf
	if p.sys != nil {
		_ = p.sys.Infof("lingshu started: DICOM %s (AE %s), HTTP %s, data %s",
			d.DICOMAddr(), p.cfg.DICOM.AETitle, d.HTTPAddr(), p.cfg.DataDir)
	}
	return nil
}

// Stop implements service.Interface: it stops the daemon within
// StopTimeout and closes the log file.
func (p *ServiceProgram) Stop(s service.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.StopTimeout)
	defer cancel()
	start := time.Now()
	err := p.d.Stop(ctx)
	p.d = nil
	if err != nil {
		p.sysError("lingshu stopped with errors after %s: %v", time.Since(start).Round(time.Millisecond), err)
	} else if p.sys != nil {
		_ = p.sys.Infof("lingshu stopped in %s", time.Since(start).Round(time.Millisecond))
	}
	if cerr := p.logFile.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	p.logFile = nil
	if err != nil {
		return fmt.Errorf("daemon: service stop: %w", err)
	}
	return nil
}

// Daemon returns the running daemon, or nil before Start and after Stop.
func (p *ServiceProgram) Daemon() *Daemon {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.d
}

func (p *ServiceProgram) sysError(format string, args ...any) {
	if p.sys != nil {
		_ = p.sys.Errorf(format, args...)
	}
}

// NewServiceLogger builds the service's logger: every record at cfg.Level
// and above to file (text or JSON per cfg.Format); records at warn and above
// to sys (the service manager's log) when sys is not nil; and, when console
// is not nil, every record as text to console.
func NewServiceLogger(cfg LogConfig, file io.Writer, sys service.Logger, console io.Writer) (*slog.Logger, error) {
	level, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("daemon: log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var handlers []slog.Handler
	if cfg.Format == "json" {
		handlers = append(handlers, slog.NewJSONHandler(file, opts))
	} else {
		handlers = append(handlers, slog.NewTextHandler(file, opts))
	}
	if sys != nil {
		handlers = append(handlers, NewSysLogHandler(sys, max(level, slog.LevelWarn)))
	}
	if console != nil {
		handlers = append(handlers, slog.NewTextHandler(console, opts))
	}
	return slog.New(slog.NewMultiHandler(handlers...)), nil
}

// OpenServiceLogFile opens the rotating log file of a data directory with
// the default sizes (for tools that want to read or append to it).
func OpenServiceLogFile(dataDir string) (*RotatingFile, error) {
	return OpenRotatingFile(LogFilePath(dataDir), DefaultLogFileMaxBytes, DefaultLogFileKeep)
}

// processIsService reports whether the process was started by systemd
// (INVOCATION_ID is set for every unit process) — used by callers that
// must tell a service start from a terminal inside a container, where
// kardianos reports every process as interactive.
func processIsService(lookup func(string) (string, bool)) bool {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	_, ok := lookup("INVOCATION_ID")
	return ok
}

// RunningUnderServiceManager reports whether this process was started by
// the OS service manager rather than by a person: kardianos's answer, or
// systemd's INVOCATION_ID, which also works inside containers.
func RunningUnderServiceManager() bool {
	return !service.Interactive() || processIsService(os.LookupEnv)
}
