package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// phiOf lists what identifies the patients and studies of the phantoms:
// none of it may appear in the metrics.
func phiOf(studies ...*phantom.Study) []string {
	var out []string
	for _, s := range studies {
		tr := s.Truth
		out = append(out, tr.PatientID, tr.PatientName, tr.PatientBirthDate, tr.AccessionNumber,
			s.StudyInstanceUID, s.SeriesInstanceUID)
		if parts := strings.Split(tr.PatientName, "^"); len(parts) > 1 {
			out = append(out, parts[1]) // the given name ("PHANTOM^<given>^<n>")
		}
		for _, in := range s.Instances {
			out = append(out, in.SOPInstanceUID)
		}
	}
	return out
}

func (f *fixture) scrape(t *testing.T) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, body := f.do(t, "GET", metricsPath, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics without a token: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	return string(body), parseExposition(t, string(body))
}

func requests(fams map[string]*dto.MetricFamily, method, route, code string) float64 {
	m := sampleOf(fams["lingshu_http_requests_total"], map[string]string{"method": method, "route": route, "code": code})
	return m.GetCounter().GetValue()
}

// TestMetrics_PublicNoPHI: /metrics answers without a token, labels HTTP
// requests by route template (never by the path, which holds UIDs), and
// shows none of the patient data the requests touched.
func TestMetrics_PublicNoPHI(t *testing.T) {
	f := newFixture(t, Config{})
	in := f.ct.Instances[0]
	phiPaths := []string{
		"/api/v1/studies/" + f.ct.StudyInstanceUID,
		"/api/v1/studies/" + f.ct.StudyInstanceUID + "/series",
		"/api/v1/series/" + f.ct.SeriesInstanceUID + "/instances",
		"/api/v1/instances/" + in.SOPInstanceUID,
		"/api/v1/instances/" + in.SOPInstanceUID + "/file",
		"/api/v1/studies?patient_id=" + url.QueryEscape(f.ct.Truth.PatientID),
	}
	for _, p := range phiPaths {
		f.getJSON(t, p, f.staff, 200, nil)
	}
	f.do(t, "GET", "/api/v1/studies/"+f.ct.StudyInstanceUID, "", nil)          // 401
	f.do(t, "GET", "/api/v1/nope/"+f.ct.Truth.PatientID, f.staff, nil)         // unknown route: 404
	f.do(t, "GET", "/api/v1/studies/"+f.cr.StudyInstanceUID+"x", f.admin, nil) // 404 on a known route
	f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": f.ct.Truth.PatientName, "password": "x"})

	text, fams := f.scrape(t)
	for _, phi := range phiOf(f.ct, f.cr) {
		if phi != "" && strings.Contains(text, phi) {
			t.Errorf("metrics contain patient data %q", phi)
		}
	}
	for _, tc := range []struct {
		method, route, code string
		want                float64
	}{
		{"GET", "/api/v1/studies/:study_uid", "200", 1},
		{"GET", "/api/v1/studies/:study_uid", "401", 1},
		{"GET", "/api/v1/studies/:study_uid", "404", 1},
		{"GET", "/api/v1/instances/:sop_uid/file", "200", 1},
		{"GET", "/api/v1/studies", "200", 1},
		{"GET", unmatchedRoute, "404", 1},
		{"POST", "/api/v1/auth/login", "401", 1},
		{"POST", "/api/v1/auth/login", "200", 3}, // the fixture's logins
	} {
		if got := requests(fams, tc.method, tc.route, tc.code); got != tc.want {
			t.Errorf("requests{%s %s %s} = %v, want %v", tc.method, tc.route, tc.code, got, tc.want)
		}
	}
	dur := sampleOf(fams["lingshu_http_request_duration_seconds"], map[string]string{"method": "GET", "route": "/api/v1/studies/:study_uid"})
	if fams["lingshu_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM || dur.GetHistogram().GetSampleCount() != 3 {
		t.Errorf("duration histogram for the study route: %v", dur)
	}
	// Every route label is a registered template or "unmatched".
	known := map[string]bool{unmatchedRoute: true}
	for _, r := range f.srv.App().GetRoutes(true) {
		known[r.Path] = true
	}
	for _, m := range fams["lingshu_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && !known[l.GetValue()] {
				t.Errorf("route label %q is not a template", l.GetValue())
			}
		}
	}

	// The scrape itself is counted, after it is answered.
	_, again := f.scrape(t)
	if got := requests(again, "GET", metricsPath, "200"); got != 1 {
		t.Errorf("scrapes counted: %v, want 1", got)
	}
	if resp, _ := f.do(t, "HEAD", metricsPath, "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /metrics: %d", resp.StatusCode)
	}
}

// TestMetrics_SharedRegistry: collectors the daemon registers are served
// next to the API's own.
func TestMetrics_SharedRegistry(t *testing.T) {
	reg := NewRegistry(quiet())
	reg.Register("extra", func(e *Exposition) error {
		e.Gauge("lingshu_test_extra", "From outside the API.", Sample{Value: 42})
		return nil
	})
	f := newFixture(t, Config{Metrics: reg})
	_, fams := f.scrape(t)
	if v := fams["lingshu_test_extra"].GetMetric()[0].GetGauge().GetValue(); v != 42 {
		t.Errorf("extra gauge = %v", v)
	}
	for _, c := range []string{"extra", "http"} {
		if m := sampleOf(fams["lingshu_scrape_collector_success"], map[string]string{"collector": c}); m.GetGauge().GetValue() != 1 {
			t.Errorf("collector %s not successful: %v", c, m)
		}
	}
}

func TestRouteTemplate(t *testing.T) {
	m := newHTTPMetrics()
	m.indexRoutes(New(Config{}, nil, quiet()).App())
	for _, tc := range []struct{ method, path, wantMethod, wantRoute string }{
		{"GET", "/api/v1/studies/1.2.3/series", "GET", "/api/v1/studies/:study_uid/series"},
		{"GET", "/API/v1/Studies/1.2.3/", "GET", "/api/v1/studies/:study_uid"},
		{"HEAD", "/metrics", "HEAD", "/metrics"},
		{"DELETE", "/api/v1/studies/1.2.3", "DELETE", unmatchedRoute},
		{"GET", "/api/v1/studies//series", "GET", unmatchedRoute},
		{"BREW", "/", "other", unmatchedRoute},
		{"GET", "/", "GET", "/"},
		{"GET", "/ui/js/app.js", "GET", "/ui/*"},
		{"GET", "/ui/", "GET", "/ui/*"},
		{"GET", "/ui", "GET", "/ui/*"},
		{"POST", "/api/v1/studies/1.2.3/reports/2/sign", "POST", "/api/v1/studies/:study_uid/reports/:version/sign"},
		{"GET", "/api/v1/events", "GET", "/api/v1/events"},
	} {
		gm, gr := m.route(tc.method, tc.path)
		if gm != tc.wantMethod || gr != tc.wantRoute {
			t.Errorf("%s %s → %s %s, want %s %s", tc.method, tc.path, gm, gr, tc.wantMethod, tc.wantRoute)
		}
	}
}
