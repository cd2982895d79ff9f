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

// SessionCookie is the cookie login sets for browsers (HttpOnly,
// SameSite=Strict, Path=/). Its value is the session token.
const SessionCookie = "lingshu_session"

// CSRFHeader must be present (value "1") on every request that is
// authenticated by the cookie and is not a GET or HEAD. A cross-site form
// cannot set a custom header, and a cross-site script cannot send one
// without a CORS preflight this server never grants.
const CSRFHeader = "X-Lingshu-CSRF"

// authenticate requires a live session on every request except the public
// routes: Authorization: Bearer <token>, or the session cookie (then a
// state-changing request must carry CSRFHeader). It is installed with
// app.Use, so a route added later cannot forget it (the route-table test
// checks).
func (s *Server) authenticate(c *fiber.Ctx) error {
	if isPublic(c.Method(), c.Path()) {
		return c.Next()
	}
	token, ok := bearer(c.Get(fiber.HeaderAuthorization))
	fromCookie := false
	if !ok && c.Get(fiber.HeaderAuthorization) == "" {
		token = c.Cookies(SessionCookie)
		ok = token != "" && len(token) <= 256
		fromCookie = ok
	}
	if !ok {
		return s.unauthorized(c, "missing bearer token or session cookie")
	}
	sess, err := s.st.LookupSession(token)
	if errors.Is(err, store.ErrNotFound) {
		if fromCookie {
			clearSessionCookie(c)
		}
		return s.unauthorized(c, "invalid or expired session")
	}
	if err != nil {
		return err
	}
	if fromCookie && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && c.Get(CSRFHeader) != "1" {
		return errf(http.StatusForbidden, CodeCSRF, "cookie-authenticated requests that change state need header "+CSRFHeader+": 1")
	}
	sess.Token = token
	c.Locals(localSession, sess)
	return c.Next()
}

// setSessionCookie gives the browser the session token: HttpOnly (no
// script reads it), SameSite=Strict (no cross-site request carries it),
// Secure when the request came over TLS.
func setSessionCookie(c *fiber.Ctx, sess store.Session) {
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.Expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Protocol() == "https",
	})
}

func clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Protocol() == "https",
	})
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
	setSessionCookie(c, sess)
	return c.JSON(loginResponse{Token: sess.Token, User: sess.User, Role: sess.Role, Expires: sess.Expires})
}

func (s *Server) auditLogin(c *fiber.Ctx, user, action string) {
	if err := s.st.Audit(store.AuditRecord{User: user, Action: action, RemoteAddr: c.IP()}); err != nil {
		s.log.Error("audit login", "err", err)
	}
}

// logout: POST /api/v1/auth/logout ends the caller's session (bearer or
// cookie) and clears the cookie.
func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.st.Logout(session(c).Token); err != nil {
		return err
	}
	clearSessionCookie(c)
	return c.SendStatus(http.StatusNoContent)
}

type meResponse struct {
	User    string    `json:"user"`
	Role    string    `json:"role"`
	Expires time.Time `json:"expires"`
}

// me: GET /api/v1/auth/me → {"user","role","expires"} of the session.
func (s *Server) me(c *fiber.Ctx) error {
	sess := session(c)
	return c.JSON(meResponse{User: sess.User, Role: sess.Role, Expires: sess.Expires})
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
