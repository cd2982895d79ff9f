//go:build !windows

package installer

import (
	"errors"
	"os"
	"syscall"
)

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

func isPermission(err error) bool { return errors.Is(err, os.ErrPermission) }
