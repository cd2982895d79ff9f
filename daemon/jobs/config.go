package jobs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/lingshu-edge/lingshu/model/vlm"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultKeyImages     = 4
	DefaultMaxTokens     = 512
	DefaultMaxAttempts   = 3
	DefaultRetryDelay    = 5 * time.Second
	DefaultRenderMaxSize = 1024
	DefaultPollInterval  = 30 * time.Second
)

// Config configures the draft queue.
type Config struct {
	// Enabled turns on the rules: drafts for studies that become stable.
	// RequestDraft works either way.
	Enabled bool
	// KeyImages caps the images shown to the model per study; it is also
	// the number of evenly spaced slices of a cross-sectional series.
	KeyImages int
	// Generation settings recorded in each draft's provenance.
	MaxTokens   int
	Temperature float64
	Seed        uint64
	MaxPixels   int // 0: the image processor's default
	// RenderMaxSize downscales rendered images so their longest side is
	// at most this many pixels before they go to the model (0: default;
	// negative: native size).
	RenderMaxSize int
	// Rules decide which stable studies get a draft; none means every
	// study does.
	Rules []Rule
	// Prompts are templates chosen by modality and body part, first match
	// wins; the built-in vlm.ReportPrompt (vlm.ReportPromptVersion) is used
	// when none matches.
	Prompts []Prompt
	// Workers run jobs concurrently (default 1: the engine runs one
	// request at a time anyway).
	Workers int
	// MaxAttempts bounds the attempts of a job before it fails for good.
	MaxAttempts int
	// RetryDelay is the pause after a failed attempt.
	RetryDelay time.Duration
	// PollInterval is how often workers and the rule loop look at the
	// store without being woken (a safety net; events wake them).
	PollInterval time.Duration
}

// Rule selects studies by what the index knows of them. Each non-empty
// list must contain a value of the study (any of its series' modalities
// and body parts, any of its instances' sender AE titles), compared
// without regard to case; a rule with no lists matches every study.
type Rule struct {
	Name       string
	Modalities []string
	BodyParts  []string
	SenderAEs  []string
}

// Prompt is a versioned prompt template for studies of some modalities and
// body parts (empty lists match any). Text is a text/template over
// PromptData, e.g. "Key images of a {{.Modality}} study of the {{.BodyPart}}…".
type Prompt struct {
	Version    string
	Modalities []string
	BodyParts  []string
	Text       string

	tmpl *template.Template
}

// PromptData is what a prompt template sees. No patient attribute is
// offered: prompts never carry PHI.
type PromptData struct {
	Modality   string   // modalities joined with " and " ("CT", "CR and DX")
	Modalities []string // DICOM modality codes of the key images
	BodyPart   string   // lower case; may be empty
	Images     int      // number of key images
}

// withDefaults fills zero fields and compiles the prompt templates.
func (c Config) withDefaults() (Config, error) {
	if c.KeyImages == 0 {
		c.KeyImages = DefaultKeyImages
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.RenderMaxSize == 0 {
		c.RenderMaxSize = DefaultRenderMaxSize
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	c.Prompts = slices.Clone(c.Prompts)
	return c, c.validate()
}

// Validate checks the settings; errors name the config key (drafts.*).
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c *Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config key drafts.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.KeyImages < 1 || c.KeyImages > 16 {
		bad("key_images", "must be 1..16, got %d", c.KeyImages)
	}
	if c.MaxTokens < 1 || c.MaxTokens > 8192 {
		bad("max_tokens", "must be 1..8192, got %d", c.MaxTokens)
	}
	if c.Temperature < 0 || c.Temperature > 2 {
		bad("temperature", "must be 0..2, got %g", c.Temperature)
	}
	if c.MaxPixels < 0 {
		bad("max_pixels", "must not be negative, got %d", c.MaxPixels)
	}
	if c.Workers < 1 || c.Workers > 8 {
		bad("workers", "must be 1..8, got %d", c.Workers)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 20 {
		bad("max_attempts", "must be 1..20, got %d", c.MaxAttempts)
	}
	if c.RetryDelay < 0 {
		bad("retry_delay", "must not be negative, got %s", c.RetryDelay)
	}
	if c.PollInterval < 10*time.Millisecond {
		bad("poll_interval", "must be at least 10ms, got %s", c.PollInterval)
	}
	for i, r := range c.Rules {
		for _, ae := range r.SenderAEs {
			if strings.TrimSpace(ae) == "" || len(ae) > 16 {
				bad(fmt.Sprintf("rules[%d].sender_aes", i), "%q is not an AE title", ae)
			}
		}
	}
	versions := map[string]bool{vlm.ReportPromptVersion: true}
	for i := range c.Prompts {
		p := &c.Prompts[i]
		key := fmt.Sprintf("prompts[%d]", i)
		if strings.TrimSpace(p.Version) == "" {
			bad(key+".version", "must not be empty (drafts record it)")
		} else if versions[p.Version] {
			bad(key+".version", "%q is used twice (or is the built-in prompt's)", p.Version)
		}
		versions[p.Version] = true
		if strings.TrimSpace(p.Text) == "" {
			bad(key+".text", "must not be empty")
			continue
		}
		t, err := template.New(p.Version).Option("missingkey=error").Parse(p.Text)
		if err == nil {
			err = t.Execute(discard{}, PromptData{Modality: "CT", Modalities: []string{"CT"}, BodyPart: "chest", Images: 2})
		}
		if err != nil {
			bad(key+".text", "%v", err)
			continue
		}
		p.tmpl = t
	}
	return errors.Join(errs...)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// matchAny reports whether list is empty or holds one of values (case-
// and space-insensitive).
func matchAny(list, values []string) bool {
	if len(list) == 0 {
		return true
	}
	for _, l := range list {
		for _, v := range values {
			if strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(v)) {
				return true
			}
		}
	}
	return false
}

// studyFacts is what rules and prompt choice look at.
type studyFacts struct {
	Modalities []string
	BodyParts  []string
	SenderAEs  []string
}

// match returns the first rule matching f (ok false when none; with no
// rules every study matches).
func matchRule(rules []Rule, f studyFacts) (Rule, bool) {
	if len(rules) == 0 {
		return Rule{Name: "default"}, true
	}
	for _, r := range rules {
		if matchAny(r.Modalities, f.Modalities) && matchAny(r.BodyParts, f.BodyParts) && matchAny(r.SenderAEs, f.SenderAEs) {
			return r, true
		}
	}
	return Rule{}, false
}

// buildPrompt returns the prompt version and text for the key images'
// modalities and body part.
func (c *Config) buildPrompt(modalities []string, bodyPart string, images int) (string, string, error) {
	for _, p := range c.Prompts {
		if !matchAny(p.Modalities, modalities) || !matchAny(p.BodyParts, []string{bodyPart}) {
			continue
		}
		var sb strings.Builder
		data := PromptData{Modality: strings.Join(modalities, " and "), Modalities: modalities,
			BodyPart: strings.ToLower(strings.TrimSpace(bodyPart)), Images: images}
		if err := p.tmpl.Execute(&sb, data); err != nil {
			return "", "", fmt.Errorf("jobs: prompt %s: %w", p.Version, err)
		}
		return p.Version, sb.String(), nil
	}
	return vlm.ReportPromptVersion, vlm.ReportPrompt(modalities, bodyPart, images), nil
}
