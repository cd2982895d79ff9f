package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/buildinfo"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, pkg, msi string
		ok           bool
	}{
		{"1.2.3", "1.2.3", "1.2.3", true},
		{"0.9.0", "0.9.0", "0.9.0", true},
		{"1.5.0-rc.1", "1.5.0~rc.1", "1.5.0", true},
		{"2.0.0+hospital.7", "2.0.0+hospital.7", "2.0.0", true},
		{"1.5.0-rc1+b2", "1.5.0~rc1+b2", "1.5.0", true},
		{"v1.2.3", "", "", false},
		{"1.2", "", "", false},
		{"01.2.3", "", "", false},
		{"1.2.3-rc-1", "", "", false}, // '-' in PRE would not map cleanly
		{"1.2.3 ", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		v, err := parseVersion(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("parseVersion(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if got := v.packageVersion(); got != tt.pkg {
			t.Errorf("%q: packageVersion = %q, want %q", tt.in, got, tt.pkg)
		}
		if got, err := v.msiVersion(); err != nil || got != tt.msi {
			t.Errorf("%q: msiVersion = %q, %v, want %q", tt.in, got, err, tt.msi)
		}
	}
	if _, err := (version{Major: 256}).msiVersion(); err == nil {
		t.Error("major 256 must not fit an msi ProductVersion")
	}
}

func TestOptionsValidate(t *testing.T) {
	good := options{Format: "deb", Version: "1.0.0", OutDir: "out", Arch: "amd64", Maintainer: defaultMaintainer}
	if err := good.validate(); err != nil {
		t.Fatalf("good options: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*options)
		want   string
	}{
		{"format", func(o *options) { o.Format = "apk" }, "--format"},
		{"arch", func(o *options) { o.Arch = "386" }, "--arch"},
		{"msi arm64", func(o *options) { o.Format, o.Arch = "msi", "arm64" }, "amd64 only"},
		{"version", func(o *options) { o.Version = "v1" }, "--version"},
		{"out", func(o *options) { o.OutDir = "" }, "--out"},
		{"half signing", func(o *options) { o.Format, o.SignCert = "msi", "c.pem" }, "go together"},
		{"sign deb", func(o *options) { o.SignCert, o.SignKey = "c", "k" }, "signs the msi only"},
	}
	for _, tt := range tests {
		o := good
		tt.mutate(&o)
		if err := o.validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: validate() = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestMTimeFromEnv(t *testing.T) {
	got, err := mtimeFromEnv(func(string) (string, bool) { return "1700000000", true })
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("SOURCE_DATE_EPOCH: got %v, %v", got, err)
	}
	if _, err := mtimeFromEnv(func(string) (string, bool) { return "soon", true }); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH must be an error")
	}
}

// The test binary is a Go binary but not cmd/lingshu: checkBinary must say so.
func TestCheckBinary_RejectsOtherPrograms(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = checkBinary(context.Background(), self, "linux", "amd64", "1.0.0")
	if err == nil || !strings.Contains(err.Error(), "not "+mainPackage) {
		t.Fatalf("checkBinary(test binary) = %v, want a wrong-program error", err)
	}
	if _, err := checkBinary(context.Background(), filepath.Join(t.TempDir(), "missing"), "linux", "amd64", "1.0.0"); err == nil {
		t.Fatal("checkBinary(missing file) succeeded")
	}
}

// fixture is a small stand-in for the binary (a copy of /bin/true, a
// dynamically linked ELF), so the default tests do not cross-compile
// lingshu (minutes on a busy 2-core machine); the real build is exercised
// by install_test.go and scripts/package-test.sh.
func fixture(t *testing.T) (string, *buildinfo.BuildInfo) {
	t.Helper()
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skipf("no /bin/true to stand in for the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "lingshu")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	return bin, info
}

func testOptions(t *testing.T, format string) options {
	return options{Format: format, Version: "1.4.0-rc.2", OutDir: t.TempDir(), Arch: "amd64",
		Maintainer: defaultMaintainer, MTime: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install %s); skipping", name, toolPackage(name))
	}
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestDeb_ControlAndFiles(t *testing.T) {
	needTool(t, "dpkg-deb")
	o := testOptions(t, "deb")
	bin, info := fixture(t)
	path, err := buildLinuxPackage(o, bin, info, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "lingshu_1.4.0~rc.2_amd64.deb" {
		t.Errorf("file name %s", filepath.Base(path))
	}
	ctl := output(t, "dpkg-deb", "-I", path)
	mustContain(t, "control", ctl, "Package: lingshu\n", "Version: 1.4.0~rc.2\n", "Architecture: amd64\n",
		"Maintainer: "+defaultMaintainer, "Description: On-premises medical imaging AI appliance",
		"preinst", "postinst", "prerm", "postrm")
	// The stand-in is dynamically linked, like lingshu with purego:
	// the C library is its only dependency.
	mustContain(t, "control", ctl, "Depends: libc6\n")
	mustContain(t, "conffiles", output(t, "sh", "-c", "dpkg-deb --ctrl-tarfile \"$0\" | tar -xOf - ./conffiles", path), "/etc/lingshu/lingshu.toml")
	mustContain(t, "contents", output(t, "dpkg-deb", "-c", path),
		"./usr/bin/lingshu\n", "root/lingshu", "./etc/lingshu/lingshu.toml\n", "./lib/systemd/system/lingshu.service\n",
		"./usr/share/doc/lingshu/copyright\n", "./usr/share/doc/lingshu/changelog.gz\n", "./usr/share/man/man1/lingshu.1.gz\n")
}

func TestRPM_InfoFilesScripts(t *testing.T) {
	needTool(t, "rpm")
	o := testOptions(t, "rpm")
	o.Arch = "arm64"
	bin, info := fixture(t)
	path, err := buildLinuxPackage(o, bin, info, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "lingshu-1.4.0~rc.2-1.aarch64.rpm" {
		t.Errorf("file name %s", filepath.Base(path))
	}
	mustContain(t, "rpm -qpi", output(t, "rpm", "-qpi", path), "Name        : lingshu", "Version     : 1.4.0~rc.2", "Architecture: aarch64")
	mustContain(t, "rpm -qpl", output(t, "rpm", "-qpl", path), "/usr/bin/lingshu\n", "/etc/lingshu/lingshu.toml\n",
		"/usr/lib/systemd/system/lingshu.service\n")
	mustContain(t, "config flags", output(t, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", path),
		"/etc/lingshu/lingshu.toml cn\n")
	mustContain(t, "rpm --scripts", output(t, "rpm", "-qp", "--scripts", path),
		"preinstall scriptlet", "useradd --system", "postinstall scriptlet", "enable lingshu.service",
		"preuninstall scriptlet", "disable lingshu.service", "postuninstall scriptlet")
	mustContain(t, "rpm -qpR", output(t, "rpm", "-qpR", path), "glibc\n")
}

func TestMSI_Tables(t *testing.T) {
	for _, tool := range []string{"wixl", "msibuild", "msiinfo"} {
		needTool(t, tool)
	}
	o := testOptions(t, "msi")
	bin, _ := fixture(t)
	path, err := buildMSI(context.Background(), o, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "msiinfo tables", output(t, "msiinfo", "tables", path), "File\n", "Component\n", "ServiceInstall\n", "ServiceControl\n", "Upgrade\n")
	mustContain(t, "File", output(t, "msiinfo", "export", path, "File"), "lingshu.exe", "lingshu.toml")
	mustContain(t, "Component", output(t, "msiinfo", "export", path, "Component"),
		"LingshuExe\t{7C66130E-4DB4-4D32-B81E-DA90F7041B19}\tINSTALLDIR\t256\t",
		"LingshuConfig\t{DCCF1A73-CF82-4AC8-96B5-296CF044B141}\tDATADIR\t400\t")
	mustContain(t, "ServiceInstall", output(t, "msiinfo", "export", path, "ServiceInstall"),
		"LingshuService\tlingshu\tLingshu Edge\t16\t2\t1\t",
		`service run --config "[CommonAppDataFolder]Lingshu\lingshu.toml"`)
	mustContain(t, "ServiceControl", output(t, "msiinfo", "export", path, "ServiceControl"), "lingshu\t163\t")
	mustContain(t, "Upgrade", output(t, "msiinfo", "export", path, "Upgrade"), "\t1.4.0\t\t513\t\tWIX_UPGRADE_DETECTED")
	mustContain(t, "Property", output(t, "msiinfo", "export", path, "Property"),
		"ProductVersion\t1.4.0", "ProductCode\t{"+strings.ToUpper(msiProductCode("1.4.0-rc.2"))+"}")
}

func TestMSI_ProductCodePerVersion(t *testing.T) {
	if msiProductCode("1.0.0") == msiProductCode("1.0.1") || msiProductCode("1.0.0") != msiProductCode("1.0.0") {
		t.Error("product code must differ per version and be stable per version")
	}
}

func TestMSI_Signed(t *testing.T) {
	for _, tool := range []string{"wixl", "msibuild", "osslsigncode"} {
		needTool(t, tool)
	}
	cert, key := selfSignedCodeSigning(t)
	o := testOptions(t, "msi")
	o.SignCert, o.SignKey = cert, key
	bin, _ := fixture(t)
	path, err := buildMSI(context.Background(), o, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := output(t, "osslsigncode", "verify", "-CAfile", cert, "-in", path)
	mustContain(t, "osslsigncode verify", out, "Signature verification: ok", "Lingshu Edge Test Signing")
}

// selfSignedCodeSigning writes a throwaway code-signing certificate and
// its key as PEM files.
func selfSignedCodeSigning(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "Lingshu Edge Test Signing", Organization: []string{"Lingshu Edge"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// FuzzParseVersion: an accepted version rebuilds to itself, and its
// package and msi forms are well formed.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.5.0-rc.1", "2.0.0+b.7", "0.0.1-a+b", "v1.2.3", "1.2", "255.255.65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseVersion(s)
		if err != nil {
			return
		}
		back := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
		if v.Pre != "" {
			back += "-" + v.Pre
		}
		if v.Meta != "" {
			back += "+" + v.Meta
		}
		if back != s {
			t.Fatalf("parseVersion(%q) rebuilds as %q", s, back)
		}
		if pv := v.packageVersion(); strings.ContainsAny(pv, "- \t\n") {
			t.Fatalf("package version %q of %q has a separator deb/rpm reserve", pv, s)
		}
		if mv, err := v.msiVersion(); err == nil && strings.Count(mv, ".") != 2 {
			t.Fatalf("msi version %q", mv)
		}
	})
}

func TestBuildFlags(t *testing.T) {
	got := strings.Join(buildFlags("linux", "1.2.3", "/o/lingshu"), " ")
	want := "build -trimpath -buildmode=pie -ldflags -s -w -X " + versionVar + "=1.2.3 -o /o/lingshu " + mainPackage
	if got != want {
		t.Errorf("linux flags:\n got %s\nwant %s", got, want)
	}
	if w := strings.Join(buildFlags("windows", "1.2.3", "x.exe"), " "); strings.Contains(w, "buildmode") {
		t.Errorf("windows flags %s: PIE is already the default there", w)
	}
}
