package cuda

import (
	"errors"
	"testing"
)

func TestArena_FirstFitCoalesceAndGrow(t *testing.T) {
	var chunks []uint64
	next := uint64(1 << 20)
	a := newArena(4096, func(n uint64) (uint64, error) {
		p := next
		next += n + 1<<20
		chunks = append(chunks, p)
		return p, nil
	}, func(uint64) error { return nil })
	p1, _ := a.alloc(1) // rounds to 256
	p2, _ := a.alloc(1000)
	p3, _ := a.alloc(256)
	if p1 != chunks[0] || p2 != p1+256 || p3 != p2+1024 {
		t.Fatalf("addresses %#x %#x %#x in chunk %#x", p1, p2, p3, chunks[0])
	}
	if a.used != 256+1024+256 || len(chunks) != 1 {
		t.Fatalf("used %d, %d chunks", a.used, len(chunks))
	}
	// Free the middle, then the first: they merge, and a 1280-byte block
	// fits in the hole.
	if err := a.free(p2, 1000); err != nil {
		t.Fatal(err)
	}
	if err := a.free(p1, 1); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.alloc(1280); p != p1 {
		t.Fatalf("hole reuse at %#x, want %#x", p, p1)
	}
	if err := a.free(p1, 1280); err != nil {
		t.Fatal(err)
	}
	if err := a.free(p1, 256); err == nil {
		t.Fatal("double free accepted")
	}
	// A block bigger than a chunk gets its own chunk.
	big, _ := a.alloc(10000)
	if len(chunks) != 2 || big != chunks[1] || a.reserved() != 4096+10240 {
		t.Fatalf("big block %#x, chunks %v, reserved %d", big, chunks, a.reserved())
	}
	if err := a.free(12345, 1); err == nil {
		t.Fatal("free outside the chunks accepted")
	}
	if err := a.release(); err != nil || a.reserved() != 0 {
		t.Fatal(err)
	}
}

func TestArena_GrowFailure(t *testing.T) {
	oom := errors.New("oom")
	a := newArena(4096, func(uint64) (uint64, error) { return 0, oom }, func(uint64) error { return nil })
	if _, err := a.alloc(10); !errors.Is(err, oom) {
		t.Fatalf("err %v", err)
	}
}
