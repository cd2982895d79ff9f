package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
)

// stopTimeout bounds a graceful stop: in-flight C-STOREs finish, the index
// closes, then the process exits even if a peer hangs.
const stopTimeout = 30 * time.Second

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file` (optional; embedded defaults otherwise)")
	var o daemon.Overrides
	fs.StringVar(&o.DataDir, "data", "", "data `dir`ectory (instances, index, logs)")
	fs.StringVar(&o.DICOMAddr, "dicom-addr", "", "DICOM listen `HOST:PORT`")
	fs.StringVar(&o.HTTPAddr, "http-addr", "", "REST/UI listen `HOST:PORT`")
	fs.StringVar(&o.AETitle, "ae-title", "", "called AE title to answer to")
	fs.StringVar(&o.ModelPath, "model", "", "model `path` (HF folder or GGUF)")
	fs.StringVar(&o.Backend, "backend", "", "compute backend: auto, cpu, cuda or cuda:N")
	fs.StringVar(&o.LogLevel, "log-level", "", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := daemon.LoadConfig(*configPath, o, os.LookupEnv)
	if err != nil {
		return err
	}
	log, err := daemon.NewLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: log, Console: stdout})
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return d.Stop(stopCtx)
}
