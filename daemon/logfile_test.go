package daemon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func readOrEmpty(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestRotatingFile_Rotation(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		keep     int
		writes   []string
		want     []string // live, .1, .2, … contents; "" = absent or empty
	}{
		{"fits", 100, 2, []string{"a\n", "b\n"}, []string{"a\nb\n", ""}},
		{"rotates once", 4, 2, []string{"aa\n", "bb\n"}, []string{"bb\n", "aa\n", ""}},
		{"keeps only keep", 3, 2, []string{"1\n", "2\n", "3\n", "4\n"}, []string{"4\n", "3\n", "2\n", ""}},
		{"oversized write goes whole into a fresh file", 4, 1, []string{"x\n", "0123456789\n", "y\n"}, []string{"y\n", "0123456789\n", ""}},
		{"keep 0 truncates", 4, 0, []string{"aa\n", "bb\n"}, []string{"bb\n", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs", "lingshu.log")
			r, err := OpenRotatingFile(path, tc.maxBytes, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				if n, err := r.Write([]byte(w)); err != nil || n != len(w) {
					t.Fatalf("write %q: %d, %v", w, n, err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				p := path
				if i > 0 {
					p = fmt.Sprintf("%s.%d", path, i)
				}
				if got := readOrEmpty(t, p); got != want {
					t.Errorf("%s = %q, want %q", filepath.Base(p), got, want)
				}
			}
		})
	}
}

func TestRotatingFile_AppendsAcrossOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	for _, s := range []string{"one\n", "two\n"} {
		r, err := OpenRotatingFile(path, 6, 1)
		if err != nil {
			t.Fatal(err)
		}
		r.Write([]byte(s))
		r.Close()
	}
	// The second open saw 4 bytes already there, so "two\n" rotated them.
	if got := readOrEmpty(t, path); got != "two\n" {
		t.Errorf("live %q", got)
	}
	if got := readOrEmpty(t, path+".1"); got != "one\n" {
		t.Errorf(".1 %q", got)
	}
}

func TestRotatingFile_Errors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenRotatingFile(filepath.Join(dir, "a"), 0, 1); err == nil {
		t.Error("max bytes 0 accepted")
	}
	if _, err := OpenRotatingFile(filepath.Join(dir, "a"), 10, -1); err == nil {
		t.Error("negative keep accepted")
	}
	r, err := OpenRotatingFile(filepath.Join(dir, "b"), 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := r.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := r.Write([]byte("x")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("write after close: %v", err)
	}
}

// TestRotatingFile_ConcurrentLinesStayWhole checks, under -race, that
// concurrent writers never interleave inside a line and nothing is lost
// beyond what rotation drops.
func TestRotatingFile_ConcurrentLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	r, err := OpenRotatingFile(path, 4096, 50)
	if err != nil {
		t.Fatal(err)
	}
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(r, "writer=%d line=%03d %s\n", w, i, strings.Repeat("x", 20))
			}
		}()
	}
	wg.Wait()
	r.Close()
	total := 0
	for i := 0; i <= 50; i++ {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s.%d", path, i)
		}
		b := readOrEmpty(t, p)
		if int64(len(b)) > 4096 {
			t.Errorf("%s has %d bytes", p, len(b))
		}
		for _, l := range bytes.Split([]byte(strings.TrimSuffix(b, "\n")), []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			if !bytes.HasPrefix(l, []byte("writer=")) || len(l) != len("writer=0 line=000 ")+20 {
				t.Fatalf("torn line %q in %s", l, p)
			}
			total++
		}
	}
	if total != writers*lines {
		t.Errorf("%d lines kept, want %d", total, writers*lines)
	}
}
