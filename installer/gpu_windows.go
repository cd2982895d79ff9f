//go:build windows

package installer

import "golang.org/x/sys/windows"

// openCUDALibrary loads nvcuda.dll from System32, where the NVIDIA driver
// installs it.
func openCUDALibrary() (func(string) (uintptr, error), string, error) {
	const lib = "nvcuda.dll"
	h, err := windows.LoadLibraryEx(lib, 0, windows.LOAD_LIBRARY_SEARCH_SYSTEM32)
	if err != nil {
		return nil, lib, err
	}
	return func(name string) (uintptr, error) { return windows.GetProcAddress(h, name) }, lib, nil
}
