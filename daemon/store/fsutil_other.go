//go:build !linux

package store

import "os"

// syncFile flushes f to disk (fsync; on Windows FlushFileBuffers).
func syncFile(f *os.File) error { return f.Sync() }
