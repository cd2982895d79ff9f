package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lingshu-edge/lingshu/eval/datasets"
)

// Cache stores one generated output per file, named by the hash of
// everything that determines it, so that an interrupted run resumes where
// it stopped and a rerun generates nothing.
type Cache struct{ Dir string }

// Entry is one cached generation.
type Entry struct {
	Key          string   `json:"key"`
	ModelHash    string   `json:"model_hash"`
	Dataset      string   `json:"dataset"`
	SampleID     string   `json:"sample_id"`
	Text         string   `json:"text"`
	Tokens       int      `json:"tokens"`
	PromptTokens int      `json:"prompt_tokens"`
	Stop         string   `json:"stop"`
	MS           float64  `json:"ms"`
	Score        *float64 `json:"score,omitempty"` // judge entries: the GREEN score
}

// cacheKeyInput is hashed into the key; Input is the hash of the prompt
// and image references, so an edited sample is generated again.
type cacheKeyInput struct {
	ModelHash     string   `json:"model_hash"`
	Dataset       string   `json:"dataset"`
	SampleID      string   `json:"sample_id"`
	PromptVersion string   `json:"prompt_version"`
	Settings      Settings `json:"settings"`
	Input         string   `json:"input"`
}

// Key is the cache key of sample s of dataset under model and settings.
func Key(modelHash, dataset string, s datasets.Sample, st Settings) string {
	in := sha256.New()
	fmt.Fprintf(in, "%q\n", s.Prompt)
	for _, im := range s.Images {
		fmt.Fprintf(in, "%q %d\n", im.Path, im.Frame)
	}
	b, _ := json.Marshal(cacheKeyInput{ModelHash: modelHash, Dataset: dataset, SampleID: s.ID,
		PromptVersion: datasets.PromptVersion, Settings: st, Input: hex.EncodeToString(in.Sum(nil))})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (c Cache) path(key string) string { return filepath.Join(c.Dir, key[:2], key+".json") }

// Get returns the entry stored under key, if any. A damaged entry (a torn
// write cannot happen, but a hand-edited file can) counts as absent.
func (c Cache) Get(key string) (Entry, bool) {
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return Entry{}, false
	}
	var e Entry
	if json.Unmarshal(b, &e) != nil || e.Key != key {
		return Entry{}, false
	}
	return e, true
}

// Put stores e under e.Key: written to a temporary file, synced and
// renamed, so a kill leaves either the old state or the whole entry.
func (c Cache) Put(e Entry) error {
	p := c.path(e.Key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("harness: cache: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("harness: cache: %w", err)
	}
	return writeAtomic(p, b)
}

func writeAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("harness: write %s: %w", p, err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("harness: write %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("harness: write %s: %w", p, err)
	}
	return nil
}
