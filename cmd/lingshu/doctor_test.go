package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/installer"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lingshu.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func goodConfig(t *testing.T) string {
	return writeConfig(t, "data_dir = "+strconvQuote(t.TempDir())+"\n[dicom]\naddr = "+strconvQuote(freeAddr(t))+
		"\n[http]\naddr = "+strconvQuote(freeAddr(t))+"\n[store]\nmin_free_mb = 1\n")
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

type doctorJSON struct {
	Checks []struct {
		Name, Status, Detail, Fix string
	} `json:"checks"`
}

// TestDoctor_ThisHost runs `lingshu doctor` with every real probe: it
// prints every check and exits 0 unless one fails.
func TestDoctor_ThisHost(t *testing.T) {
	cfg := goodConfig(t)
	var out, errb bytes.Buffer
	err := runDoctor(context.Background(), []string{"--config", cfg}, &out, &errb)
	t.Logf("lingshu doctor --config %s\n%s", cfg, out.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, name := range []string{"config", "data_dir", "disk_space", "dicom_port", "http_port", "cpu", "memory", "gpu", "model", "clock"} {
		if !strings.Contains(out.String(), "\n"+name+" ") {
			t.Errorf("no %s line", name)
		}
	}
}

func TestDoctor_BrokenConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name, text, key string
	}{
		{"bad value", "[dicom]\naddr = \"11112\"\n", "dicom.addr"},
		{"typo key", "[dicom]\nae_titel = \"X\"\n", "dicom.ae_titel"},
		{"bad duration", "[store]\nstable_after = \"soon\"\n", "stable_after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := doctor(context.Background(), []string{"--config", writeConfig(t, tc.text), "--json"}, &out, &errb,
				installer.Probes{GPU: func() installer.GPUInfo { return installer.GPUInfo{Library: "test", LoadErr: "skipped"} }})
			var df doctorFailed
			if !errors.As(err, &df) {
				t.Fatalf("err = %v, want doctorFailed", err)
			}
			var rep doctorJSON
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			c := rep.Checks[0]
			if c.Name != "config" || c.Status != "fail" || !strings.Contains(c.Detail, tc.key) || c.Fix == "" {
				t.Errorf("config check %+v", c)
			}
			if len(rep.Checks) != 10 {
				t.Errorf("%d checks after a broken config, want all 10", len(rep.Checks))
			}
		})
	}
}

func TestDoctor_UsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}} {
		var out, errb bytes.Buffer
		var ue usageError
		if err := runDoctor(context.Background(), args, &out, &errb); !errors.As(err, &ue) {
			t.Errorf("%q: %v", args, err)
		}
	}
}
