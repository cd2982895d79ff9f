package main

import "github.com/lingshu-edge/lingshu/internal/cputime"

// cpuSeconds is the process's user+system CPU time: on a machine shared
// with other work, tokens per CPU-second × threads estimates the
// uncontended rate. It is 0 where the platform does not report it.
func cpuSeconds() float64 {
	d, _ := cputime.Process()
	return d.Seconds()
}
