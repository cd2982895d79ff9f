package store

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// committer group-commits index updates: one goroutine takes every update
// queued while the previous commit was running and applies them in one
// bbolt transaction, so N concurrent stores share one commit fsync. Unlike
// bolt.DB.Batch it never waits for a batch to fill: an update that finds
// the committer idle is committed at once.
type committer struct {
	db    *bolt.DB
	mu    sync.Mutex
	cond  *sync.Cond
	queue []*commitReq
	stop  bool
	done  chan struct{}
}

type commitReq struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{}
}

func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, done: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	go c.loop()
	return c
}

// do runs fn in a write transaction shared with other concurrent calls and
// returns once that transaction is committed. fn may run more than once
// (when another update of the batch fails), so it must only depend on its
// arguments and the transaction.
func (c *committer) do(fn func(*bolt.Tx) error) error {
	req := &commitReq{fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.stop {
		c.mu.Unlock()
		return ErrClosed // the store is closing
	}
	c.queue = append(c.queue, req)
	c.cond.Signal()
	c.mu.Unlock()
	<-req.done
	return req.err
}

// close commits what is queued, then stops the loop.
func (c *committer) close() {
	c.mu.Lock()
	c.stop = true
	c.cond.Signal()
	c.mu.Unlock()
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.stop {
			c.cond.Wait()
		}
		batch := c.queue
		c.queue = nil
		stop := c.stop
		c.mu.Unlock()
		if len(batch) > 0 {
			c.run(batch)
		}
		if stop && len(batch) == 0 {
			return
		}
	}
}

// run commits batch; an update that fails gets its error and the others
// are committed again without it.
func (c *committer) run(batch []*commitReq) {
	for len(batch) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, r := range batch {
				if err := r.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, r := range batch {
				r.err = err
				close(r.done)
			}
			return
		}
		batch[failed].err = err
		close(batch[failed].done)
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}
