//go:build windows

package installer

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

func isAddrInUse(err error) bool {
	return errors.Is(err, windows.WSAEADDRINUSE) || errors.Is(err, syscall.EADDRINUSE)
}

func isPermission(err error) bool {
	return errors.Is(err, windows.WSAEACCES) || errors.Is(err, os.ErrPermission)
}
