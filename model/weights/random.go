package weights

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Qwen2Shape gives the dimensions of a Qwen2 decoder (Qwen2ForCausalLM).
type Qwen2Shape struct {
	Name         string
	Hidden       int
	Layers       int
	Heads        int
	KVHeads      int
	Intermediate int
	Vocab        int
	MaxPositions int
	Tied         bool // tie_word_embeddings: no lm_head.weight
	RopeTheta    float64
	RMSNormEps   float64
}

// Qwen2Shapes lists the shapes WriteRandomQwen2 knows by name.
func Qwen2Shapes() []Qwen2Shape {
	return []Qwen2Shape{
		{Name: "qwen2-tiny", Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, Intermediate: 128, Vocab: 151936,
			MaxPositions: 4096, Tied: true, RopeTheta: 1e6, RMSNormEps: 1e-6},
		{Name: "qwen2.5-0.5b", Hidden: 896, Layers: 24, Heads: 14, KVHeads: 2, Intermediate: 4864, Vocab: 151936,
			MaxPositions: 32768, Tied: true, RopeTheta: 1e6, RMSNormEps: 1e-6},
		// The text decoder of Qwen2.5-VL-7B / Lingshu-7B (about 15 GB in BF16).
		{Name: "qwen2.5-7b", Hidden: 3584, Layers: 28, Heads: 28, KVHeads: 4, Intermediate: 18944, Vocab: 152064,
			MaxPositions: 128000, Tied: false, RopeTheta: 1e6, RMSNormEps: 1e-6},
	}
}

// LookupQwen2Shape finds a shape of Qwen2Shapes by name.
func LookupQwen2Shape(name string) (Qwen2Shape, bool) {
	for _, s := range Qwen2Shapes() {
		if s.Name == name {
			return s, true
		}
	}
	return Qwen2Shape{}, false
}

// Validate checks that the dimensions are consistent.
func (s Qwen2Shape) Validate() error {
	switch {
	case s.Hidden <= 0 || s.Layers <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.Intermediate <= 0 || s.Vocab <= 0:
		return fmt.Errorf("weights: qwen2 shape %q: dimensions must be positive", s.Name)
	case s.Hidden%s.Heads != 0:
		return fmt.Errorf("weights: qwen2 shape %q: hidden %d not divisible by %d heads", s.Name, s.Hidden, s.Heads)
	case s.Heads%s.KVHeads != 0:
		return fmt.Errorf("weights: qwen2 shape %q: %d heads not divisible by %d KV heads", s.Name, s.Heads, s.KVHeads)
	}
	return nil
}

// tensors lists the checkpoint's tensors in Hugging Face order; ones marks
// the norm weights, initialised to 1.
func (s Qwen2Shape) tensors() (names []string, shapes []kernels.Shape, ones []bool) {
	kv := s.KVHeads * (s.Hidden / s.Heads)
	add := func(name string, one bool, dims ...int) {
		names, shapes, ones = append(names, name), append(shapes, kernels.Shape(dims)), append(ones, one)
	}
	add("model.embed_tokens.weight", false, s.Vocab, s.Hidden)
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"self_attn.q_proj.weight", false, s.Hidden, s.Hidden)
		add(p+"self_attn.q_proj.bias", false, s.Hidden)
		add(p+"self_attn.k_proj.weight", false, kv, s.Hidden)
		add(p+"self_attn.k_proj.bias", false, kv)
		add(p+"self_attn.v_proj.weight", false, kv, s.Hidden)
		add(p+"self_attn.v_proj.bias", false, kv)
		add(p+"self_attn.o_proj.weight", false, s.Hidden, s.Hidden)
		add(p+"mlp.gate_proj.weight", false, s.Intermediate, s.Hidden)
		add(p+"mlp.up_proj.weight", false, s.Intermediate, s.Hidden)
		add(p+"mlp.down_proj.weight", false, s.Hidden, s.Intermediate)
		add(p+"input_layernorm.weight", true, s.Hidden)
		add(p+"post_attention_layernorm.weight", true, s.Hidden)
	}
	add("model.norm.weight", true, s.Hidden)
	if !s.Tied {
		add("lm_head.weight", false, s.Vocab, s.Hidden)
	}
	return names, shapes, ones
}

// Params returns the number of parameters.
func (s Qwen2Shape) Params() int64 {
	_, shapes, _ := s.tensors()
	var n int64
	for _, sh := range shapes {
		n += int64(sh.Numel())
	}
	return n
}

// RandomOptions configures WriteRandomQwen2.
type RandomOptions struct {
	Seed uint64
	// TokenizerFrom is a folder whose tokenizer files (tokenizer.json,
	// tokenizer_config.json, ...) and generation_config.json are copied; ""
	// writes the weights and config only.
	TokenizerFrom string
}

// tokenizerFiles are copied from RandomOptions.TokenizerFrom when present.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
	"special_tokens_map.json", "added_tokens.json", "chat_template.json", "generation_config.json"}

// WriteRandomQwen2 writes a random Qwen2ForCausalLM checkpoint in exact
// Hugging Face layout into dir: config.json, model.safetensors (BF16; linear
// weights, biases and embeddings drawn from N(0, 0.02), norms 1) and the
// tokenizer files of opts.TokenizerFrom. Tensors are streamed to disk, so
// memory use does not grow with the model. Each tensor's values depend only
// on the seed and its name. The safetensors file is written under a
// temporary name and renamed when complete.
func WriteRandomQwen2(dir string, s Qwen2Shape, opts RandomOptions) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("weights: random model: %w", err)
	}
	cfg := newQwen2Config(s)
	if opts.TokenizerFrom != "" {
		if err := copyTokenizer(opts.TokenizerFrom, dir, &cfg); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("weights: random model: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("weights: random model: %w", err)
	}
	return writeRandomSafetensors(filepath.Join(dir, SafetensorsFile), s, opts.Seed)
}

func writeRandomSafetensors(path string, s Qwen2Shape, seed uint64) error {
	names, shapes, ones := s.tensors()
	return writeRandomTensors(path, names, shapes, ones, seed)
}

// fillBF16 streams n BF16 values: ones, or N(0, 0.02) from a generator seeded
// by (seed, name).
func fillBF16(w io.Writer, n int, one bool, seed uint64, name string) error {
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	buf := make([]byte, 2*min(n, 1<<15))
	for done := 0; done < n; {
		k := min(n-done, len(buf)/2)
		for i := 0; i < k; i++ {
			v := float32(1)
			if !one {
				v = float32(rng.NormFloat64() * 0.02)
			}
			binary.LittleEndian.PutUint16(buf[2*i:], F32ToBF16(v))
		}
		if _, err := w.Write(buf[:2*k]); err != nil {
			return err
		}
		done += k
	}
	return nil
}

// qwen2Config is config.json of a Qwen2ForCausalLM, keys in the order
// transformers writes them.
type qwen2Config struct {
	Architectures         []string `json:"architectures"`
	AttentionDropout      float64  `json:"attention_dropout"`
	BOSTokenID            any      `json:"bos_token_id"`
	EOSTokenID            any      `json:"eos_token_id"`
	HiddenAct             string   `json:"hidden_act"`
	HiddenSize            int      `json:"hidden_size"`
	InitializerRange      float64  `json:"initializer_range"`
	IntermediateSize      int      `json:"intermediate_size"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	MaxWindowLayers       int      `json:"max_window_layers"`
	ModelType             string   `json:"model_type"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeScaling           any      `json:"rope_scaling"`
	RopeTheta             float64  `json:"rope_theta"`
	SlidingWindow         int      `json:"sliding_window"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	TorchDType            string   `json:"torch_dtype"`
	TransformersVersion   string   `json:"transformers_version"`
	UseCache              bool     `json:"use_cache"`
	UseSlidingWindow      bool     `json:"use_sliding_window"`
	VocabSize             int      `json:"vocab_size"`
}

func newQwen2Config(s Qwen2Shape) qwen2Config {
	return qwen2Config{
		Architectures: []string{"Qwen2ForCausalLM"}, HiddenAct: "silu", HiddenSize: s.Hidden, InitializerRange: 0.02,
		IntermediateSize: s.Intermediate, MaxPositionEmbeddings: s.MaxPositions, MaxWindowLayers: s.Layers,
		ModelType: "qwen2", NumAttentionHeads: s.Heads, NumHiddenLayers: s.Layers, NumKeyValueHeads: s.KVHeads,
		RMSNormEps: s.RMSNormEps, RopeTheta: s.RopeTheta, SlidingWindow: s.MaxPositions, TieWordEmbeddings: s.Tied,
		TorchDType: "bfloat16", TransformersVersion: "4.49.0", UseCache: true, VocabSize: s.Vocab,
	}
}

// copyTokenizer copies the tokenizer files of src into dst and takes the
// bos/eos ids of src's config.json (falling back to generation_config.json).
func copyTokenizer(src, dst string, cfg *qwen2Config) error {
	copied := 0
	for _, name := range tokenizerFiles {
		err := copyFile(filepath.Join(src, name), filepath.Join(dst, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("weights: random model: copy %s: %w", name, err)
		}
		copied++
	}
	if copied == 0 {
		return fmt.Errorf("weights: random model: no tokenizer files in %s", src)
	}
	for _, name := range []string{ConfigFile, "generation_config.json"} {
		raw, err := readSmallFile(filepath.Join(src, name))
		if err != nil {
			continue
		}
		var ids struct {
			BOS any `json:"bos_token_id"`
			EOS any `json:"eos_token_id"`
		}
		if json.Unmarshal(raw, &ids) == nil && ids.BOS != nil && ids.EOS != nil {
			cfg.BOSTokenID, cfg.EOSTokenID = ids.BOS, ids.EOS
			break
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
