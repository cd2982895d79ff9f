package weights

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
)

// A Qwen2 decoder declared the way model code declares it.
type tLinear struct {
	W kernels.Tensor `weight:"weight" shape:"out,in"`
	B kernels.Tensor `weight:"bias,optional" shape:"out"`
}

type tNorm struct {
	W kernels.Tensor `weight:"weight" shape:"hidden"`
}

type tAttn struct {
	Q *tLinear `weight:"q_proj" dims:"out=heads*head_dim,in=hidden"`
	K *tLinear `weight:"k_proj" dims:"out=kv_heads*head_dim,in=hidden"`
	V *tLinear `weight:"v_proj" dims:"out=kv_heads*head_dim,in=hidden"`
	O *tLinear `weight:"o_proj" dims:"out=hidden,in=heads*head_dim"`
}

type tMLP struct {
	Gate *tLinear `weight:"gate_proj" dims:"out=inter,in=hidden"`
	Up   *tLinear `weight:"up_proj" dims:"out=inter,in=hidden"`
	Down *tLinear `weight:"down_proj" dims:"out=hidden,in=inter"`
}

type tLayer struct {
	InputNorm *tNorm `weight:"input_layernorm"`
	Attn      *tAttn `weight:"self_attn"`
	PostNorm  *tNorm `weight:"post_attention_layernorm"`
	MLP       *tMLP  `weight:"mlp"`
}

type tModel struct {
	hidden, heads, kvHeads, inter, vocab int

	Embed  struct{}       // untagged: ignored
	Tokens kernels.Tensor `weight:"embed_tokens.weight" shape:"vocab,hidden" dtype:"BF16,F16,Q8_0"`
	Layers []*tLayer      `weight:"layers"`
	Norm   *tNorm         `weight:"norm"`
}

func (m *tModel) WeightDims() Dims {
	return Dims{"hidden": m.hidden, "heads": m.heads, "kv_heads": m.kvHeads, "head_dim": m.hidden / m.heads, "inter": m.inter, "vocab": m.vocab}
}

func newTModel(layers int) *tModel {
	return &tModel{hidden: 64, heads: 4, kvHeads: 2, inter: 128, vocab: 151936, Layers: make([]*tLayer, layers)}
}

func TestBind_GoldenQwen2Tiny(t *testing.T) {
	ck, err := Open(goldenPath(t, "qwen2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m := newTModel(2)
	up := &fakeUploader{}
	if err := Bind(ck, "model", m, up); err != nil {
		t.Fatal(err)
	}
	if len(up.uploads) != 26 {
		t.Fatalf("%d uploads, want 26", len(up.uploads))
	}
	q := m.Layers[1].Attn.Q
	if q.W.Shape().String() != "[64 64]" || q.B == nil || m.Layers[0].Attn.O.B != nil {
		t.Fatalf("q %v bias %v, o bias %v", q.W.Shape(), q.B, m.Layers[0].Attn.O.B)
	}
	ft := m.Tokens.(*fakeTensor)
	if ft.name != "model.embed_tokens.weight" || !insideMapping(ck, ft.data) {
		t.Fatal("embedding data not aliased from the mapping")
	}
}

func TestBind_GoldenWrongConfig(t *testing.T) {
	ck, err := Open(goldenPath(t, "qwen2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m := newTModel(3)
	m.inter = 64
	up := &fakeUploader{}
	err = Bind(ck, "model", m, up)
	var be *BindError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v", err)
	}
	// 3rd layer: 9 missing required tensors (q/k/v biases are optional);
	// 2 layers × 3 MLP weights with the wrong intermediate size.
	if len(be.Problems) != 9+6 || !strings.HasPrefix(be.Problems[0], "missing model.layers.2.") ||
		!strings.Contains(err.Error(), "shape of model.layers.0.mlp.down_proj.weight is [64 128], want [64 64]") {
		t.Fatalf("%d problems: %v", len(be.Problems), err)
	}
	if len(up.uploads) != 0 {
		t.Fatalf("uploaded %d tensors despite problems", len(up.uploads))
	}
}

func TestBind_ErrorMessage(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{})
	writeST(t, filepath.Join(dir, "model.safetensors"),
		bf16Tensor("model.layers.0.mlp.gate_proj.weight", 0, 2, 1),
		bf16Tensor("model.layers.0.mlp.up_proj.weight", 0, 2, 1),
		bf16Tensor("model.layers.0.mlp.down_proj.weight", 0, 1, 2),
		bf16Tensor("model.layers.0.mlp.extra.weight", 0, 1),
		bf16Tensor("lm_head.weight", 0, 1))
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	type layer struct {
		MLP *tMLP `weight:"mlp" dims:"hidden=1,inter=2"`
	}
	type model struct {
		Layers []*layer `weight:"layers"`
	}
	m := &model{Layers: make([]*layer, 1)}
	err = Bind(ck, "model", m, &fakeUploader{})
	want := "weights: bind model: 1 problem: unused model.layers.0.mlp.extra.weight"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	m = &model{Layers: make([]*layer, 2)}
	err = Bind(ck, "model", m, &fakeUploader{})
	want = "weights: bind model: 4 problems: missing model.layers.1.mlp.down_proj.weight; missing model.layers.1.mlp.gate_proj.weight; " +
		"missing model.layers.1.mlp.up_proj.weight; unused model.layers.0.mlp.extra.weight"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestBind_OptionalShapesDTypesAndDeclarations(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{})
	writeST(t, filepath.Join(dir, "model.safetensors"),
		bf16Tensor("a.w", 0, 2, 3),
		bf16Tensor("a.list.0", 0, 2),
		bf16Tensor("a.list.1", 0, 3),
		bf16Tensor("a.norm", 0, 4),
		bf16Tensor("a.embedded.w", 0, 1))
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	ck.tensors["a.pos"] = TensorInfo{Name: "a.pos", Type: "I64", Shape: kernels.Shape{2}, Data: make([]byte, 16)}
	ck.names = append(ck.names, "a.pos")
	ck.finish()

	type Embedded struct {
		E kernels.Tensor `weight:"embedded.w"`
	}
	type sub struct {
		X kernels.Tensor `weight:"x"`
	}
	type dst struct {
		Embedded
		W      kernels.Tensor   `weight:"w" shape:"n*2,3"`
		List   []kernels.Tensor `weight:"list" shape:"2"`
		Norm   kernels.Tensor   `weight:"norm" dtype:"F32"`
		Pos    kernels.Tensor   `weight:"pos"`
		Absent *sub             `weight:"absent,optional"`
		Bad    int              `weight:"bad"`
		Unk    kernels.Tensor   `weight:"w2,optional" shape:"zz"`
		Opt    kernels.Tensor   `weight:"opt,optional"`
		Dims   *sub             `weight:"d" dims:"q"`
		_      struct{}
	}
	d := &dst{List: make([]kernels.Tensor, 2)}
	err = Bind(ck, "a", d, &fakeUploader{})
	var be *BindError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"shape of a.list.1 is [3], want [2]",
		"dtype of a.norm is BF16, want F32",
		"dtype of a.pos is I64, unsupported tensor type",
		"dims tag of a.d (dst.Dims): want name=expr, got \"q\"",
		"field Bad for a.bad: type int cannot hold weights",
		"shape tag of a.w: unknown dim \"n\"",
	}
	if strings.Join(be.Problems, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(be.Problems, "\n"), strings.Join(want, "\n"))
	}
	if d.Absent != nil {
		t.Fatal("optional struct with no tensors was allocated")
	}
}

func TestBind_DimsAndUploadFailure(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "config.json"), map[string]any{})
	writeST(t, filepath.Join(dir, "model.safetensors"), bf16Tensor("p.q_proj.weight", 0, 6, 4), bf16Tensor("p.q_proj.bias", 0, 6))
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	type attn struct {
		Q *tLinear `weight:"q_proj" dims:"out=3*h,in=4"`
	}
	type root struct {
		A *attn `weight:"p" dims:"h=2"`
	}
	r := &root{}
	if err := Bind(ck, "", r, &fakeUploader{}); err != nil {
		t.Fatal(err)
	}
	if r.A.Q.B.Shape().String() != "[6]" {
		t.Fatal(r.A.Q.B.Shape())
	}
	err = Bind(ck, "", &root{}, &fakeUploader{failOn: "p.q_proj.bias"})
	if err == nil || !strings.Contains(err.Error(), `upload p.q_proj.bias: device full`) {
		t.Fatalf("err = %v", err)
	}
	if err := Bind(ck, "", root{}, &fakeUploader{}); err == nil {
		t.Fatal("non-pointer dst accepted")
	}
}
