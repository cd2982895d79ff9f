//go:build linux

package installer

import "github.com/ebitengine/purego"

// openCUDALibrary dlopens libcuda.so.1, the driver's user-space library.
// The handle stays open: the driver keeps threads that outlive cuInit.
func openCUDALibrary() (func(string) (uintptr, error), string, error) {
	return dlopenCUDA("libcuda.so.1")
}

func dlopenCUDA(lib string) (func(string) (uintptr, error), string, error) {
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, lib, err
	}
	return func(name string) (uintptr, error) { return purego.Dlsym(h, name) }, lib, nil
}
