//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The install test builds two real releases, installs the first, edits
// its config, upgrades to the second, removes and purges — on this
// machine, so it runs only as root on a throwaway host and only when asked:
//
//	LINGSHU_PACKAGE_TESTS=1 go test -run TestInstall -v ./installer/package
//
// scripts/package-test.sh runs it together with the rpm/msi/lintian checks.
const installEnv = "LINGSHU_PACKAGE_TESTS"

func TestInstall_DebLifecycle(t *testing.T) {
	if os.Getenv(installEnv) != "1" {
		t.Skipf("set %s=1 to build real packages and install them on this machine (root, throwaway host)", installEnv)
	}
	if os.Geteuid() != 0 {
		t.Skip("the install test needs root")
	}
	needTool(t, "dpkg")
	if exec.Command("dpkg", "-s", "lingshu").Run() == nil || exec.Command("getent", "passwd", "lingshu").Run() == nil {
		t.Skip("a lingshu package or user already exists here; not touching it")
	}
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "lingshu").Run() })

	out := t.TempDir()
	if dir := os.Getenv("LINGSHU_PACKAGE_OUT"); dir != "" {
		out = dir
	}
	debs := map[string]string{}
	for _, v := range []string{"0.9.0", "0.9.1"} {
		var stdout bytes.Buffer
		err := run(context.Background(), []string{"--format", "deb", "--version", v, "--out", out, "--src", "../.."}, &stdout, io.Discard)
		if err != nil {
			t.Fatalf("build %s: %v", v, err)
		}
		debs[v] = strings.Fields(stdout.String())[0]
		t.Logf("built %s", strings.TrimSpace(stdout.String()))
	}

	t.Logf("dpkg -i %s:\n%s", filepath.Base(debs["0.9.0"]), output(t, "dpkg", "-i", debs["0.9.0"]))
	mustContain(t, "lingshu version", output(t, "/usr/bin/lingshu", "version"), "lingshu 0.9.0 (")
	for _, p := range []string{"/usr/bin/lingshu", "/etc/lingshu/lingshu.toml", "/lib/systemd/system/lingshu.service",
		"/usr/share/doc/lingshu/copyright", "/etc/systemd/system/multi-user.target.wants/lingshu.service"} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("after install: %v", err)
		}
	}
	mustContain(t, "getent passwd", output(t, "getent", "passwd", "lingshu"), ":/var/lib/lingshu:", "nologin")
	checkOwner(t, "/var/lib/lingshu", "lingshu", "lingshu", 0o750|os.ModeDir)
	checkOwner(t, "/etc/lingshu/lingshu.toml", "root", "lingshu", 0o640)
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		if b, err := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/lingshu.service").CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, b)
		}
	}

	runServiceOnce(t)

	// An admin edits the config and the service has stored data.
	edited := "\n[dicom]\nae_title = \"RADIOLOGY1\"\n"
	cfg, err := os.ReadFile("/etc/lingshu/lingshu.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("\n[dicom]\n"), []byte(edited), 1)
	if err := os.WriteFile("/etc/lingshu/lingshu.toml", cfg, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/lingshu/study.marker", []byte("kept"), 0o640); err != nil {
		t.Fatal(err)
	}

	t.Logf("dpkg -i %s:\n%s", filepath.Base(debs["0.9.1"]), output(t, "dpkg", "-i", debs["0.9.1"]))
	mustContain(t, "lingshu version after upgrade", output(t, "/usr/bin/lingshu", "version"), "lingshu 0.9.1 (")
	assertKept(t, "upgrade", edited)
	if _, err := os.Stat("/etc/lingshu/lingshu.toml.dpkg-dist"); err == nil {
		t.Error("upgrade left lingshu.toml.dpkg-dist: the shipped config changed between versions")
	}

	t.Logf("dpkg -r lingshu:\n%s", output(t, "dpkg", "-r", "lingshu"))
	if _, err := os.Stat("/usr/bin/lingshu"); err == nil {
		t.Error("dpkg -r left /usr/bin/lingshu")
	}
	assertKept(t, "remove", edited)
	mustContain(t, "state after remove", output(t, "dpkg-query", "-W", "-f", "${Status}", "lingshu"), "deinstall ok config-files")
	if exec.Command("getent", "passwd", "lingshu").Run() != nil {
		t.Error("dpkg -r deleted the lingshu user; only purge should")
	}

	t.Logf("dpkg -P lingshu:\n%s", output(t, "dpkg", "-P", "lingshu"))
	for _, p := range []string{"/etc/lingshu", "/var/lib/lingshu", "/etc/systemd/system/multi-user.target.wants/lingshu.service"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("purge left %s", p)
		}
	}
	if exec.Command("getent", "passwd", "lingshu").Run() == nil || exec.Command("getent", "group", "lingshu").Run() == nil {
		t.Error("purge left the lingshu user or group")
	}
}

// runServiceOnce runs the unit's command line as the lingshu user (uid,
// gid, working directory and a bare environment as systemd sets them), with
// the installed config (listeners moved to free loopback ports), until it
// has written its data directory, then stops it with SIGTERM as systemd
// would: the config loads and the account can use /var/lib/lingshu.
func runServiceOnce(t *testing.T) {
	t.Helper()
	u, err := user.Lookup("lingshu")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	var log bytes.Buffer
	cmd := exec.Command("/usr/bin/lingshu", "service", "run", "--config", "/etc/lingshu/lingshu.toml")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + u.HomeDir,
		"LINGSHU_DICOM_ADDR=127.0.0.1:0", "LINGSHU_HTTP_ADDR=127.0.0.1:0"}
	cmd.Dir = "/var/lib/lingshu"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for wrote := false; !wrote; {
		select {
		case err := <-done:
			t.Fatalf("lingshu service run exited early: %v\n%s", err, log.Bytes())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("lingshu service run wrote nothing to /var/lib/lingshu in 30 s\n%s", log.Bytes())
		case <-time.After(200 * time.Millisecond):
			entries, _ := os.ReadDir("/var/lib/lingshu")
			wrote = len(entries) > 0
		}
	}
	time.Sleep(time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("lingshu service run after SIGTERM: %v\n%s", err, log.Bytes())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Errorf("lingshu service run did not stop within 60 s of SIGTERM\n%s", log.Bytes())
	}
	entries, _ := os.ReadDir("/var/lib/lingshu")
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("service ran as lingshu and wrote /var/lib/lingshu: %v", names)
}

// assertKept checks the edited config and the data survived step.
func assertKept(t *testing.T, step, edited string) {
	t.Helper()
	cfg, err := os.ReadFile("/etc/lingshu/lingshu.toml")
	if err != nil || !bytes.Contains(cfg, []byte(edited)) {
		t.Errorf("after %s: config edit lost (err %v)", step, err)
	}
	if b, err := os.ReadFile("/var/lib/lingshu/study.marker"); err != nil || string(b) != "kept" {
		t.Errorf("after %s: data in /var/lib/lingshu lost (err %v)", step, err)
	}
}

func checkOwner(t *testing.T, path, user, group string, mode os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if st.Mode() != mode {
		t.Errorf("%s mode %v, want %v", path, st.Mode(), mode)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid := strings.Split(strings.TrimSpace(output(t, "id", "-u", user)), "\n")[0]
	gid := strings.Split(strings.TrimSpace(output(t, "getent", "group", group)), ":")[2]
	if strconv.FormatUint(uint64(sys.Uid), 10) != uid || strconv.FormatUint(uint64(sys.Gid), 10) != gid {
		t.Errorf("%s owned by %d:%d, want %s:%s (%s:%s)", path, sys.Uid, sys.Gid, user, group, uid, gid)
	}
}
