package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool is the backend's one set of persistent worker goroutines. A
// parallel loop hands out chunks through an atomic counter, so a worker
// slowed by other load on the machine just takes fewer chunks; the calling
// goroutine works too, so threads-1 goroutines are started.
//
// A decode step runs a few hundred short parallel ops, and waking a parked
// goroutine costs tens of microseconds on a virtual machine, so workers
// spin for spinFor after each op before they park. One op uses the workers
// at a time; an op started while another runs (a second caller of the
// backend) runs on its own goroutine.
type pool struct {
	threads int
	busy    sync.Mutex           // held by the op that owns the workers
	task    atomic.Pointer[task] // the current op
	seq     atomic.Uint64        // bumped when task changes or the pool closes
	parked  atomic.Int32         // workers blocked on wake
	closed  atomic.Bool
	wake    chan struct{} // one token per parked worker to wake
	once    sync.Once
}

// task is one parallel loop.
type task struct {
	fn       func(lo, hi int)
	n, grain int
	chunks   int64
	next     atomic.Int64  // next chunk to hand out
	done     atomic.Int64  // chunks finished
	fin      chan struct{} // closed by whoever finishes the last chunk
}

// spinFor is how long an idle worker polls for the next op before it
// parks: longer than the gaps between the ops of a decode step.
const spinFor = 200 * time.Microsecond

func newPool(threads int) *pool {
	p := &pool{threads: max(threads, 1)}
	p.wake = make(chan struct{}, p.threads)
	for i := 1; i < p.threads; i++ {
		go p.worker()
	}
	return p
}

// close stops the workers; run must not be called afterwards.
func (p *pool) close() {
	p.once.Do(func() {
		p.closed.Store(true)
		p.seq.Add(1)
		for i := 1; i < p.threads; i++ {
			select { // a full buffer wakes every parked worker anyway
			case p.wake <- struct{}{}:
			default:
			}
		}
	})
}

// worker runs ops as they are published, spinning between them for a
// while and parking after.
func (p *pool) worker() {
	var seen uint64
	for {
		if !p.await(seen) {
			return
		}
		seen = p.seq.Load()
		if t := p.task.Load(); t != nil {
			t.work()
		}
	}
}

// await waits until seq moves past seen; false when the pool closed.
func (p *pool) await(seen uint64) bool {
	deadline := time.Now().Add(spinFor)
	for i := 0; p.seq.Load() == seen; i++ {
		if i%128 != 127 {
			continue
		}
		if time.Now().Before(deadline) {
			runtime.Gosched()
			continue
		}
		p.parked.Add(1)
		if p.seq.Load() == seen {
			<-p.wake
		}
		p.parked.Add(-1)
		deadline = time.Now().Add(spinFor)
	}
	return !p.closed.Load()
}

// work runs chunks until none are left.
func (t *task) work() {
	for {
		c := t.next.Add(1) - 1
		if c >= t.chunks {
			return
		}
		lo := int(c) * t.grain
		t.fn(lo, min(lo+t.grain, t.n))
		if t.done.Add(1) == t.chunks {
			close(t.fin)
		}
	}
}

// run calls fn(lo, hi) over [0, n) in chunks of grain (the last may be
// shorter), in parallel, and returns when all chunks are done.
func (p *pool) run(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (n + grain - 1) / grain
	if chunks == 1 || p.threads == 1 || !p.busy.TryLock() {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	defer p.busy.Unlock()
	t := &task{fn: fn, n: n, grain: grain, chunks: int64(chunks), fin: make(chan struct{})}
	p.task.Store(t)
	p.seq.Add(1)
	for range min(int(p.parked.Load()), chunks-1) {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	t.work()
	p.wait(t)
	p.task.Store(nil)
}

// wait returns when every chunk of t is done: it polls for spinFor (a
// worker is usually finishing its last chunk), then blocks, so that a
// worker the OS has descheduled gets the core back.
func (p *pool) wait(t *task) {
	deadline := time.Now().Add(spinFor)
	for i := 0; t.done.Load() < t.chunks; i++ {
		if i%64 != 63 {
			continue
		}
		if time.Now().After(deadline) {
			<-t.fin
			return
		}
		runtime.Gosched()
	}
}

// minParallelWork is roughly the number of multiply-adds below which an
// op runs on the calling goroutine: handing chunks to workers costs about
// a microsecond even when they are spinning, more than a small op takes.
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
