//go:build !linux && !windows

package installer

// processName is not looked up on this OS.
func processName(int32) string { return "" }
