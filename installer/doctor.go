package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the outcome of one doctor check.
type Status string

// Check outcomes: only StatusFail makes `lingshu doctor` exit non-zero.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check is one line of the doctor's report, with a one-line fix when the
// status is not ok.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the doctor's answer; its JSON shape is fixed by DESIGN.md.
type Report struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// WriteJSON writes {"checks":[…]}.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("installer: doctor json: %w", err)
	}
	return nil
}

// WriteTable writes an aligned table, each fix on its own line under its
// check, and a count of outcomes.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	counts := map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Status, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
		}
	}
	fmt.Fprintf(tw, "\n%d checks: %d ok, %d warn, %d fail\n", len(r.Checks), counts[StatusOK], counts[StatusWarn], counts[StatusFail])
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("installer: doctor table: %w", err)
	}
	return nil
}

// DoctorInput is what the configuration says. The caller resolves it
// (daemon.LoadConfig) and passes the result even when loading failed, so
// the other checks still run on the best settings known.
type DoctorInput struct {
	ConfigFile string // "" when only the embedded defaults are used
	ConfigErr  error  // the load/validation error; nil when the config is valid
	DataDir    string
	MinFreeMB  int64 // store.min_free_mb: below it C-STORE answers A700
	WarnFreeMB int64 // warn below this; 0 means max(10 GiB, 4 × MinFreeMB)
	DICOMAddr  string
	HTTPAddr   string
	ModelPath  string
	Backend    string // model.backend: auto, cpu, cuda, cuda:N
	// SkipModelHash skips the sha256 of the weights (it reads every byte).
	SkipModelHash bool
}

// Doctor runs every check in a fixed order: config, data_dir, disk_space,
// dicom_port, http_port, cpu, memory, gpu, model, clock.
func Doctor(ctx context.Context, in DoctorInput, p Probes) Report {
	p.fill()
	model, modelErr := ModelInfo{}, error(nil)
	if in.ModelPath != "" {
		model, modelErr = p.OpenModel(in.ModelPath, !in.SkipModelHash)
	}
	checks := []func() Check{
		func() Check { return checkConfig(in) },
		func() Check { return checkDataDir(in, p) },
		func() Check { return checkDisk(in, p) },
		func() Check { return checkPort("dicom_port", "dicom.addr", in.DICOMAddr, in, p) },
		func() Check { return checkPort("http_port", "http.addr", in.HTTPAddr, in, p) },
		func() Check { return checkCPU(p.CPU()) },
		func() Check { return checkMemory(in, p, model, modelErr) },
		func() Check { return checkGPU(in, p.GPU()) },
		func() Check { return checkModel(in, model, modelErr) },
		func() Check { return checkClock(ctx, p) },
	}
	var r Report
	for _, c := range checks {
		if ctx.Err() != nil {
			r.Checks = append(r.Checks, Check{Name: "doctor", Status: StatusFail, Detail: "interrupted: " + ctx.Err().Error()})
			break
		}
		r.Checks = append(r.Checks, c())
	}
	return r
}

func configName(in DoctorInput) string {
	if in.ConfigFile == "" {
		return "the configuration file (pass --config FILE)"
	}
	return in.ConfigFile
}

// keyPattern finds the keys named in daemon config errors: "config key
// dicom.addr: …" from Validate, "unknown key(s): a, b" from the decoder.
var keyPattern = regexp.MustCompile(`config key ([a-z0-9_.]+):|unknown key\(s\): ([^\n;]+)`)

func checkConfig(in DoctorInput) Check {
	c := Check{Name: "config", Status: StatusOK}
	if in.ConfigErr == nil {
		if in.ConfigFile == "" {
			c.Detail = "no config file: embedded defaults and LINGSHU_* variables"
		} else {
			c.Detail = in.ConfigFile + " is valid"
		}
		return c
	}
	c.Status = StatusFail
	c.Detail = strings.ReplaceAll(in.ConfigErr.Error(), "\n", "; ")
	var keys []string
	for _, m := range keyPattern.FindAllStringSubmatch(in.ConfigErr.Error(), -1) {
		if m[1] != "" {
			keys = append(keys, m[1])
		} else {
			keys = append(keys, strings.TrimSpace(m[2]))
		}
	}
	switch {
	case strings.Contains(c.Detail, "unknown key"):
		c.Fix = fmt.Sprintf("edit %s: remove or correct the unknown key(s) %s", configName(in), strings.Join(keys, ", "))
	case len(keys) > 0:
		c.Fix = fmt.Sprintf("edit %s (or the LINGSHU_* variable): fix %s as described", configName(in), strings.Join(keys, ", "))
	default:
		c.Fix = fmt.Sprintf("edit %s: fix the TOML error at the line given", configName(in))
	}
	return c
}

// existingAncestor is dir or its nearest existing parent.
func existingAncestor(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			return d
		}
	}
}

func checkDataDir(in DoctorInput, p Probes) Check {
	c := Check{Name: "data_dir", Status: StatusOK}
	if in.DataDir == "" {
		return Check{Name: "data_dir", Status: StatusFail, Detail: "no data dir configured", Fix: "set data_dir in " + configName(in)}
	}
	st, err := os.Stat(in.DataDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := existingAncestor(in.DataDir)
		if werr := p.Writable(parent); werr != nil {
			return Check{Name: "data_dir", Status: StatusFail,
				Detail: fmt.Sprintf("%s does not exist and %s is not writable: %v", in.DataDir, parent, werr),
				Fix:    "create it for the service account, or run `lingshu service install` (it creates it)"}
		}
		c.Status, c.Detail = StatusWarn, fmt.Sprintf("%s does not exist yet (created at first start; %s is writable)", in.DataDir, parent)
		c.Fix = "run `lingshu service install` or `lingshu serve` once to create it"
		return c
	case err != nil:
		return Check{Name: "data_dir", Status: StatusFail, Detail: err.Error(), Fix: "check the permissions of every folder above " + in.DataDir}
	case !st.IsDir():
		return Check{Name: "data_dir", Status: StatusFail, Detail: in.DataDir + " is not a directory", Fix: "point data_dir at a directory"}
	}
	if err := p.Writable(in.DataDir); err != nil {
		return Check{Name: "data_dir", Status: StatusFail, Detail: fmt.Sprintf("%s is not writable: %v", in.DataDir, err),
			Fix: fmt.Sprintf("give the service account write access (Linux: chown -R %s:%s %s)", ServiceUser, ServiceUser, in.DataDir)}
	}
	c.Detail = in.DataDir + " exists and is writable"
	return c
}

// fileWritable creates and removes a temporary file in dir.
func fileWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".lingshu-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func checkDisk(in DoctorInput, p Probes) Check {
	c := Check{Name: "disk_space", Status: StatusOK}
	dir := existingAncestor(in.DataDir)
	free, err := p.DiskFree(dir)
	if err != nil {
		return Check{Name: "disk_space", Status: StatusWarn, Detail: fmt.Sprintf("free space of %s unknown: %v", dir, err),
			Fix: "check the file system of the data dir by hand (df -h)"}
	}
	warnMB := in.WarnFreeMB
	if warnMB <= 0 {
		warnMB = max(10<<10, 4*in.MinFreeMB)
	}
	freeMB := int64(free >> 20)
	c.Detail = fmt.Sprintf("%s free on %s (store.min_free_mb %d MiB)", human(free), dir, in.MinFreeMB)
	switch {
	case freeMB < in.MinFreeMB:
		c.Status = StatusFail
		c.Detail += ": below the minimum, C-STORE answers out of resources (A700)"
		c.Fix = "free disk space, move data_dir to a larger volume, or lower store.min_free_mb"
	case freeMB < warnMB:
		c.Status = StatusWarn
		c.Detail += fmt.Sprintf(": below %s", human(uint64(warnMB)<<20))
		c.Fix = "plan more disk space: studies stop being accepted at store.min_free_mb"
	}
	return c
}

// portOf returns the numeric port of HOST:PORT.
func portOf(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}

func checkPort(name, key, addr string, in DoctorInput, p Probes) Check {
	port, err := portOf(addr)
	if err != nil {
		return Check{Name: name, Status: StatusFail, Detail: fmt.Sprintf("%s %q: %v", key, addr, err), Fix: "set " + key + " to HOST:PORT"}
	}
	if port == 0 {
		return Check{Name: name, Status: StatusWarn, Detail: fmt.Sprintf("%s %q asks for a random port", key, addr),
			Fix: "set a fixed port so that PACS and browsers can reach it"}
	}
	ln, err := p.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return Check{Name: name, Status: StatusOK, Detail: fmt.Sprintf("port %d is free (%s)", port, addr)}
	}
	if isAddrInUse(err) {
		owner := p.PortOwner(port)
		if owner.Self {
			return Check{Name: name, Status: StatusOK, Detail: fmt.Sprintf("port %d is held by %s: the service is running", port, owner)}
		}
		who := "another program"
		if owner.Name != "" {
			who = owner.String()
		}
		return Check{Name: name, Status: StatusFail, Detail: fmt.Sprintf("port %d (%s) is in use by %s", port, key, who),
			Fix: fmt.Sprintf("stop %s or change %s in %s", who, key, configName(in))}
	}
	if port < 1024 && isPermission(err) {
		return Check{Name: name, Status: StatusWarn, Detail: fmt.Sprintf("port %d needs privileges to bind: %v", port, err),
			Fix: "fine for the installed service (it gets CAP_NET_BIND_SERVICE); run doctor as root to test the port"}
	}
	return Check{Name: name, Status: StatusFail, Detail: fmt.Sprintf("cannot listen on %s: %v", addr, err),
		Fix: fmt.Sprintf("set %s to an address of this machine (or \":%d\" for all)", key, port)}
}

func checkClock(ctx context.Context, p Probes) Check {
	now := p.Now()
	if y := now.Year(); y < 2020 || y > 2100 {
		return Check{Name: "clock", Status: StatusFail, Detail: "system clock reads " + now.Format(time.RFC3339),
			Fix: "set the date and enable NTP: study dates, audit times and session expiry depend on it"}
	}
	synced, known, how := p.ClockSynced(ctx)
	switch {
	case !known:
		return Check{Name: "clock", Status: StatusOK, Detail: now.UTC().Format(time.RFC3339) + "; synchronization not checked (" + how + ")"}
	case !synced:
		return Check{Name: "clock", Status: StatusWarn, Detail: now.UTC().Format(time.RFC3339) + "; not synchronized (" + how + ")",
			Fix: "enable time synchronization (timedatectl set-ntp true, or the hospital's NTP server)"}
	}
	return Check{Name: "clock", Status: StatusOK, Detail: now.UTC().Format(time.RFC3339) + "; synchronized (" + how + ")"}
}

// human writes a byte count in binary units.
func human(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
