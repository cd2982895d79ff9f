// Package installer puts Lingshu Edge on a host and checks the host: the OS
// service (a systemd unit we render ourselves, or a Windows service with
// automatic start and recovery actions) through kardianos/service, and the
// checks behind `lingshu doctor`. It does not import daemon (DESIGN.md):
// callers resolve the configuration and pass plain settings in.
package installer

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/kardianos/service"
)

// Service identity, the same on every OS.
const (
	ServiceName        = "lingshu"
	ServiceDisplayName = "Lingshu Edge"
	ServiceDescription = "Lingshu Edge on-prem medical imaging AI: DICOM receiver, study store and REST API"
	// ServiceUser is the dedicated system account of the Linux service.
	ServiceUser = "lingshu"
	// DefaultLinuxDataDir is the data directory systemd creates for the
	// service (StateDirectory=lingshu).
	DefaultLinuxDataDir = "/var/lib/lingshu"
	// DefaultLinuxConfigFile is where packages put the configuration.
	DefaultLinuxConfigFile = "/etc/lingshu/lingshu.toml"
)

// Defaults of a ServiceSpec.
const (
	DefaultStopMargin  = 15 * time.Second
	DefaultRestartSec  = 10 * time.Second
	DefaultLimitNOFILE = 65536
)

// ServiceSpec is everything the service definition depends on.
type ServiceSpec struct {
	// Executable is the absolute path of the lingshu binary to run.
	Executable string
	// ConfigFile is the absolute path given to `service run --config`.
	ConfigFile string
	// DataDir is the one directory the service may write.
	DataDir string
	// User is the Linux account the service runs as ("" runs as root, which
	// the unit then does not restrict to one user). Ignored on Windows,
	// where the service runs as LocalSystem.
	User string
	// StopTimeout is the daemon's own stop bound; the service manager
	// waits StopTimeout + DefaultStopMargin before killing.
	StopTimeout time.Duration
	// Ports are the TCP ports the daemon listens on; one below 1024 (DICOM's
	// registered port is 104) grants CAP_NET_BIND_SERVICE and nothing more.
	Ports []int
	// RestartSec and LimitNOFILE; 0 means the defaults above.
	RestartSec  time.Duration
	LimitNOFILE int
}

// Arguments are the command-line arguments the service manager passes:
// the `service run` subcommand runs the daemon under kardianos, so a stop
// from systemd or the SCM is a graceful, bounded stop.
func (s ServiceSpec) Arguments() []string {
	return []string{"service", "run", "--config", s.ConfigFile}
}

// Validate checks the spec for goos ("linux", "windows", …).
func (s ServiceSpec) Validate(goos string) error {
	var errs []error
	abs := func(what, p string) {
		if p == "" {
			errs = append(errs, fmt.Errorf("installer: %s must be set", what))
		} else if !isAbs(goos, p) {
			errs = append(errs, fmt.Errorf("installer: %s %q must be an absolute path", what, p))
		}
		if strings.Contains(p, "{{") || strings.ContainsAny(p, "\n\r") {
			errs = append(errs, fmt.Errorf("installer: %s %q contains characters a service file cannot hold", what, p))
		}
	}
	abs("executable", s.Executable)
	abs("config file", s.ConfigFile)
	abs("data dir", s.DataDir)
	if goos == "linux" {
		// ProtectHome= and PrivateTmp= hide these from the service.
		for _, hidden := range []string{"/home", "/root", "/run/user", "/tmp", "/var/tmp"} {
			if under(s.Executable, hidden) {
				errs = append(errs, fmt.Errorf("installer: executable %s is under %s, which the hardened unit hides from the service: copy lingshu to /usr/local/bin and install from there", s.Executable, hidden))
			}
			if under(s.ConfigFile, hidden) || under(s.DataDir, hidden) {
				errs = append(errs, fmt.Errorf("installer: config file and data dir must not be under %s (hidden from the service)", hidden))
			}
		}
	}
	if s.StopTimeout < 0 {
		errs = append(errs, fmt.Errorf("installer: stop timeout must not be negative, got %s", s.StopTimeout))
	}
	for _, p := range s.Ports {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("installer: port %d out of range", p))
		}
	}
	return errors.Join(errs...)
}

func isAbs(goos, p string) bool {
	if goos == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func (s ServiceSpec) stopWait() time.Duration { return s.StopTimeout + DefaultStopMargin }

func (s ServiceSpec) restartSec() time.Duration {
	if s.RestartSec > 0 {
		return s.RestartSec
	}
	return DefaultRestartSec
}

func (s ServiceSpec) limitNOFILE() int {
	if s.LimitNOFILE > 0 {
		return s.LimitNOFILE
	}
	return DefaultLimitNOFILE
}

func (s ServiceSpec) needsLowPort() bool {
	for _, p := range s.Ports {
		if p > 0 && p < 1024 {
			return true
		}
	}
	return false
}

// ServiceConfig is the kardianos/service configuration for goos. On Linux
// the unit is SystemdUnit(s), passed whole as the SystemdScript option (it
// holds no template actions, so kardianos writes it as rendered here); on
// Windows it sets automatic start and restart-on-failure recovery.
func ServiceConfig(s ServiceSpec, goos string) (*service.Config, error) {
	if err := s.Validate(goos); err != nil {
		return nil, err
	}
	c := &service.Config{
		Name:        ServiceName,
		DisplayName: ServiceDisplayName,
		Description: ServiceDescription,
		Executable:  s.Executable,
		Arguments:   s.Arguments(),
		Option:      service.KeyValue{},
	}
	switch goos {
	case "windows":
		c.Dependencies = []string{"Tcpip"}
		c.Option["StartType"] = "automatic"
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = s.restartSec().String()
		c.Option["OnFailureResetPeriod"] = int((24 * time.Hour).Seconds())
	default:
		unit, err := SystemdUnit(s)
		if err != nil {
			return nil, err
		}
		c.UserName = s.User
		c.WorkingDirectory = s.DataDir
		c.Option["SystemdScript"] = unit
	}
	return c, nil
}

// SystemdUnit renders the hardened systemd unit for s. The service may
// write only its data directory; it keeps device access (a GPU needs
// /dev/nvidia*), so PrivateDevices= and ProtectClock= (which closes the
// device policy) are deliberately not set.
func SystemdUnit(s ServiceSpec) (string, error) {
	if err := s.Validate("linux"); err != nil {
		return "", err
	}
	return renderSystemdUnit(s), nil
}

// renderSystemdUnit writes the unit of a validated spec.
func renderSystemdUnit(s ServiceSpec) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Lingshu Edge service, rendered by `lingshu service install`.")
	line("# To change it, run `lingshu service uninstall` then `lingshu service install --config FILE`;")
	line("# local additions belong in `systemctl edit %s`.", ServiceName)
	line("[Unit]")
	line("Description=%s", ServiceDescription)
	line("Wants=network-online.target")
	line("After=network-online.target")
	line("# Keep restarting: a receiver that gave up loses studies.")
	line("StartLimitIntervalSec=0")
	line("")
	line("[Service]")
	line("Type=simple")
	args := []string{systemdQuote(s.Executable, true)}
	for _, a := range s.Arguments() {
		args = append(args, systemdQuote(a, true))
	}
	line("ExecStart=%s", strings.Join(args, " "))
	if s.User != "" {
		line("User=%s", s.User)
		line("Group=%s", s.User)
	}
	// A non-root user gets the system data dir as its default too.
	line("Environment=%s", systemdQuote("XDG_DATA_HOME="+filepath.Dir(DefaultLinuxDataDir), false))
	line("WorkingDirectory=%s", systemdQuote(s.DataDir, false))
	if s.DataDir == DefaultLinuxDataDir {
		line("StateDirectory=%s", filepath.Base(DefaultLinuxDataDir))
		line("StateDirectoryMode=0750")
	}
	line("ReadWritePaths=%s", systemdQuote(s.DataDir, false))
	line("UMask=0027")
	line("Restart=on-failure")
	line("RestartSec=%s", systemdDuration(s.restartSec()))
	line("TimeoutStartSec=5min")
	line("# The daemon stops itself within %s; the margin covers process exit.", systemdDuration(s.StopTimeout))
	line("TimeoutStopSec=%s", systemdDuration(s.stopWait()))
	line("KillMode=mixed")
	line("LimitNOFILE=%d", s.limitNOFILE())
	line("NoNewPrivileges=yes")
	line("ProtectSystem=strict")
	line("ProtectHome=yes")
	line("PrivateTmp=yes")
	line("ProtectKernelTunables=yes")
	line("ProtectKernelModules=yes")
	line("ProtectKernelLogs=yes")
	line("ProtectControlGroups=yes")
	line("RestrictNamespaces=yes")
	line("RestrictRealtime=yes")
	line("RestrictSUIDSGID=yes")
	line("LockPersonality=yes")
	line("SystemCallArchitectures=native")
	line("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK")
	if s.needsLowPort() {
		line("CapabilityBoundingSet=CAP_NET_BIND_SERVICE")
		line("AmbientCapabilities=CAP_NET_BIND_SERVICE")
	} else {
		line("CapabilityBoundingSet=")
	}
	line("")
	line("[Install]")
	line("WantedBy=multi-user.target")
	return b.String()
}

// systemdQuote makes s one word of a systemd setting: '%' doubled
// (specifiers), '$' doubled on command lines (variable expansion), and
// double quotes around words holding blanks, quotes or backslashes.
func systemdQuote(s string, cmdline bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if cmdline {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// systemdDuration writes d as systemd time span ("45s", "2min 5s").
func systemdDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute || d%time.Minute != 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return fmt.Sprintf("%dmin", int64(d/time.Minute))
}
