package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/lingshu-edge/lingshu/internal/buildinfo"
)

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintf(stdout, "lingshu %s (%s, %s/%s)\n", buildinfo.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
