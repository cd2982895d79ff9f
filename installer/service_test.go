package installer

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func goldenSpec() ServiceSpec {
	return ServiceSpec{
		Executable:  "/usr/bin/lingshu",
		ConfigFile:  DefaultLinuxConfigFile,
		DataDir:     DefaultLinuxDataDir,
		User:        ServiceUser,
		StopTimeout: 30 * time.Second,
		Ports:       []int{11112, 8080},
	}
}

func TestSystemdUnit_Golden(t *testing.T) {
	got, err := SystemdUnit(goldenSpec())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "lingshu.service")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if got != string(want) {
		t.Errorf("unit differs from %s (go test -update to accept):\n%s", path, got)
	}
}

func TestSystemdUnit_Variants(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*ServiceSpec)
		want, not []string
	}{
		{"dicom port 104 gets exactly the bind capability", func(s *ServiceSpec) { s.Ports = []int{104, 8080} },
			[]string{"CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"}, []string{"CapabilityBoundingSet=\n"}},
		{"high ports get no capability", nil, []string{"CapabilityBoundingSet=\n"}, []string{"AmbientCapabilities"}},
		{"other data dir: ReadWritePaths, no StateDirectory", func(s *ServiceSpec) { s.DataDir = "/srv/pacs data/50%" },
			[]string{`ReadWritePaths="/srv/pacs data/50%%"` + "\n", `WorkingDirectory="/srv/pacs data/50%%"`}, []string{"StateDirectory"}},
		{"quoted executable and config", func(s *ServiceSpec) { s.Executable, s.ConfigFile = "/opt/ling shu/lingshu", "/etc/lingshu/$x.toml" },
			[]string{`ExecStart="/opt/ling shu/lingshu" service run --config /etc/lingshu/$$x.toml` + "\n"}, nil},
		{"stop timeout plus margin", func(s *ServiceSpec) { s.StopTimeout = 90 * time.Second },
			[]string{"TimeoutStopSec=105s\n"}, nil},
		{"root service has no User=", func(s *ServiceSpec) { s.User = "" }, nil, []string{"User=", "Group="}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := goldenSpec()
			if tc.edit != nil {
				tc.edit(&s)
			}
			unit, err := SystemdUnit(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(unit, w) {
					t.Errorf("unit lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(unit, n) {
					t.Errorf("unit has %q", n)
				}
			}
		})
	}
}

func TestServiceSpec_Validate(t *testing.T) {
	tests := []struct {
		name string
		goos string
		edit func(*ServiceSpec)
		want string // "" = valid
	}{
		{"golden", "linux", nil, ""},
		{"relative config", "linux", func(s *ServiceSpec) { s.ConfigFile = "lingshu.toml" }, "must be an absolute path"},
		{"binary in /root", "linux", func(s *ServiceSpec) { s.Executable = "/root/go/bin/lingshu" }, "copy lingshu to /usr/local/bin"},
		{"data in /home", "linux", func(s *ServiceSpec) { s.DataDir = "/home/it/lingshu" }, "hidden from the service"},
		{"template braces", "linux", func(s *ServiceSpec) { s.DataDir = "/srv/{{Name}}" }, "cannot hold"},
		{"bad port", "linux", func(s *ServiceSpec) { s.Ports = []int{70000} }, "out of range"},
		{"no executable", "linux", func(s *ServiceSpec) { s.Executable = "" }, "executable must be set"},
		{"windows paths", "windows", func(s *ServiceSpec) {
			s.Executable, s.ConfigFile, s.DataDir = `C:\Program Files\Lingshu\lingshu.exe`, `C:\ProgramData\Lingshu\lingshu.toml`, `C:\ProgramData\Lingshu`
		}, ""},
		{"windows relative", "windows", func(s *ServiceSpec) { s.DataDir = `Lingshu` }, "absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := goldenSpec()
			if tc.edit != nil {
				tc.edit(&s)
			}
			err := s.Validate(tc.goos)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestServiceConfig(t *testing.T) {
	lin, err := ServiceConfig(goldenSpec(), "linux")
	if err != nil {
		t.Fatal(err)
	}
	unit, _ := SystemdUnit(goldenSpec())
	if lin.Name != "lingshu" || lin.UserName != "lingshu" || lin.Option["SystemdScript"] != unit || lin.Executable != "/usr/bin/lingshu" {
		t.Errorf("linux config %+v", lin)
	}
	if strings.Join(lin.Arguments, " ") != "service run --config /etc/lingshu/lingshu.toml" {
		t.Errorf("arguments %q", lin.Arguments)
	}
	ws := goldenSpec()
	ws.Executable, ws.ConfigFile, ws.DataDir = `C:\Program Files\Lingshu\lingshu.exe`, `C:\ProgramData\Lingshu\lingshu.toml`, `C:\ProgramData\Lingshu`
	win, err := ServiceConfig(ws, "windows")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"StartType": "automatic", "OnFailure": "restart", "OnFailureDelayDuration": "10s", "OnFailureResetPeriod": 86400} {
		if win.Option[k] != want {
			t.Errorf("windows option %s = %v, want %v", k, win.Option[k], want)
		}
	}
	if _, ok := win.Option["SystemdScript"]; ok || win.UserName != "" {
		t.Errorf("windows config carries linux settings: %+v", win)
	}
	if _, err := ServiceConfig(ServiceSpec{}, "linux"); err == nil {
		t.Error("empty spec accepted")
	}
}

func TestSystemdQuote(t *testing.T) {
	for _, tc := range []struct {
		in      string
		cmdline bool
		want    string
	}{
		{"/usr/bin/lingshu", true, "/usr/bin/lingshu"},
		{"a b", false, `"a b"`},
		{`c:\x`, false, `"c:\\x"`},
		{`say "hi"`, false, `"say \"hi\""`},
		{"100%", false, "100%%"},
		{"$HOME", true, "$$HOME"},
		{"$HOME", false, "$HOME"},
		{"", false, `""`},
	} {
		if got := systemdQuote(tc.in, tc.cmdline); got != tc.want {
			t.Errorf("systemdQuote(%q, %v) = %s, want %s", tc.in, tc.cmdline, got, tc.want)
		}
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 2 * time.Minute: "2min", 90 * time.Second: "90s"} {
		if got := systemdDuration(d); got != want {
			t.Errorf("systemdDuration(%s) = %s", d, got)
		}
	}
}

// TestSystemdUnit_AnalyzeVerify runs `systemd-analyze verify` on the
// rendered unit, with ExecStart pointing at this test binary (verify
// checks that the executable exists).
func TestSystemdUnit_AnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := goldenSpec()
	s.Executable = exe
	s.ConfigFile = filepath.Join(dir, "lingshu.toml")
	// The test binary lives under /tmp, which Validate refuses for a real
	// install (PrivateTmp hides it); verify only needs it to exist.
	unit := renderSystemdUnit(s)
	path := filepath.Join(dir, "lingshu.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	t.Logf("systemd-analyze verify:\n%s", out)
	var ee *exec.ExitError
	if errors.As(err, &ee) && strings.Contains(string(out), "Failed to") && !strings.Contains(string(out), "lingshu.service") {
		t.Skipf("systemd-analyze cannot run here: %s", out)
	}
	if err != nil {
		t.Fatalf("verify failed: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "lingshu.service") {
			t.Errorf("verify complains about our unit: %s", l)
		}
	}
}

func TestDefaultConfigTOML(t *testing.T) {
	text := DefaultConfigTOML(`C:\ProgramData\Lingshu "x"`, ":11112", "LINGSHU", ":8080")
	var v struct {
		DataDir string `toml:"data_dir"`
		DICOM   struct {
			Addr    string `toml:"addr"`
			AETitle string `toml:"ae_title"`
		} `toml:"dicom"`
		HTTP struct {
			Addr string `toml:"addr"`
		} `toml:"http"`
		Model struct{} `toml:"model"`
	}
	md, err := toml.Decode(text, &v)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(md.Undecoded()) != 0 {
		t.Errorf("extra keys %v", md.Undecoded())
	}
	if v.DataDir != `C:\ProgramData\Lingshu "x"` || v.DICOM.Addr != ":11112" || v.DICOM.AETitle != "LINGSHU" || v.HTTP.Addr != ":8080" {
		t.Errorf("decoded %+v", v)
	}
}

func TestWriteConfigIfMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "lingshu.toml")
	wrote, err := writeConfigIfMissing(path, "a = 1\n")
	if err != nil || !wrote {
		t.Fatalf("first write: %v %v", wrote, err)
	}
	wrote, err = writeConfigIfMissing(path, "a = 2\n")
	if err != nil || wrote {
		t.Fatalf("second write: %v %v", wrote, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a = 1\n" {
		t.Errorf("existing config overwritten: %q", b)
	}
}

func TestEnsureUserAndChown(t *testing.T) {
	var ran []string
	o := PrepareOptions{Run: func(name string, args ...string) ([]byte, error) {
		ran = append(ran, name+" "+strings.Join(args, " "))
		return nil, nil
	}}
	created, err := ensureUser(o, "lingshu", "/var/lib/lingshu", func(string) bool { return false })
	if err != nil || !created {
		t.Fatalf("ensureUser: %v %v", created, err)
	}
	want := "useradd --system --user-group --home-dir /var/lib/lingshu --no-create-home --shell /usr/sbin/nologin --comment Lingshu Edge lingshu"
	if len(ran) != 1 || ran[0] != want {
		t.Errorf("ran %q", ran)
	}
	if created, _ := ensureUser(o, "lingshu", "/x", func(string) bool { return true }); created || len(ran) != 1 {
		t.Error("existing user re-created")
	}
	o.Run = func(string, ...string) ([]byte, error) {
		return []byte("useradd: permission denied"), errors.New("exit status 1")
	}
	if _, err := ensureUser(o, "lingshu", "/x", func(string) bool { return false }); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("useradd failure: %v", err)
	}

	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "instances", "1.2.3"), 0o750)
	os.WriteFile(filepath.Join(dir, "instances", "1.2.3", "a.dcm"), nil, 0o640)
	var chowned []string
	n, err := chownTree(dir, 999, 998, func(p string, uid, gid int) error {
		if uid != 999 || gid != 998 {
			t.Errorf("chown %s to %d:%d", p, uid, gid)
		}
		chowned = append(chowned, p)
		return nil
	})
	if err != nil || n != 4 || len(chowned) != 4 {
		t.Errorf("chownTree: %d %v %q", n, err, chowned)
	}
}
