package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// HashCache remembers weight-file hashes in one JSON file, keyed by
// absolute path and checked against the file's size and modification time,
// so a service restart does not re-read a 15–60 GB checkpoint just to name
// it in provenance. A file whose size or mtime changed is hashed again.
// Hashes are a label for provenance, not a defence against someone who can
// rewrite the weights and restore their mtime.
type HashCache struct {
	file string
	mu   sync.Mutex
}

// hashEntry is one remembered hash.
type hashEntry struct {
	Size    int64  `json:"size"`
	ModNano int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// NewHashCache uses file (created on first store) as the cache.
func NewHashCache(file string) *HashCache { return &HashCache{file: file} }

// FileSHA256 returns path's hex sha256, from the cache when path's size and
// mtime are those recorded, else by reading the file (and recording it).
// A cache that cannot be read or written only costs the re-hash.
func (c *HashCache) FileSHA256(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("weights: hash %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("weights: hash %s: %w", path, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entries := c.load()
	if e, ok := entries[abs]; ok && e.Size == fi.Size() && e.ModNano == fi.ModTime().UnixNano() {
		return e.SHA256, nil
	}
	sum, err := fileSHA256(abs)
	if err != nil {
		return "", err
	}
	entries[abs] = hashEntry{Size: fi.Size(), ModNano: fi.ModTime().UnixNano(), SHA256: sum}
	c.store(entries) // best effort: a failure here only means hashing again next time
	return sum, nil
}

func (c *HashCache) load() map[string]hashEntry {
	entries := map[string]hashEntry{}
	data, err := os.ReadFile(c.file)
	if err != nil || json.Unmarshal(data, &entries) != nil {
		return map[string]hashEntry{}
	}
	return entries
}

func (c *HashCache) store(entries map[string]hashEntry) error {
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.file), ".hashes-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.file)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
