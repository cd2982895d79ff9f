// Command package builds the installable packages of Lingshu Edge:
//
//	go run ./installer/package --format deb|rpm|msi --version V --out DIR
//
// It cross-compiles the lingshu binary for the target (CGO_ENABLED=0,
// -trimpath, the version stamped into internal/buildinfo), then wraps it:
// deb and rpm with nfpm (used as a library), msi with wixl from msitools.
// Every package carries a commented default configuration that upgrades
// keep, the service definition, and the scripts that create the service
// account and data directory. See README.md beside this file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command line, checked by validate.
type options struct {
	Format     string // deb, rpm or msi
	Version    string // semantic version, as `lingshu version` prints it
	OutDir     string
	Arch       string // Go GOARCH of the target
	SrcDir     string // any directory inside the lingshu module
	Binary     string // a lingshu binary built already (must carry Version)
	Maintainer string
	SignCert   string // PEM certificate (chain) for Authenticode (msi)
	SignKey    string // PEM private key for Authenticode (msi)
	// MTime stamps the files in the package (SOURCE_DATE_EPOCH when set).
	MTime time.Time
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opt, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	path, err := buildPackage(ctx, opt, stderr)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("package: %w", err)
	}
	fmt.Fprintf(stdout, "%s\t%d bytes\n", path, st.Size())
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.Format, "format", "", "package format: deb, rpm or msi")
	fs.StringVar(&o.Version, "version", "", "release version `V` (semantic version, no leading v)")
	fs.StringVar(&o.OutDir, "out", "", "output `dir`ectory")
	fs.StringVar(&o.Arch, "arch", "amd64", "target architecture: amd64 or arm64 (msi: amd64)")
	fs.StringVar(&o.SrcDir, "src", ".", "a `dir`ectory inside the lingshu module")
	fs.StringVar(&o.Binary, "binary", "", "package this lingshu `file` instead of building one (it must carry --version)")
	fs.StringVar(&o.Maintainer, "maintainer", defaultMaintainer, "package maintainer, `\"Name <email>\"`")
	fs.StringVar(&o.SignCert, "sign-cert", "", "PEM certificate `file` to Authenticode-sign the msi with")
	fs.StringVar(&o.SignKey, "sign-key", "", "PEM private key `file` matching --sign-cert")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("package: unexpected argument %q", fs.Arg(0))
	}
	mtime, err := mtimeFromEnv(os.LookupEnv)
	if err != nil {
		return o, err
	}
	o.MTime = mtime
	return o, o.validate()
}

// defaultMaintainer goes into the deb Maintainer and rpm Packager fields.
const defaultMaintainer = "Lingshu Edge <packaging@lingshu-edge.invalid>"

func (o options) validate() error {
	var errs []error
	switch o.Format {
	case "deb", "rpm":
		if o.Arch != "amd64" && o.Arch != "arm64" {
			errs = append(errs, fmt.Errorf("package: --arch %q: want amd64 or arm64", o.Arch))
		}
	case "msi":
		if o.Arch != "amd64" {
			errs = append(errs, fmt.Errorf("package: --arch %q: the msi is built for amd64 only", o.Arch))
		}
	default:
		errs = append(errs, fmt.Errorf("package: --format %q: want deb, rpm or msi", o.Format))
	}
	if _, err := parseVersion(o.Version); err != nil {
		errs = append(errs, err)
	}
	if o.OutDir == "" {
		errs = append(errs, errors.New("package: --out is required"))
	}
	if (o.SignCert == "") != (o.SignKey == "") {
		errs = append(errs, errors.New("package: --sign-cert and --sign-key go together"))
	}
	if o.SignCert != "" && o.Format != "msi" {
		errs = append(errs, errors.New("package: --sign-cert signs the msi only (deb and rpm are signed by the repository)"))
	}
	if strings.ContainsAny(o.Maintainer, "\n\r") || o.Maintainer == "" {
		errs = append(errs, fmt.Errorf("package: --maintainer %q must be one non-empty line", o.Maintainer))
	}
	return errors.Join(errs...)
}

// goos is the target operating system of the format.
func (o options) goos() string {
	if o.Format == "msi" {
		return "windows"
	}
	return "linux"
}

// buildPackage builds (or checks) the binary, then the package; it returns
// the package's path.
func buildPackage(ctx context.Context, o options, log io.Writer) (string, error) {
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", fmt.Errorf("package: %w", err)
	}
	work, err := os.MkdirTemp("", "lingshu-package-")
	if err != nil {
		return "", fmt.Errorf("package: %w", err)
	}
	defer os.RemoveAll(work)

	bin := o.Binary
	if bin == "" {
		bin = filepath.Join(work, "lingshu")
		if o.goos() == "windows" {
			bin += ".exe"
		}
		fmt.Fprintf(log, "building lingshu %s for %s/%s\n", o.Version, o.goos(), o.Arch)
		if err := buildBinary(ctx, o.SrcDir, o.goos(), o.Arch, o.Version, bin); err != nil {
			return "", err
		}
	}
	info, err := checkBinary(ctx, bin, o.goos(), o.Arch, o.Version)
	if err != nil {
		return "", err
	}
	switch o.Format {
	case "deb", "rpm":
		return buildLinuxPackage(o, bin, info, work)
	default:
		return buildMSI(ctx, o, bin, work)
	}
}
