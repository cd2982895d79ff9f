package tokenizer

import (
	"strings"
	"sync"
)

// merge is one BPE merge rule: the pair's rank (lower merges first) and the
// id of the merged token.
type merge struct {
	rank int32
	id   int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// bpeModel holds what BPE needs to encode one pre-tokenized piece.
type bpeModel struct {
	vocab        map[string]int   // byte-level token text → id
	merges       map[uint64]merge // (left id, right id) → rule
	byteID       [256]int32       // id of each single-byte token, -1 if absent
	ignoreMerges bool             // a piece found whole in vocab is taken as is
	bl           *byteLevel
	scratch      sync.Pool // *bpeScratch
}

type bpeSymbol struct {
	id         int32
	prev, next int32
}

type bpeCand struct {
	rank, pos   int32
	left, right int32
}

type bpeScratch struct {
	syms []bpeSymbol
	heap []bpeCand
	buf  []byte
}

// encode appends the ids of piece (raw bytes of one pre-token) to dst.
// Merges are applied lowest rank first, leftmost first among equal ranks,
// which is what Hugging Face's BPE (a heap ordered by rank, then position)
// does.
func (m *bpeModel) encode(dst []int32, piece string) []int32 {
	if m.ignoreMerges {
		sc := m.getScratch()
		sc.buf = m.bl.encode(sc.buf[:0], piece)
		id, ok := m.vocab[string(sc.buf)]
		m.putScratch(sc)
		if ok {
			return append(dst, int32(id))
		}
	}
	if len(piece) == 1 {
		if id := m.byteID[piece[0]]; id >= 0 {
			dst = append(dst, id)
		}
		return dst
	}
	sc := m.getScratch()
	defer m.putScratch(sc)
	syms := sc.syms[:0]
	for i := 0; i < len(piece); i++ {
		// Bytes without a token are dropped (HF BPE with no unk token).
		if id := m.byteID[piece[i]]; id >= 0 {
			n := int32(len(syms))
			syms = append(syms, bpeSymbol{id: id, prev: n - 1, next: n + 1})
		}
	}
	if len(syms) == 0 {
		return dst
	}
	syms[len(syms)-1].next = -1
	h := sc.heap[:0]
	for i := 0; i+1 < len(syms); i++ {
		if mg, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h = heapPush(h, bpeCand{mg.rank, int32(i), syms[i].id, syms[i+1].id})
		}
	}
	for len(h) > 0 {
		var c bpeCand
		c, h = heapPop(h)
		s := &syms[c.pos]
		if s.id != c.left || s.next < 0 || syms[s.next].id != c.right {
			continue // stale: one side was merged since this pair was queued
		}
		mg := m.merges[pairKey(c.left, c.right)]
		gone := s.next
		s.id = mg.id
		s.next = syms[gone].next
		syms[gone].id = -1
		if s.next >= 0 {
			syms[s.next].prev = c.pos
			if mg2, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
				h = heapPush(h, bpeCand{mg2.rank, c.pos, s.id, syms[s.next].id})
			}
		}
		if s.prev >= 0 {
			p := syms[s.prev]
			if mg2, ok := m.merges[pairKey(p.id, s.id)]; ok {
				h = heapPush(h, bpeCand{mg2.rank, s.prev, p.id, s.id})
			}
		}
	}
	for i := int32(0); i >= 0; i = syms[i].next {
		dst = append(dst, syms[i].id)
	}
	sc.syms, sc.heap = syms, h
	return dst
}

func (m *bpeModel) getScratch() *bpeScratch {
	if sc, ok := m.scratch.Get().(*bpeScratch); ok {
		return sc
	}
	return &bpeScratch{}
}

// putScratch keeps buffers for reuse unless a huge piece grew them.
func (m *bpeModel) putScratch(sc *bpeScratch) {
	if cap(sc.syms) <= 1<<14 && cap(sc.heap) <= 1<<15 && cap(sc.buf) <= 1<<16 {
		m.scratch.Put(sc)
	}
}

func candLess(a, b bpeCand) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

func heapPush(h []bpeCand, c bpeCand) []bpeCand {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !candLess(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []bpeCand) (bpeCand, []bpeCand) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && candLess(h[l], h[m]) {
			m = l
		}
		if r < n && candLess(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

// pieceCache is a bounded, concurrency-safe map from piece to ids, split
// into shards with one read-write lock each so that parallel encoders rarely
// meet. A full shard drops an arbitrary entry (Go map iteration order),
// cheap and, for the long tail of rare words, about as good as LRU.
type pieceCache struct {
	shards  [cacheShards]cacheShard
	max     int // entries per shard
	maxSize int // longest piece cached, in bytes
}

const cacheShards = 16

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]int32
	_  [40]byte // keep shards on separate cache lines
}

func newPieceCache(maxEntries, maxPieceBytes int) *pieceCache {
	c := &pieceCache{max: (maxEntries + cacheShards - 1) / cacheShards, maxSize: maxPieceBytes}
	for i := range c.shards {
		c.shards[i].m = make(map[string][]int32)
	}
	return c
}

func (c *pieceCache) shard(piece string) *cacheShard {
	h := uint(len(piece))
	if len(piece) > 0 {
		h = h*31 + uint(piece[0])*7 + uint(piece[len(piece)-1])
	}
	return &c.shards[h%cacheShards]
}

func (c *pieceCache) get(piece string) ([]int32, bool) {
	if c == nil || len(piece) > c.maxSize {
		return nil, false
	}
	sh := c.shard(piece)
	sh.mu.RLock()
	ids, ok := sh.m[piece]
	sh.mu.RUnlock()
	return ids, ok
}

func (c *pieceCache) put(piece string, ids []int32) {
	if c == nil || c.max <= 0 || len(piece) > c.maxSize {
		return
	}
	sh := c.shard(piece)
	sh.mu.Lock()
	if len(sh.m) >= c.max {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[strings.Clone(piece)] = ids
	sh.mu.Unlock()
}

func (c *pieceCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
