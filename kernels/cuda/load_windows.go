//go:build windows && (amd64 || arm64)

package cuda

import (
	"fmt"
	"syscall"

	"github.com/ebitengine/purego"
)

// openLibrary loads nvcuda.dll (or path) and returns a symbol lookup.
func openLibrary(path string) (func(string) (uintptr, error), error) {
	if path == "" {
		path = "nvcuda.dll"
	}
	h, err := syscall.LoadLibrary(path)
	if err != nil {
		return nil, fmt.Errorf("%w: load %s: %v", ErrNoDriver, path, err)
	}
	return func(sym string) (uintptr, error) { return syscall.GetProcAddress(h, sym) }, nil
}

func registerFunc(fptr any, addr uintptr) { purego.RegisterFunc(fptr, addr) }
