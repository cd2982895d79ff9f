package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The web UI is served without a session from Config.UI (an embedded
// fs.FS: package daemon/ui) and nothing else: the handlers read only that
// file system, so no static route can reach the data directory or any
// patient data. The pages fetch patient data through the authenticated
// API. Files are revalidated on every load (no-cache + ETag), so an
// upgrade never leaves a browser on stale scripts.
const (
	uiPrefix = "/ui/"
	uiRoute  = "/ui/*"
)

// uiCSP: scripts, styles and connections from this origin only; images
// also from data: and blob: (rendered frames); no framing, no plugins.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// staticFiles is the UI file system (nil when there is no UI).
type staticFiles struct{ fsys fs.FS }

func newStaticFiles(fsys fs.FS) *staticFiles { return &staticFiles{fsys: fsys} }

// contentTypes are the types of the UI's files; fixed here rather than
// taken from the host's mime tables, which differ between systems.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	".map":   "application/json",
}

// serveIndex: GET / redirects to /ui/ (the page's relative links resolve
// under /ui/).
func (s *Server) serveIndex(c *fiber.Ctx) error {
	if s.static.fsys == nil {
		return errf(http.StatusNotFound, CodeNotFound, "no web UI in this build")
	}
	return c.Redirect(uiPrefix, http.StatusFound)
}

// serveUI: GET /ui/{path} → a file of the UI; a directory serves its
// index.html; /ui redirects to /ui/.
func (s *Server) serveUI(c *fiber.Ctx) error {
	if s.static.fsys == nil {
		return errf(http.StatusNotFound, CodeNotFound, "no web UI in this build")
	}
	if !strings.HasPrefix(c.Path(), uiPrefix) { // "/ui": relative links need the slash
		return c.Redirect(uiPrefix, http.StatusFound)
	}
	name, ok := uiName(strings.TrimPrefix(c.Path(), uiPrefix))
	if !ok {
		return errf(http.StatusNotFound, CodeNotFound, "not found")
	}
	data, name, err := s.static.read(name)
	if err != nil {
		return errf(http.StatusNotFound, CodeNotFound, "not found")
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, etag)
	c.Set("Referrer-Policy", "no-referrer")
	ct, known := contentTypes[path.Ext(name)]
	if !known {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	if strings.HasPrefix(ct, "text/html") {
		c.Set(fiber.HeaderContentSecurityPolicy, uiCSP)
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	return c.Send(data)
}

// uiName turns the request path under /ui/ into a file name of the UI:
// cleaned, relative, with no hidden segment ("" is the root).
func uiName(p string) (string, bool) {
	if strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ".", true
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return p, fs.ValidPath(p)
}

// read returns a regular file's bytes, or the index.html of a directory.
func (f *staticFiles) read(name string) ([]byte, string, error) {
	st, err := fs.Stat(f.fsys, name)
	if err != nil {
		return nil, "", err
	}
	if st.IsDir() {
		name = path.Join(name, "index.html")
		if st, err = fs.Stat(f.fsys, name); err != nil {
			return nil, "", err
		}
	}
	if !st.Mode().IsRegular() {
		return nil, "", errors.New("api: ui: not a regular file")
	}
	data, err := fs.ReadFile(f.fsys, name)
	return data, name, err
}
