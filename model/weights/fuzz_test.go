package weights

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"

	"github.com/lingshu-edge/lingshu/quant"
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
	g.kvRaw("general.alignment", quant.GGUFUint32, le(uint32(32))).
		kvRaw("qwen2.rope.freq_base", quant.GGUFFloat32, le(float32(1e6))).
		kvRaw("tokenizer.ggml.tokens", quant.GGUFArray, le(quant.GGUFString, uint64(2), "a", "b")).
		kvRaw("nested", quant.GGUFArray, le(quant.GGUFArray, uint64(1), quant.GGUFInt64, uint64(1), int64(-5))).
		kvRaw("f64", quant.GGUFFloat64, le(0.5))
	g.tensor("blk.0.attn_q.weight", 8, make([]byte, 34), 32, 1).tensor("output.weight", 1, make([]byte, 12), 2, 3)
	v2 := minimalQwen2GGUF().kvRaw("general.alignment", quant.GGUFUint32, le(uint32(64)))
	v2.version, v2.align = 2, 64
	v2.tensor("blk.0.ffn_up.weight", 12, make([]byte, 144), 256, 1).tensor("blk.0.ffn_down.weight", 77, nil, 256)
	meta := minimalQwen2GGUF()
	meta.kvRaw("u8", quant.GGUFUint8, le(uint8(7))).kvRaw("i8", quant.GGUFInt8, le(int8(-7))).
		kvRaw("u16", quant.GGUFUint16, le(uint16(700))).kvRaw("i16", quant.GGUFInt16, le(int16(-700))).
		kvRaw("i32", quant.GGUFInt32, le(int32(-70000))).kvRaw("b", quant.GGUFBool, le(uint8(1))).
		kvRaw("u64", quant.GGUFUint64, le(uint64(1)<<40)).kvRaw("i64", quant.GGUFInt64, le(int64(-1)<<40)).
		kvRaw("arr", quant.GGUFArray, le(quant.GGUFFloat32, uint64(2), float32(1), float32(2))).
		kvRaw("bools", quant.GGUFArray, le(quant.GGUFBool, uint64(2), uint8(0), uint8(1))).
		kvRaw("nested", quant.GGUFArray, le(quant.GGUFArray, uint64(2), quant.GGUFUint8, uint64(1), uint8(9), quant.GGUFString, uint64(1), "s"))
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
