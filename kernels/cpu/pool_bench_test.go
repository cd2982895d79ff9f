package cpu

import "testing"

// BenchmarkPoolRun is the fixed cost of one parallel op: two chunks of
// no work on two threads.
func BenchmarkPoolRun(b *testing.B) {
	p := newPool(2)
	defer p.close()
	var sink [2]int
	for range b.N {
		p.run(2, 1, func(lo, hi int) { sink[lo]++ })
	}
}

// BenchmarkPoolRunAfterWork is BenchmarkPoolRun with about 50 µs of
// single-threaded work before each op, as between a decode step's matmuls
// (the worker has gone idle by then).
func BenchmarkPoolRunAfterWork(b *testing.B) {
	p := newPool(2)
	defer p.close()
	var sink [2]int
	x := make([]float32, 20000)
	for range b.N {
		var s float32
		for i := range x {
			s += x[i] * x[i]
		}
		x[0] = s
		p.run(2, 1, func(lo, hi int) { sink[lo]++ })
	}
}
