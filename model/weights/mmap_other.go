//go:build !unix && !windows

package weights

import (
	"fmt"
	"os"
	"runtime"
)

// mapFile fails on systems without a memory-mapping implementation: weights
// are never read whole into the heap.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	return nil, nil, fmt.Errorf("weights: mmap %s: not supported on %s", f.Name(), runtime.GOOS)
}

// dropPages is a no-op here: the resident set is left to the system.
func dropPages([]byte) {}
