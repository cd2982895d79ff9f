package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole appliance configuration. It is read from one TOML file
// (every key optional; embedded defaults fill the rest), then overridden by
// command-line flags, then by LINGSHU_* environment variables, and finally
// validated before anything starts.
type Config struct {
	// DataDir holds the instance files, the index and the logs.
	DataDir string       `toml:"data_dir"`
	DICOM   DICOMConfig  `toml:"dicom"`
	HTTP    HTTPConfig   `toml:"http"`
	Store   StoreConfig  `toml:"store"`
	Model   ModelConfig  `toml:"model"`
	Drafts  DraftsConfig `toml:"drafts"`
	Log     LogConfig    `toml:"log"`
}

// DICOMConfig configures the C-ECHO/C-STORE receiver.
type DICOMConfig struct {
	Addr    string `toml:"addr"`
	AETitle string `toml:"ae_title"`
	// AllowedCallingAETitles, when not empty, is the only calling AE titles accepted.
	AllowedCallingAETitles []string `toml:"allowed_calling_ae_titles"`
	// AllowedHosts, when not empty, lists IP addresses or CIDR ranges accepted.
	AllowedHosts     []string `toml:"allowed_hosts"`
	MaxPDULength     uint32   `toml:"max_pdu_length"`
	MaxAssociations  int      `toml:"max_associations"`
	MaxInstanceBytes int64    `toml:"max_instance_bytes"`
	ARTIMTimeout     Duration `toml:"artim_timeout"`
	IdleTimeout      Duration `toml:"idle_timeout"`
}

// HTTPConfig configures the REST API and web UI listener.
type HTTPConfig struct {
	Addr       string   `toml:"addr"`
	SessionTTL Duration `toml:"session_ttl"`
}

// StoreConfig configures durable storage and study grouping.
type StoreConfig struct {
	// DuplicatePolicy is "keep" (the first copy wins) or "replace".
	DuplicatePolicy string `toml:"duplicate_policy"`
	// MinFreeMB is the free disk space below which C-STORE answers A700.
	MinFreeMB int64 `toml:"min_free_mb"`
	// StableAfter is how long a study must go without a new instance
	// before it counts as complete.
	StableAfter Duration `toml:"stable_after"`
}

// ModelConfig names the model the appliance runs, if any. With a path,
// the daemon runs it in a child process (`lingshu runner`) for questions
// about images and draft reports ([drafts]).
type ModelConfig struct {
	Path    string `toml:"path"`
	Backend string `toml:"backend"`
	// QueueSize is how many model requests may wait (more answer 503).
	QueueSize int `toml:"queue_size"`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Duration is a time.Duration written as "30s" or "5m" in the config file.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig returns the embedded defaults: a complete, valid
// configuration for a single box, so `lingshu serve` needs no file.
func DefaultConfig() Config {
	return Config{
		DataDir: DefaultDataDir(),
		DICOM: DICOMConfig{
			Addr:             ":11112",
			AETitle:          "LINGSHU",
			MaxPDULength:     256 * 1024,
			MaxAssociations:  64,
			MaxInstanceBytes: 2 << 30,
			ARTIMTimeout:     Duration{30 * time.Second},
			IdleTimeout:      Duration{5 * time.Minute},
		},
		HTTP: HTTPConfig{
			Addr:       ":8080",
			SessionTTL: Duration{12 * time.Hour},
		},
		Store: StoreConfig{
			DuplicatePolicy: "keep",
			MinFreeMB:       1024,
			StableAfter:     Duration{60 * time.Second},
		},
		Model:  ModelConfig{Backend: "auto", QueueSize: 16},
		Drafts: defaultDraftsConfig(),
		Log:    LogConfig{Level: "info", Format: "text"},
	}
}

// DefaultDataDir is the OS-specific place for appliance data: the system
// location when running as a service (root on Unix, any user on Windows,
// where %ProgramData% is shared), else the user's data folder, so that a
// first `lingshu serve` by a normal user works without setup.
func DefaultDataDir() string {
	if dir := systemDataDir(); dir != "" {
		return dir
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "lingshu")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "lingshu")
	}
	return "lingshu-data"
}

// LoadConfigFile reads a TOML file over the defaults. Unknown keys are an
// error naming them: a typo in a config file must not silently fall back
// to a default.
func LoadConfigFile(path string, base Config) (Config, error) {
	cfg := base
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		return base, fmt.Errorf("config %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return base, fmt.Errorf("config %s: unknown key(s): %s", path, strings.Join(keys, ", "))
	}
	return cfg, nil
}

// envOverrides lists the LINGSHU_* variables and the key each sets.
var envOverrides = []struct {
	name string
	key  string
	set  func(c *Config, v string) error
}{
	{"LINGSHU_DATA_DIR", "data_dir", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"LINGSHU_DICOM_ADDR", "dicom.addr", func(c *Config, v string) error { c.DICOM.Addr = v; return nil }},
	{"LINGSHU_AE_TITLE", "dicom.ae_title", func(c *Config, v string) error { c.DICOM.AETitle = v; return nil }},
	{"LINGSHU_ALLOWED_CALLING_AE_TITLES", "dicom.allowed_calling_ae_titles", func(c *Config, v string) error {
		c.DICOM.AllowedCallingAETitles = splitList(v)
		return nil
	}},
	{"LINGSHU_ALLOWED_HOSTS", "dicom.allowed_hosts", func(c *Config, v string) error { c.DICOM.AllowedHosts = splitList(v); return nil }},
	{"LINGSHU_HTTP_ADDR", "http.addr", func(c *Config, v string) error { c.HTTP.Addr = v; return nil }},
	{"LINGSHU_DUPLICATE_POLICY", "store.duplicate_policy", func(c *Config, v string) error { c.Store.DuplicatePolicy = v; return nil }},
	{"LINGSHU_MIN_FREE_MB", "store.min_free_mb", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		c.Store.MinFreeMB = n
		return err
	}},
	{"LINGSHU_STABLE_AFTER", "store.stable_after", func(c *Config, v string) error { return c.Store.StableAfter.UnmarshalText([]byte(v)) }},
	{"LINGSHU_MODEL", "model.path", func(c *Config, v string) error { c.Model.Path = v; return nil }},
	{"LINGSHU_BACKEND", "model.backend", func(c *Config, v string) error { c.Model.Backend = v; return nil }},
	{"LINGSHU_DRAFTS_ENABLED", "drafts.enabled", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Drafts.Enabled = b
		return err
	}},
	{"LINGSHU_LOG_LEVEL", "log.level", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"LINGSHU_LOG_FORMAT", "log.format", func(c *Config, v string) error { c.Log.Format = v; return nil }},
}

// ApplyEnv overrides cfg with the LINGSHU_* variables that lookup finds
// (os.LookupEnv in production, a map in tests).
func ApplyEnv(cfg *Config, lookup func(string) (string, bool)) error {
	var errs []error
	for _, o := range envOverrides {
		v, ok := lookup(o.name)
		if !ok {
			continue
		}
		if err := o.set(cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %q: %w", o.name, o.key, v, err))
		}
	}
	return errors.Join(errs...)
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks every key and returns one error naming each bad key and
// what is wrong with it.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config key %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if err := checkListenAddr(c.DICOM.Addr); err != nil {
		bad("dicom.addr", "%v", err)
	}
	if err := checkAETitle(c.DICOM.AETitle); err != nil {
		bad("dicom.ae_title", "%v", err)
	}
	for _, ae := range c.DICOM.AllowedCallingAETitles {
		if err := checkAETitle(ae); err != nil {
			bad("dicom.allowed_calling_ae_titles", "%q: %v", ae, err)
		}
	}
	for _, h := range c.DICOM.AllowedHosts {
		if net.ParseIP(h) == nil {
			if _, _, err := net.ParseCIDR(h); err != nil {
				bad("dicom.allowed_hosts", "%q is neither an IP address nor a CIDR range", h)
			}
		}
	}
	if c.DICOM.MaxPDULength < 4096 || c.DICOM.MaxPDULength > 16<<20 {
		bad("dicom.max_pdu_length", "%d is outside 4096..16777216", c.DICOM.MaxPDULength)
	}
	if c.DICOM.MaxAssociations < 1 {
		bad("dicom.max_associations", "must be at least 1, got %d", c.DICOM.MaxAssociations)
	}
	if c.DICOM.MaxInstanceBytes < 1<<20 {
		bad("dicom.max_instance_bytes", "must be at least 1 MiB, got %d", c.DICOM.MaxInstanceBytes)
	}
	if c.DICOM.ARTIMTimeout.Duration <= 0 {
		bad("dicom.artim_timeout", "must be positive, got %s", c.DICOM.ARTIMTimeout)
	}
	if c.DICOM.IdleTimeout.Duration <= 0 {
		bad("dicom.idle_timeout", "must be positive, got %s", c.DICOM.IdleTimeout)
	}
	if err := checkListenAddr(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
	}
	if c.HTTP.SessionTTL.Duration < time.Minute {
		bad("http.session_ttl", "must be at least 1m, got %s", c.HTTP.SessionTTL)
	}
	if p := c.Store.DuplicatePolicy; p != "keep" && p != "replace" {
		bad("store.duplicate_policy", "must be \"keep\" or \"replace\", got %q", p)
	}
	if c.Store.MinFreeMB < 0 {
		bad("store.min_free_mb", "must not be negative, got %d", c.Store.MinFreeMB)
	}
	if c.Store.StableAfter.Duration < time.Second {
		bad("store.stable_after", "must be at least 1s, got %s", c.Store.StableAfter)
	}
	switch c.Model.Backend {
	case "auto", "cpu", "cuda":
	default:
		if !strings.HasPrefix(c.Model.Backend, "cuda:") {
			bad("model.backend", "must be auto, cpu, cuda or cuda:N, got %q", c.Model.Backend)
		}
	}
	if c.Model.QueueSize < 1 || c.Model.QueueSize > 1024 {
		bad("model.queue_size", "must be 1..1024, got %d", c.Model.QueueSize)
	}
	if err := c.Drafts.validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	if f := c.Log.Format; f != "text" && f != "json" {
		bad("log.format", "must be \"text\" or \"json\", got %q", f)
	}
	return errors.Join(errs...)
}

func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has an invalid port", addr)
	}
	return nil
}

// checkAETitle applies PS3.5 6.2: at most 16 characters of the default
// repertoire, no backslash or control characters, not all spaces.
func checkAETitle(ae string) error {
	if strings.TrimSpace(ae) == "" {
		return errors.New("must not be empty")
	}
	if len(ae) > 16 {
		return fmt.Errorf("%q is longer than 16 characters", ae)
	}
	for _, r := range ae {
		if r < 0x20 || r > 0x7e || r == '\\' {
			return fmt.Errorf("%q contains a character not allowed in an AE title", ae)
		}
	}
	return nil
}
