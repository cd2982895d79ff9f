package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/internal/buildinfo"
)

// ManifestSchema names manifest.json's layout.
const ManifestSchema = "lingshu.eval.run/v1"

// Manifest records what a run evaluated, with what, and how long it took.
type Manifest struct {
	Schema        string            `json:"schema"`
	Status        string            `json:"status"` // complete | interrupted
	Error         string            `json:"error,omitempty"`
	Model         ModelInfo         `json:"model"`
	Settings      Settings          `json:"settings"`
	Decoding      string            `json:"decoding"`
	PromptVersion string            `json:"prompt_version"`
	Versions      Versions          `json:"versions"`
	Parallelism   string            `json:"parallelism"`
	Judge         string            `json:"judge"`
	ReportMetrics map[string]string `json:"model_based_report_metrics"`
	Limit         int               `json:"limit,omitempty"`
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	TotalMS       float64           `json:"total_ms"`
	Counts        Counts            `json:"counts"`
	Datasets      []DatasetEntry    `json:"datasets"`
}

// Versions of the software that produced the run.
type Versions struct {
	Lingshu string `json:"lingshu"`
	Go      string `json:"go"`
}

// Counts of samples: Computed were generated in this run, Cached came from
// the cache, Failed could not be answered (unreadable image, prompt over
// the context), Judged went through the judge (its reply readable or not).
type Counts struct {
	Samples  int `json:"samples"`
	Computed int `json:"computed"`
	Cached   int `json:"cached"`
	Failed   int `json:"failed"`
	Judged   int `json:"judged"`
}

// DatasetEntry is one dataset of the run.
type DatasetEntry struct {
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Available int     `json:"available"` // samples the loader read
	Counts    Counts  `json:"counts"`
	MS        float64 `json:"ms"`
	// GenMS is the generation time of the samples computed in this run.
	GenMS float64 `json:"generate_ms"`
}

func newManifest(cfg Config) *Manifest {
	m := &Manifest{Schema: ManifestSchema, Model: cfg.Model, Settings: cfg.Settings,
		PromptVersion: datasets.PromptVersion, Limit: cfg.Limit, Started: time.Now().UTC(),
		Versions:    Versions{Lingshu: buildinfo.Version(), Go: goVersion()},
		Parallelism: "sequential: one in-process model answers one sample at a time; the backend parallelises inside each sample",
		Judge:       "none (open answers scored by normalised exact match)",
		ReportMetrics: map[string]string{
			"RaTEScore": "not computed: needs the RaTE-NER model, not available on this appliance",
			"RadGraph":  "not computed: needs the RadGraph model, not available on this appliance",
			"GREEN":     "not computed: needs the GREEN judge model",
		},
	}
	m.Decoding = "greedy (temperature 0), as MedEvalKit's eval.sh"
	if cfg.Settings.Temperature > 0 {
		m.Decoding = fmt.Sprintf("sampled, temperature %g, seed %d", cfg.Settings.Temperature, cfg.Settings.Seed)
	}
	if cfg.Judge != nil {
		m.Judge = cfg.Judge.Name()
		m.ReportMetrics["GREEN"] = "by the judge " + cfg.Judge.Name() + " with the GREEN prompt (the metric's own judge is GREEN-RadLlama2-7b)"
	}
	for _, d := range cfg.Datasets {
		m.Datasets = append(m.Datasets, DatasetEntry{Name: d.Name, Path: d.Path, Available: len(d.Samples)})
	}
	return m
}

func (m *Manifest) count(di int, r Result) {
	for _, c := range []*Counts{&m.Counts, &m.Datasets[di].Counts} {
		c.Samples++
		switch {
		case r.Error != "":
			c.Failed++
		case r.Cached:
			c.Cached++
		default:
			c.Computed++
		}
		if r.Score.Judge != "" {
			c.Judged++
		}
	}
	if r.Error == "" && !r.Cached {
		m.Datasets[di].GenMS += r.MS
	}
}

func (m *Manifest) finish(err error) {
	m.Finished = time.Now().UTC()
	m.TotalMS = float64(m.Finished.Sub(m.Started).Microseconds()) / 1000
	m.Status = "complete"
	if err != nil {
		m.Status, m.Error = "interrupted", err.Error()
	}
}

func (m *Manifest) write(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("harness: manifest: %w", err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// ReadManifest reads a run's manifest.json.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("harness: %s: %w", path, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("harness: %s: schema %q, want %q", path, m.Schema, ManifestSchema)
	}
	return &m, nil
}

// ReadResults reads a run's results.jsonl.
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []Result
	for line := 1; ; line++ {
		var r Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("harness: %s: record %d: %w", path, line, err)
		}
		out = append(out, r)
	}
}
