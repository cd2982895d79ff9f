package daemon

import (
	"errors"
	"fmt"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/jobs"
)

// DraftsConfig is the [drafts] section: AI draft reports made in the
// background when a model is configured ([model] path).
//
//	[drafts]
//	enabled = true          # rules draft studies when they become stable
//	key_images = 4          # images per study (and slices of a CT/MR series)
//	max_tokens = 512
//	[[drafts.rules]]        # none: every stable study is drafted
//	name = "chest x-ray"
//	modalities = ["CR", "DX"]
//	body_parts = ["CHEST"]
//	sender_aes = ["ED_CR"]
//	[[drafts.prompts]]      # none matching: the built-in prompt (lingshu-report/v1)
//	version = "chest-xr/v2"
//	modalities = ["CR", "DX"]
//	body_parts = ["CHEST"]
//	text = "The {{.Images}} images are key images of a {{.Modality}} study of the {{.BodyPart}}. ..."
type DraftsConfig struct {
	Enabled     bool    `toml:"enabled"`
	KeyImages   int     `toml:"key_images"`
	MaxTokens   int     `toml:"max_tokens"`
	Temperature float64 `toml:"temperature"`
	Seed        uint64  `toml:"seed"`
	// MaxPixels caps the pixels of each image the model sees (0: the
	// model's image processor default).
	MaxPixels int `toml:"max_pixels"`
	// RenderMaxSize downscales rendered DICOM images to this longest side
	// before they go to the model (-1: native size).
	RenderMaxSize int                 `toml:"render_max_size"`
	MaxAttempts   int                 `toml:"max_attempts"`
	RetryDelay    Duration            `toml:"retry_delay"`
	Rules         []DraftRuleConfig   `toml:"rules"`
	Prompts       []DraftPromptConfig `toml:"prompts"`
}

// DraftRuleConfig is one [[drafts.rules]] entry (see jobs.Rule).
type DraftRuleConfig struct {
	Name       string   `toml:"name"`
	Modalities []string `toml:"modalities"`
	BodyParts  []string `toml:"body_parts"`
	SenderAEs  []string `toml:"sender_aes"`
}

// DraftPromptConfig is one [[drafts.prompts]] entry (see jobs.Prompt).
type DraftPromptConfig struct {
	Version    string   `toml:"version"`
	Modalities []string `toml:"modalities"`
	BodyParts  []string `toml:"body_parts"`
	Text       string   `toml:"text"`
}

func defaultDraftsConfig() DraftsConfig {
	return DraftsConfig{
		Enabled:       true,
		KeyImages:     jobs.DefaultKeyImages,
		MaxTokens:     jobs.DefaultMaxTokens,
		RenderMaxSize: jobs.DefaultRenderMaxSize,
		MaxAttempts:   jobs.DefaultMaxAttempts,
		RetryDelay:    Duration{jobs.DefaultRetryDelay},
	}
}

// jobsConfig converts the section to the queue's configuration.
func (d DraftsConfig) jobsConfig() jobs.Config {
	c := jobs.Config{Enabled: d.Enabled, KeyImages: d.KeyImages, MaxTokens: d.MaxTokens, Temperature: d.Temperature,
		Seed: d.Seed, MaxPixels: d.MaxPixels, RenderMaxSize: d.RenderMaxSize, MaxAttempts: d.MaxAttempts,
		RetryDelay: d.RetryDelay.Duration}
	if c.RetryDelay == 0 {
		c.RetryDelay = time.Nanosecond // 0 in the file means no pause, not the default
	}
	for _, r := range d.Rules {
		c.Rules = append(c.Rules, jobs.Rule{Name: r.Name, Modalities: r.Modalities, BodyParts: r.BodyParts, SenderAEs: r.SenderAEs})
	}
	for _, p := range d.Prompts {
		c.Prompts = append(c.Prompts, jobs.Prompt{Version: p.Version, Modalities: p.Modalities, BodyParts: p.BodyParts, Text: p.Text})
	}
	return c
}

// validate checks the section and names each bad key (drafts.key_images,
// drafts.prompts[1].text, …). A zero means "default" to jobs.New, so here,
// where the defaults are already filled in, it is an error.
func (d DraftsConfig) validate() error {
	var errs []error
	for _, k := range []struct {
		key string
		v   int
	}{{"key_images", d.KeyImages}, {"max_tokens", d.MaxTokens}, {"max_attempts", d.MaxAttempts}, {"render_max_size", d.RenderMaxSize}} {
		if k.v == 0 {
			errs = append(errs, fmt.Errorf("config key drafts.%s: must not be 0", k.key))
		}
	}
	if d.RenderMaxSize < -1 {
		errs = append(errs, fmt.Errorf("config key drafts.render_max_size: must be positive, or -1 for the native size, got %d", d.RenderMaxSize))
	}
	if d.RetryDelay.Duration < 0 {
		errs = append(errs, fmt.Errorf("config key drafts.retry_delay: must not be negative, got %s", d.RetryDelay))
	}
	if len(errs) == 0 {
		errs = append(errs, d.jobsConfig().Validate())
	}
	return errors.Join(errs...)
}
