package weights

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileBytes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("model-00001-of-00002.safetensors", 100)
	write("model-00002-of-00002.safetensors", 50)
	write("config.json", 7)
	write("m.gguf", 30)
	write("mmproj-m.gguf", 12)
	write("other.gguf", 5)

	tests := []struct {
		path string
		want int64
	}{
		{dir, 150},                            // shards only, not config.json
		{filepath.Join(dir, "m.gguf"), 42},    // with its mmproj companion
		{filepath.Join(dir, "other.gguf"), 5}, // no companion
		{filepath.Join(dir, "mmproj-m.gguf"), 12},
	}
	for _, tt := range tests {
		got, err := FileBytes(tt.path)
		if err != nil || got != tt.want {
			t.Errorf("FileBytes(%s) = %d, %v; want %d", filepath.Base(tt.path), got, err, tt.want)
		}
	}
	if _, err := FileBytes(filepath.Join(dir, "missing")); err == nil {
		t.Error("FileBytes(missing): no error")
	}
	if _, err := FileBytes(t.TempDir()); err == nil {
		t.Error("FileBytes(empty dir): no error")
	}
	if got, err := DeviceBytes(dir); err != nil || got != 150+1<<30 {
		t.Errorf("DeviceBytes = %d, %v", got, err)
	}
}
