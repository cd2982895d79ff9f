package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig_IsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("embedded defaults must validate: %v", err)
	}
}

func TestValidate_NamesKeyAndProblem(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"empty data dir", func(c *Config) { c.DataDir = "" }, "data_dir: must not be empty"},
		{"bad dicom addr", func(c *Config) { c.DICOM.Addr = "11112" }, "dicom.addr"},
		{"long AE title", func(c *Config) { c.DICOM.AETitle = "ABCDEFGHIJKLMNOPQ" }, "dicom.ae_title: \"ABCDEFGHIJKLMNOPQ\" is longer than 16"},
		{"backslash AE", func(c *Config) { c.DICOM.AETitle = `A\B` }, "dicom.ae_title"},
		{"bad host", func(c *Config) { c.DICOM.AllowedHosts = []string{"pacs.local"} }, "dicom.allowed_hosts: \"pacs.local\""},
		{"small pdu", func(c *Config) { c.DICOM.MaxPDULength = 100 }, "dicom.max_pdu_length"},
		{"policy", func(c *Config) { c.Store.DuplicatePolicy = "merge" }, "store.duplicate_policy"},
		{"stable", func(c *Config) { c.Store.StableAfter = Duration{0} }, "store.stable_after"},
		{"backend", func(c *Config) { c.Model.Backend = "tpu" }, "model.backend"},
		{"level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidate_ReportsEveryProblem(t *testing.T) {
	c := DefaultConfig()
	c.DataDir = ""
	c.HTTP.Addr = "nope"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "data_dir") || !strings.Contains(err.Error(), "http.addr") {
		t.Fatalf("want both keys named, got %v", err)
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	writeFile(t, good, `
data_dir = "/srv/lingshu"
[dicom]
ae_title = "EDGE1"
allowed_calling_ae_titles = ["PACS"]
artim_timeout = "10s"
[store]
stable_after = "2m"
`)
	cfg, err := LoadConfigFile(good, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/srv/lingshu" || cfg.DICOM.AETitle != "EDGE1" || cfg.Store.StableAfter.Duration != 2*time.Minute ||
		cfg.DICOM.ARTIMTimeout.Duration != 10*time.Second || cfg.DICOM.AllowedCallingAETitles[0] != "PACS" {
		t.Fatalf("unexpected config %+v", cfg)
	}
	if cfg.HTTP.Addr != DefaultConfig().HTTP.Addr {
		t.Fatalf("unset key lost its default: %q", cfg.HTTP.Addr)
	}

	typo := filepath.Join(dir, "typo.toml")
	writeFile(t, typo, "[dicom]\nae_titel = \"X\"\n")
	if _, err := LoadConfigFile(typo, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "dicom.ae_titel") {
		t.Fatalf("unknown key must be named, got %v", err)
	}

	badDur := filepath.Join(dir, "dur.toml")
	writeFile(t, badDur, "[store]\nstable_after = \"soon\"\n")
	if _, err := LoadConfigFile(badDur, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "stable_after") {
		t.Fatalf("bad duration must name the key, got %v", err)
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"LINGSHU_AE_TITLE":      "FROMENV",
		"LINGSHU_ALLOWED_HOSTS": "127.0.0.1, 10.0.0.0/8",
		"LINGSHU_STABLE_AFTER":  "5s",
	}
	cfg := DefaultConfig()
	if err := ApplyEnv(&cfg, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if cfg.DICOM.AETitle != "FROMENV" || len(cfg.DICOM.AllowedHosts) != 2 || cfg.Store.StableAfter.Duration != 5*time.Second {
		t.Fatalf("env not applied: %+v", cfg)
	}
	env = map[string]string{"LINGSHU_MIN_FREE_MB": "lots"}
	if err := ApplyEnv(&cfg, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil ||
		!strings.Contains(err.Error(), "store.min_free_mb") {
		t.Fatalf("bad env value must name the key, got %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
