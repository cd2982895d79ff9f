package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHashCache_RehashesOnlyChangedFiles(t *testing.T) {
	dir := t.TempDir()
	w := filepath.Join(dir, "model.safetensors")
	write := func(data string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(w, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(w, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	hexOf := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	write("weights-v1", t0)
	c := NewHashCache(filepath.Join(dir, "cache", "hashes.json"))
	if got, err := c.FileSHA256(w); err != nil || got != hexOf("weights-v1") {
		t.Fatalf("first hash = %s, %v", got, err)
	}
	// Same size and mtime: the cache answers, even though the bytes
	// changed behind its back (documented: a label, not a defence).
	write("weights-v2", t0)
	if got, _ := NewHashCache(filepath.Join(dir, "cache", "hashes.json")).FileSHA256(w); got != hexOf("weights-v1") {
		t.Errorf("unchanged size+mtime: hash recomputed (%s)", got)
	}
	// A new mtime (any real rewrite) is hashed again.
	write("weights-v2", t0.Add(time.Second))
	if got, _ := c.FileSHA256(w); got != hexOf("weights-v2") {
		t.Errorf("changed mtime: got %s, want the new hash", got)
	}
	// A corrupt cache file costs only a re-hash.
	if err := os.WriteFile(filepath.Join(dir, "cache", "hashes.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FileSHA256(w); err != nil || got != hexOf("weights-v2") {
		t.Errorf("corrupt cache: %s, %v", got, err)
	}
	if _, err := c.FileSHA256(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
