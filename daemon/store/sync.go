package store

import "sync"

// keyedMutex serialises work per key (a SOP Instance UID) without a global
// lock: unrelated keys never wait for each other.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// dirSyncer group-commits directory fsyncs: callers that renamed into the
// same directory while an fsync of it was running share the next one, so N
// concurrent stores into one series cost about two directory fsyncs, not N.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirState
}

type dirState struct {
	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // tickets handed out (one per rename)
	done      uint64 // every ticket <= done is durable (or failed with err)
	syncing   bool
	err       error
	refs      int
}

// sync returns once an fsync of dir that started after the caller's rename
// has completed, returning that fsync's error.
func (d *dirSyncer) sync(dir string, fsync func(string) error) error {
	d.mu.Lock()
	if d.dirs == nil {
		d.dirs = map[string]*dirState{}
	}
	st := d.dirs[dir]
	if st == nil {
		st = &dirState{}
		st.cond = sync.NewCond(&st.mu)
		d.dirs[dir] = st
	}
	st.refs++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		st.refs--
		if st.refs == 0 {
			delete(d.dirs, dir)
		}
		d.mu.Unlock()
	}()

	st.mu.Lock()
	defer st.mu.Unlock()
	st.requested++
	ticket := st.requested
	for {
		if st.done >= ticket {
			return st.err
		}
		if !st.syncing {
			st.syncing = true
			target := st.requested
			st.mu.Unlock()
			err := fsync(dir)
			st.mu.Lock()
			st.syncing = false
			st.done = target
			if err != nil {
				// Sticky while anyone waits on this directory: a waiter
				// woken late must not see a later success.
				st.err = err
			}
			st.cond.Broadcast()
			continue
		}
		st.cond.Wait()
	}
}

// dirSet remembers directories known to be durable. It is a cache: past
// maxReadyDirs entries it starts over (a forgotten directory costs one
// extra parent fsync).
type dirSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

const maxReadyDirs = 1 << 16

func (d *dirSet) has(dir string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.m[dir]
	return ok
}

func (d *dirSet) add(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= maxReadyDirs {
		d.m = map[string]struct{}{}
	}
	d.m[dir] = struct{}{}
}
