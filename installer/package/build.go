package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const (
	mainPackage = "github.com/lingshu-edge/lingshu/cmd/lingshu"
	versionVar  = "github.com/lingshu-edge/lingshu/internal/buildinfo.version"
)

// version is a semantic version split the way the package formats need it.
type version struct {
	Major, Minor, Patch int
	Pre                 string // after '-', without it
	Meta                string // after '+', without it
}

var semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?(?:\+([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$`)

// parseVersion accepts MAJOR.MINOR.PATCH[-PRE][+META] (no leading v, no
// '-' inside PRE, so the deb/rpm mapping PRE → "~PRE" is lossless).
func parseVersion(s string) (version, error) {
	m := semverRE.FindStringSubmatch(s)
	if m == nil {
		return version{}, fmt.Errorf("package: --version %q: want MAJOR.MINOR.PATCH[-PRE][+META], e.g. 1.4.0 or 1.5.0-rc.1", s)
	}
	var v version
	var err error
	for i, p := range []*int{&v.Major, &v.Minor, &v.Patch} {
		if *p, err = strconv.Atoi(m[i+1]); err != nil {
			return version{}, fmt.Errorf("package: --version %q: %w", s, err)
		}
	}
	v.Pre, v.Meta = m[4], m[5]
	return v, nil
}

// Debian and RPM version strings: a pre-release sorts before its release
// with '~' in both formats.
func (v version) packageVersion() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "~" + v.Pre
	}
	if v.Meta != "" {
		s += "+" + v.Meta
	}
	return s
}

// msiVersion is the ProductVersion: three numbers with the limits MSI
// puts on them. Pre-release and metadata do not fit and are dropped.
func (v version) msiVersion() (string, error) {
	if v.Major > 255 || v.Minor > 255 || v.Patch > 65535 {
		return "", fmt.Errorf("package: version %d.%d.%d exceeds the msi limits 255.255.65535", v.Major, v.Minor, v.Patch)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch), nil
}

// mtimeFromEnv is SOURCE_DATE_EPOCH for reproducible packages, else now.
func mtimeFromEnv(lookup func(string) (string, bool)) (time.Time, error) {
	s, ok := lookup("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("package: SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

// moduleRoot is the directory of the go.mod that governs dir.
func moduleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("package: go env GOMOD in %s: %w", dir, err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("package: %s is not inside a Go module", dir)
	}
	return filepath.Dir(gomod), nil
}

// buildFlags are the go build arguments of a release binary. Linux
// builds are position independent (ASLR, read-only relocations): the
// binary is dynamically linked anyway once purego is in, and lintian
// flags a non-PIE one. Windows builds are PIE by default.
func buildFlags(goos, ver, out string) []string {
	flags := []string{"build", "-trimpath"}
	if goos == "linux" {
		flags = append(flags, "-buildmode=pie")
	}
	return append(flags, "-ldflags", "-s -w -X "+versionVar+"="+ver, "-o", out, mainPackage)
}

// buildBinary cross-compiles cmd/lingshu into out.
func buildBinary(ctx context.Context, srcDir, goos, goarch, ver, out string) error {
	root, err := moduleRoot(ctx, srcDir)
	if err != nil {
		return err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("package: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", buildFlags(goos, ver, out)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("package: go build for %s/%s: %w\n%s", goos, goarch, err, stderr.Bytes())
	}
	return nil
}

// checkBinary makes sure the file is the lingshu command built for
// goos/goarch with ver stamped in, so a package never carries a version
// its binary does not print.
func checkBinary(ctx context.Context, path, goos, goarch, ver string) (*buildinfo.BuildInfo, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("package: binary %s: %w", path, err)
	}
	if info.Path != mainPackage {
		return nil, fmt.Errorf("package: binary %s is %q, not %s", path, info.Path, mainPackage)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != goos || settings["GOARCH"] != goarch {
		return nil, fmt.Errorf("package: binary %s is built for %s/%s, want %s/%s",
			path, settings["GOOS"], settings["GOARCH"], goos, goarch)
	}
	if settings["CGO_ENABLED"] != "0" {
		return nil, fmt.Errorf("package: binary %s is built with cgo; release builds use CGO_ENABLED=0", path)
	}
	if settings["-trimpath"] != "true" {
		return nil, fmt.Errorf("package: binary %s is built without -trimpath", path)
	}
	return info, checkBinaryVersion(ctx, path, goos, goarch, ver)
}

// checkBinaryVersion runs `lingshu version` when the host can run the
// binary. Otherwise (a cross build) it checks that the version string is
// in the file: -trimpath keeps -ldflags out of the build info, so the
// stamp cannot be read back more directly.
func checkBinaryVersion(ctx context.Context, path, goos, goarch, ver string) error {
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		out, err := exec.CommandContext(ctx, path, "version").Output()
		if err != nil {
			return fmt.Errorf("package: %s version: %w", path, err)
		}
		if f := strings.Fields(string(out)); len(f) < 2 || f[0] != "lingshu" || f[1] != ver {
			return fmt.Errorf("package: binary %s prints %q, want version %s", path, strings.TrimSpace(string(out)), ver)
		}
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("package: binary %s: %w", path, err)
	}
	if !bytes.Contains(data, []byte(ver)) {
		return fmt.Errorf("package: binary %s does not contain version %s", path, ver)
	}
	return nil
}
