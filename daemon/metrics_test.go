package daemon_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lingshu-edge/lingshu/daemon"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// scrape GETs /metrics without a token and parses it with Prometheus' parser.
func scrape(t *testing.T, d *daemon.Daemon) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get("http://" + d.HTTPAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v %s", resp.StatusCode, err, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("prometheus parser: %v\n%s", err, body)
	}
	return string(body), fams
}

// value reads a counter, gauge or histogram count of family name whose
// labels include the given name/value pairs; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && have[labels[i]] == labels[i+1]
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// TestMetrics_ScrapeAfterStores stores instances with our SCU and checks
// that the exposition parses, that its counters moved by what was sent,
// that every family has the expected type, and that it holds no PHI.
func TestMetrics_ScrapeAfterStores(t *testing.T) {
	study, err := phantom.NewStudy(phantom.Options{Modality: "CT", Slices: 5, Seed: 21}, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, nil)
	_, before := scrape(t, d)

	a := dialCT(t, d)
	ctx := context.Background()
	var sent float64
	for _, in := range study.Instances {
		st, err := a.Store(ctx, in.SOPClassUID, in.SOPInstanceUID, in.TransferSyntaxUID, in.Dataset)
		if err != nil || st.Code != dicomnet.StatusSuccess {
			t.Fatalf("store: %v %v", st, err)
		}
		sent += float64(len(in.Dataset))
	}
	garbage := []byte("not a dataset at all")
	if st, err := a.Store(ctx, ctImageStorage, "1.2.3.4", "1.2.840.10008.1.2.1", garbage); err != nil || st.Code == dicomnet.StatusSuccess {
		t.Fatalf("garbage store: %v %v", st, err)
	}
	sent += float64(len(garbage))
	if err := a.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	text, after := scrape(t, d) // the association is still open

	n := float64(len(study.Instances))
	for _, c := range []struct {
		name   string
		labels []string
		delta  float64
	}{
		{"lingshu_dicom_associations_accepted_total", nil, 1},
		{"lingshu_dicom_associations_rejected_total", nil, 0},
		{"lingshu_dicom_c_echo_total", nil, 1},
		{"lingshu_dicom_c_store_total", []string{"status_class", "success"}, n},
		{"lingshu_dicom_c_store_total", []string{"status_class", "failure"}, 1},
		{"lingshu_dicom_received_bytes_total", nil, sent},
		{"lingshu_ingest_refused_total", []string{"reason", "unparseable"}, 1},
		{"lingshu_ingest_refused_total", []string{"reason", "low_disk"}, 0},
		{"lingshu_store_instances", nil, n},
		{"lingshu_store_series", nil, 1},
		{"lingshu_store_studies", nil, 1},
		{"lingshu_http_requests_total", []string{"route", "/metrics", "code", "200"}, 1},
	} {
		b, a := value(before, c.name, c.labels...), value(after, c.name, c.labels...)
		if b < 0 && c.name == "lingshu_http_requests_total" {
			b = 0 // a labelled series appears with its first request
		}
		if b < 0 || a < 0 || a-b != c.delta {
			t.Errorf("%s%v: %v → %v, want +%v", c.name, c.labels, b, a, c.delta)
		}
	}
	if v := value(after, "lingshu_ingest_store_duration_seconds", "result", "stored"); v != n {
		t.Errorf("store duration observations: %v, want %v", v, n)
	}
	if v := value(after, "lingshu_dicom_associations_active"); v != 1 {
		t.Errorf("active associations %v, want 1", v)
	}
	if v := value(after, "lingshu_process_start_time_seconds"); v < float64(time.Now().Add(-time.Hour).Unix()) || v > float64(time.Now().Unix()+1) {
		t.Errorf("start time %v", v)
	}
	for _, name := range []string{"lingshu_go_goroutines", "lingshu_go_heap_objects_bytes", "lingshu_build_info"} {
		if v := value(after, name); v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}

	checkTypes(t, after)
	for _, c := range []string{"dicom", "store", "ingest", "process", "http"} {
		if v := value(after, "lingshu_scrape_collector_success", "collector", c); v != 1 {
			t.Errorf("collector %s success = %v", c, v)
		}
	}
	tr := study.Truth
	phi := []string{tr.PatientID, tr.PatientName, tr.AccessionNumber, tr.PatientBirthDate, study.StudyInstanceUID, study.SeriesInstanceUID}
	for _, in := range study.Instances {
		phi = append(phi, in.SOPInstanceUID)
	}
	for _, s := range phi {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("metrics contain patient data %q", s)
		}
	}
}

// checkTypes pins the type of every family and the naming rules.
func checkTypes(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	want := map[string]dto.MetricType{
		"lingshu_dicom_associations_accepted_total": dto.MetricType_COUNTER,
		"lingshu_dicom_associations_rejected_total": dto.MetricType_COUNTER,
		"lingshu_dicom_associations_aborted_total":  dto.MetricType_COUNTER,
		"lingshu_dicom_associations_active":         dto.MetricType_GAUGE,
		"lingshu_dicom_c_echo_total":                dto.MetricType_COUNTER,
		"lingshu_dicom_c_store_total":               dto.MetricType_COUNTER,
		"lingshu_dicom_received_bytes_total":        dto.MetricType_COUNTER,
		"lingshu_ingest_store_duration_seconds":     dto.MetricType_HISTOGRAM,
		"lingshu_ingest_refused_total":              dto.MetricType_COUNTER,
		"lingshu_store_instances":                   dto.MetricType_GAUGE,
		"lingshu_store_series":                      dto.MetricType_GAUGE,
		"lingshu_store_studies":                     dto.MetricType_GAUGE,
		"lingshu_http_requests_total":               dto.MetricType_COUNTER,
		"lingshu_http_request_duration_seconds":     dto.MetricType_HISTOGRAM,
		"lingshu_process_start_time_seconds":        dto.MetricType_GAUGE,
		"lingshu_build_info":                        dto.MetricType_GAUGE,
		"lingshu_go_goroutines":                     dto.MetricType_GAUGE,
		"lingshu_go_heap_objects_bytes":             dto.MetricType_GAUGE,
		"lingshu_scrape_collector_duration_seconds": dto.MetricType_GAUGE,
		"lingshu_scrape_collector_success":          dto.MetricType_GAUGE,
	}
	for name, typ := range want {
		f := fams[name]
		if f == nil {
			t.Errorf("family %s missing", name)
			continue
		}
		if f.GetType() != typ {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), typ)
		}
	}
	for name, f := range fams {
		if _, ok := want[name]; !ok {
			t.Errorf("family %s not pinned by this test", name)
		}
		if !strings.HasPrefix(name, "lingshu_") || f.GetHelp() == "" {
			t.Errorf("family %s: needs the lingshu_ prefix and HELP", name)
		}
		if f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			t.Errorf("counter %s does not end in _total", name)
		}
	}
}
