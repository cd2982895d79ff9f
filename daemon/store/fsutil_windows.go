//go:build windows

package store

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// diskFree returns the bytes available to the caller on the volume holding
// dir.
func diskFree(dir string) (int64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, fmt.Errorf("disk free %s: %w", dir, err)
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, fmt.Errorf("disk free %s: %w", dir, err)
	}
	return int64(avail), nil
}

// fsyncDir is a no-op on Windows: directories cannot be flushed there;
// renameDurable asks for a write-through rename instead.
func fsyncDir(string) error { return nil }

// renameDurable renames oldpath to newpath, replacing it, and does not
// return until the rename is flushed to disk (MOVEFILE_WRITE_THROUGH).
func renameDurable(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return err
	}
	return windows.MoveFileEx(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
}
