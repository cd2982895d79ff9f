package api

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// GET /metrics is public, like /api/v1/health: Prometheus scrapers
// usually cannot log in, and the exposition carries no patient data —
// counts, durations, versions, and HTTP labels that are route templates
// ("/api/v1/studies/:study_uid"), never request paths that would hold UIDs.
// TestMetrics_NoPHI and the daemon's scrape test check that.
const metricsPath = "/metrics"

// unmatchedRoute labels requests for paths that are not in the route table,
// so unknown paths cannot grow the label set.
const unmatchedRoute = "unmatched"

type httpKey struct {
	method, route string
	code          int
}

type httpDurKey struct{ method, route string }

// httpMetrics counts requests by route template and status code.
type httpMetrics struct {
	requests *CounterVec[httpKey]
	duration *HistogramVec[httpDurKey]
	routes   []routeTemplate
}

type routeTemplate struct {
	method, path string
	segs         []string
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: NewCounterVec("lingshu_http_requests_total", "HTTP requests answered, by method, route template and status code.",
			func(k httpKey) []Label {
				return []Label{{"code", strconv.Itoa(k.code)}, {"method", k.method}, {"route", k.route}}
			}),
		duration: NewHistogramVec("lingshu_http_request_duration_seconds",
			"Time to handle HTTP requests (until the handler returns; streamed bodies may take longer), by method and route template.",
			HTTPDurationBuckets(), func(k httpDurKey) []Label { return []Label{{"method", k.method}, {"route", k.route}} }),
	}
}

// collect is the "http" collector.
func (m *httpMetrics) collect(e *Exposition) error {
	m.requests.Collect(e)
	m.duration.Collect(e)
	return nil
}

// indexRoutes records the route table; call after every route is added.
func (m *httpMetrics) indexRoutes(app *fiber.App) {
	m.routes = m.routes[:0]
	for _, r := range app.GetRoutes(true) {
		m.routes = append(m.routes, routeTemplate{method: r.Method, path: r.Path, segs: splitPath(r.Path)})
	}
}

// route finds the template a request path matches, the way fiber does
// for our routes (":name" is one non-empty segment, a trailing "*" any
// rest, case-insensitive).
func (m *httpMetrics) route(method, path string) (string, string) {
	segs := splitPath(path)
	for _, rt := range m.routes {
		if rt.method == method && matchSegs(rt.segs, segs) {
			return rt.method, rt.path
		}
	}
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions:
		return method, unmatchedRoute
	}
	return "other", unmatchedRoute
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchSegs(tmpl, segs []string) bool {
	if n := len(tmpl); n > 0 && tmpl[n-1] == "*" { // a trailing wildcard matches any rest
		return len(segs) >= n-1 && matchSegs(tmpl[:n-1], segs[:n-1])
	}
	if len(tmpl) != len(segs) {
		return false
	}
	for i, t := range tmpl {
		if strings.HasPrefix(t, ":") {
			if segs[i] == "" {
				return false
			}
		} else if !strings.EqualFold(t, segs[i]) {
			return false
		}
	}
	return true
}

// observe is the first middleware: it runs the chain, lets the error
// handler turn an error into its response (as fiber's logger middleware
// does) so the final status is known, and records the request.
func (s *Server) observe(c *fiber.Ctx) error {
	start := s.cfg.Now()
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	method, route := s.httpm.route(c.Method(), c.Path())
	s.httpm.requests.Add(httpKey{method, route, c.Response().StatusCode()}, 1)
	s.httpm.duration.Observe(httpDurKey{method, route}, s.cfg.Now().Sub(start).Seconds())
	return nil
}

// metrics: GET /metrics, public, Prometheus text format 0.0.4.
func (s *Server) metrics(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if _, err := s.reg.WriteTo(&buf); err != nil {
		return fmt.Errorf("api: write metrics: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.Send(buf.Bytes())
}
