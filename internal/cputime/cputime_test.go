package cputime

import (
	"runtime"
	"testing"
)

func TestProcess_Grows(t *testing.T) {
	before, ok := Process()
	if !ok {
		t.Skipf("CPU time not reported on %s", runtime.GOOS)
	}
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ (x >> 3)
	}
	after, _ := Process()
	if after <= before {
		t.Fatalf("CPU time did not grow: %v then %v (x=%d)", before, after, x)
	}
}
