package infer

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL the runner when the daemon dies,
// even by SIGKILL, so an orphaned runner never holds the model's memory or
// the GPU while a restarted daemon loads a new one.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
