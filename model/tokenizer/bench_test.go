package tokenizer

import (
	"github.com/lingshu-edge/lingshu/internal/cputime"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEncode_Concurrent(t *testing.T) {
	tok := qwen2Tiny(t)
	want := make([][]int, len(roundTripCorpus))
	for i, s := range roundTripCorpus {
		want[i] = tok.Encode(s, true)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				for i, s := range roundTripCorpus {
					if got := tok.Encode(s, true); len(got) != len(want[i]) {
						t.Errorf("concurrent Encode(%q) differs", s)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestPieceCache_Bounded(t *testing.T) {
	c := newPieceCache(cacheShards, 8) // one entry per shard
	for i := 0; i < 1000; i++ {
		c.put(string(rune('a'+i%26))+string(rune('a'+i/26%26)), []int32{1})
	}
	c.put("f", []int32{1})
	if n := c.len(); n == 0 || n > cacheShards {
		t.Errorf("cache holds %d entries, bound %d", n, cacheShards)
	}
	if ids, ok := c.get("f"); !ok || len(ids) != 1 {
		t.Error("latest entry missing")
	}
	c.put("longer than eight", []int32{1})
	if _, ok := c.get("longer than eight"); ok {
		t.Error("over-long piece cached")
	}
}

// benchText is a few KB of mixed English, Chinese, code and report text.
func benchText() string {
	var sb strings.Builder
	for sb.Len() < 8<<10 {
		for _, s := range roundTripCorpus {
			sb.WriteString(s)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

func BenchmarkEncode(b *testing.B) {
	tok := qwen2Tiny(b)
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.Run("cached", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		c0 := cpuTime()
		for b.Loop() {
			tok.Encode(text, true)
		}
		if cpu := (cpuTime() - c0).Seconds(); cpu > 0 {
			b.ReportMetric(float64(len(text))*float64(b.N)/cpu/1e6, "MB/cpu-s")
		}
	})
	b.Run("nocache", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		saved := tok.cache
		tok.cache = nil
		defer func() { tok.cache = saved }()
		c0 := cpuTime()
		for b.Loop() {
			tok.Encode(text, true)
		}
		if cpu := (cpuTime() - c0).Seconds(); cpu > 0 {
			b.ReportMetric(float64(len(text))*float64(b.N)/cpu/1e6, "MB/cpu-s")
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	tok := qwen2Tiny(b)
	text := benchText()
	ids := tok.Encode(text, true)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Decode(ids)
	}
}

func BenchmarkLoadDir(b *testing.B) {
	dir := filepath.Join(goldenDir(b), "qwen2-tiny")
	for b.Loop() {
		if _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine MB per
// CPU-second is steadier than wall-clock MB/s.
func cpuTime() time.Duration {
	d, _ := cputime.Process()
	return d
}

func TestEncode_LongInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a few MB")
	}
	tok := qwen2Tiny(t)
	for _, s := range []string{strings.Repeat("a", 1<<18), strings.Repeat(" ", 1<<18) + "x",
		strings.Repeat("\n \t", 1<<16), strings.Repeat("的", 1<<16), strings.Repeat("x\u0301", 1<<15)} {
		start := time.Now()
		ids := tok.Encode(s, true)
		if got := tok.Decode(ids); got != toNFC(s) {
			t.Errorf("round trip of a %d-byte input failed", len(s))
		}
		t.Logf("%d bytes -> %d ids in %v", len(s), len(ids), time.Since(start))
	}
}
