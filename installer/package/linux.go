package main

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

const description = `On-premises medical imaging AI appliance
Lingshu Edge receives studies from the PACS over DICOM (C-STORE), stores
them durably, drafts reports with a local vision-language model and serves
a REST API and web UI for staff sign-off. The package runs it as the
systemd service lingshu.service under the dedicated account lingshu.`

// unitPath is where the format expects system units: Debian 12 still
// uses /lib, RPM distributions /usr/lib.
func unitPath(format string) string {
	if format == "rpm" {
		return "/usr/lib/systemd/system/lingshu.service"
	}
	return "/lib/systemd/system/lingshu.service"
}

// rpmOnly is the content type t for rpm (%license, %doc), a plain file
// for deb.
func rpmOnly(format, t string) string {
	if format == "rpm" {
		return t
	}
	return ""
}

// linuxInfo stages every file of the package under work and describes the
// package for nfpm.
func linuxInfo(o options, bin string, binInfo *buildinfo.BuildInfo, work string) (*nfpm.Info, error) {
	v, err := parseVersion(o.Version)
	if err != nil {
		return nil, err
	}
	cfg, err := defaultConfig("linux")
	if err != nil {
		return nil, err
	}
	unit, err := systemdUnit()
	if err != nil {
		return nil, err
	}
	cright := copyright(binInfo, o.MTime.Year())
	changelog, err := gzipBytes([]byte(debianChangelog(v, o.Maintainer, o.MTime)))
	if err != nil {
		return nil, fmt.Errorf("package: changelog: %w", err)
	}
	man, err := assets.ReadFile("files/lingshu.1")
	if err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	manGz, err := gzipBytes(man)
	if err != nil {
		return nil, fmt.Errorf("package: man page: %w", err)
	}

	needed, err := elfNeeded(bin)
	if err != nil {
		return nil, err
	}
	staged := map[string][]byte{
		"lingshu.toml":    []byte(cfg),
		"lingshu.service": []byte(unit),
		"copyright":       []byte(cright),
		"changelog.gz":    changelog,
		"lingshu.1.gz":    manGz,
		"lintian":         []byte(lintianOverrides(len(needed) == 0)),
	}
	src := map[string]string{}
	for name, data := range staged {
		if src[name], err = stage(work, name, data, 0o644); err != nil {
			return nil, err
		}
	}
	scripts := map[string]string{}
	for _, name := range []string{"deb/preinst", "deb/postinst", "deb/prerm", "deb/postrm",
		"rpm/pre", "rpm/post", "rpm/preun", "rpm/postun"} {
		if scripts[name], err = stageEmbedded(work, name, 0o755); err != nil {
			return nil, err
		}
	}
	sc := nfpm.Scripts{
		PreInstall: scripts["deb/preinst"], PostInstall: scripts["deb/postinst"],
		PreRemove: scripts["deb/prerm"], PostRemove: scripts["deb/postrm"],
	}
	if o.Format == "rpm" {
		sc = nfpm.Scripts{
			PreInstall: scripts["rpm/pre"], PostInstall: scripts["rpm/post"],
			PreRemove: scripts["rpm/preun"], PostRemove: scripts["rpm/postun"],
		}
	}

	root := func(mode os.FileMode) *files.ContentFileInfo {
		return &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: o.MTime}
	}
	contents := files.Contents{
		{Source: bin, Destination: linuxBinary, FileInfo: root(0o755)},
		{Destination: "/etc/lingshu", Type: files.TypeDir, FileInfo: root(0o755)},
		// Group lingshu is created by preinst, before dpkg/rpm unpack.
		{Source: src["lingshu.toml"], Destination: linuxConfig, Type: files.TypeConfigNoReplace,
			FileInfo: &files.ContentFileInfo{Owner: "root", Group: linuxUser, Mode: 0o640, MTime: o.MTime}},
		{Source: src["lingshu.service"], Destination: unitPath(o.Format), FileInfo: root(0o644)},
		{Source: src["lingshu.1.gz"], Destination: "/usr/share/man/man1/lingshu.1.gz", FileInfo: root(0o644)},
		{Source: src["copyright"], Destination: docDir + "/copyright", Type: rpmOnly(o.Format, files.TypeRPMLicense), FileInfo: root(0o644)},
		{Source: src["changelog.gz"], Destination: docDir + "/changelog.gz", Type: rpmOnly(o.Format, files.TypeRPMDoc), FileInfo: root(0o644)},
	}
	if o.Format == "deb" {
		contents = append(contents, &files.Content{Source: src["lintian"],
			Destination: "/usr/share/lintian/overrides/lingshu", FileInfo: root(0o644)})
	}

	info := &nfpm.Info{
		Name:          "lingshu",
		Arch:          o.Arch,
		Platform:      "linux",
		Version:       v.packageVersion(),
		VersionSchema: "none", // packageVersion is already in the formats' syntax
		Section:       "science",
		Priority:      "optional",
		Maintainer:    o.Maintainer,
		Vendor:        "Lingshu Edge",
		Homepage:      "https://github.com/lingshu-edge/lingshu",
		License:       "Proprietary",
		Description:   description,
		MTime:         o.MTime,
		Overridables: nfpm.Overridables{
			Depends:  libcDepends(o.Format, needed),
			Contents: contents,
			Scripts:  sc,
			Umask:    0o022,
			RPM: nfpm.RPM{
				Group:       "Applications/Engineering",
				Summary:     "On-premises medical imaging AI appliance",
				Packager:    o.Maintainer,
				Compression: "xz",
			},
			Deb: nfpm.Deb{Compression: "xz"},
		},
	}
	return info, nil
}

// elfNeeded lists the shared libraries the binary needs. A CGO_ENABLED=0
// Go binary is static unless a package such as purego (the CUDA backend's
// dlopen of the driver) imports libc symbols dynamically.
func elfNeeded(bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("package: binary %s: %w", bin, err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("package: binary %s: %w", bin, err)
	}
	return libs, nil
}

// libcDepends is the dependency a dynamically linked binary has on the C
// library (it needs nothing else: libdl and libpthread are part of it).
func libcDepends(format string, needed []string) []string {
	if len(needed) == 0 {
		return nil
	}
	if format == "rpm" {
		return []string{"glibc"}
	}
	return []string{"libc6"}
}

// buildLinuxPackage writes the deb or rpm into o.OutDir.
func buildLinuxPackage(o options, bin string, binInfo *buildinfo.BuildInfo, work string) (string, error) {
	info, err := linuxInfo(o, bin, binInfo, work)
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	var name string
	var pack func(*os.File) error
	switch o.Format {
	case "deb":
		name = deb.Default.ConventionalFileName(info)
		pack = func(f *os.File) error { return deb.Default.Package(info, f) }
	default:
		name = rpm.DefaultRPM.ConventionalFileName(info)
		pack = func(f *os.File) error { return rpm.DefaultRPM.Package(info, f) }
	}
	path := filepath.Join(o.OutDir, name)
	if err := writeAtomically(path, pack); err != nil {
		return "", fmt.Errorf("package: %s: %w", o.Format, err)
	}
	return path, nil
}

// writeAtomically writes path through a temporary file in its directory,
// so a failed build never leaves a truncated package behind.
func writeAtomically(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
