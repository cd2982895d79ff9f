package ui

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJS_Units runs testdata/units.mjs (SSE parser, word diff) with node
// when it is installed; the browser tests in daemon/uitest cover the rest.
func TestJS_Units(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed; the JavaScript unit checks need it (apt-get install nodejs)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The sources are ES modules in .js files without a package.json.
	out, err := exec.CommandContext(ctx, node, "--experimental-default-type=module", "testdata/units.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node testdata/units.mjs: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "ok ") {
		t.Fatalf("unexpected output: %s", out)
	}
	t.Logf("node: %s", strings.TrimSpace(string(out)))
	// Every module parses (a syntax error would blank the whole UI).
	files, err := filepath.Glob("static/js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no modules found: %v", err)
	}
	for _, f := range files {
		out, err := exec.CommandContext(ctx, node, "--experimental-default-type=module", "--check", f).CombinedOutput()
		if err != nil {
			t.Errorf("node --check %s: %v\n%s", f, err, out)
		}
	}
}
