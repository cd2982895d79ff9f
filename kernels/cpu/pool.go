package cpu

import (
	"sync"
	"sync/atomic"
)

// pool is the backend's one set of persistent worker goroutines. A
// parallel loop hands out chunks through an atomic counter, so a worker
// slowed by other load on the machine just takes fewer chunks; the calling
// goroutine works too, so threads-1 goroutines are started.
type pool struct {
	threads int
	jobs    chan func()
	once    sync.Once
}

func newPool(threads int) *pool {
	p := &pool{threads: max(threads, 1), jobs: make(chan func())}
	for i := 1; i < p.threads; i++ {
		go func() {
			for job := range p.jobs {
				job()
			}
		}()
	}
	return p
}

// close stops the workers; run must not be called afterwards.
func (p *pool) close() { p.once.Do(func() { close(p.jobs) }) }

// run calls fn(lo, hi) over [0, n) in chunks of grain (the last may be
// shorter), in parallel, and returns when all chunks are done.
func (p *pool) run(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (n + grain - 1) / grain
	if chunks == 1 || p.threads == 1 {
		fn(0, n)
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * grain
			fn(lo, min(lo+grain, n))
		}
	}
	helpers := min(p.threads-1, chunks-1)
	var wg sync.WaitGroup
	wg.Add(helpers)
	for range helpers {
		p.jobs <- func() { defer wg.Done(); work() }
	}
	work()
	wg.Wait()
}

// minParallelWork is roughly the number of multiply-adds below which an
// op runs on the calling goroutine: waking a worker costs microseconds
// (much more on a loaded machine), more than a small op takes.
const minParallelWork = 1 << 16

// grainForWork is grainFor for n items of perItem multiply-adds each: one
// chunk when the whole op is small.
func (p *pool) grainForWork(n, perItem, align, least int) int {
	if n*max(perItem, 1) < minParallelWork {
		return max(n, 1)
	}
	return p.grainFor(n, align, max(least, minParallelWork/(4*p.threads*max(perItem, 1))))
}

// grainFor splits n items into about 4 chunks per thread, rounded up to a
// multiple of align and at least min items.
func (p *pool) grainFor(n, align, least int) int {
	g := (n + 4*p.threads - 1) / (4 * p.threads)
	g = max(g, least)
	return (g + align - 1) / align * align
}
