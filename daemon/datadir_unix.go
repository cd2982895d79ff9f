//go:build !windows

package daemon

import "os"

// systemDataDir is /var/lib/lingshu for root (the service's account on a
// package install runs with that directory created for it), else "".
func systemDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/lingshu"
	}
	return ""
}
