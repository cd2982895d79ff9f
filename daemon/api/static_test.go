package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/daemon/ui"
)

var testUI = fstest.MapFS{
	"index.html":     {Data: []byte("<!doctype html><title>t</title><script type=module src=js/app.js></script>")},
	"js/app.js":      {Data: []byte("export const x = 1;")},
	"css/app.css":    {Data: []byte("body{}")},
	".env":           {Data: []byte("SECRET=1")},
	"js/.map/a.js":   {Data: []byte("hidden")},
	"sub/index.html": {Data: []byte("<p>sub</p>")},
}

// TestStatic_ServesOnlyUIFiles: the UI is public and comes only from
// Config.UI; paths that try to leave it, hidden files and other methods
// get nothing, and no response holds patient data.
func TestStatic_ServesOnlyUIFiles(t *testing.T) {
	f := newFixture(t, Config{UI: testUI})
	base := f.listen(t)
	st, _ := f.st.Study(f.ct.StudyInstanceUID)
	for _, c := range []struct {
		method, path string
		status       int
		body, ctype  string
	}{
		{"GET", "/", 302, "", ""},
		{"GET", "/ui", 302, "", ""},
		{"GET", "/ui/", 200, "<!doctype html>", "text/html; charset=utf-8"},
		{"GET", "/ui/index.html", 200, "<!doctype html>", "text/html; charset=utf-8"},
		{"GET", "/ui/js/app.js", 200, "export const", "text/javascript; charset=utf-8"},
		{"HEAD", "/ui/js/app.js", 200, "", "text/javascript; charset=utf-8"},
		{"GET", "/ui/css/app.css", 200, "body{}", "text/css; charset=utf-8"},
		{"GET", "/ui/sub", 200, "<p>sub</p>", "text/html; charset=utf-8"},
		{"GET", "/ui/nope.js", 404, "", ""},
		{"GET", "/ui/js/", 404, "", ""},
		{"GET", "/ui/.env", 404, "", ""},
		{"GET", "/ui/js/.map/a.js", 404, "", ""},
		{"GET", "/ui/../api/v1/studies", 401, "", ""},
		{"GET", "/ui/%2e%2e/api/v1/studies", 401, "", ""},
		{"GET", "/ui/..%2fapi%2fv1%2fstudies", 401, "", ""},
		{"GET", "/ui/js%2f..%2f..%2fapi/v1/studies", 401, "", ""},
		{"GET", "/ui/..\\api\\v1\\studies", 404, "", ""},
		{"GET", "/UI/index.html", 401, "", ""},
		{"POST", "/ui/index.html", 401, "", ""},
		{"GET", "/index.html", 401, "", ""},
	} {
		resp, b := rawRequest(t, base, c.method, c.path)
		if resp.StatusCode != c.status && !(c.status == 401 && resp.StatusCode == 404) {
			t.Errorf("%s %s: %d, want %d: %.80s", c.method, c.path, resp.StatusCode, c.status, b)
			continue
		}
		if !strings.Contains(b, c.body) || c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: %q %q", c.method, c.path, resp.Header.Get("Content-Type"), b)
		}
		for _, phi := range []string{st.PatientName, st.PatientID, f.ct.StudyInstanceUID, "SECRET", "hidden"} {
			if strings.Contains(b, phi) {
				t.Errorf("%s %s shows %q", c.method, c.path, phi)
			}
		}
		if c.status == 200 {
			if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("ETag") == "" {
				t.Errorf("%s: cache headers %v", c.path, resp.Header)
			}
			if strings.HasPrefix(c.ctype, "text/html") && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("%s: no CSP", c.path)
			}
		}
		if (c.path == "/" || c.path == "/ui") && resp.Header.Get("Location") != "/ui/" {
			t.Errorf("/ redirects to %q", resp.Header.Get("Location"))
		}
	}
	// Revalidation.
	req := httptest.NewRequest("GET", "/ui/js/app.js", nil)
	resp, _ := f.srv.App().Test(req)
	req = httptest.NewRequest("GET", "/ui/js/app.js", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ := f.srv.App().Test(req); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	// Serving the UI is not a read of patient data: no audit records.
	if recs, _, _ := f.st.QueryAudit(store.AuditFilter{}, 100, ""); len(recs) != 3 { // the three logins
		t.Errorf("audit records %+v", recs)
	}
}

// rawRequest sends a request line exactly as written (no client-side
// path cleaning) and returns the response and its body.
func rawRequest(t *testing.T, base, method, path string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: lingshu\r\nConnection: close\r\n\r\n", method, path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStatic_NoUI(t *testing.T) {
	f := newFixture(t, Config{})
	for _, p := range []string{"/", "/ui/", "/ui/index.html"} {
		resp, body := f.do(t, "GET", p, "", nil)
		if code, _ := apiErr(t, body); resp.StatusCode != 404 || code != CodeNotFound {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

// TestStatic_RealUI: the embedded UI of package daemon/ui is served; its
// index loads its scripts from /ui/.
func TestStatic_RealUI(t *testing.T) {
	fsys := ui.FS()
	if _, err := fs.Stat(fsys, "index.html"); err != nil {
		t.Skipf("daemon/ui has no index.html yet: %v", err)
	}
	f := newFixture(t, Config{UI: fsys})
	resp, body := f.do(t, "GET", "/ui/", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<html") {
		t.Fatalf("GET /ui/: %d %.100s", resp.StatusCode, body)
	}
	n := 0
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		if resp, _ := f.do(t, "GET", "/ui/"+p, "", nil); resp.StatusCode != 200 {
			t.Errorf("GET /ui/%s: %d", p, resp.StatusCode)
		}
		n++
		return nil
	})
	if n < 2 {
		t.Errorf("served %d UI files", n)
	}
}

func TestSystem_AdminOnly(t *testing.T) {
	fi := newFakeInfer("stream")
	fi.queued = 3
	f := newFixture(t, Config{Version: "9.9.9", Infer: fi})
	f.getJSON(t, "/api/v1/system", f.staff, 403, nil)
	f.getJSON(t, "/api/v1/system", f.rad, 403, nil)
	fakeDrafts{f.st}.RequestDraft(t.Context(), f.ct.StudyInstanceUID, "root")
	var out map[string]json.RawMessage
	for range 2 { // the second call measures CPU use since the first
		f.getJSON(t, "/api/v1/system", f.admin, 200, &out)
	}
	var sys systemResponse
	b, _ := json.Marshal(out)
	json.Unmarshal(b, &sys)
	if sys.Version != "9.9.9" || sys.CPU.LogicalCores < 1 || sys.Memory.TotalBytes == 0 || sys.Disk.TotalBytes == 0 ||
		sys.Disk.Path != f.st.Dir() || sys.Model.State != "ready" || sys.Queue.InferQueued != 3 || sys.Queue.JobsQueued != 1 ||
		sys.Process.Goroutines == 0 || sys.CPU.UsedPercent < 0 || sys.CPU.UsedPercent > 100 {
		t.Errorf("system = %s", b)
	}
	for _, k := range []string{"version", "uptime_s", "cpu", "memory", "disk", "model", "queue"} {
		if _, ok := out[k]; !ok {
			t.Errorf("system lacks %q", k)
		}
	}
	// Without an engine the model is "disabled".
	f.srv.cfg.Infer = nil
	f.getJSON(t, "/api/v1/system", f.admin, 200, &sys)
	if sys.Model.State != "disabled" {
		t.Errorf("model without engine: %+v", sys.Model)
	}
}

// FuzzUIName: whatever the request path, uiName yields a valid relative
// fs path with no ".." and no hidden segment, or refuses it.
func FuzzUIName(f *testing.F) {
	for _, s := range []string{"", "index.html", "js/app.js", "../etc/passwd", "a/../../b", ".env", "a/.git/config", "a\\b", "//x//y/", "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := uiName(p)
		if !ok {
			return
		}
		if !fs.ValidPath(name) {
			t.Fatalf("uiName(%q) = %q: not a valid fs path", p, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if name != "." && (seg == ".." || strings.HasPrefix(seg, ".")) {
				t.Fatalf("uiName(%q) = %q", p, name)
			}
		}
	})
}
