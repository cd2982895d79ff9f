package weights

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func TestWriteRandomQwen2_Tiny(t *testing.T) {
	src := goldenPath(t, "qwen2-tiny")
	shape, ok := LookupQwen2Shape("qwen2-tiny")
	if !ok {
		t.Fatal("qwen2-tiny shape missing")
	}
	dir := t.TempDir()
	if err := WriteRandomQwen2(dir, shape, RandomOptions{Seed: 7, TokenizerFrom: src}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	golden, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer golden.Close()
	// Same names, shapes and dtypes as the golden model, and the same config.
	if !reflect.DeepEqual(ck.Names(), golden.Names()) {
		t.Fatalf("names %v", ck.Names())
	}
	for _, n := range golden.Names() {
		a, _ := ck.Tensor(n)
		b, _ := golden.Tensor(n)
		if !a.Shape.Equal(b.Shape) || a.DType != b.DType {
			t.Fatalf("%s: %v %s vs %v %s", n, a.Shape, a.DType, b.Shape, b.DType)
		}
	}
	var want map[string]any
	raw, _ := os.ReadFile(filepath.Join(src, "config.json"))
	json.Unmarshal(raw, &want)
	if !reflect.DeepEqual(ck.Config, want) {
		t.Fatalf("config differs:\n%s\n%s", ck.ConfigJSON, raw)
	}
	m := newTModel(2)
	if err := Bind(ck, "model", m, &fakeUploader{}); err != nil {
		t.Fatal(err)
	}
	norm, _ := ck.Tensor("model.layers.1.input_layernorm.weight")
	nv, _ := norm.Float32s()
	q, _ := ck.Tensor("model.layers.0.self_attn.q_proj.weight")
	qv, _ := q.Float32s()
	var sum, sq float64
	for _, v := range qv {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	std := math.Sqrt(sq/float64(len(qv)) - math.Pow(sum/float64(len(qv)), 2))
	if nv[0] != 1 || nv[63] != 1 || math.Abs(std-0.02) > 0.002 {
		t.Fatalf("norm %v, q std %g", nv[:2], std)
	}
	// Deterministic in the seed.
	h1, _ := ck.Hash()
	dir2 := t.TempDir()
	if err := WriteRandomQwen2(dir2, shape, RandomOptions{Seed: 7}); err != nil {
		t.Fatal(err)
	}
	ck2, err := Open(dir2)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := ck2.Hash()
	ck2.Close()
	if h1 != h2 {
		t.Fatal("same seed, different weights")
	}
	if err := WriteRandomQwen2(dir2, shape, RandomOptions{Seed: 8}); err != nil {
		t.Fatal(err)
	}
	ck3, _ := Open(dir2)
	h3, _ := ck3.Hash()
	ck3.Close()
	if h3 == h1 {
		t.Fatal("different seeds, same weights")
	}
}

func TestQwen2Shapes(t *testing.T) {
	s, _ := LookupQwen2Shape("qwen2.5-0.5b")
	if p := s.Params(); p != 494032768 {
		t.Fatalf("qwen2.5-0.5b has %d params", p)
	}
	bad := s
	bad.KVHeads = 3
	if bad.Validate() == nil {
		t.Fatal("14 heads / 3 KV heads accepted")
	}
	if err := WriteRandomQwen2(t.TempDir(), s, RandomOptions{TokenizerFrom: t.TempDir()}); err == nil {
		t.Fatal("empty tokenizer folder accepted")
	}
}

// TestOpen_BigCheckpointStaysMapped writes a random Qwen2.5-0.5B (about 1 GB)
// and checks that opening and binding it neither copies nor faults in the
// weights. Opt in with LINGSHU_BIG_TESTS=1.
func TestOpen_BigCheckpointStaysMapped(t *testing.T) {
	if os.Getenv("LINGSHU_BIG_TESTS") == "" || runtime.GOOS != "linux" {
		t.Skip("set LINGSHU_BIG_TESTS=1 (Linux) to run")
	}
	s, _ := LookupQwen2Shape("qwen2.5-0.5b")
	dir := t.TempDir()
	if err := WriteRandomQwen2(dir, s, RandomOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m := &tModel{hidden: 896, heads: 14, kvHeads: 2, inter: 4864, vocab: 151936, Layers: make([]*tLayer, 24)}
	if err := Bind(ck, "model", m, &fakeUploader{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	file := filepath.Join(dir, SafetensorsFile)
	st, _ := os.Stat(file)
	rss := mappedRSS(t, file)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("file %d bytes: mapped RSS %d, heap growth %d", st.Size(), rss, heap)
	if rss > 8<<20 || heap > 8<<20 {
		t.Fatalf("opening a %d-byte checkpoint made %d bytes resident and grew the heap by %d", st.Size(), rss, heap)
	}
}
