// Package api is Lingshu Edge's REST API (fiber v2): login and sessions,
// the study → series → instance browser over the store's index, instance
// files, DICOM JSON and rendered frames, the audit log and user
// administration. Conventions are those of DESIGN.md: /api/v1, JSON,
// errors as {"error":{"code","message"}} from one error handler, lists as
// {"items":[...],"next":"<cursor>"}, Bearer tokens on every route except
// the public ones, and an audit record for every read of patient data.
//
// Files: api.go (Server, routes), errors.go (error handler), auth.go
// (authentication, roles, login limiter), audit.go (audit middleware),
// browse.go (studies, series, instances), instance.go (DICOM JSON, file,
// rendered), admin.go (users, audit log), health.go, metrics.go and
// histogram.go (the Prometheus registry), httpmetrics.go (GET /metrics,
// request counting), sse.go (Server-Sent Events writer), ask.go
// (questions about an image, streamed), reports.go and pdf.go (draft and
// signed reports, export), jobs.go, events.go (study events stream),
// system.go (host and model state), static.go (the web UI).
package api

import (
	"context"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// Config configures the API. The zero value is usable.
type Config struct {
	// Version is reported by /api/v1/health.
	Version string
	// LoginMaxFailures failed logins per client address (and per user
	// name) within LoginWindow before logins answer 429. 0 means 10.
	LoginMaxFailures int
	// LoginWindow is the failure counting window; 0 means 5 minutes.
	LoginWindow time.Duration
	// MaxRenderSize caps the size parameter of /rendered; 0 means 4096.
	MaxRenderSize int
	// MaxConcurrentRenders bounds simultaneous frame renders; 0 means 2.
	MaxConcurrentRenders int
	// BodyLimit is the largest request body in bytes; 0 means 1 MiB.
	BodyLimit int
	// Now is the clock (uptime, limiter, request durations); nil means time.Now.
	Now func() time.Time
	// Metrics is the registry served at GET /metrics; the API adds its
	// "http" collector to it. nil means a registry of the API's own.
	Metrics *Registry

	// Infer answers questions about images (POST .../ask) and reports
	// the model state (GET /system). nil: ask answers 503 no_model.
	Infer Inferer
	// Drafts queues draft reports on demand (POST .../reports with {}).
	// nil: that request answers 503 no_model.
	Drafts DraftRequester
	// UI is the web UI (index.html at its root), served without a
	// session at / and /ui/. nil: those routes answer 404.
	UI fs.FS
	// SSEHeartbeat is the interval of comment lines on event streams;
	// they keep proxies from closing an idle stream and find clients
	// that are gone. 0 means 15 s.
	SSEHeartbeat time.Duration
	// EventStreamMax ends a GET /events stream after this long; the
	// client resumes with Last-Event-ID. 0 means 30 minutes.
	EventStreamMax time.Duration
	// StreamWriteTimeout bounds each write of an event stream (the
	// server's WriteTimeout would otherwise end long streams). 0 means 1 minute.
	StreamWriteTimeout time.Duration
	// AskAdmitWait is how long POST .../ask waits for the engine to
	// accept or refuse a question before the stream starts, so that a
	// full queue is a plain 503. 0 means 200 ms.
	AskAdmitWait time.Duration
	// AskRetryAfter is the Retry-After of a 503 for a full queue; 0 means 5 s.
	AskRetryAfter time.Duration
	// MaxAskTokens caps max_tokens of a question; 0 means 1024.
	MaxAskTokens int
	// MaxQuestionLen caps the length of a question in bytes; 0 means 4000.
	MaxQuestionLen int
}

// Server holds the fiber app and its dependencies.
type Server struct {
	cfg     Config
	st      *store.Store
	log     *slog.Logger
	app     *fiber.App
	started time.Time
	limiter *loginLimiter
	renders chan struct{}
	reg     *Registry
	httpm   *httpMetrics
	static  *staticFiles
	cpu     cpuSampler
	quit    chan struct{} // closed by Shutdown: event streams end
	quitMu  sync.Once
}

// Public routes: the only ones served without a session. None shows
// patient data (see metricsPath for why /metrics is here).
var publicRoutes = map[string]bool{
	fiber.MethodGet + " /api/v1/health":      true,
	fiber.MethodHead + " /api/v1/health":     true,
	fiber.MethodPost + " /api/v1/auth/login": true,
	fiber.MethodGet + " " + metricsPath:      true,
	fiber.MethodHead + " " + metricsPath:     true,
	// The web UI: static files from Config.UI only (static.go); the
	// pages fetch patient data through the authenticated API.
	fiber.MethodGet + " /":           true,
	fiber.MethodHead + " /":          true,
	fiber.MethodGet + " " + uiRoute:  true,
	fiber.MethodHead + " " + uiRoute: true,
}

// isPublic reports whether a request needs no session: an exact public
// route, or a GET/HEAD of /ui or under /ui/ (served only from Config.UI).
func isPublic(method, path string) bool {
	if publicRoutes[method+" "+path] {
		return true
	}
	return (method == fiber.MethodGet || method == fiber.MethodHead) &&
		(strings.HasPrefix(path, uiPrefix) || path == strings.TrimSuffix(uiPrefix, "/"))
}

// New builds the API over st. log nil means slog.Default().
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	if cfg.LoginMaxFailures <= 0 {
		cfg.LoginMaxFailures = 10
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 5 * time.Minute
	}
	if cfg.MaxRenderSize <= 0 {
		cfg.MaxRenderSize = 4096
	}
	if cfg.MaxConcurrentRenders <= 0 {
		cfg.MaxConcurrentRenders = 2
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg = streamDefaults(cfg)
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		cfg:     cfg,
		st:      st,
		log:     log.With("component", "api"),
		started: cfg.Now(),
		limiter: newLoginLimiter(cfg.LoginMaxFailures, cfg.LoginWindow),
		renders: make(chan struct{}, cfg.MaxConcurrentRenders),
		reg:     cfg.Metrics,
		httpm:   newHTTPMetrics(),
		static:  newStaticFiles(cfg.UI),
		quit:    make(chan struct{}),
	}
	if s.reg == nil {
		s.reg = NewRegistry(s.log)
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "lingshu",
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		BodyLimit:             cfg.BodyLimit,
		Immutable:             true, // values outlive handlers in audit records
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          5 * time.Minute,
		IdleTimeout:           2 * time.Minute,
	})
	s.routes()
	s.httpm.indexRoutes(s.app)
	s.reg.Register("http", s.httpm.collect)
	return s
}

// App returns the fiber application (for Listen, Shutdown and tests).
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) routes() {
	a := s.app
	a.Use(s.observe, s.secureHeaders, s.authenticate)

	a.Get(metricsPath, s.metrics)
	a.Get("/api/v1/health", s.health)
	a.Post("/api/v1/auth/login", s.login)
	a.Post("/api/v1/auth/logout", s.logout)
	a.Get("/api/v1/auth/me", s.me)

	a.Get("/api/v1/studies", s.audited("studies.search", s.listStudies))
	a.Get("/api/v1/studies/:study_uid", s.audited("study.read", s.getStudy))
	a.Get("/api/v1/studies/:study_uid/series", s.audited("series.list", s.listSeries))
	a.Get("/api/v1/series/:series_uid/instances", s.audited("instances.list", s.listInstances))
	a.Get("/api/v1/instances/:sop_uid", s.audited("instance.read", s.getInstanceJSON))
	a.Get("/api/v1/instances/:sop_uid/file", s.audited("instance.file", s.getInstanceFile))
	a.Get("/api/v1/instances/:sop_uid/rendered", s.audited("instance.rendered", s.getRendered))
	a.Post("/api/v1/instances/:sop_uid/ask", s.audited("ask", s.ask))
	a.Get("/api/v1/studies/:study_uid/asks", s.audited("asks.list", s.listAsks))

	a.Get("/api/v1/studies/:study_uid/reports", s.audited("reports.list", s.listReports))
	a.Post("/api/v1/studies/:study_uid/reports", s.audited("report.create", s.createReport))
	a.Get("/api/v1/studies/:study_uid/reports/:version", s.audited("report.read", s.getReport))
	a.Post("/api/v1/studies/:study_uid/reports/:version/sign", s.audited("report.sign", s.signReport))
	a.Get("/api/v1/studies/:study_uid/reports/:version/export", s.audited("report.export", s.exportReport))
	a.Get("/api/v1/jobs", s.audited("jobs.list", s.listJobs))
	a.Post("/api/v1/jobs/:id/cancel", s.requireRole(store.RoleRadiologist, store.RoleAdmin), s.audited("job.cancel", s.cancelJob))
	a.Get("/api/v1/events", s.audited("events.subscribe", s.events))
	a.Get("/api/v1/system", s.requireRole(store.RoleAdmin), s.system)

	a.Get("/api/v1/audit", s.requireRole(store.RoleAdmin), s.listAudit)
	a.Get("/api/v1/users", s.requireRole(store.RoleAdmin), s.listUsers)
	a.Post("/api/v1/users", s.requireRole(store.RoleAdmin), s.createUser)
	a.Patch("/api/v1/users/:name", s.requireRole(store.RoleAdmin), s.updateUser)

	a.Get("/", s.serveIndex)
	a.Get(uiRoute, s.serveUI)
}

// Shutdown ends open event streams and shuts the HTTP server down,
// bounded by ctx. Use it instead of App().ShutdownWithContext: a
// stream left open would hold the shutdown until ctx expires.
func (s *Server) Shutdown(ctx context.Context) error {
	s.quitMu.Do(func() { close(s.quit) })
	return s.app.ShutdownWithContext(ctx)
}

// secureHeaders keeps responses (patient data) out of caches and stops
// content sniffing.
func (s *Server) secureHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	return c.Next()
}
