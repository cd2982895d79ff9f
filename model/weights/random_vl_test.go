package weights_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/vlm"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// keys returns the sorted keys of a JSON object, and of its vision_config.
func keys(t *testing.T, path string) (top, vision []string) {
	t.Helper()
	var m map[string]json.RawMessage
	golden.ReadJSON(t, path, &m)
	for k := range m {
		top = append(top, k)
	}
	var v map[string]any
	if err := json.Unmarshal(m["vision_config"], &v); err != nil {
		t.Fatal(err)
	}
	for k := range v {
		vision = append(vision, k)
	}
	slices.Sort(top)
	slices.Sort(vision)
	return top, vision
}

func TestWriteRandomQwen25VL_TinyMatchesGoldenLayoutAndLoads(t *testing.T) {
	src := golden.Dir(t, "qwen25vl-tiny", "model.safetensors")
	shape, ok := weights.LookupQwen25VLShape("qwen25vl-tiny-random")
	if !ok {
		t.Fatal("qwen25vl-tiny-random shape missing")
	}
	dir := t.TempDir()
	if err := weights.WriteRandomQwen25VL(dir, shape, weights.RandomOptions{Seed: 3, TokenizerFrom: src}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
		"preprocessor_config.json", "generation_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	gotTop, gotVision := keys(t, filepath.Join(dir, "config.json"))
	wantTop, wantVision := keys(t, filepath.Join(src, "config.json"))
	if !slices.Equal(gotTop, wantTop) || !slices.Equal(gotVision, wantVision) {
		t.Errorf("config keys\n%v %v\nwant (golden)\n%v %v", gotTop, gotVision, wantTop, wantVision)
	}

	// Same tensor names, dtypes and shapes as the golden checkpoint.
	got, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	want, err := weights.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if !slices.Equal(got.Names(), want.Names()) {
		t.Fatalf("tensor names differ:\n%v\nwant\n%v", got.Names(), want.Names())
	}
	var n int64
	for _, name := range want.Names() {
		g, _ := got.Tensor(name)
		w, _ := want.Tensor(name)
		if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("%s: %v %v, want %v %v", name, g.DType, g.Shape, w.DType, w.Shape)
		}
		n += int64(g.Shape.Numel())
	}
	if n != shape.Params() {
		t.Errorf("Params() = %d, tensors hold %d", shape.Params(), n)
	}

	be := cpu.New(1)
	defer be.Close()
	m, err := vlm.Open(dir, be)
	if err != nil {
		t.Fatalf("vlm.Open of the random checkpoint: %v", err)
	}
	defer m.Close()
	res, err := m.Ask(context.Background(), nil, "Hello", vlm.Options{MaxTokens: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) == 0 && res.Stop != vlm.StopEOS {
		t.Errorf("ask on the random checkpoint: %+v", res)
	}
}

func TestQwen25VLShapes_Valid(t *testing.T) {
	for _, s := range weights.Qwen25VLShapes() {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	s, ok := weights.LookupQwen25VLShape("qwen25vl-0.5b-7btower")
	if !ok {
		t.Fatal("qwen25vl-0.5b-7btower missing")
	}
	// The Qwen2.5-VL-7B tower: 32 blocks of 1280 wide (qkv 3·1280², proj 1280², SwiGLU 3·1280·3420, biases,
	// norms), patch embed 1280·3·2·14², merger (5120² + 5120·896 + biases + ln_q) and the 0.5B text decoder.
	const block = 3*1280*1280 + 3*1280 + 1280*1280 + 1280 + 2*(3420*1280+3420) + 1280*3420 + 1280 + 2*1280
	const vision = 1280*3*2*14*14 + 32*block + 1280 + 5120*5120 + 5120 + 896*5120 + 896
	text, _ := weights.LookupQwen2Shape("qwen2.5-0.5b")
	if got, want := s.Params(), int64(vision)+text.Params(); got != want {
		t.Errorf("Params() = %d, want %d", got, want)
	}
	bad := s
	bad.MRoPESection = [3]int{16, 24, 24}
	if bad.Validate() == nil {
		t.Error("mrope_section summing to 64 accepted for head_dim 64")
	}
}
