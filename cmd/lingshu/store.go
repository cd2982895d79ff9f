package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/lingshu-edge/lingshu/daemon"
)

// runStoreVerify checks a data directory offline: every indexed instance
// readable, and optionally every listed source file stored unchanged. It
// exits non-zero when anything is wrong.
func runStoreVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("store verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration `file`")
	dataDir := fs.String("data", "", "data `dir`ectory (default: from the configuration)")
	expectList := fs.String("expect", "", "`file` listing source DICOM paths, one per line, that must be stored unchanged")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := daemon.LoadConfig(*configPath, daemon.Overrides{DataDir: *dataDir}, os.LookupEnv)
	if err != nil {
		return err
	}
	var expected []string
	if *expectList != "" {
		if expected, err = readLines(*expectList); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := daemon.VerifyStore(ctx, cfg.DataDir, expected, log)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "studies %d, instances %d, unreadable %d, expected %d, missing %d, mismatched %d, recovered on open %d\n",
			rep.Studies, rep.Instances, rep.Unreadable, rep.Expected, rep.Missing, rep.Mismatched, rep.Recovered)
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, "  ", p)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("store verify: %d unreadable, %d missing, %d mismatched", rep.Unreadable, rep.Missing, rep.Mismatched)
	}
	return nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read list: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
