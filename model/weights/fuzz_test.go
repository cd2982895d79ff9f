package weights

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Seeds live in testdata/ (seed*.safetensors, seed*.gguf); regenerate them
// with LINGSHU_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("LINGSHU_WRITE_SEEDS") == "" {
		t.Skip("set LINGSHU_WRITE_SEEDS=1 to rewrite testdata seeds")
	}
	var st bytes.Buffer
	err := WriteSafetensors(&st, []WriteTensor{
		bf16Tensor("model.layers.0.mlp.up_proj.weight", 0, 4, 2),
		{Name: "model.norm.weight", DType: kernels.F32, Shape: kernels.Shape{2}, Data: make([]byte, 8)},
		{Name: "scalar", DType: kernels.I32, Shape: kernels.Shape{}, Data: []byte{1, 0, 0, 0}},
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	g := minimalQwen2GGUF()
	g.kvRaw("general.alignment", ggufUint32, le(uint32(32))).
		kvRaw("qwen2.rope.freq_base", ggufFloat32, le(float32(1e6))).
		kvRaw("tokenizer.ggml.tokens", ggufArray, le(ggufString, uint64(2), "a", "b")).
		kvRaw("nested", ggufArray, le(ggufArray, uint64(1), ggufInt64, uint64(1), int64(-5))).
		kvRaw("f64", ggufFloat64, le(0.5))
	g.tensor("blk.0.attn_q.weight", 8, make([]byte, 34), 32, 1).tensor("output.weight", 1, make([]byte, 12), 2, 3)
	v2 := minimalQwen2GGUF().kvRaw("general.alignment", ggufUint32, le(uint32(64)))
	v2.version, v2.align = 2, 64
	v2.tensor("blk.0.ffn_up.weight", 12, make([]byte, 144), 256, 1).tensor("blk.0.ffn_down.weight", 77, nil, 256)
	meta := minimalQwen2GGUF()
	meta.kvRaw("u8", ggufUint8, le(uint8(7))).kvRaw("i8", ggufInt8, le(int8(-7))).
		kvRaw("u16", ggufUint16, le(uint16(700))).kvRaw("i16", ggufInt16, le(int16(-700))).
		kvRaw("i32", ggufInt32, le(int32(-70000))).kvRaw("b", ggufBool, le(uint8(1))).
		kvRaw("u64", ggufUint64, le(uint64(1)<<40)).kvRaw("i64", ggufInt64, le(int64(-1)<<40)).
		kvRaw("arr", ggufArray, le(ggufFloat32, uint64(2), float32(1), float32(2))).
		kvRaw("bools", ggufArray, le(ggufBool, uint64(2), uint8(0), uint8(1))).
		kvRaw("nested", ggufArray, le(ggufArray, uint64(2), ggufUint8, uint64(1), uint8(9), ggufString, uint64(1), "s"))
	meta.tensor("output.weight", 30, make([]byte, 12), 2, 3).tensor("output_norm.weight", 0, make([]byte, 8), 2)
	seeds := map[string][]byte{"seed.safetensors": st.Bytes(), "seed.gguf": g.bytes(), "seed-v2.gguf": v2.bytes(), "seed-meta.gguf": meta.bytes()}
	for name, b := range seeds {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	if len(files) == 0 {
		f.Fatalf("no seeds testdata/%s", pattern)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzSafetensorsHeader(f *testing.F) {
	addSeeds(f, "*.safetensors")
	f.Add(rawST(`{"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		infos, _, err := parseSafetensors(data)
		if err != nil {
			return
		}
		for _, ti := range infos {
			size := safetensorsDTypes[ti.Type].size
			if len(ti.Data) != ti.Shape.Numel()*size {
				t.Fatalf("%s: %d bytes for %v %s", ti.Name, len(ti.Data), ti.Shape, ti.Type)
			}
			if len(ti.Data) > 0 && !bytesWithin(data, ti.Data) {
				t.Fatalf("%s: data outside the file", ti.Name)
			}
		}
	})
}

func FuzzGGUF(f *testing.F) {
	addSeeds(f, "*.gguf")
	f.Fuzz(func(t *testing.T, data []byte) {
		ck := &Checkpoint{Format: FormatGGUF, tensors: map[string]TensorInfo{}}
		mf := &mappedFile{path: "fuzz.gguf", size: int64(len(data)), data: data}
		if err := ck.loadGGUF(mf); err != nil {
			return
		}
		for _, n := range ck.names {
			ti := ck.tensors[n]
			if ti.Data != nil && !bytesWithin(data, ti.Data) {
				t.Fatalf("%s: data outside the file", n)
			}
			if ti.DType != 0 {
				if want, err := ti.DType.RowBytes(ti.Shape.Numel()); err != nil || want != len(ti.Data) {
					t.Fatalf("%s: %d bytes for %v %s", n, len(ti.Data), ti.Shape, ti.Type)
				}
			}
		}
	})
}

func bytesWithin(outer, inner []byte) bool {
	lo, p := uintptrOf(outer), uintptrOf(inner)
	return p >= lo && p+uintptr(len(inner)) <= lo+uintptr(len(outer))
}

func TestFuzzSeedsParse(t *testing.T) {
	for p, n := range map[string]int{"testdata/seed.safetensors": 3, "testdata/seed.gguf": 3, "testdata/seed-v2.gguf": 3, "testdata/seed-meta.gguf": 3} {
		ck, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(ck.Names()) != n {
			t.Fatalf("%s: %v", p, ck.Names())
		}
		ck.Close()
	}
}
