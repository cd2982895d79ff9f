package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lingshu-edge/lingshu/kernels"
)

// VisionShape gives the dimensions of a Qwen2.5-VL vision tower
// (config.json's vision_config).
type VisionShape struct {
	Depth, Hidden, Heads, Intermediate     int
	PatchSize, SpatialMerge, TemporalPatch int
	WindowSize                             int
	FullAttBlocks                          []int // fullatt_block_indexes
}

// Qwen25VLShape is a Qwen2_5_VLForConditionalGeneration: a Qwen2 text
// decoder, a vision tower whose merger projects to the text hidden size,
// and M-RoPE sections (temporal, height, width) summing to head_dim/2.
type Qwen25VLShape struct {
	Name         string
	Text         Qwen2Shape
	Vision       VisionShape
	MRoPESection [3]int
}

// Qwen25VLShapes lists the shapes WriteRandomQwen25VL knows by name:
// "qwen25vl-tiny-random" (the dimensions of the golden qwen25vl-tiny) and
// "qwen25vl-0.5b-7btower" (the Qwen2.5-0.5B text decoder behind the
// Qwen2.5-VL-7B / Lingshu-7B vision tower, for stage timings on CPU).
func Qwen25VLShapes() []Qwen25VLShape {
	tiny, _ := LookupQwen2Shape("qwen2-tiny")
	small, _ := LookupQwen2Shape("qwen2.5-0.5b")
	return []Qwen25VLShape{
		{Name: "qwen25vl-tiny-random", Text: tiny, MRoPESection: [3]int{2, 3, 3},
			Vision: VisionShape{Depth: 4, Hidden: 32, Heads: 2, Intermediate: 64, PatchSize: 14, SpatialMerge: 2,
				TemporalPatch: 2, WindowSize: 56, FullAttBlocks: []int{1, 3}}},
		{Name: "qwen25vl-0.5b-7btower", Text: small, MRoPESection: [3]int{8, 12, 12},
			Vision: VisionShape{Depth: 32, Hidden: 1280, Heads: 16, Intermediate: 3420, PatchSize: 14, SpatialMerge: 2,
				TemporalPatch: 2, WindowSize: 112, FullAttBlocks: []int{7, 15, 23, 31}}},
	}
}

// LookupQwen25VLShape finds a shape of Qwen25VLShapes by name.
func LookupQwen25VLShape(name string) (Qwen25VLShape, bool) {
	for _, s := range Qwen25VLShapes() {
		if s.Name == name {
			return s, true
		}
	}
	return Qwen25VLShape{}, false
}

// Validate checks that the dimensions are consistent.
func (s Qwen25VLShape) Validate() error {
	if err := s.Text.Validate(); err != nil {
		return err
	}
	v := s.Vision
	switch {
	case v.Depth <= 0 || v.Hidden <= 0 || v.Heads <= 0 || v.Intermediate <= 0 || v.PatchSize <= 0 ||
		v.SpatialMerge <= 0 || v.TemporalPatch <= 0:
		return fmt.Errorf("weights: qwen2.5-vl shape %q: vision dimensions must be positive", s.Name)
	case v.Hidden%v.Heads != 0:
		return fmt.Errorf("weights: qwen2.5-vl shape %q: vision hidden %d not divisible by %d heads", s.Name, v.Hidden, v.Heads)
	case s.MRoPESection[0]+s.MRoPESection[1]+s.MRoPESection[2] != s.Text.Hidden/s.Text.Heads/2:
		return fmt.Errorf("weights: qwen2.5-vl shape %q: mrope_section %v does not sum to head_dim/2 = %d",
			s.Name, s.MRoPESection, s.Text.Hidden/s.Text.Heads/2)
	}
	for _, b := range v.FullAttBlocks {
		if b < 0 || b >= v.Depth {
			return fmt.Errorf("weights: qwen2.5-vl shape %q: full-attention block %d outside depth %d", s.Name, b, v.Depth)
		}
	}
	return nil
}

// tensors lists the checkpoint's tensors with the published names: the
// vision tower (visual.*) then the text decoder (model.*, lm_head).
func (s Qwen25VLShape) tensors() (names []string, shapes []kernels.Shape, ones []bool) {
	v := s.Vision
	add := func(name string, one bool, dims ...int) {
		names, shapes, ones = append(names, name), append(shapes, kernels.Shape(dims)), append(ones, one)
	}
	add("visual.patch_embed.proj.weight", false, v.Hidden, 3, v.TemporalPatch, v.PatchSize, v.PatchSize)
	for b := range v.Depth {
		p := fmt.Sprintf("visual.blocks.%d.", b)
		add(p+"norm1.weight", true, v.Hidden)
		add(p+"attn.qkv.weight", false, 3*v.Hidden, v.Hidden)
		add(p+"attn.qkv.bias", false, 3*v.Hidden)
		add(p+"attn.proj.weight", false, v.Hidden, v.Hidden)
		add(p+"attn.proj.bias", false, v.Hidden)
		add(p+"norm2.weight", true, v.Hidden)
		for _, proj := range []string{"gate_proj", "up_proj"} {
			add(p+"mlp."+proj+".weight", false, v.Intermediate, v.Hidden)
			add(p+"mlp."+proj+".bias", false, v.Intermediate)
		}
		add(p+"mlp.down_proj.weight", false, v.Hidden, v.Intermediate)
		add(p+"mlp.down_proj.bias", false, v.Hidden)
	}
	merged := v.Hidden * v.SpatialMerge * v.SpatialMerge
	add("visual.merger.ln_q.weight", true, v.Hidden)
	add("visual.merger.mlp.0.weight", false, merged, merged)
	add("visual.merger.mlp.0.bias", false, merged)
	add("visual.merger.mlp.2.weight", false, s.Text.Hidden, merged)
	add("visual.merger.mlp.2.bias", false, s.Text.Hidden)
	tn, ts, to := s.Text.tensors()
	return append(names, tn...), append(shapes, ts...), append(ones, to...)
}

// Params returns the number of parameters.
func (s Qwen25VLShape) Params() int64 {
	_, shapes, _ := s.tensors()
	var n int64
	for _, sh := range shapes {
		n += int64(sh.Numel())
	}
	return n
}

// WriteRandomQwen25VL writes a random Qwen2_5_VLForConditionalGeneration
// checkpoint in exact Hugging Face layout into dir: config.json (text keys
// at the top level, vision_config, mrope rope_scaling, special token ids
// read from the tokenizer), model.safetensors (BF16, published tensor
// names, values as WriteRandomQwen2: N(0, 0.02), norms 1, each tensor a
// function of the seed and its name), preprocessor_config.json,
// generation_config.json and the tokenizer files of opts.TokenizerFrom,
// which is required (a Qwen2 or Qwen2.5-VL tokenizer folder).
func WriteRandomQwen25VL(dir string, s Qwen25VLShape, opts RandomOptions) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if opts.TokenizerFrom == "" {
		return errors.New("weights: random qwen2.5-vl model: a tokenizer folder is required")
	}
	ids, err := readSpecialIDs(filepath.Join(opts.TokenizerFrom, "tokenizer.json"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("weights: random qwen2.5-vl model: %w", err)
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
		"special_tokens_map.json", "added_tokens.json", "chat_template.json"} {
		err := copyFile(filepath.Join(opts.TokenizerFrom, name), filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("weights: random qwen2.5-vl model: copy %s: %w", name, err)
		}
	}
	files := map[string]any{
		ConfigFile:                 newQwen25VLConfig(s, ids),
		"preprocessor_config.json": newPreprocessorConfig(s.Vision),
		"generation_config.json": map[string]any{"bos_token_id": ids["bos"], "eos_token_id": []int{ids["eos"], ids["bos"]},
			"pad_token_id": ids["bos"], "do_sample": false, "transformers_version": "4.49.0"},
	}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
		}
		if err != nil {
			return fmt.Errorf("weights: random qwen2.5-vl model: %s: %w", name, err)
		}
	}
	names, shapes, ones := s.tensors()
	return writeRandomTensors(filepath.Join(dir, SafetensorsFile), names, shapes, ones, opts.Seed)
}

// readSpecialIDs finds the ids of the special tokens config.json names in
// tokenizer.json's added_tokens.
func readSpecialIDs(path string) (map[string]int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights: random qwen2.5-vl model: %w", err)
	}
	var tj struct {
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(raw, &tj); err != nil {
		return nil, fmt.Errorf("weights: random qwen2.5-vl model: %s: %w", path, err)
	}
	want := map[string]string{"<|endoftext|>": "bos", "<|im_end|>": "eos", "<|vision_start|>": "vision_start",
		"<|vision_end|>": "vision_end", "<|vision_pad|>": "vision", "<|image_pad|>": "image", "<|video_pad|>": "video"}
	ids := map[string]int{}
	for _, t := range tj.Added {
		if key, ok := want[t.Content]; ok {
			ids[key] = t.ID
		}
	}
	if len(ids) != len(want) {
		return nil, fmt.Errorf("weights: random qwen2.5-vl model: %s lacks Qwen2.5-VL special tokens (found %v)", path, ids)
	}
	return ids, nil
}

// qwen25VLConfig is config.json of a Qwen2_5_VLForConditionalGeneration,
// keys in the order of the published checkpoints.
type qwen25VLConfig struct {
	Architectures         []string       `json:"architectures"`
	AttentionDropout      float64        `json:"attention_dropout"`
	BOSTokenID            int            `json:"bos_token_id"`
	EOSTokenID            int            `json:"eos_token_id"`
	VisionStartTokenID    int            `json:"vision_start_token_id"`
	VisionEndTokenID      int            `json:"vision_end_token_id"`
	VisionTokenID         int            `json:"vision_token_id"`
	ImageTokenID          int            `json:"image_token_id"`
	VideoTokenID          int            `json:"video_token_id"`
	HiddenAct             string         `json:"hidden_act"`
	HiddenSize            int            `json:"hidden_size"`
	InitializerRange      float64        `json:"initializer_range"`
	IntermediateSize      int            `json:"intermediate_size"`
	MaxPositionEmbeddings int            `json:"max_position_embeddings"`
	MaxWindowLayers       int            `json:"max_window_layers"`
	ModelType             string         `json:"model_type"`
	NumAttentionHeads     int            `json:"num_attention_heads"`
	NumHiddenLayers       int            `json:"num_hidden_layers"`
	NumKeyValueHeads      int            `json:"num_key_value_heads"`
	RMSNormEps            float64        `json:"rms_norm_eps"`
	RopeTheta             float64        `json:"rope_theta"`
	SlidingWindow         int            `json:"sliding_window"`
	TieWordEmbeddings     bool           `json:"tie_word_embeddings"`
	TorchDType            string         `json:"torch_dtype"`
	TransformersVersion   string         `json:"transformers_version"`
	UseCache              bool           `json:"use_cache"`
	UseSlidingWindow      bool           `json:"use_sliding_window"`
	VisionConfig          visionConfig   `json:"vision_config"`
	RopeScaling           map[string]any `json:"rope_scaling"`
	VocabSize             int            `json:"vocab_size"`
}

type visionConfig struct {
	Depth               int    `json:"depth"`
	HiddenAct           string `json:"hidden_act"`
	HiddenSize          int    `json:"hidden_size"`
	IntermediateSize    int    `json:"intermediate_size"`
	NumHeads            int    `json:"num_heads"`
	InChans             int    `json:"in_chans"`
	InChannels          int    `json:"in_channels"`
	OutHiddenSize       int    `json:"out_hidden_size"`
	PatchSize           int    `json:"patch_size"`
	SpatialMergeSize    int    `json:"spatial_merge_size"`
	SpatialPatchSize    int    `json:"spatial_patch_size"`
	WindowSize          int    `json:"window_size"`
	FullAttBlockIndexes []int  `json:"fullatt_block_indexes"`
	TokensPerSecond     int    `json:"tokens_per_second"`
	TemporalPatchSize   int    `json:"temporal_patch_size"`
}

func newQwen25VLConfig(s Qwen25VLShape, ids map[string]int) qwen25VLConfig {
	t, v := s.Text, s.Vision
	return qwen25VLConfig{
		Architectures: []string{"Qwen2_5_VLForConditionalGeneration"}, BOSTokenID: ids["bos"], EOSTokenID: ids["eos"],
		VisionStartTokenID: ids["vision_start"], VisionEndTokenID: ids["vision_end"], VisionTokenID: ids["vision"],
		ImageTokenID: ids["image"], VideoTokenID: ids["video"], HiddenAct: "silu", HiddenSize: t.Hidden,
		InitializerRange: 0.02, IntermediateSize: t.Intermediate, MaxPositionEmbeddings: t.MaxPositions,
		MaxWindowLayers: t.Layers, ModelType: "qwen2_5_vl", NumAttentionHeads: t.Heads, NumHiddenLayers: t.Layers,
		NumKeyValueHeads: t.KVHeads, RMSNormEps: t.RMSNormEps, RopeTheta: t.RopeTheta, SlidingWindow: t.MaxPositions,
		TieWordEmbeddings: t.Tied, TorchDType: "bfloat16", TransformersVersion: "4.49.0", UseCache: true,
		VisionConfig: visionConfig{Depth: v.Depth, HiddenAct: "silu", HiddenSize: v.Hidden, IntermediateSize: v.Intermediate,
			NumHeads: v.Heads, InChans: 3, InChannels: 3, OutHiddenSize: t.Hidden, PatchSize: v.PatchSize,
			SpatialMergeSize: v.SpatialMerge, SpatialPatchSize: v.PatchSize, WindowSize: v.WindowSize,
			FullAttBlockIndexes: v.FullAttBlocks, TokensPerSecond: 2, TemporalPatchSize: v.TemporalPatch},
		RopeScaling: map[string]any{"type": "mrope", "rope_type": "default", "mrope_section": s.MRoPESection[:]},
		VocabSize:   t.Vocab,
	}
}

// newPreprocessorConfig is Qwen2VLImageProcessor's published configuration.
func newPreprocessorConfig(v VisionShape) map[string]any {
	return map[string]any{
		"min_pixels": 56 * 56, "max_pixels": 28 * 28 * 1280, "patch_size": v.PatchSize,
		"temporal_patch_size": v.TemporalPatch, "merge_size": v.SpatialMerge,
		"image_mean": []float64{0.48145466, 0.4578275, 0.40821073},
		"image_std":  []float64{0.26862954, 0.26130258, 0.27577711},
		"do_resize":  true, "resample": 3, "do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true,
		"do_convert_rgb": true, "image_processor_type": "Qwen2VLImageProcessor", "processor_class": "Qwen2_5_VLProcessor",
	}
}

// writeRandomTensors streams random BF16 tensors into a safetensors file
// written under a temporary name and renamed when complete.
func writeRandomTensors(path string, names []string, shapes []kernels.Shape, ones []bool, seed uint64) error {
	ts := make([]WriteTensor, len(names))
	for i := range names {
		name, n, one := names[i], shapes[i].Numel(), ones[i]
		ts[i] = WriteTensor{Name: name, DType: kernels.BF16, Shape: shapes[i], Fill: func(w io.Writer) error {
			return fillBF16(w, n, one, seed, name)
		}}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*.safetensors.tmp")
	if err != nil {
		return fmt.Errorf("weights: random model: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = WriteSafetensors(tmp, ts, map[string]string{"format": "pt"})
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("weights: random model: write %s: %w", path, err)
	}
	return nil
}
