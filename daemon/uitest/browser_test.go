package uitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab with the helpers the tests share.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	start time.Time

	mu   sync.Mutex
	errs []string
}

// chromiumPath finds the browser: $LINGSHU_CHROMIUM, /usr/bin/chromium, or
// chromium / chromium-browser / google-chrome on PATH; skips when none.
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("LINGSHU_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("LINGSHU_CHROMIUM=%s: %v; skipping the browser tests", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (apt-get install chromium, or set LINGSHU_CHROMIUM); skipping the browser tests")
	return ""
}

func newBrowser(t *testing.T, base, shots string, within time.Duration) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	b := &browser{t: t, base: base, shots: shots, start: time.Now()}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			b.mu.Lock()
			b.errs = append(b.errs, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1))
			b.mu.Unlock()
		}
	}))
	t.Cleanup(bcancel)
	b.ctx = bctx
	b.do("start browser", chromedp.EmulateViewport(1280, 800))
	// Record Content-Security-Policy violations (the daemon serves the UI
	// with a strict policy: no inline script or style, no other origins).
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("install CSP listener: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errs {
			t.Errorf("uncaught JavaScript exception: %s", e)
		}
	})
	return b
}

// do runs actions, failing the test with the step name.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

func (b *browser) fail(step string, err error) {
	b.t.Helper()
	name := strings.NewReplacer(" ", "-", "/", "-").Replace("failed-" + step)
	if buf, serr := chromedp.Run(b.ctx, chromedp.CaptureScreenshot()); serr == nil {
		p := filepath.Join(b.shots, name+".png")
		if os.WriteFile(p, buf, 0o644) == nil {
			b.t.Logf("screenshot of the failure: %s", p)
		}
	}
	if txt, terr := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`)); terr == nil {
		b.t.Logf("page text at failure:\n%s", txt)
	}
	b.t.Fatalf("%s: %v (at %.1fs)", step, err, time.Since(b.start).Seconds())
}

// wait polls a JavaScript predicate until it is truthy.
func (b *browser) wait(step, expr string, within time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.fail(step, err)
	}
}

// js evaluates an expression and decodes its value.
func js[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate "+expr, err)
	}
	return v
}

// shot saves a PNG of the viewport and checks the page fits the window
// without horizontal scrolling.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.do("settle", chromedp.Sleep(150*time.Millisecond))
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fail("screenshot "+name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s (%.1fs)", p, time.Since(b.start).Seconds())
	if over := js[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		b.t.Errorf("%s: the page scrolls horizontally at %s", name, js[string](b, `innerWidth + 'x' + innerHeight`))
	}
	if v := js[[]string](b, `window.__csp || []`); len(v) > 0 {
		b.t.Errorf("%s: Content-Security-Policy violations: %v", name, v)
	}
}

func (b *browser) open(hash string) {
	b.t.Helper()
	b.do("open "+hash, chromedp.Navigate(b.base+"/ui/"+hash))
}

func (b *browser) login(user, pass string) {
	b.t.Helper()
	b.wait("login form", `document.querySelector('#login-user') !== null`, 10*time.Second)
	b.do("login "+user,
		chromedp.SetValue(chromedp.CSS("#login-user"), user),
		chromedp.SetValue(chromedp.CSS("#login-pass"), pass),
		chromedp.Click(chromedp.CSS("#login-submit")))
	b.wait("signed in as "+user, fmt.Sprintf(`document.querySelector('#whoami-name') && document.querySelector('#whoami-name').textContent === %q && !document.querySelector('#topbar').hidden`, user), 10*time.Second)
}

func (b *browser) logout() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.CSS("#logout-btn")))
	b.wait("login form after sign-out", `document.querySelector('#login-user') !== null && document.querySelector('#topbar').hidden`, 10*time.Second)
}

// noPatientData fails if any sent study's patient name or ID is anywhere
// in the DOM.
func (b *browser) noPatientData(where string, studies []sentStudy) {
	b.t.Helper()
	html := strings.ToLower(js[string](b, `document.documentElement.outerHTML`))
	for _, s := range studies {
		given := strings.ToLower(givenName(s.PatientName))
		for _, needle := range []string{given, strings.ToLower(s.PatientID)} {
			if needle != "" && strings.Contains(html, needle) {
				b.t.Errorf("%s: page shows patient data %q", where, needle)
			}
		}
	}
}

// press sends one key to the focused element.
func (b *browser) press(key string) {
	b.t.Helper()
	b.do("key", chromedp.KeyEvent(key))
}

// drag moves the mouse with the left button held across the element.
func (b *browser) drag(sel string, dx, dy float64) {
	b.t.Helper()
	r := js[[]float64](b, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, sel))
	x, y := r[0], r[1]
	b.do("drag "+sel,
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, x+dx/2, y+dy/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, x+dx, y+dy, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, x+dx, y+dy, chromedp.ButtonLeft))
}

// givenName is the second component of a DICOM person name.
func givenName(pn string) string {
	parts := strings.Split(pn, "^")
	if len(parts) < 2 {
		return pn
	}
	return parts[1]
}
