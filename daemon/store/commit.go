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
	// settled are inflight markers (keys of bInflight) to delete in the
	// next transaction: the instances they mark are acknowledged.
	settled [][]byte
	stop    bool
	done    chan struct{}
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

// settle queues the deletion of sop's inflight marker; a later commit
// carries it out (a marker left by a crash is checked by the next Open).
func (c *committer) settle(sop string) {
	c.mu.Lock()
	c.settled = append(c.settled, []byte(sop))
	c.mu.Unlock()
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
		batch, settled := c.queue, c.settled
		c.queue, c.settled = nil, nil
		stop := c.stop
		c.mu.Unlock()
		if len(batch) > 0 {
			c.run(batch, settled)
		}
		if stop && len(batch) == 0 {
			if len(settled) > 0 {
				c.db.Update(func(tx *bolt.Tx) error { return deleteKeys(tx, bInflight, settled) })
			}
			return
		}
	}
}

// run commits batch, and the deletion of the settled markers with it; an
// update that fails gets its error and the others are committed again
// without it.
func (c *committer) run(batch []*commitReq, settled [][]byte) {
	for len(batch) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			if err := deleteKeys(tx, bInflight, settled); err != nil {
				return err
			}
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

// deleteKeys deletes keys from bucket name.
func deleteKeys(tx *bolt.Tx, name []byte, keys [][]byte) error {
	b := tx.Bucket(name)
	if b == nil || len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
