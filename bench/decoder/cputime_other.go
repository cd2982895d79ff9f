//go:build !unix

package main

// cpuSeconds is not measured outside Unix; the report then shows only wall-clock rates.
func cpuSeconds() float64 { return 0 }
