// Package golden locates the shared oracle data (../shared/golden beside the
// repository, or $LINGSHU_GOLDEN_DIR) for tests, so that every golden test
// resolves it the same way and skips with the same message when it is absent.
package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the golden root: other checkpoints in the same layout can
// be checked with the same tests.
const EnvVar = "LINGSHU_GOLDEN_DIR"

// Root is $LINGSHU_GOLDEN_DIR, else ../shared/golden beside the repository
// root (the directory holding go.mod above the working directory).
func Root() string {
	if dir := os.Getenv(EnvVar); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "golden")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "golden")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared", "golden")
		}
		dir = parent
	}
}

// Dir returns the golden folder of one model (e.g. "qwen2-tiny"), skipping
// the test when that folder lacks the file marker (e.g. "expected.json").
func Dir(t testing.TB, model, marker string) string {
	t.Helper()
	dir := filepath.Join(Root(), model)
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		t.Skipf("golden %s not found (set %s): %v", model, EnvVar, err)
	}
	return dir
}

// ReadJSON decodes the JSON file at path into v, failing the test on error.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
