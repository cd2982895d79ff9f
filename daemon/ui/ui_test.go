package ui

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestFS_IndexAtRoot(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatalf("index.html not at the root of FS: %v", err)
	}
	if !strings.Contains(string(b), `<script type="module" src="js/app.js">`) {
		t.Fatal("index.html does not load js/app.js as a module")
	}
}

var (
	htmlRef   = regexp.MustCompile(`(?:src|href)="([^"#][^"]*)"`)
	jsImport  = regexp.MustCompile(`(?m)^\s*import\s[^'"]*['"]([^'"]+)['"]`)
	cssURL    = regexp.MustCompile(`url\(([^)]+)\)`)
	remoteRef = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
)

// TestFS_ReferencesResolve checks that every file the pages load is in the
// embedded FS: a missing module would break the UI only in a browser.
func TestFS_ReferencesResolve(t *testing.T) {
	fsys := FS()
	n := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		var refs [][]string
		switch path.Ext(p) {
		case ".html":
			refs = htmlRef.FindAllStringSubmatch(string(b), -1)
		case ".js":
			refs = jsImport.FindAllStringSubmatch(string(b), -1)
		case ".css":
			refs = cssURL.FindAllStringSubmatch(string(b), -1)
		}
		for _, m := range refs {
			ref := strings.Trim(m[1], `'" `)
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			target := path.Clean(path.Join(path.Dir(p), ref))
			if _, err := fs.Stat(fsys, target); err != nil {
				t.Errorf("%s refers to %q, which is not embedded (%s)", p, ref, target)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d references found; the patterns no longer match the sources", n)
	}
}

// TestFS_NoNetwork: the appliance runs without internet, so no asset may
// load anything from another host (no CDN, no web fonts, no analytics).
func TestFS_NoNetwork(t *testing.T) {
	fsys := FS()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for _, m := range remoteRef.FindAllString(string(b), -1) {
			t.Errorf("%s refers to a remote host: %s", p, m)
		}
		if strings.Contains(string(b), "innerHTML") {
			t.Errorf("%s uses innerHTML; build DOM with textContent so patient data cannot inject markup", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
