//go:build windows

package daemon

import (
	"os"
	"path/filepath"
)

// systemDataDir is %ProgramData%\Lingshu, shared by the service and admins.
func systemDataDir() string {
	if pd := os.Getenv("ProgramData"); pd != "" {
		return filepath.Join(pd, "Lingshu")
	}
	return `C:\ProgramData\Lingshu`
}
