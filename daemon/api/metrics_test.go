package api

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseExposition parses text with Prometheus' own parser (strict names).
func parseExposition(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("prometheus parser: %v\n%s", err, text)
	}
	return fams
}

// sampleOf returns the metric of family f whose labels include want.
func sampleOf(f *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			return m
		}
	}
	return nil
}

func TestExposition_ParsesAsPrometheusText(t *testing.T) {
	reg := NewRegistry(quiet())
	type k struct{ class string }
	c := NewCounterVec("test_stores_total", "Stores.\nSecond line with \\ backslash.",
		func(k k) []Label { return []Label{{"class", k.class}} })
	c.Add(k{"success"}, 3)
	c.Add(k{"fail\"ure\n\\"}, 1)
	c.Add(k{"success"}, -5) // ignored: counters only go up
	h := NewHistogramVec[struct{}]("test_duration_seconds", "Durations.", []float64{0.5, 0.1, 1, 1}, nil)
	for _, v := range []float64{0.05, 0.1, 0.3, 0.7, 5} {
		h.Observe(struct{}{}, v)
	}
	reg.Register("test", func(e *Exposition) error {
		c.Collect(e)
		h.Collect(e)
		e.Gauge("test_temperature", "A gauge.", Sample{Value: -1.5}, Sample{Labels: []Label{{"room", "b"}}, Value: math.Inf(1)})
		return nil
	})
	var buf bytes.Buffer
	if _, err := reg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	fams := parseExposition(t, buf.String())

	st := fams["test_stores_total"]
	if st.GetType() != dto.MetricType_COUNTER || !strings.Contains(st.GetHelp(), "\n") {
		t.Errorf("counter family: %v", st)
	}
	if m := sampleOf(st, map[string]string{"class": "success"}); m.GetCounter().GetValue() != 3 {
		t.Errorf("success = %v", m)
	}
	if m := sampleOf(st, map[string]string{"class": "fail\"ure\n\\"}); m.GetCounter().GetValue() != 1 {
		t.Errorf("escaped label value did not round-trip: %v", st)
	}

	hist := fams["test_duration_seconds"].GetMetric()[0].GetHistogram()
	if fams["test_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM || hist.GetSampleCount() != 5 || math.Abs(hist.GetSampleSum()-6.15) > 1e-9 {
		t.Fatalf("histogram: %v", hist)
	}
	want := map[float64]uint64{0.1: 2, 0.5: 3, 1: 4, math.Inf(1): 5} // "le" is inclusive; cumulative; bounds deduplicated
	if len(hist.GetBucket()) != len(want) {
		t.Errorf("buckets: %v", hist.GetBucket())
	}
	for _, b := range hist.GetBucket() {
		if want[b.GetUpperBound()] != b.GetCumulativeCount() {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want[b.GetUpperBound()])
		}
	}
	g := fams["test_temperature"]
	if g.GetType() != dto.MetricType_GAUGE || len(g.GetMetric()) != 2 {
		t.Errorf("gauge: %v", g)
	}

	ok := sampleOf(fams["lingshu_scrape_collector_success"], map[string]string{"collector": "test"})
	if ok.GetGauge().GetValue() != 1 {
		t.Errorf("collector success: %v", ok)
	}
	if sampleOf(fams["lingshu_scrape_collector_duration_seconds"], map[string]string{"collector": "test"}) == nil {
		t.Error("no collector duration")
	}
}

// A failing collector contributes nothing but its success=0; a collector
// that writes a bad family fails the same way; the others still export.
func TestRegistry_FailingCollectors(t *testing.T) {
	reg := NewRegistry(quiet())
	reg.Register("good", func(e *Exposition) error { e.Gauge("good_value", "Good.", Sample{Value: 1}); return nil })
	reg.Register("broken", func(e *Exposition) error {
		e.Gauge("broken_partial", "Written before the error.", Sample{Value: 1})
		return errors.New("store closed")
	})
	reg.Register("dup", func(e *Exposition) error { e.Gauge("good_value", "Again.", Sample{Value: 2}); return nil })
	reg.Register("badname", func(e *Exposition) error { e.Gauge("bad-name", "x"); return nil })
	reg.Register("badlabel", func(e *Exposition) error {
		e.Gauge("bad_label", "x", Sample{Labels: []Label{{"__reserved", "x"}}})
		return nil
	})
	var buf bytes.Buffer
	if _, err := reg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	fams := parseExposition(t, buf.String())
	for _, name := range []string{"broken_partial", "bad_label"} {
		if fams[name] != nil {
			t.Errorf("%s exported by a failed collector", name)
		}
	}
	if v := fams["good_value"].GetMetric()[0].GetGauge().GetValue(); v != 1 || len(fams["good_value"].GetMetric()) != 1 {
		t.Errorf("good_value = %v", fams["good_value"])
	}
	for name, want := range map[string]float64{"good": 1, "broken": 0, "dup": 0, "badname": 0, "badlabel": 0} {
		m := sampleOf(fams["lingshu_scrape_collector_success"], map[string]string{"collector": name})
		if m.GetGauge().GetValue() != want {
			t.Errorf("collector %s success = %v, want %v", name, m.GetGauge().GetValue(), want)
		}
	}
}

// FuzzExposition: any help text and label value gives an exposition that
// Prometheus' parser accepts and that round-trips (invalid UTF-8 becomes U+FFFD).
func FuzzExposition(f *testing.F) {
	f.Add("Help.", "v", 1.0)
	f.Add("multi\nline \\ help", "quote\" back\\slash\nnewline", -0.5)
	f.Add("", "\xff\xfe", math.Inf(1))
	f.Add("# TYPE x counter", "} 1\nfake_metric 2", 1e300)
	f.Fuzz(func(t *testing.T, help, val string, v float64) {
		if math.IsNaN(v) {
			v = 0 // NaN never equals itself; its formatting is covered above
		}
		reg := NewRegistry(quiet())
		reg.Register("f", func(e *Exposition) error {
			e.Gauge("fuzz_value", help, Sample{Labels: []Label{{"l", val}}, Value: v})
			return nil
		})
		var buf bytes.Buffer
		if _, err := reg.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		fams := parseExposition(t, buf.String())
		g := fams["fuzz_value"]
		if g == nil || len(g.GetMetric()) != 1 {
			t.Fatalf("family lost:\n%s", buf.String())
		}
		m := g.GetMetric()[0]
		if got := m.GetLabel()[0].GetValue(); got != strings.ToValidUTF8(val, "\uFFFD") {
			t.Fatalf("label %q came back as %q", val, got)
		}
		// The parser drops blanks around the HELP text.
		if m.GetGauge().GetValue() != v || strings.TrimSpace(g.GetHelp()) != strings.TrimSpace(strings.ToValidUTF8(help, "\uFFFD")) {
			t.Fatalf("value %v / help %q came back as %v / %q", v, help, m.GetGauge().GetValue(), g.GetHelp())
		}
	})
}
