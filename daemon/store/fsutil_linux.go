//go:build linux

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFile flushes f's data and the metadata needed to read it back (size,
// block map) to disk: fdatasync, which skips a timestamp-only journal
// update that fsync would force.
func syncFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
