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
// request counting).
package api

import (
	"log/slog"
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
}

// Public routes: the only ones served without a session. None shows
// patient data (see metricsPath for why /metrics is here).
var publicRoutes = map[string]bool{
	fiber.MethodGet + " /api/v1/health":      true,
	fiber.MethodHead + " /api/v1/health":     true,
	fiber.MethodPost + " /api/v1/auth/login": true,
	fiber.MethodGet + " " + metricsPath:      true,
	fiber.MethodHead + " " + metricsPath:     true,
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

	a.Get("/api/v1/studies", s.audited("studies.search", s.listStudies))
	a.Get("/api/v1/studies/:study_uid", s.audited("study.read", s.getStudy))
	a.Get("/api/v1/studies/:study_uid/series", s.audited("series.list", s.listSeries))
	a.Get("/api/v1/series/:series_uid/instances", s.audited("instances.list", s.listInstances))
	a.Get("/api/v1/instances/:sop_uid", s.audited("instance.read", s.getInstanceJSON))
	a.Get("/api/v1/instances/:sop_uid/file", s.audited("instance.file", s.getInstanceFile))
	a.Get("/api/v1/instances/:sop_uid/rendered", s.audited("instance.rendered", s.getRendered))

	a.Get("/api/v1/audit", s.requireRole(store.RoleAdmin), s.listAudit)
	a.Get("/api/v1/users", s.requireRole(store.RoleAdmin), s.listUsers)
	a.Post("/api/v1/users", s.requireRole(store.RoleAdmin), s.createUser)
}

// secureHeaders keeps responses (patient data) out of caches and stops
// content sniffing.
func (s *Server) secureHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	return c.Next()
}
