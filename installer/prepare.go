package installer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// PrepareOptions drive Prepare, the host setup done before the service
// is registered.
type PrepareOptions struct {
	Spec ServiceSpec
	// DefaultConfig is written to Spec.ConfigFile when that file does not
	// exist yet ("" writes nothing). See DefaultConfigTOML.
	DefaultConfig string
	// Run executes a command and returns its combined output; nil runs it.
	Run func(name string, args ...string) ([]byte, error)
	// Log receives one line per action taken; nil discards.
	Log io.Writer
}

func (o *PrepareOptions) defaults() {
	if o.Run == nil {
		o.Run = func(name string, args ...string) ([]byte, error) {
			return exec.Command(name, args...).CombinedOutput()
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// DefaultConfigTOML is the configuration file written on install when none
// exists: the settings an administrator changes first, written out, and
// every other key left to the daemon's embedded defaults.
func DefaultConfigTOML(dataDir, dicomAddr, aeTitle, httpAddr string) string {
	var b strings.Builder
	b.WriteString("# Lingshu Edge configuration, written by `lingshu service install`.\n")
	b.WriteString("# Every key is optional; unknown keys are an error. Check with `lingshu doctor --config FILE`,\n")
	b.WriteString("# then apply with `lingshu service restart`.\n")
	fmt.Fprintf(&b, "data_dir = %s\n\n", tomlString(dataDir))
	b.WriteString("[dicom]\n")
	fmt.Fprintf(&b, "addr = %s\n", tomlString(dicomAddr))
	fmt.Fprintf(&b, "ae_title = %s\n", tomlString(aeTitle))
	b.WriteString("# allowed_calling_ae_titles = [\"PACS1\"]\n")
	b.WriteString("# allowed_hosts = [\"10.0.0.0/8\"]\n\n")
	b.WriteString("[http]\n")
	fmt.Fprintf(&b, "addr = %s\n\n", tomlString(httpAddr))
	b.WriteString("[model]\n")
	b.WriteString("# path = \"/var/lib/lingshu/models/lingshu-7b\"\n")
	b.WriteString("# backend = \"auto\"\n")
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeConfigIfMissing writes content to path (mode 0640) unless path
// exists; it reports whether it wrote.
func writeConfigIfMissing(path, content string) (bool, error) {
	if content == "" {
		return false, nil
	}
	if _, err := os.Stat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("installer: config file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("installer: config dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return false, fmt.Errorf("installer: write config: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return false, fmt.Errorf("installer: write config: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("installer: write config: %w", err)
	}
	return true, nil
}

// makeDataDirs creates the data dir and its logs folder.
func makeDataDirs(dataDir string) error {
	if err := os.MkdirAll(filepath.Join(dataDir, "logs"), 0o750); err != nil {
		return fmt.Errorf("installer: data dir: %w", err)
	}
	return nil
}

// ensureUser creates a locked system account name (home dir home, no
// login shell) unless lookup finds it.
func ensureUser(o PrepareOptions, name, home string, lookup func(string) bool) (bool, error) {
	if lookup(name) {
		return false, nil
	}
	out, err := o.Run("useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home",
		"--shell", "/usr/sbin/nologin", "--comment", ServiceDisplayName, name)
	if err != nil {
		return false, fmt.Errorf("installer: create system user %s (useradd): %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return true, nil
}

// chownTree gives dir and everything under it to uid:gid, so a data dir
// first used by `lingshu serve` as root is usable by the service account.
func chownTree(dir string, uid, gid int, chown func(string, int, int) error) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n++
		return chown(p, uid, gid)
	})
	if err != nil {
		return n, fmt.Errorf("installer: chown %s to %d:%d: %w", dir, uid, gid, err)
	}
	return n, nil
}

func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("installer: id %q: %w", s, err)
	}
	return n, nil
}
