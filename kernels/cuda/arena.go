package cuda

import (
	"fmt"
	"sort"
)

// arenaAlign is the alignment of every block (cuMemAlloc gives 256 too):
// enough for 16-byte vector loads at any row offset the kernels use.
const arenaAlign = 256

// arena sub-allocates activations and KV caches from large device chunks,
// so the many small Alloc/Free calls of a forward pass never reach the
// driver. First fit over an address-sorted free list per chunk; freed
// blocks merge with free neighbours. Chunks are returned to the driver
// only by release (at Close).
type arena struct {
	grow      func(size uint64) (uint64, error) // allocate a chunk (cuMemAlloc)
	drop      func(base uint64) error           // free a chunk (cuMemFree)
	chunkSize uint64
	chunks    []*chunk
	used      uint64 // bytes handed out
}

type chunk struct {
	base, size uint64
	free       []span // sorted by off, never adjacent
}

type span struct{ off, size uint64 }

func newArena(chunkSize uint64, grow func(uint64) (uint64, error), drop func(uint64) error) *arena {
	return &arena{grow: grow, drop: drop, chunkSize: chunkSize}
}

func roundUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// alloc returns the address of a block of at least n bytes.
func (a *arena) alloc(n uint64) (uint64, error) {
	n = roundUp(max(n, 1), arenaAlign)
	for _, c := range a.chunks {
		if addr, ok := c.take(n); ok {
			a.used += n
			return addr, nil
		}
	}
	size := max(a.chunkSize, n)
	base, err := a.grow(size)
	if err != nil {
		return 0, err
	}
	c := &chunk{base: base, size: size, free: []span{{0, size}}}
	a.chunks = append(a.chunks, c)
	addr, _ := c.take(n)
	a.used += n
	return addr, nil
}

// take carves n bytes from the first free span that holds them.
func (c *chunk) take(n uint64) (uint64, bool) {
	for i, s := range c.free {
		if s.size < n {
			continue
		}
		if s.size == n {
			c.free = append(c.free[:i], c.free[i+1:]...)
		} else {
			c.free[i] = span{s.off + n, s.size - n}
		}
		return c.base + s.off, true
	}
	return 0, false
}

// free returns the block at addr of n bytes (as passed to alloc).
func (a *arena) free(addr, n uint64) error {
	n = roundUp(max(n, 1), arenaAlign)
	for _, c := range a.chunks {
		if addr < c.base || addr+n > c.base+c.size {
			continue
		}
		if err := c.put(span{addr - c.base, n}); err != nil {
			return err
		}
		a.used -= n
		return nil
	}
	return fmt.Errorf("cuda: arena: free of %#x (%d bytes) outside every chunk", addr, n)
}

// put inserts s into the free list, merging with its neighbours.
func (c *chunk) put(s span) error {
	i := sort.Search(len(c.free), func(i int) bool { return c.free[i].off >= s.off })
	if (i < len(c.free) && s.off+s.size > c.free[i].off) || (i > 0 && c.free[i-1].off+c.free[i-1].size > s.off) {
		return fmt.Errorf("cuda: arena: double free of offset %d (%d bytes)", s.off, s.size)
	}
	c.free = append(c.free, span{})
	copy(c.free[i+1:], c.free[i:])
	c.free[i] = s
	if i+1 < len(c.free) && c.free[i].off+c.free[i].size == c.free[i+1].off {
		c.free[i].size += c.free[i+1].size
		c.free = append(c.free[:i+1], c.free[i+2:]...)
	}
	if i > 0 && c.free[i-1].off+c.free[i-1].size == c.free[i].off {
		c.free[i-1].size += c.free[i].size
		c.free = append(c.free[:i], c.free[i+1:]...)
	}
	return nil
}

// reserved is the bytes held from the driver.
func (a *arena) reserved() uint64 {
	var n uint64
	for _, c := range a.chunks {
		n += c.size
	}
	return n
}

// release gives every chunk back to the driver.
func (a *arena) release() error {
	var first error
	for _, c := range a.chunks {
		if err := a.drop(c.base); err != nil && first == nil {
			first = err
		}
	}
	a.chunks, a.used = nil, 0
	return first
}
