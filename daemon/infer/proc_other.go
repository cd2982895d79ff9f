//go:build !linux

package infer

import "os/exec"

// dieWithParent has no equivalent here: the runner exits when its stdin
// reaches EOF, which happens when the daemon's end of the pipe closes.
func dieWithParent(cmd *exec.Cmd) {}
