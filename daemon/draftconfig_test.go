package daemon

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDraftsConfig_File(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "drafts.toml")
	writeFile(t, good, `
[model]
path = "/models/lingshu-7b"
queue_size = 8
[drafts]
enabled = true
key_images = 6
max_tokens = 300
retry_delay = "1s"
[[drafts.rules]]
name = "chest x-ray"
modalities = ["CR", "DX"]
body_parts = ["CHEST"]
[[drafts.rules]]
name = "emergency CT"
sender_aes = ["ED_CT"]
[[drafts.prompts]]
version = "chest-xr/v2"
modalities = ["CR", "DX"]
text = "The {{.Images}} images are key images of a {{.Modality}} study of the {{.BodyPart}}. Write FINDINGS and IMPRESSION."
`)
	cfg, err := LoadConfigFile(good, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d := cfg.Drafts
	if !d.Enabled || d.KeyImages != 6 || d.MaxTokens != 300 || d.RetryDelay.Duration != time.Second || len(d.Rules) != 2 ||
		d.Rules[1].SenderAEs[0] != "ED_CT" || d.Prompts[0].Version != "chest-xr/v2" || cfg.Model.QueueSize != 8 {
		t.Fatalf("drafts %+v", d)
	}
	jc := d.jobsConfig()
	if jc.KeyImages != 6 || len(jc.Rules) != 2 || jc.Rules[0].Modalities[1] != "DX" || jc.Prompts[0].Text == "" {
		t.Fatalf("jobs config %+v", jc)
	}
	if d.MaxAttempts != DefaultConfig().Drafts.MaxAttempts {
		t.Errorf("unset key lost its default")
	}

	typo := filepath.Join(dir, "typo.toml")
	writeFile(t, typo, "[[drafts.rules]]\nmodality = [\"CR\"]\n")
	if _, err := LoadConfigFile(typo, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "drafts.rules.modality") {
		t.Fatalf("unknown key must be named, got %v", err)
	}
}

func TestDraftsConfig_Validate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"zero key images", func(c *Config) { c.Drafts.KeyImages = 0 }, "drafts.key_images: must not be 0"},
		{"too many key images", func(c *Config) { c.Drafts.KeyImages = 100 }, "drafts.key_images"},
		{"max tokens", func(c *Config) { c.Drafts.MaxTokens = -5 }, "drafts.max_tokens"},
		{"render size", func(c *Config) { c.Drafts.RenderMaxSize = -7 }, "drafts.render_max_size"},
		{"retry delay", func(c *Config) { c.Drafts.RetryDelay = Duration{-time.Second} }, "drafts.retry_delay"},
		{"prompt version", func(c *Config) { c.Drafts.Prompts = []DraftPromptConfig{{Text: "x"}} }, "drafts.prompts[0].version"},
		{"prompt template", func(c *Config) {
			c.Drafts.Prompts = []DraftPromptConfig{{Version: "v9", Text: "{{.PatientName}}"}}
		}, "drafts.prompts[0].text"},
		{"rule AE", func(c *Config) { c.Drafts.Rules = []DraftRuleConfig{{SenderAEs: []string{" "}}} }, "drafts.rules[0].sender_aes"},
		{"queue size", func(c *Config) { c.Model.QueueSize = 0 }, "model.queue_size"},
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
	c := DefaultConfig()
	c.Drafts.RenderMaxSize = -1 // native size
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LINGSHU_DRAFTS_ENABLED": "false"}
	if err := ApplyEnv(&c, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil || c.Drafts.Enabled {
		t.Fatalf("LINGSHU_DRAFTS_ENABLED: %v %v", err, c.Drafts.Enabled)
	}
}
