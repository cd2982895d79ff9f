package main

import (
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/lingshu-edge/lingshu/installer"
)

// assets holds the maintainer scripts, the config template and the man page.
//
//go:embed files
var assets embed.FS

// Installed paths on Linux.
const (
	linuxBinary  = "/usr/bin/lingshu"
	linuxConfig  = installer.DefaultLinuxConfigFile // /etc/lingshu/lingshu.toml
	linuxDataDir = installer.DefaultLinuxDataDir    // /var/lib/lingshu
	linuxUser    = installer.ServiceUser
	docDir       = "/usr/share/doc/lingshu"
	// stopTimeout is the daemon's own graceful stop bound
	// (daemon.DefaultStopTimeout; a test keeps them equal).
	stopTimeout = 30 * time.Second
)

// Windows: the config lives beside the data, %ProgramData%\Lingshu.
const windowsConfigDir = `C:\ProgramData\Lingshu`

// defaultConfig renders the commented default configuration for goos.
// Linux sets data_dir: the service runs as the lingshu user, for whom the
// built-in default would be under its home directory, not /var/lib/lingshu.
func defaultConfig(goos string) (string, error) {
	data := struct{ Path, Restart, DataDir string }{
		Path:    linuxConfig,
		Restart: "systemctl restart lingshu",
		DataDir: fmt.Sprintf("data_dir = %q", linuxDataDir),
	}
	if goos == "windows" {
		data.Path = windowsConfigDir + `\lingshu.toml`
		data.Restart = "Restart-Service lingshu (PowerShell, as administrator)"
		data.DataDir = "# data_dir = '" + windowsConfigDir + "'"
	}
	text, err := assets.ReadFile("files/lingshu.toml.tmpl")
	if err != nil {
		return "", fmt.Errorf("package: config template: %w", err)
	}
	tmpl, err := template.New("config").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return "", fmt.Errorf("package: config template: %w", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("package: config template: %w", err)
	}
	if goos == "windows" {
		// Notepad before Windows Server 2019 shows LF-only text as one line.
		return strings.ReplaceAll(b.String(), "\n", "\r\n"), nil
	}
	return b.String(), nil
}

// systemdUnit is the unit `lingshu service install` would write for the
// package's paths, with a header saying where local changes go.
func systemdUnit() (string, error) {
	unit, err := installer.SystemdUnit(installer.ServiceSpec{
		Executable:  linuxBinary,
		ConfigFile:  linuxConfig,
		DataDir:     linuxDataDir,
		User:        linuxUser,
		StopTimeout: stopTimeout,
		Ports:       []int{11112, 8080},
	})
	if err != nil {
		return "", fmt.Errorf("package: systemd unit: %w", err)
	}
	lines := strings.SplitAfter(unit, "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	body := strings.Join(lines, "")
	if !strings.Contains(body, "\nDocumentation=") {
		body = strings.Replace(body, "[Unit]\n", "[Unit]\nDocumentation=man:lingshu(1)\n", 1)
	}
	return "# Lingshu Edge service, installed by the lingshu package.\n" +
		"# Local changes belong in `systemctl edit lingshu`, which survives upgrades.\n" + body, nil
}

// copyright lists the Go modules linked into the binary (each under its own
// license) after the project's notice.
func copyright(info *buildinfo.BuildInfo, year int) string {
	var b strings.Builder
	b.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
	b.WriteString("Upstream-Name: lingshu\n")
	b.WriteString("Source: https://github.com/lingshu-edge/lingshu\n\n")
	b.WriteString("Files: *\n")
	fmt.Fprintf(&b, "Copyright: %d Lingshu Edge authors\n", year)
	b.WriteString("License: proprietary\n")
	b.WriteString(" All rights reserved, except as granted by the agreement under which this\n")
	b.WriteString(" software was supplied.\n")
	b.WriteString(" .\n")
	b.WriteString(" The binary /usr/bin/lingshu statically links these Go modules, each\n")
	b.WriteString(" distributed under its own license (see the module at the given version):\n")
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		fmt.Fprintf(&b, " %s %s\n", m.Path, m.Version)
	}
	fmt.Fprintf(&b, " Go standard library %s (BSD-3-Clause)\n", info.GoVersion)
	return b.String()
}

// lintianOverrides explains the findings that are choices: the config is
// 0640 root:lingshu because it may hold site secrets only the service
// should read, and a CGO_ENABLED=0 Go binary is static.
func lintianOverrides(static bool) string {
	s := "lingshu: non-standard-file-perm 0640 != 0644 [etc/lingshu/lingshu.toml]\n"
	if static {
		s += "lingshu: statically-linked-binary [usr/bin/lingshu]\n"
	}
	return s
}

// debianChangelog is a one-entry changelog in Debian's format.
func debianChangelog(v version, maintainer string, when time.Time) string {
	return fmt.Sprintf("lingshu (%s) stable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n",
		v.packageVersion(), v.packageVersion(), maintainer, when.UTC().Format(time.RFC1123Z))
}

// gzipBytes compresses b at the best level with no name or time in the
// header, so the result depends only on b.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stage writes name under dir with data and returns its path.
func stage(dir, name string, data []byte, mode os.FileMode) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("package: stage %s: %w", name, err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return "", fmt.Errorf("package: stage %s: %w", name, err)
	}
	return path, nil
}

// stageEmbedded copies files/<name> under dir.
func stageEmbedded(dir, name string, mode os.FileMode) (string, error) {
	data, err := assets.ReadFile("files/" + name)
	if err != nil {
		return "", fmt.Errorf("package: %w", err)
	}
	return stage(dir, name, data, mode)
}
