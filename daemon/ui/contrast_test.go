package ui

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestCSS_Contrast checks WCAG 2 AA contrast of the theme's text and
// background pairs: 4.5:1 for text, 3:1 for the focus ring and large text.
func TestCSS_Contrast(t *testing.T) {
	css, err := fs.ReadFile(FS(), "css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	col := func(name string) string {
		if name[0] == '#' {
			return name
		}
		v, ok := vars[name]
		if !ok {
			t.Fatalf("css variable --%s not found", name)
		}
		return v
	}
	pairs := []struct {
		fg, bg string
		min    float64
	}{
		{"text", "bg", 4.5}, {"text", "panel", 4.5}, {"text", "panel2", 4.5},
		{"dim", "bg", 4.5}, {"dim", "panel", 4.5}, {"dim", "panel2", 4.5},
		{"accent", "bg", 4.5}, {"accent", "panel", 4.5},
		{"#ffffff", "primary", 4.5}, {"#ffffff", "primary-hover", 4.5},
		{"ok", "ok-bg", 4.5}, {"warn", "warn-bg", 4.5}, {"bad", "bad-bg", 4.5}, {"info", "info-bg", 4.5},
		{"info", "panel", 4.5}, {"bad", "panel", 4.5},
		{"focus", "bg", 3}, {"focus", "panel", 3},
		{"#ffe08a", "#3a2a00", 4.5}, // the AI-draft banner
		{"#ffffff", "#1d6b34", 4.5}, // the Sign button
		{"#e9f1f7", "#000000", 4.5}, // viewer overlay text
	}
	for _, p := range pairs {
		r := contrast(t, col(p.fg), col(p.bg))
		if r < p.min {
			t.Errorf("%s on %s: contrast %.2f, want ≥ %.1f", p.fg, p.bg, r, p.min)
		}
	}
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(t *testing.T, hex string) float64 {
	n, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("bad colour %q", hex)
	}
	ch := func(v uint64) float64 {
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(n>>16&255) + 0.7152*ch(n>>8&255) + 0.0722*ch(n&255)
}
