// Package daemon is the appliance's service program: it resolves the
// configuration, opens the store, and runs the DICOM receiver and the REST
// API over it, and, with a model configured, the inference engine (a runner
// child process) and the draft report queue. Start does not block and rolls
// back a partial start; Stop is bounded by its context and stops intake
// before closing the index, so every instance acknowledged to a PACS is on
// disk and indexed when it returns.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/api"
	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/jobs"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/daemon/ui"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
	"github.com/lingshu-edge/lingshu/internal/buildinfo"
)

// implementationClassUID identifies our DICOM implementation in
// associations and file meta headers (a UUID-derived 2.25 UID, fixed forever).
const implementationClassUID = "2.25.98324719541390584203376619237410526881"

// Options are the process-level collaborators of a Daemon.
type Options struct {
	// Logger receives every component's logs; nil means slog.Default().
	Logger *slog.Logger
	// Console receives the few lines meant for the operator who started the
	// process (listening addresses, a generated admin password); nil discards.
	Console io.Writer
	// LookupEnv reads LINGSHU_ADMIN_PASSWORD; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Runner is the command that starts the model runner: an executable
	// and its leading arguments ("--model PATH --backend B" are appended).
	// nil means this executable with "runner"; tests running the daemon
	// inside a test binary point it at a built lingshu.
	Runner []string
}

// Daemon is one running appliance.
type Daemon struct {
	cfg     Config
	log     *slog.Logger
	console io.Writer
	env     func(string) (string, bool)
	runner  []string

	store   *store.Store
	infer   *infer.Engine // nil without a model
	jobs    *jobs.Queue   // nil without a model
	dicom   *dicomnet.Server
	dicomLn net.Listener
	http    *api.Server
	httpLn  net.Listener
	metrics *daemonMetrics

	wg       sync.WaitGroup
	mu       sync.Mutex
	serveErr error
	stopOnce sync.Once
	stopErr  error
}

// New checks the configuration; nothing is opened until Start.
func New(cfg Config, opts Options) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, log: opts.Logger, console: opts.Console, env: opts.LookupEnv, runner: opts.Runner,
		metrics: newDaemonMetrics(time.Now)}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.console == nil {
		d.console = io.Discard
	}
	if d.env == nil {
		d.env = os.LookupEnv
	}
	return d, nil
}

// Start opens the store and begins listening. It returns once both
// listeners are bound; on any failure it closes what it opened.
func (d *Daemon) Start(ctx context.Context) (err error) {
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	if err := os.MkdirAll(d.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("daemon: create data dir: %w", err)
	}
	d.store, err = store.Open(d.cfg.DataDir, store.Options{
		StableAfter:     d.cfg.Store.StableAfter.Duration,
		DuplicatePolicy: d.cfg.Store.DuplicatePolicy,
		MinFreeBytes:    d.cfg.Store.MinFreeMB << 20,
		SessionTTL:      d.cfg.HTTP.SessionTTL.Duration,
		Logger:          d.log,
	})
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	undo = append(undo, func() { d.store.Close() })
	if err := d.ensureAdmin(); err != nil {
		return err
	}
	// The model and the draft queue start before intake, so the queue's
	// rules see every study event of this run.
	if err := d.startModel(ctx); err != nil {
		return err
	}
	if d.infer != nil {
		undo = append(undo, func() { d.stopModel(context.Background()) })
	}

	if err := d.startDICOM(); err != nil {
		return err
	}
	undo = append(undo, func() { d.dicomLn.Close() })
	if err := d.startHTTP(); err != nil {
		return err
	}
	d.log.Info("lingshu started", "version", buildinfo.Version(), "data_dir", d.cfg.DataDir,
		"dicom_addr", d.dicomLn.Addr().String(), "ae_title", d.cfg.DICOM.AETitle, "http_addr", d.httpLn.Addr().String())
	fmt.Fprintf(d.console, "lingshu %s: DICOM %s (AE %s), HTTP http://%s, data %s\n", buildinfo.Version(),
		d.dicomLn.Addr(), d.cfg.DICOM.AETitle, d.httpLn.Addr(), d.cfg.DataDir)
	if d.infer != nil {
		rules := "on demand only"
		if d.cfg.Drafts.Enabled {
			rules = "for stable studies and on demand"
		}
		fmt.Fprintf(d.console, "model %s (backend %s) loading in a runner process; draft reports %s\n",
			d.cfg.Model.Path, d.cfg.Model.Backend, rules)
	}
	return nil
}

// ensureAdmin creates the first admin on first start, with the password
// from LINGSHU_ADMIN_PASSWORD or a generated one printed once.
func (d *Daemon) ensureAdmin() error {
	pw, _ := d.env("LINGSHU_ADMIN_PASSWORD")
	generated, created, err := d.store.EnsureAdmin(pw)
	if err != nil {
		return fmt.Errorf("daemon: first admin: %w", err)
	}
	if created && pw == "" {
		fmt.Fprintf(d.console, "first start: created user admin with password %s (shown once; change it)\n", generated)
	}
	if created {
		d.log.Info("created first admin user", "user", "admin")
	}
	return nil
}

func (d *Daemon) startDICOM() error {
	c := d.cfg.DICOM
	srv, err := dicomnet.NewServer(dicomnet.ServerConfig{
		AETitle:                   c.AETitle,
		AllowedCallingAETitles:    c.AllowedCallingAETitles,
		AllowedHosts:              c.AllowedHosts,
		MaxPDULength:              c.MaxPDULength,
		MaxDatasetBytes:           c.MaxInstanceBytes,
		ARTIMTimeout:              c.ARTIMTimeout.Duration,
		IdleTimeout:               c.IdleTimeout.Duration,
		MaxAssociations:           c.MaxAssociations,
		ImplementationClassUID:    implementationClassUID,
		ImplementationVersionName: implementationVersionName(),
		Logger:                    d.log,
		// ingest writes the dataset before Store returns and keeps no
		// reference to it, so each association can reuse its buffer.
		ReuseDatasetBuffers: true,
	}, &ingest{store: d.store, log: d.log.With("component", "ingest"), metrics: d.metrics})
	if err != nil {
		return fmt.Errorf("daemon: dicom server: %w", err)
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("daemon: listen dicom %s: %w", c.Addr, err)
	}
	d.dicom, d.dicomLn = srv, ln
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, dicomnet.ErrServerClosed) {
			d.fail("dicom", err)
		}
	}()
	return nil
}

func (d *Daemon) startHTTP() error {
	reg := api.NewRegistry(d.log.With("component", "metrics"))
	d.registerMetrics(reg)
	if d.jobs != nil {
		reg.Register("drafts", d.collectDrafts)
	}
	cfg := api.Config{Version: buildinfo.Version(), Metrics: reg, UI: ui.FS()}
	if d.infer != nil { // interfaces stay nil (not typed nil) without a model
		cfg.Infer, cfg.Drafts = d.infer, d.jobs
	}
	srv := api.New(cfg, d.store, d.log.With("component", "api"))
	ln, err := net.Listen("tcp", d.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("daemon: listen http %s: %w", d.cfg.HTTP.Addr, err)
	}
	d.http, d.httpLn = srv, ln
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := srv.App().Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			d.fail("http", err)
		}
	}()
	return nil
}

// fail records a listener that died on its own; Stop reports it.
func (d *Daemon) fail(component string, err error) {
	d.log.Error("listener failed", "component", component, "err", err)
	d.mu.Lock()
	d.serveErr = errors.Join(d.serveErr, fmt.Errorf("daemon: %s: %w", component, err))
	d.mu.Unlock()
}

// Stop stops the HTTP API first (open event and ask streams end), then the
// draft queue and the model runner, then intake (no new associations,
// in-flight C-STOREs finish and are answered), then closes the index. It returns
// when everything is closed or ctx ends, whichever comes first. Calling it
// again returns the first call's result.
func (d *Daemon) Stop(ctx context.Context) error {
	d.stopOnce.Do(func() { d.stopErr = d.stop(ctx) })
	return d.stopErr
}

func (d *Daemon) stop(ctx context.Context) error {
	var errs []error
	// HTTP first (no new questions or draft requests), then the draft
	// queue (a draft in progress is requeued) and the model runner, then
	// intake (in-flight C-STOREs finish and are answered), then the index.
	if d.http != nil {
		if err := d.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("daemon: stop http: %w", err))
		}
		// A Stop right after Start can run before fiber has taken the
		// listener over; closing it ourselves ends Listener() either way.
		d.httpLn.Close()
	}
	errs = append(errs, d.stopModel(ctx))
	if d.dicom != nil {
		if err := d.dicom.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("daemon: stop dicom: %w", err))
		}
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("daemon: stop: %w", ctx.Err()))
	}
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("daemon: close store: %w", err))
		}
	}
	d.mu.Lock()
	errs = append(errs, d.serveErr)
	d.mu.Unlock()
	d.log.Info("lingshu stopped")
	return errors.Join(errs...)
}

// startModel builds and starts the inference engine and the draft queue
// when a model is configured. The engine loads the model in the
// background; drafts queued meanwhile wait for it.
func (d *Daemon) startModel(ctx context.Context) error {
	m := d.cfg.Model
	if m.Path == "" {
		d.log.Info("no model configured: questions and draft reports are off")
		return nil
	}
	icfg := infer.Config{ModelPath: m.Path, Backend: m.Backend, QueueSize: m.QueueSize, Logger: d.log,
		HashCache: filepath.Join(d.cfg.DataDir, "model-hashes.json")}
	if len(d.runner) > 0 {
		icfg.Exe, icfg.Args = d.runner[0], d.runner[1:]
	}
	eng, err := infer.New(icfg)
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if err := eng.Start(ctx); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	q := jobs.New(d.store, eng, d.cfg.Drafts.jobsConfig(), d.log)
	if err := q.Start(ctx); err != nil {
		eng.Close(ctx)
		return fmt.Errorf("daemon: %w", err)
	}
	d.infer, d.jobs = eng, q
	return nil
}

// stopModel stops the draft queue, then the engine and its runner.
func (d *Daemon) stopModel(ctx context.Context) error {
	var errs []error
	if d.jobs != nil {
		if err := d.jobs.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("daemon: stop drafts: %w", err))
		}
	}
	if d.infer != nil {
		if err := d.infer.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("daemon: stop model: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Infer is the inference engine (nil without a model).
func (d *Daemon) Infer() *infer.Engine { return d.infer }

// Drafts is the draft report queue (nil without a model).
func (d *Daemon) Drafts() *jobs.Queue { return d.jobs }

// DICOMAddr is the bound DICOM address (useful with port 0 in tests).
func (d *Daemon) DICOMAddr() net.Addr { return d.dicomLn.Addr() }

// HTTPAddr is the bound HTTP address.
func (d *Daemon) HTTPAddr() net.Addr { return d.httpLn.Addr() }

// Store gives tests and in-process tools the daemon's store.
func (d *Daemon) Store() *store.Store { return d.store }

// implementationVersionName is at most 16 characters (PS3.7 D.3.3.2.2).
func implementationVersionName() string {
	v := "LINGSHU_" + buildinfo.Version()
	if len(v) > 16 {
		v = v[:16]
	}
	return v
}
