package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/daemon"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The shipped config must load with the daemon's strict loader and pass
// Validate, on both systems.
func TestDefaultConfig_LoadsAndValidates(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			text, err := defaultConfig(goos)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := daemon.LoadConfigFile(writeTemp(t, "lingshu.toml", text), daemon.DefaultConfig())
			if err != nil {
				t.Fatalf("shipped config does not load: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("shipped config does not validate: %v", err)
			}
			if goos == "linux" && cfg.DataDir != linuxDataDir {
				t.Errorf("linux data_dir = %q, want %q (the service user's default would be its home)", cfg.DataDir, linuxDataDir)
			}
			if goos == "windows" && !strings.Contains(text, "\r\n") {
				t.Error("windows config should have CRLF line endings")
			}
		})
	}
}

var commentedKey = regexp.MustCompile(`(?m)^# ([a-z_]+ = .*)$`)

// Every commented-out key, uncommented, must be a real key whose value is
// the built-in default: the file documents the defaults and must not drift.
func TestDefaultConfig_CommentedKeysAreTheDefaults(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			text, err := defaultConfig(goos)
			if err != nil {
				t.Fatal(err)
			}
			text = strings.ReplaceAll(text, "\r\n", "\n")
			n := len(commentedKey.FindAllString(text, -1))
			if n < 15 {
				t.Fatalf("only %d commented keys found; the pattern or the file changed", n)
			}
			open := commentedKey.ReplaceAllString(text, "$1")
			got, err := daemon.LoadConfigFile(writeTemp(t, "open.toml", open), daemon.Config{})
			if err != nil {
				t.Fatalf("uncommented config does not load: %v\n%s", err, open)
			}
			want := daemon.DefaultConfig()
			if goos == "windows" {
				want.DataDir = windowsConfigDir
			} else {
				want.DataDir = linuxDataDir
			}
			for _, c := range []*daemon.Config{&got, &want} {
				if len(c.DICOM.AllowedCallingAETitles) == 0 {
					c.DICOM.AllowedCallingAETitles = nil
				}
				if len(c.DICOM.AllowedHosts) == 0 {
					c.DICOM.AllowedHosts = nil
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("commented values differ from DefaultConfig:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestStopTimeout_MatchesDaemon(t *testing.T) {
	if stopTimeout != daemon.DefaultStopTimeout {
		t.Errorf("stopTimeout %s != daemon.DefaultStopTimeout %s: the unit's TimeoutStopSec would be wrong", stopTimeout, daemon.DefaultStopTimeout)
	}
}

func TestSystemdUnit_Hardened(t *testing.T) {
	unit, err := systemdUnit()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nDocumentation=man:lingshu(1)\n",
		"\nExecStart=/usr/bin/lingshu service run --config /etc/lingshu/lingshu.toml\n",
		"\nUser=lingshu\n", "\nRestart=on-failure\n", "\nNoNewPrivileges=yes\n",
		"\nProtectSystem=strict\n", "\nReadWritePaths=/var/lib/lingshu\n",
		"\nPrivateTmp=yes\n", "\nProtectHome=yes\n", "\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", strings.TrimSpace(want), unit)
		}
	}
	if strings.Contains(unit, "service install") {
		t.Errorf("unit header should describe the package, not `lingshu service install`:\n%s", unit)
	}
}

// Maintainer scripts must parse with a POSIX shell (dash on Debian).
func TestMaintainerScripts_Parse(t *testing.T) {
	shells := []string{"sh"}
	if _, err := exec.LookPath("dash"); err == nil {
		shells = append(shells, "dash")
	}
	entries, err := assets.ReadDir("files/deb")
	if err != nil {
		t.Fatal(err)
	}
	rpmEntries, err := assets.ReadDir("files/rpm")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, "deb/"+e.Name())
	}
	for _, e := range rpmEntries {
		names = append(names, "rpm/"+e.Name())
	}
	if len(names) != 8 {
		t.Fatalf("want 8 maintainer scripts, found %v", names)
	}
	dir := t.TempDir()
	for _, name := range names {
		path, err := stageEmbedded(dir, name, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shells {
			if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", sh, name, err, out)
			}
		}
	}
}
