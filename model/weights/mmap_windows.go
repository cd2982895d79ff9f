//go:build windows

package weights

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// mapFile maps the whole of f read-only. An empty file maps to a nil slice.
func mapFile(f *os.File, size int64) (data []byte, unmap func() error, err error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("weights: mmap %s: file of %d bytes exceeds the address space", f.Name(), size)
	}
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, windows.PAGE_READONLY, 0, 0, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("weights: mmap %s: CreateFileMapping: %w", f.Name(), err)
	}
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, 0)
	if err != nil {
		windows.CloseHandle(h)
		return nil, nil, fmt.Errorf("weights: mmap %s: MapViewOfFile: %w", f.Name(), err)
	}
	// addr is memory outside the Go heap; reinterpret it without a
	// uintptr→Pointer conversion (which vet rightly distrusts in general).
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	data = unsafe.Slice((*byte)(ptr), int(size))
	unmap = func() error {
		err := windows.UnmapViewOfFile(addr)
		if cerr := windows.CloseHandle(h); err == nil {
			err = cerr
		}
		return err
	}
	return data, unmap, nil
}

// dropPages is a no-op here: the resident set is left to the system.
func dropPages([]byte) {}
