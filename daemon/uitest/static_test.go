package uitest

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/daemon/api"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/daemon/ui"
)

// TestStatic_ServedByAPI serves ui.FS() through daemon/api's static routes
// (no browser): every file answers 200 without a session, with a content
// type a browser accepts for ES modules and CSS, and the page carries the
// Content-Security-Policy the UI is written for.
func TestStatic_ServedByAPI(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	app := api.New(api.Config{UI: ui.FS()}, st, nil).App()
	get := func(path string) *http.Response {
		t.Helper()
		res, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return res
	}
	if res := get("/"); res.StatusCode/100 != 3 || res.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /: %d to %q, want a redirect to /ui/", res.StatusCode, res.Header.Get("Location"))
	}
	page := get("/ui/")
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK || !strings.Contains(string(body), "js/app.js") {
		t.Fatalf("GET /ui/: %d %.80q", page.StatusCode, body)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("GET /ui/: Content-Security-Policy %q", csp)
	}
	want := map[string]string{".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
	n := 0
	err = fs.WalkDir(ui.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		res := get("/ui/" + p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /ui/%s: %d", p, res.StatusCode)
		}
		for ext, ct := range want {
			if strings.HasSuffix(p, ext) && !strings.HasPrefix(res.Header.Get("Content-Type"), ct) {
				t.Errorf("GET /ui/%s: Content-Type %q, want %s", p, res.Header.Get("Content-Type"), ct)
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res := get("/api/v1/studies"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/studies without a session: %d, want 401", res.StatusCode)
	}
	t.Logf("%d UI files served", n)
}
