package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Document is the whole report: the runs and, with two or more, each later
// run compared with the first (the baseline).
type Document struct {
	Schema      string       `json:"schema"`
	Generated   time.Time    `json:"generated"`
	Options     Options      `json:"options"`
	Runs        []*Run       `json:"runs"`
	Comparisons []RunCompare `json:"comparisons,omitempty"`
}

// RunCompare is run Index against run 0.
type RunCompare struct {
	Index       int          `json:"index"`
	Baseline    string       `json:"baseline"`
	Candidate   string       `json:"candidate"`
	Rows        []Comparison `json:"rows"`
	Regressions int          `json:"regressions"`
}

// Build assembles the document.
func Build(runs []*Run, opt Options) *Document {
	opt.Iters = opt.iters()
	d := &Document{Schema: "lingshu.eval.report/v1", Generated: time.Now().UTC(), Options: opt, Runs: runs}
	for i := 1; i < len(runs); i++ {
		rc := RunCompare{Index: i, Baseline: runs[0].Dir, Candidate: runs[i].Dir, Rows: Compare(runs[0], runs[i], opt)}
		for _, c := range rc.Rows {
			if c.Regression {
				rc.Regressions++
			}
		}
		d.Comparisons = append(d.Comparisons, rc)
	}
	return d
}

// WriteJSON writes the document as indented JSON.
func (d *Document) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// WriteHTML writes a self-contained page: inline CSS and SVG, no script.
func (d *Document) WriteHTML(w io.Writer) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"pct":      pct,
		"pctCI":    func(ci [2]float64) string { return "[" + pct(ci[0]) + ", " + pct(ci[1]) + "]" },
		"f3":       func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"signed":   func(v float64) string { return fmt.Sprintf("%+.1f", 100*v) },
		"pval":     func(p float64) string { return fmt.Sprintf("%.3g", p) },
		"color":    runColor,
		"overview": d.overview,
		"heatmap":  heatmap,
		"hist":     histogram,
		"tagKeys":  tagKeys,
		"width":    func(v float64) string { return fmt.Sprintf("%.1f%%", 100*clamp01(v)) },
		"ms":       func(v float64) string { return (time.Duration(v) * time.Millisecond).Round(time.Millisecond).String() },
		"base":     filepath.Base,
		"judgeShort": func(j string) string {
			if strings.HasPrefix(j, "none") {
				return ""
			}
			return j
		},
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: template: %w", err)
	}
	if err := t.Execute(w, d); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f", 100*v)
}

func tagKeys(m map[string][]Group) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// overview is the bar chart of every dataset's main score across runs.
func (d *Document) overview() template.HTML {
	var names []string
	seen := map[string]bool{}
	for _, r := range d.Runs {
		for _, ds := range r.Datasets {
			if !seen[ds.Name] {
				seen[ds.Name] = true
				names = append(names, ds.Name)
			}
		}
	}
	var entries []barEntry
	for _, n := range names {
		e := barEntry{Label: n}
		for _, r := range d.Runs {
			v, ci := math.NaN(), [2]float64{math.NaN(), math.NaN()}
			for _, ds := range r.Datasets {
				if ds.Name != n {
					continue
				}
				v, e.Metric = ds.Score, ds.Metric
				if ds.Accuracy != nil {
					ci = ds.Accuracy.CI
				} else if ds.Report != nil {
					ci = ds.Report.RougeLCI
				}
			}
			e.Values, e.CIs = append(e.Values, v), append(e.CIs, ci)
		}
		entries = append(entries, e)
	}
	return barChart(entries, len(d.Runs))
}
