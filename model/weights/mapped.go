package weights

import (
	"fmt"
	"os"
	"unsafe"
)

// mappedFile is one weight file mapped read-only into memory.
type mappedFile struct {
	path  string
	size  int64
	data  []byte
	unmap func() error
}

// openMapped opens and maps path. The file descriptor is closed right away:
// the mapping stays valid on every supported system.
func openMapped(path string) (*mappedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("weights: stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("weights: %s is not a regular file", path)
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, err
	}
	return &mappedFile{path: path, size: st.Size(), data: data, unmap: unmap}, nil
}

func (m *mappedFile) close() error {
	if m == nil || m.unmap == nil {
		return nil
	}
	err := m.unmap()
	m.unmap, m.data = nil, nil
	if err != nil {
		return fmt.Errorf("weights: unmap %s: %w", m.path, err)
	}
	return nil
}

// releasePages drops the resident pages of b when b lies inside one of the
// checkpoint's file mappings (never heap memory, whose contents
// MADV_DONTNEED would destroy).
func (ck *Checkpoint) releasePages(b []byte) {
	for _, f := range ck.files {
		if f != nil && len(f.data) > 0 && len(b) > 0 && within(f.data, b) {
			dropPages(b)
			return
		}
	}
}

// within reports whether inner lies inside outer.
func within(outer, inner []byte) bool {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(inner)))
	return p >= lo && p+uintptr(len(inner)) <= lo+uintptr(len(outer))
}
