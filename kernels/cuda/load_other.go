//go:build !((linux || windows) && (amd64 || arm64))

package cuda

import (
	"fmt"
	"unsafe"
)

// openLibrary: there is no CUDA driver on this OS.
func openLibrary(path string) (func(string) (uintptr, error), error) {
	return nil, fmt.Errorf("%w: no CUDA driver on this operating system", ErrNoDriver)
}

func registerFunc(fptr any, addr uintptr) {}

func syscallLaunch(addr uintptr) func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) Result {
	return nil
}
