package weights

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// mappedRSS returns the resident bytes of this process's mappings of path,
// from /proc/self/smaps (Linux only).
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	defer f.Close()
	abs, _ := filepath.Abs(path)
	abs, _ = filepath.EvalSymlinks(abs)
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[len(fields)-1] == abs
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			rss += kb << 10
		}
	}
	return rss
}

// TestOpen_DoesNotTouchWeights checks that opening a checkpoint and looking
// up every tensor faults in only the header pages of the mapping, and that
// Go's heap does not grow by the weights' size.
func TestOpen_DoesNotTouchWeights(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("smaps is Linux-only")
	}
	for _, c := range []struct{ file, open string }{
		{"qwen2-tiny/model.safetensors", "qwen2-tiny"},
		{"qwen2-tiny/model-f16.gguf", "qwen2-tiny/model-f16.gguf"},
		{"qwen2-tiny/model-q8_0.gguf", "qwen2-tiny/model-q8_0.gguf"},
	} {
		file := goldenPath(t, c.file)
		st, _ := os.Stat(file)
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ck, err := Open(goldenPath(t, c.open))
		if err != nil {
			t.Fatal(err)
		}
		var headerEnd int64
		for _, n := range ck.Names() {
			ti, _ := ck.Tensor(n)
			if !insideMapping(ck, ti.Data) {
				t.Fatalf("%s: data copied", n)
			}
			off := int64(uintptrOf(ti.Data) - uintptrOf(ck.files[0].data))
			if headerEnd == 0 || off < headerEnd {
				headerEnd = off
			}
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		rss := mappedRSS(t, file)
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		t.Logf("%s: file %d bytes, header %d, mapped RSS %d, heap growth %d", c.file, st.Size(), headerEnd, rss, heap)
		if rss > headerEnd+4<<20 { // header pages plus fault-around or large folios
			t.Errorf("%s: %d bytes of the mapping resident after Open, header is %d", c.file, rss, headerEnd)
		}
		// GGUF metadata (the tokenizer's vocabulary and merges) is decoded
		// into Go values; tensor data never is.
		if heap > 2*headerEnd+1<<20 {
			t.Errorf("%s: heap grew by %d bytes, header is %d", c.file, heap, headerEnd)
		}
		ck.Close()
	}
}
