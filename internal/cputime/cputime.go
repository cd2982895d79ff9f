// Package cputime reads the process's CPU time (user + system). Benchmarks
// on a machine shared with other work report work per CPU-second next to
// wall-clock rates: it stays steady when the machine is busy.
package cputime

import "time"

// Process returns the CPU time the process has used so far, and false
// where the platform does not report it (then the duration is 0).
func Process() (time.Duration, bool) { return process() }
