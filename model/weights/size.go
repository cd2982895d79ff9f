package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileBytes is the size on disk of the weights at path (a Hugging Face
// folder's *.safetensors, or a GGUF file and its mmproj companion), read
// without opening the checkpoint: a backend uses it to decide, before any
// upload, whether the model fits in device memory.
func FileBytes(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("weights: size of %s: %w", path, err)
	}
	if !fi.IsDir() {
		n := fi.Size()
		if mm, err := os.Stat(MMProjPath(path)); err == nil && !mm.IsDir() {
			n += mm.Size()
		}
		return n, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return 0, fmt.Errorf("weights: size of %s: %w", path, err)
	}
	var n int64
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".safetensors") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return 0, fmt.Errorf("weights: size of %s: %w", filepath.Join(path, e.Name()), err)
		}
		n += info.Size()
	}
	if n == 0 {
		return 0, fmt.Errorf("weights: size of %s: no *.safetensors files", path)
	}
	return n, nil
}

// DeviceBytes estimates the device memory a model at path needs: its
// weights plus headroom for the KV cache and activations (1 GiB, or a
// quarter of the weights for big models). It errs high, so "auto" rather
// falls back to the CPU than runs out of memory half-way through a load.
func DeviceBytes(path string) (int64, error) {
	n, err := FileBytes(path)
	if err != nil {
		return 0, err
	}
	return n + max(1<<30, n/4), nil
}
