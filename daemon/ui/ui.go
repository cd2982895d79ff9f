// Package ui holds Lingshu Edge's web UI for hospital staff: plain HTML,
// CSS and ES-module JavaScript written for this project (no build step, no
// CDN, no network access beyond the daemon's own API), embedded in the
// binary with go:embed. The API package serves FS at "/" and "/ui/*".
//
// The pages hold no patient data: everything they show is fetched from the
// authenticated REST API (/api/v1/...) after login, with the session cookie
// and the X-Lingshu-CSRF header on every non-GET request. They need no
// inline script or style, so the strict Content-Security-Policy the API
// sends with them holds.
//
// Files (static/): index.html; css/app.css (dark theme, WCAG AA contrast,
// checked by TestCSS_Contrast); js/app.js (session, hash router, live event
// feed), api.js (fetch wrapper, SSE parser for GET /events and POST .../ask),
// login.js, worklist.js, study.js (patient bar, series, panels), viewer.js
// (canvas viewport, render cache, prefetch, "latest wins" loading),
// ask.js, report.js, diff.js (word diff), admin.js, util.js.
//
// Viewer keys: arrows / PageUp / PageDown / Home / End move through the
// images, 1–5 pick a window preset (default, soft tissue, lung, bone,
// brain), + and - zoom, 0 fits; drag changes window/level (or pans or
// zooms, per the toolbar), Shift+drag pans, Ctrl+wheel zooms, double-click
// fits. In the question box Ctrl+Enter sends and Esc stops the answer.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS returns the UI files, rooted so that index.html is at its top.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path and "static" is a valid
		// constant; TestFS_IndexAtRoot guards the layout.
		return static
	}
	return sub
}
