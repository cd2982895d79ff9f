//go:build linux && (amd64 || arm64)

package cuda

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// libraryNames are tried in order; libcuda.so.1 is what the NVIDIA driver
// package installs (libcuda.so only comes with the toolkit).
var libraryNames = []string{"libcuda.so.1", "libcuda.so"}

// openLibrary loads the driver library named path ("" tries the defaults)
// and returns a symbol lookup for Driver.bind.
func openLibrary(path string) (func(string) (uintptr, error), error) {
	names := libraryNames
	if path != "" {
		names = []string{path}
	}
	var errs []error
	for _, name := range names {
		h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			return func(sym string) (uintptr, error) { return purego.Dlsym(h, sym) }, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("%w: load %v: %v", ErrNoDriver, names, errs)
}

func registerFunc(fptr any, addr uintptr) { purego.RegisterFunc(fptr, addr) }
