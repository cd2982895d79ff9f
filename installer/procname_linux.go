package installer

import (
	"os"
	"strconv"
	"strings"
)

// processName reads the command name of pid from /proc.
func processName(pid int32) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
