package api

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is a small metrics registry written in the Prometheus text
// exposition format (version 0.0.4): counters, gauges and histograms,
// nothing else. Each Daemon owns one Registry; nothing here is global.

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Sample is one value of a counter or gauge family.
type Sample struct {
	Labels []Label
	Value  float64
}

// Collector writes its families into e when the registry is scraped. An
// error discards everything it wrote and marks it failed in
// lingshu_scrape_collector_success.
type Collector func(e *Exposition) error

// Registry holds named collectors and writes them all on a scrape, with
// node_exporter's per-collector duration and success families after them.
type Registry struct {
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	names      []string
	collectors map[string]Collector
}

// NewRegistry returns an empty registry. log nil means slog.Default().
func NewRegistry(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	return &Registry{log: log, now: time.Now, collectors: map[string]Collector{}}
}

// Register adds (or replaces) the collector called name.
func (r *Registry) Register(name string, c Collector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.collectors[name]; !ok {
		r.names = append(r.names, name)
	}
	r.collectors[name] = c
}

// WriteTo runs every collector and writes the exposition to w.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	names := slices.Clone(r.names)
	cs := make([]Collector, len(names))
	for i, n := range names {
		cs[i] = r.collectors[n]
	}
	r.mu.Unlock()

	var out bytes.Buffer
	seen := map[string]bool{}
	durations := make([]Sample, len(names))
	successes := make([]Sample, len(names))
	for i, c := range cs {
		e := &Exposition{seen: maps.Clone(seen)}
		start := r.now()
		err := c(e)
		if err == nil {
			err = e.err
		}
		ok := 0.0
		if err != nil {
			r.log.Warn("metrics collector failed", "collector", names[i], "err", err)
		} else {
			ok = 1
			out.Write(e.buf.Bytes())
			seen = e.seen
		}
		l := []Label{{"collector", names[i]}}
		durations[i] = Sample{Labels: l, Value: r.now().Sub(start).Seconds()}
		successes[i] = Sample{Labels: l, Value: ok}
	}
	e := &Exposition{seen: seen}
	e.Gauge("lingshu_scrape_collector_duration_seconds", "Time each metrics collector took in this scrape.", durations...)
	e.Gauge("lingshu_scrape_collector_success", "Whether each metrics collector succeeded in this scrape (1) or not (0).", successes...)
	if e.err != nil {
		return 0, e.err
	}
	out.Write(e.buf.Bytes())
	return out.WriteTo(w)
}

// Exposition accumulates families in the text format. The first problem
// (a bad name, a family written twice) is kept and reported by the
// registry; later calls are ignored.
type Exposition struct {
	buf  bytes.Buffer
	seen map[string]bool
	err  error
}

var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Counter writes a counter family (name should end in _total).
func (e *Exposition) Counter(name, help string, samples ...Sample) {
	e.family(name, help, "counter", samples)
}

// Gauge writes a gauge family.
func (e *Exposition) Gauge(name, help string, samples ...Sample) {
	e.family(name, help, "gauge", samples)
}

func (e *Exposition) family(name, help, typ string, samples []Sample) {
	if !e.header(name, help, typ) {
		return
	}
	for _, s := range samples {
		e.sample(name, s.Labels, s.Value)
	}
}

// header checks name and writes the HELP and TYPE lines.
func (e *Exposition) header(name, help, typ string) bool {
	if e.err != nil {
		return false
	}
	if !metricName.MatchString(name) {
		e.err = fmt.Errorf("api: metrics: bad metric name %q", name)
		return false
	}
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	if e.seen[name] {
		e.err = fmt.Errorf("api: metrics: family %s written twice", name)
		return false
	}
	e.seen[name] = true
	fmt.Fprintf(&e.buf, "# HELP %s %s\n# TYPE %s %s\n", name, helpEscaper.Replace(strings.ToValidUTF8(help, "\uFFFD")), name, typ)
	return true
}

func (e *Exposition) sample(name string, labels []Label, v float64) {
	if e.err != nil {
		return
	}
	e.buf.WriteString(name)
	if len(labels) > 0 {
		e.buf.WriteByte('{')
		for i, l := range labels {
			if !labelName.MatchString(l.Name) || strings.HasPrefix(l.Name, "__") {
				e.err = fmt.Errorf("api: metrics: %s: bad label name %q", name, l.Name)
				return
			}
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.buf.WriteString(l.Name)
			e.buf.WriteString(`="`)
			e.buf.WriteString(valueEscaper.Replace(strings.ToValidUTF8(l.Value, "\uFFFD")))
			e.buf.WriteByte('"')
		}
		e.buf.WriteByte('}')
	}
	e.buf.WriteByte(' ')
	e.buf.WriteString(formatFloat(v))
	e.buf.WriteByte('\n')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// CounterVec is a counter family keyed by K; labels renders a key's labels.
type CounterVec[K comparable] struct {
	name, help string
	labels     func(K) []Label
	mu         sync.Mutex
	vals       map[K]float64
}

// NewCounterVec returns an empty counter family. Keys known up front can
// be added with Add(k, 0) so that they are exported as 0 before they move.
func NewCounterVec[K comparable](name, help string, labels func(K) []Label) *CounterVec[K] {
	return &CounterVec[K]{name: name, help: help, labels: labels, vals: map[K]float64{}}
}

// Add adds v (which must not be negative; negatives are ignored) to k's counter.
func (c *CounterVec[K]) Add(k K, v float64) {
	if v < 0 {
		return
	}
	c.mu.Lock()
	c.vals[k] += v
	c.mu.Unlock()
}

// Value returns k's counter.
func (c *CounterVec[K]) Value(k K) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vals[k]
}

// Collect writes the family, samples sorted by their labels.
func (c *CounterVec[K]) Collect(e *Exposition) {
	c.mu.Lock()
	samples := make([]Sample, 0, len(c.vals))
	for k, v := range c.vals {
		samples = append(samples, Sample{Labels: c.labels(k), Value: v})
	}
	c.mu.Unlock()
	slices.SortFunc(samples, func(a, b Sample) int { return compareLabels(a.Labels, b.Labels) })
	e.Counter(c.name, c.help, samples...)
}

func compareLabels(a, b []Label) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}
