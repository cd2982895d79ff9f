package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"

	"github.com/lingshu-edge/lingshu/quant"
)

// ggufBuilder writes small GGUF files for tests.
type ggufBuilder struct {
	version uint32
	kv      bytes.Buffer
	nKV     uint64
	infos   bytes.Buffer
	nT      uint64
	data    bytes.Buffer
	align   int
}

func newGGUF() *ggufBuilder { return &ggufBuilder{version: 3, align: 32} }

func (g *ggufBuilder) str(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint64(len(s)))
	b.WriteString(s)
}

// kvRaw adds a key with a value type and already-encoded value bytes.
func (g *ggufBuilder) kvRaw(key string, typ uint32, val []byte) *ggufBuilder {
	g.str(&g.kv, key)
	binary.Write(&g.kv, binary.LittleEndian, typ)
	g.kv.Write(val)
	g.nKV++
	return g
}

func le(vs ...any) []byte {
	var b bytes.Buffer
	for _, v := range vs {
		if s, ok := v.(string); ok {
			binary.Write(&b, binary.LittleEndian, uint64(len(s)))
			b.WriteString(s)
			continue
		}
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

// tensor adds a tensor; ne is innermost first, as GGUF stores it.
func (g *ggufBuilder) tensor(name string, typ uint32, data []byte, ne ...uint64) *ggufBuilder {
	for g.data.Len()%g.align != 0 {
		g.data.WriteByte(0)
	}
	g.str(&g.infos, name)
	binary.Write(&g.infos, binary.LittleEndian, uint32(len(ne)))
	binary.Write(&g.infos, binary.LittleEndian, ne)
	binary.Write(&g.infos, binary.LittleEndian, typ)
	binary.Write(&g.infos, binary.LittleEndian, uint64(g.data.Len()))
	g.data.Write(data)
	g.nT++
	return g
}

func (g *ggufBuilder) bytes() []byte {
	var b bytes.Buffer
	b.WriteString("GGUF")
	binary.Write(&b, binary.LittleEndian, g.version)
	binary.Write(&b, binary.LittleEndian, g.nT)
	binary.Write(&b, binary.LittleEndian, g.nKV)
	b.Write(g.kv.Bytes())
	b.Write(g.infos.Bytes())
	for b.Len()%g.align != 0 {
		b.WriteByte(0)
	}
	b.Write(g.data.Bytes())
	return b.Bytes()
}

func minimalQwen2GGUF() *ggufBuilder {
	g := newGGUF()
	g.kvRaw("general.architecture", quant.GGUFString, le("qwen2"))
	g.kvRaw("qwen2.embedding_length", quant.GGUFUint32, le(uint32(2)))
	g.kvRaw("qwen2.block_count", quant.GGUFUint32, le(uint32(1)))
	g.kvRaw("qwen2.attention.head_count", quant.GGUFUint32, le(uint32(1)))
	g.tensor("token_embd.weight", 0, make([]byte, 4*2*3), 2, 3)
	return g
}

func TestGGUF_GoldenF16MatchesSafetensors(t *testing.T) {
	st, err := Open(goldenPath(t, "qwen2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gg, err := Open(goldenPath(t, "qwen2-tiny", "model-f16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer gg.Close()
	if !reflect.DeepEqual(st.Names(), gg.Names()) {
		t.Fatalf("names differ:\n%v\n%v", st.Names(), gg.Names())
	}
	for _, n := range st.Names() {
		a, _ := st.Tensor(n)
		b, _ := gg.Tensor(n)
		if !a.Shape.Equal(b.Shape) {
			t.Fatalf("%s: shape %v vs %v", n, a.Shape, b.Shape)
		}
		if !insideMapping(gg, b.Data) {
			t.Fatalf("%s: GGUF data copied", n)
		}
		if len(a.Shape) == 2 && b.DType != kernels.F16 || len(a.Shape) == 1 && b.DType != kernels.F32 {
			t.Fatalf("%s: GGUF dtype %s", n, b.DType)
		}
		av, _ := a.Float32s()
		bv, err := b.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range av {
			if d := math.Abs(float64(av[i] - bv[i])); d > f16HalfULP(av[i]) {
				t.Fatalf("%s[%d]: bf16 %g vs f16 %g", n, i, av[i], bv[i])
			}
		}
	}
}

// f16HalfULP is the largest error of rounding x to float16.
func f16HalfULP(x float32) float64 {
	ax := math.Abs(float64(x))
	if ax < math.Ldexp(1, -14) {
		return math.Ldexp(1, -25)
	}
	_, e := math.Frexp(ax) // ax = m·2^e, m in [0.5,1)
	return math.Ldexp(1, e-1-11)
}

func TestGGUF_GoldenQ8_0(t *testing.T) {
	st, err := Open(goldenPath(t, "qwen2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gg, err := Open(goldenPath(t, "qwen2-tiny", "model-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer gg.Close()
	nq := 0
	for _, n := range gg.Names() {
		b, _ := gg.Tensor(n)
		if b.DType != kernels.Q8_0 {
			continue
		}
		nq++
		a, _ := st.Tensor(n)
		av, _ := a.Float32s()
		if len(b.Data) != len(av)/32*34 {
			t.Fatalf("%s: %d bytes for %d values", n, len(b.Data), len(av))
		}
		bv, err := b.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for blk := 0; blk < len(av)/32; blk++ {
			raw := b.Data[blk*34:]
			d := float64(F16ToF32(binary.LittleEndian.Uint16(raw)))
			amax, qmax := 0.0, 0
			for j := 0; j < 32; j++ {
				amax = math.Max(amax, math.Abs(float64(av[blk*32+j])))
				q := int(int8(raw[2+j]))
				qmax = max(qmax, q, -q)
			}
			if amax == 0 {
				continue
			}
			if math.Abs(d-amax/127) > f16HalfULP(float32(amax/127)) || qmax != 127 {
				t.Fatalf("%s block %d: scale %g for amax %g, max |q| %d", n, blk, d, amax, qmax)
			}
			for j := 0; j < 32; j++ {
				i := blk*32 + j
				if math.Abs(float64(av[i]-bv[i])) > 0.5*d+amax*1e-3 {
					t.Fatalf("%s[%d]: %g vs dequantized %g (d %g)", n, i, av[i], bv[i], d)
				}
			}
		}
	}
	if nq != 15 {
		t.Fatalf("%d Q8_0 tensors, want 15", nq)
	}
	m := newTModel(2)
	if err := Bind(gg, "model", m, &fakeUploader{}); err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].MLP.Up.W.DType() != kernels.Q8_0 || m.Layers[0].MLP.Up.W.Shape().String() != "[128 64]" {
		t.Fatal(m.Layers[0].MLP.Up.W)
	}
}

func TestGGUF_SynthesizedConfig(t *testing.T) {
	gg, err := Open(goldenPath(t, "qwen2-tiny", "model-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer gg.Close()
	raw, err := os.ReadFile(filepath.Join(goldenDir, "qwen2-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	json.Unmarshal(raw, &want)
	keys := []string{"architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
		"intermediate_size", "rope_theta", "rms_norm_eps", "max_position_embeddings", "vocab_size", "tie_word_embeddings",
		"bos_token_id", "eos_token_id", "model_type", "hidden_act"}
	for _, k := range keys {
		if !reflect.DeepEqual(gg.Config[k], want[k]) {
			t.Errorf("%s: synthesized %v, config.json %v", k, gg.Config[k], want[k])
		}
	}
	toks, _ := gg.GGUFMeta["tokenizer.ggml.tokens"].([]string)
	if gg.GGUFMeta["tokenizer.ggml.add_bos_token"] != false || len(toks) != 151936 || toks[0] != "!" {
		t.Fatalf("tokenizer metadata: add_bos %v, %d tokens", gg.GGUFMeta["tokenizer.ggml.add_bos_token"], len(toks))
	}
}

func TestGGUF_NameTable(t *testing.T) {
	pairs := map[string]string{
		"token_embd.weight":        "model.embed_tokens.weight",
		"output_norm.weight":       "model.norm.weight",
		"output.weight":            "lm_head.weight",
		"blk.0.attn_q.weight":      "model.layers.0.self_attn.q_proj.weight",
		"blk.12.attn_q.bias":       "model.layers.12.self_attn.q_proj.bias",
		"blk.3.attn_k.bias":        "model.layers.3.self_attn.k_proj.bias",
		"blk.3.attn_v.weight":      "model.layers.3.self_attn.v_proj.weight",
		"blk.3.attn_output.weight": "model.layers.3.self_attn.o_proj.weight",
		"blk.3.ffn_gate.weight":    "model.layers.3.mlp.gate_proj.weight",
		"blk.3.ffn_up.weight":      "model.layers.3.mlp.up_proj.weight",
		"blk.3.ffn_down.weight":    "model.layers.3.mlp.down_proj.weight",
		"blk.3.attn_norm.weight":   "model.layers.3.input_layernorm.weight",
		"blk.27.ffn_norm.weight":   "model.layers.27.post_attention_layernorm.weight",
	}
	for g, h := range pairs {
		if got, ok := GGUFToHF(g); !ok || got != h {
			t.Errorf("GGUFToHF(%s) = %s, %v", g, got, ok)
		}
		if got, ok := HFToGGUF(h); !ok || got != g {
			t.Errorf("HFToGGUF(%s) = %s, %v", h, got, ok)
		}
	}
	for _, n := range []string{"blk.01.attn_q.weight", "blk.x.attn_q.weight", "blk..attn_q.weight", "token_embd", "rope_freqs.weight", "blk.1.attn_q.scale"} {
		if got, ok := GGUFToHF(n); ok {
			t.Errorf("GGUFToHF(%s) = %s", n, got)
		}
	}
}

func TestGGUF_MetadataTypes(t *testing.T) {
	g := minimalQwen2GGUF()
	g.kvRaw("u8", quant.GGUFUint8, le(uint8(7))).kvRaw("i8", quant.GGUFInt8, le(int8(-7))).
		kvRaw("u16", quant.GGUFUint16, le(uint16(700))).kvRaw("i16", quant.GGUFInt16, le(int16(-700))).
		kvRaw("i32", quant.GGUFInt32, le(int32(-70000))).kvRaw("f32", quant.GGUFFloat32, le(float32(0.5))).
		kvRaw("b", quant.GGUFBool, le(uint8(1))).kvRaw("u64", quant.GGUFUint64, le(uint64(1)<<40)).
		kvRaw("i64", quant.GGUFInt64, le(int64(-1)<<40)).kvRaw("f64", quant.GGUFFloat64, le(0.25)).
		kvRaw("arr", quant.GGUFArray, le(quant.GGUFInt16, uint64(2), int16(-1), int16(2))).
		kvRaw("strs", quant.GGUFArray, le(quant.GGUFString, uint64(2), "a", "bc")).
		kvRaw("nested", quant.GGUFArray, le(quant.GGUFArray, uint64(2), quant.GGUFUint8, uint64(1), uint8(9), quant.GGUFBool, uint64(1), uint8(0)))
	gf, err := parseGGUF(g.bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"u8": uint8(7), "i8": int8(-7), "u16": uint16(700), "i16": int16(-700), "i32": int32(-70000),
		"f32": float32(0.5), "b": true, "u64": uint64(1) << 40, "i64": int64(-1) << 40, "f64": 0.25,
		"arr": []int16{-1, 2}, "strs": []string{"a", "bc"}, "nested": []any{[]uint8{9}, []bool{false}}}
	for k, v := range want {
		if !reflect.DeepEqual(gf.meta[k], v) {
			t.Errorf("%s = %#v, want %#v", k, gf.meta[k], v)
		}
	}
	if gf.version != 3 || gf.tensors[0].Shape.String() != "[3 2]" {
		t.Fatal(gf.tensors[0].Shape)
	}
}

func TestGGUF_Malformed(t *testing.T) {
	cases := []struct {
		name string
		file func() []byte
		want string
	}{
		{"magic", func() []byte { return []byte("GGUX\x03\x00\x00\x00") }, "bad magic"},
		{"version 1", func() []byte { g := minimalQwen2GGUF(); g.version = 1; return g.bytes() }, "unsupported version 1"},
		{"big endian", func() []byte { g := minimalQwen2GGUF(); g.version = 3 << 24; return g.bytes() }, "big-endian"},
		{"huge tensor count", func() []byte { return append([]byte("GGUF\x03\x00\x00\x00"), le(uint64(1)<<60, uint64(0))...) }, "tensor count"},
		{"huge kv count", func() []byte { return append([]byte("GGUF\x03\x00\x00\x00"), le(uint64(0), uint64(1)<<60)...) }, "metadata count"},
		{"truncated kv", func() []byte { b := minimalQwen2GGUF().bytes(); return b[:40] }, "truncated"},
		{"unknown value type", func() []byte { return minimalQwen2GGUF().kvRaw("x", 99, nil).bytes() }, "unknown value type 99"},
		{"huge array", func() []byte {
			return minimalQwen2GGUF().kvRaw("x", quant.GGUFArray, le(quant.GGUFUint32, uint64(1)<<62)).bytes()
		}, "array count"},
		{"duplicate key", func() []byte {
			return minimalQwen2GGUF().kvRaw("general.architecture", quant.GGUFString, le("x")).bytes()
		}, "duplicate metadata key"},
		{"bad alignment", func() []byte {
			return minimalQwen2GGUF().kvRaw("general.alignment", quant.GGUFUint32, le(uint32(3))).bytes()
		}, "general.alignment"},
		{"bad bool", func() []byte { return minimalQwen2GGUF().kvRaw("x", quant.GGUFBool, le(uint8(2))).bytes() }, "bool value 2"},
		{"duplicate tensor", func() []byte { return minimalQwen2GGUF().tensor("token_embd.weight", 0, make([]byte, 4), 1).bytes() }, "duplicate tensor name"},
		{"too many dims", func() []byte { return minimalQwen2GGUF().tensor("x", 0, make([]byte, 4), 1, 1, 1, 1, 1).bytes() }, "5 dimensions"},
		{"q8 row", func() []byte { return minimalQwen2GGUF().tensor("x", 8, make([]byte, 34), 16, 2).bytes() }, "not a multiple of the Q8_0 block"},
		{"truncated data", func() []byte { b := minimalQwen2GGUF().bytes(); return b[:len(b)-4] }, "truncated: tensor token_embd.weight"},
		{"huge dims", func() []byte { return minimalQwen2GGUF().tensor("x", 0, nil, 1<<40, 1<<40).bytes() }, "does not fit"},
		{"no architecture", func() []byte {
			g := newGGUF()
			g.tensor("token_embd.weight", 0, make([]byte, 8), 2, 1)
			return g.bytes()
		}, "general.architecture missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "m.gguf")
			os.WriteFile(p, c.file(), 0o644)
			_, err := Open(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestGGUF_MisalignedAndOverlap(t *testing.T) {
	g := minimalQwen2GGUF()
	g.str(&g.infos, "y")
	g.infos.Write(le(uint32(1), uint64(1), uint32(0), uint64(4)))
	g.nT++
	if _, err := parseGGUF(g.bytes()); err == nil || !strings.Contains(err.Error(), "not aligned") {
		t.Fatalf("err = %v", err)
	}
	g = minimalQwen2GGUF()
	g.str(&g.infos, "y")
	g.infos.Write(le(uint32(1), uint64(2), uint32(0), uint64(0)))
	g.nT++
	if _, err := parseGGUF(g.bytes()); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("err = %v", err)
	}
}

func TestGGUF_UnsupportedTypeFailsOnlyWhenUsed(t *testing.T) {
	g := minimalQwen2GGUF().kvRaw("general.alignment", quant.GGUFUint32, le(uint32(64)))
	g.align = 64
	g.tensor("blk.0.ffn_up.weight", 12, make([]byte, 144), 256, 1). // Q4_K
									tensor("blk.0.ffn_down.weight", 77, nil, 256) // unknown id
	g.version = 2
	p := filepath.Join(t.TempDir(), "m.gguf")
	os.WriteFile(p, g.bytes(), 0o644)
	ck, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	up, _ := ck.Tensor("model.layers.0.mlp.up_proj.weight")
	if up.Type != "Q4_K" || up.DType != 0 || len(up.Data) != 144 {
		t.Fatalf("%+v", up)
	}
	type layer struct {
		Up   kernels.Tensor `weight:"mlp.up_proj.weight"`
		Down kernels.Tensor `weight:"mlp.down_proj.weight"`
	}
	type model struct {
		Emb    kernels.Tensor `weight:"embed_tokens.weight"`
		Layers []*layer       `weight:"layers"`
	}
	err = Bind(ck, "model", &model{Layers: make([]*layer, 1)}, &fakeUploader{})
	var be *BindError
	if !errors.As(err, &be) || len(be.Problems) != 2 || !strings.Contains(err.Error(), "dtype of model.layers.0.mlp.up_proj.weight is Q4_K, unsupported tensor type") ||
		!strings.Contains(err.Error(), "ggml_type(77), unsupported") {
		t.Fatalf("err = %v", err)
	}
	if ck.Config["tie_word_embeddings"] != true || ck.Config["vocab_size"].(float64) != 3 {
		t.Fatal(string(ck.ConfigJSON))
	}
}
