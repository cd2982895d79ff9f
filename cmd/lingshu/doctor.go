package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/installer"
)

const doctorUsage = "doctor [--config FILE] [--json] [--no-hash]"

// doctorFailed is returned when a check failed: main exits 1 after the
// report is printed.
type doctorFailed struct{ n int }

func (e doctorFailed) Error() string { return fmt.Sprintf("doctor: %d check(s) failed", e.n) }

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return doctor(ctx, args, stdout, stderr, installer.Probes{})
}

// doctor checks this host for the configuration the service would run
// with: --config, else the installed service's file when it exists, else
// the embedded defaults.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer, probes installer.Probes) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file` (default "+defaultServiceConfigFile()+" when it exists)")
	asJSON := fs.Bool("json", false, `print {"checks":[{"name","status","detail","fix"}]}`)
	noHash := fs.Bool("no-hash", false, "skip the sha256 of the model weights")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("doctor: unexpected argument %q", fs.Arg(0))}
	}
	file := *configPath
	if file == "" {
		if _, err := os.Stat(defaultServiceConfigFile()); err == nil {
			file = defaultServiceConfigFile()
		}
	}
	cfg, cfgErr := daemon.LoadConfig(file, daemon.Overrides{}, os.LookupEnv)
	rep := installer.Doctor(ctx, installer.DoctorInput{
		ConfigFile:    file,
		ConfigErr:     cfgErr,
		DataDir:       cfg.DataDir,
		MinFreeMB:     cfg.Store.MinFreeMB,
		DICOMAddr:     cfg.DICOM.Addr,
		HTTPAddr:      cfg.HTTP.Addr,
		ModelPath:     cfg.Model.Path,
		Backend:       cfg.Model.Backend,
		SkipModelHash: *noHash,
	}, probes)
	var err error
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		n := 0
		for _, c := range rep.Checks {
			if c.Status == installer.StatusFail {
				n++
			}
		}
		return doctorFailed{n}
	}
	return nil
}
