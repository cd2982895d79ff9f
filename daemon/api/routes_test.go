package api

import (
	"net/http"
	"regexp"
	"testing"
)

// TestRoutes_EveryRouteRequiresAuth walks the route table: every route
// except the public allow-list answers 401 without a token and with a bad
// one, so a new route cannot forget authentication.
func TestRoutes_EveryRouteRequiresAuth(t *testing.T) {
	f := newFixture(t, Config{})
	param := regexp.MustCompile(`:[a-z_]+`)
	routes := f.srv.App().GetRoutes(true)
	if len(routes) < 12 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	checked := 0
	for _, r := range routes {
		if publicRoutes[r.Method+" "+r.Path] {
			continue
		}
		path := param.ReplaceAllString(r.Path, "1.2.3")
		for _, token := range []string{"", "bogus-token", f.staff + "x", "cookie:bogus", "cookie:" + f.staff + "x"} {
			resp, body := f.do(t, r.Method, path, token, nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: status %d, want 401", r.Method, r.Path, token, resp.StatusCode)
				continue
			}
			if r.Method == http.MethodHead {
				continue // no body
			}
			if code, _ := apiErr(t, body); code != CodeUnauthorized {
				t.Errorf("%s %s: code %q", r.Method, r.Path, code)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: no WWW-Authenticate", r.Method, r.Path)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d routes", checked)
	}
	// The routes of session 3 are in the table (and so were checked above).
	have := map[string]bool{}
	for _, r := range routes {
		have[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{
		"POST /api/v1/auth/logout", "GET /api/v1/auth/me", "GET /api/v1/studies/:study_uid",
		"POST /api/v1/instances/:sop_uid/ask", "GET /api/v1/studies/:study_uid/asks",
		"GET /api/v1/studies/:study_uid/reports", "POST /api/v1/studies/:study_uid/reports",
		"GET /api/v1/studies/:study_uid/reports/:version", "POST /api/v1/studies/:study_uid/reports/:version/sign",
		"GET /api/v1/studies/:study_uid/reports/:version/export", "GET /api/v1/jobs", "GET /api/v1/events",
		"GET /api/v1/system",
	} {
		if !have[want] {
			t.Errorf("route %s is not registered", want)
		}
		if publicRoutes[want] {
			t.Errorf("route %s is public", want)
		}
	}
}

// TestRoutes_PublicAllowListIsExact: the allow-list names real routes and
// nothing else, so it cannot silently open a path.
func TestRoutes_PublicAllowListIsExact(t *testing.T) {
	f := newFixture(t, Config{})
	have := map[string]bool{}
	for _, r := range f.srv.App().GetRoutes(true) {
		have[r.Method+" "+r.Path] = true
	}
	for k := range publicRoutes {
		if !have[k] {
			t.Errorf("public route %q is not registered", k)
		}
	}
	// health (GET, HEAD), login, metrics (GET, HEAD), the UI at / and
	// /ui/* (GET, HEAD): each shows no patient data
	// (TestHealth_PublicWithoutPHI, TestMetrics_PublicNoPHI,
	// TestStatic_ServesOnlyUIFiles).
	if len(publicRoutes) != 9 {
		t.Errorf("public routes = %v; adding one needs a review", publicRoutes)
	}
	// An unknown path is 401 before 404: no route enumeration without a token.
	resp, _ := f.do(t, "GET", "/api/v1/nope", "", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown route without token: %d", resp.StatusCode)
	}
	resp, body := f.do(t, "GET", "/api/v1/nope", f.staff, nil)
	if code, _ := apiErr(t, body); resp.StatusCode != 404 || code != CodeNotFound {
		t.Errorf("unknown route with token: %d %s", resp.StatusCode, body)
	}
}
