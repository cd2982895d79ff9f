package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestCommitter_FailedUpdateDoesNotSinkItsBatch(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err })
	c := newCommitter(db)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = c.do(func(tx *bolt.Tx) error {
				if err := tx.Bucket([]byte("b")).Put([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
					return err
				}
				if i%10 == 3 {
					return boom
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	c.close()
	db.View(func(tx *bolt.Tx) error {
		for i, err := range errs {
			stored := tx.Bucket([]byte("b")).Get([]byte(fmt.Sprint(i))) != nil
			if i%10 == 3 {
				if !errors.Is(err, boom) || stored {
					t.Errorf("update %d: err %v, stored %v; want boom and rolled back", i, err, stored)
				}
			} else if err != nil || !stored {
				t.Errorf("update %d: err %v, stored %v", i, err, stored)
			}
		}
		return nil
	})
	if err := c.do(func(*bolt.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestDirSyncer_GroupsConcurrentCallers(t *testing.T) {
	var d dirSyncer
	var calls atomic.Int32
	slow := func(string) error { calls.Add(1); time.Sleep(5 * time.Millisecond); return nil }
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); d.sync("/x", slow) }()
	}
	wg.Wait()
	if n := calls.Load(); n >= 40 || n < 1 {
		t.Errorf("%d fsyncs for 40 concurrent callers", n)
	}
	if len(d.dirs) != 0 {
		t.Errorf("directory state leaked: %v", d.dirs)
	}
	// An fsync error reaches the callers it covers.
	fail := errors.New("eio")
	if err := d.sync("/y", func(string) error { return fail }); !errors.Is(err, fail) {
		t.Errorf("error not returned: %v", err)
	}
}

func TestKeyedMutex_SerialisesOneKeyOnly(t *testing.T) {
	var k keyedMutex
	unlockA := k.lock("a")
	got := make(chan string, 2)
	go func() { u := k.lock("b"); got <- "b"; u() }()
	go func() { u := k.lock("a"); got <- "a"; u() }()
	if first := <-got; first != "b" {
		t.Fatalf("key a did not wait")
	}
	unlockA()
	if second := <-got; second != "a" {
		t.Fatalf("got %q", second)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		k.mu.Lock()
		n := len(k.m)
		k.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries leaked", n)
		}
	}
}
