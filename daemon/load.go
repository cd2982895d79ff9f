package daemon

import "fmt"

// Overrides are the settings a command line may give; empty means "not given".
type Overrides struct {
	DataDir   string
	DICOMAddr string
	HTTPAddr  string
	AETitle   string
	ModelPath string
	Backend   string
	LogLevel  string
}

// LoadConfig resolves the configuration in the documented order: embedded
// defaults, then the file (if any), then command-line overrides, then
// LINGSHU_* variables from lookupEnv; the result is validated.
func LoadConfig(file string, flags Overrides, lookupEnv func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	if file != "" {
		var err error
		if cfg, err = LoadConfigFile(file, cfg); err != nil {
			return cfg, err
		}
	}
	for _, o := range []struct {
		val string
		dst *string
	}{
		{flags.DataDir, &cfg.DataDir},
		{flags.DICOMAddr, &cfg.DICOM.Addr},
		{flags.HTTPAddr, &cfg.HTTP.Addr},
		{flags.AETitle, &cfg.DICOM.AETitle},
		{flags.ModelPath, &cfg.Model.Path},
		{flags.Backend, &cfg.Model.Backend},
		{flags.LogLevel, &cfg.Log.Level},
	} {
		if o.val != "" {
			*o.dst = o.val
		}
	}
	if lookupEnv != nil {
		if err := ApplyEnv(&cfg, lookupEnv); err != nil {
			return cfg, fmt.Errorf("environment: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
