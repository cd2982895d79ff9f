package api

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

const localSession = "lingshu_session"

// authenticate requires a live session (Authorization: Bearer <token>) on
// every request except the public routes. It is installed with app.Use, so
// a route added later cannot forget it (the route-table test checks).
func (s *Server) authenticate(c *fiber.Ctx) error {
	if publicRoutes[c.Method()+" "+c.Path()] {
		return c.Next()
	}
	token, ok := bearer(c.Get(fiber.HeaderAuthorization))
	if !ok {
		return s.unauthorized(c, "missing bearer token")
	}
	sess, err := s.st.LookupSession(token)
	if errors.Is(err, store.ErrNotFound) {
		return s.unauthorized(c, "invalid or expired token")
	}
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)
	return c.Next()
}

func (s *Server) unauthorized(c *fiber.Ctx, msg string) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="lingshu"`)
	return errf(http.StatusUnauthorized, CodeUnauthorized, msg)
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != "" && len(token) <= 256
}

// session returns the authenticated session of a request.
func session(c *fiber.Ctx) store.Session {
	sess, _ := c.Locals(localSession).(store.Session)
	return sess
}

// requireRole lets only the given roles through (after authenticate).
func (s *Server) requireRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess := session(c)
		for _, r := range roles {
			if sess.Role == r {
				return c.Next()
			}
		}
		return errf(http.StatusForbidden, CodeForbidden, "role "+sess.Role+" may not do this")
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token   string    `json:"token"`
	User    string    `json:"user"`
	Role    string    `json:"role"`
	Expires time.Time `json:"expires"`
}

// login: POST /api/v1/auth/login {"username","password"} → {"token",...}.
// Failures are counted per client address and per user name; past the
// limit the answer is 429 without checking the password.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := c.BodyParser(&req); err != nil || req.Username == "" || req.Password == "" {
		return badRequest("body must be JSON {\"username\":...,\"password\":...}")
	}
	now := s.cfg.Now()
	keys := []string{"ip:" + c.IP(), "user:" + strings.ToLower(req.Username)}
	if wait := s.limiter.blocked(now, keys...); wait > 0 {
		c.Set(fiber.HeaderRetryAfter, itoa(int(wait.Seconds())+1))
		return errf(http.StatusTooManyRequests, CodeTooManyRequests, "too many failed logins; try again later")
	}
	sess, err := s.st.Authenticate(req.Username, req.Password)
	if errors.Is(err, store.ErrBadCredentials) {
		s.limiter.fail(now, keys...)
		s.auditLogin(c, req.Username, "login.failed")
		return err
	}
	if err != nil {
		return err
	}
	s.limiter.reset(keys[1])
	s.auditLogin(c, sess.User, "login")
	return c.JSON(loginResponse{Token: sess.Token, User: sess.User, Role: sess.Role, Expires: sess.Expires})
}

func (s *Server) auditLogin(c *fiber.Ctx, user, action string) {
	if err := s.st.Audit(store.AuditRecord{User: user, Action: action, RemoteAddr: c.IP()}); err != nil {
		s.log.Error("audit login", "err", err)
	}
}

// logout: POST /api/v1/auth/logout ends the caller's session.
func (s *Server) logout(c *fiber.Ctx) error {
	token, _ := bearer(c.Get(fiber.HeaderAuthorization))
	if err := s.st.Logout(token); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// loginLimiter counts failures per key in a fixed window. Memory is
// bounded: expired entries are dropped when the map grows.
type loginLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string]*failures
}

type failures struct {
	n     int
	start time.Time
}

const limiterMaxKeys = 10000

func newLoginLimiter(max int, window time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: window, m: map[string]*failures{}}
}

// blocked returns how long until the most limited key may try again (0:
// not blocked).
func (l *loginLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		f := l.m[k]
		if f == nil || now.Sub(f.start) >= l.window {
			continue
		}
		if f.n >= l.max {
			wait = max(wait, f.start.Add(l.window).Sub(now))
		}
	}
	return wait
}

func (l *loginLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= limiterMaxKeys {
		for k, f := range l.m {
			if now.Sub(f.start) >= l.window {
				delete(l.m, k)
			}
		}
	}
	for _, k := range keys {
		f := l.m[k]
		if f == nil || now.Sub(f.start) >= l.window {
			if len(l.m) >= limiterMaxKeys {
				continue // full of live entries: count nothing new
			}
			f = &failures{start: now}
			l.m[k] = f
		}
		f.n++
	}
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}
