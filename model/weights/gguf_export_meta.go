package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lingshu-edge/lingshu/quant"
)

// GGUF token types (llama.cpp llama_token_type).
const (
	tokNormal      int32 = 1
	tokControl     int32 = 3
	tokUserDefined int32 = 4
	tokUnused      int32 = 5
)

// hfTextConfig holds the config.json fields the GGUF metadata needs.
type hfTextConfig struct {
	ModelType    string   `json:"model_type"`
	Hidden       int      `json:"hidden_size"`
	Layers       int      `json:"num_hidden_layers"`
	Heads        int      `json:"num_attention_heads"`
	KVHeads      int      `json:"num_key_value_heads"`
	Intermediate int      `json:"intermediate_size"`
	MaxPositions int      `json:"max_position_embeddings"`
	RopeTheta    float64  `json:"rope_theta"`
	RMSNormEps   float64  `json:"rms_norm_eps"`
	VocabSize    int      `json:"vocab_size"`
	BOSTokenID   *int     `json:"bos_token_id"`
	EOSTokenID   *jsonIDs `json:"eos_token_id"`
	RopeScaling  *struct {
		MRoPESection []int `json:"mrope_section"`
	} `json:"rope_scaling"`
}

// jsonIDs is an id or a list of ids (eos_token_id may be either).
type jsonIDs []int

func (j *jsonIDs) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*j = jsonIDs{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*j = many
	return nil
}

// ggufArchFor maps config.json's model_type to the llama.cpp architecture
// of the text GGUF.
func ggufArchFor(modelType string) (string, error) {
	switch modelType {
	case "qwen2":
		return "qwen2", nil
	case "qwen2_5_vl", "qwen2_vl":
		return "qwen2vl", nil
	}
	return "", fmt.Errorf("weights: export gguf: model_type %q is not supported (qwen2, qwen2_5_vl)", modelType)
}

// textMetadata builds the metadata of the text GGUF from a Hugging Face
// folder, key for key as llama.cpp's convert_hf_to_gguf.py writes it for
// Qwen2 (general.*, qwen2.*, tokenizer.*), in its order.
func textMetadata(ck *Checkpoint, arch, name string, fileType uint32) ([]quant.KV, error) {
	var c hfTextConfig
	if err := json.Unmarshal(ck.ConfigJSON, &c); err != nil {
		return nil, fmt.Errorf("weights: export gguf: config.json: %w", err)
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.Hidden <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.Intermediate <= 0 {
		return nil, fmt.Errorf("weights: export gguf: config.json lacks hidden_size/num_hidden_layers/num_attention_heads/intermediate_size")
	}
	kvs := []quant.KV{
		{Key: "general.architecture", Value: arch},
		{Key: "general.name", Value: name},
	}
	if c.MaxPositions > 0 {
		kvs = append(kvs, quant.KV{Key: arch + ".context_length", Value: uint32(c.MaxPositions)})
	}
	kvs = append(kvs,
		quant.KV{Key: arch + ".embedding_length", Value: uint32(c.Hidden)},
		quant.KV{Key: arch + ".block_count", Value: uint32(c.Layers)},
		quant.KV{Key: arch + ".feed_forward_length", Value: uint32(c.Intermediate)},
		quant.KV{Key: arch + ".attention.head_count", Value: uint32(c.Heads)},
		quant.KV{Key: arch + ".attention.head_count_kv", Value: uint32(c.KVHeads)},
	)
	if c.RopeTheta > 0 {
		kvs = append(kvs, quant.KV{Key: arch + ".rope.freq_base", Value: float32(c.RopeTheta)})
	}
	if c.RMSNormEps > 0 {
		kvs = append(kvs, quant.KV{Key: arch + ".attention.layer_norm_rms_epsilon", Value: float32(c.RMSNormEps)})
	}
	if arch == "qwen2vl" {
		if c.RopeScaling == nil || len(c.RopeScaling.MRoPESection) == 0 || len(c.RopeScaling.MRoPESection) > 4 {
			return nil, fmt.Errorf("weights: export gguf: qwen2vl needs rope_scaling.mrope_section (1..4 values)")
		}
		sec := make([]int32, 4) // padded with zeros to 4, as the converter does
		for i, s := range c.RopeScaling.MRoPESection {
			sec[i] = int32(s)
		}
		kvs = append(kvs, quant.KV{Key: arch + ".rope.dimension_sections", Value: sec})
	}
	vocab := c.VocabSize
	if emb, ok := ck.Tensor("model.embed_tokens.weight"); ok && len(emb.Shape) == 2 && vocab == 0 {
		vocab = emb.Shape[0]
	}
	tok, err := tokenizerMetadata(ck.Dir, vocab, c)
	if err != nil {
		return nil, err
	}
	kvs = append(kvs, tok...)
	kvs = append(kvs,
		quant.KV{Key: "general.quantization_version", Value: uint32(2)},
		quant.KV{Key: "general.file_type", Value: fileType},
	)
	return kvs, nil
}

// hfTokenizerJSON is the part of tokenizer.json the GGUF vocabulary needs.
type hfTokenizerJSON struct {
	Model struct {
		Type   string            `json:"type"`
		Vocab  map[string]int    `json:"vocab"`
		Merges []json.RawMessage `json:"merges"`
	} `json:"model"`
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
}

// tokenizerMetadata reads tokenizer.json, tokenizer_config.json and the
// chat template files of dir into tokenizer.* keys, as gguf-py's
// _set_vocab_gpt2 and SpecialVocab do: every id below vocabSize gets a
// token ("[PAD<id>]", type UNUSED, when the tokenizer has none); added
// tokens are CONTROL when special or when they look special (<|...|>),
// USER_DEFINED otherwise.
func tokenizerMetadata(dir string, vocabSize int, c hfTextConfig) ([]quant.KV, error) {
	raw, err := readSmallFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("weights: export gguf: %w", err)
	}
	kvs, addedIDs, err := vocabMetadata(raw, vocabSize)
	if err != nil {
		return nil, err
	}
	special, err := specialTokenMetadata(dir, addedIDs, c)
	if err != nil {
		return nil, err
	}
	return append(kvs, special...), nil
}

// maxExportVocab bounds the vocabulary size taken from config.json.
const maxExportVocab = 1 << 24

// vocabMetadata turns tokenizer.json into the tokenizer.ggml model, pre,
// tokens, token_type and merges keys; it also returns the added tokens'
// ids by content.
func vocabMetadata(raw []byte, vocabSize int) ([]quant.KV, map[string]int, error) {
	tj, err := parseTokenizerJSON(raw)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int]string{}
	for tok, id := range tj.Model.Vocab {
		byID[id] = tok
	}
	added := map[int]bool{}
	special := map[int]bool{}
	addedIDs := map[string]int{}
	for _, a := range tj.AddedTokens {
		byID[a.ID] = a.Content
		added[a.ID], special[a.ID] = true, a.Special
		addedIDs[a.Content] = a.ID
	}
	if vocabSize <= 0 {
		vocabSize = len(byID)
	}
	if vocabSize > maxExportVocab {
		return nil, nil, fmt.Errorf("weights: export gguf: vocab_size %d exceeds %d", vocabSize, maxExportVocab)
	}
	tokens := make([]string, vocabSize)
	types := make([]int32, vocabSize)
	for i := range tokens {
		tok, ok := byID[i]
		switch {
		case !ok:
			tokens[i], types[i] = fmt.Sprintf("[PAD%d]", i), tokUnused
		case added[i] && (special[i] || looksSpecial(tok)):
			tokens[i], types[i] = tok, tokControl
		case added[i]:
			tokens[i], types[i] = strings.ReplaceAll(tok, "\u2581", " "), tokUserDefined
		default:
			tokens[i], types[i] = tok, tokNormal
		}
	}
	merges, err := mergeStrings(tj.Model.Merges)
	if err != nil {
		return nil, nil, err
	}
	kvs := []quant.KV{
		{Key: "tokenizer.ggml.model", Value: "gpt2"},
		{Key: "tokenizer.ggml.pre", Value: "qwen2"},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
		{Key: "tokenizer.ggml.token_type", Value: types},
	}
	if len(merges) > 0 {
		kvs = append(kvs, quant.KV{Key: "tokenizer.ggml.merges", Value: merges})
	}
	return kvs, addedIDs, nil
}

// parseTokenizerJSON decodes tokenizer.json and checks it is a BPE model.
func parseTokenizerJSON(raw []byte) (*hfTokenizerJSON, error) {
	var tj hfTokenizerJSON
	if err := json.Unmarshal(raw, &tj); err != nil {
		return nil, fmt.Errorf("weights: export gguf: tokenizer.json: %w", err)
	}
	if tj.Model.Type != "BPE" || len(tj.Model.Vocab) == 0 {
		return nil, fmt.Errorf("weights: export gguf: tokenizer.json: model type %q with %d tokens (want a BPE vocabulary)", tj.Model.Type, len(tj.Model.Vocab))
	}
	return &tj, nil
}

// mergeStrings accepts both merge encodings of tokenizer.json: "a b"
// strings and ["a", "b"] pairs.
func mergeStrings(raw []json.RawMessage) ([]string, error) {
	out := make([]string, len(raw))
	for i, m := range raw {
		var s string
		if err := json.Unmarshal(m, &s); err == nil {
			out[i] = s
			continue
		}
		var pair []string
		if err := json.Unmarshal(m, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("weights: export gguf: tokenizer.json merge %d is neither \"a b\" nor [a, b]", i)
		}
		out[i] = pair[0] + " " + pair[1]
	}
	return out, nil
}

// looksSpecial is convert_hf_to_gguf's does_token_look_special.
func looksSpecial(tok string) bool {
	switch {
	case tok == "<pad>" || tok == "<mask>" || tok == "<2mass>" || tok == "[@BOS@]":
		return true
	case strings.HasPrefix(tok, "<|") && strings.HasSuffix(tok, "|>"):
		return true
	case strings.HasPrefix(tok, "<｜") && strings.HasSuffix(tok, "｜>"):
		return true
	case strings.HasPrefix(tok, "<unused") && strings.HasSuffix(tok, ">"):
		return true
	}
	return false
}

// specialTokenMetadata is gguf-py's SpecialVocab: ids of the special
// tokens named in tokenizer_config.json (looked up among the added
// tokens), then those of config.json not set yet, add_bos/add_eos, and the
// chat template (tokenizer_config.json, else chat_template.jinja, else
// chat_template.json).
func specialTokenMetadata(dir string, addedIDs map[string]int, c hfTextConfig) ([]quant.KV, error) {
	var tc map[string]any
	if raw, err := readSmallFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		if err := json.Unmarshal(raw, &tc); err != nil {
			return nil, fmt.Errorf("weights: export gguf: tokenizer_config.json: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("weights: export gguf: %w", err)
	}
	ids := map[string]int{}
	var order []string
	set := func(typ string, id int) {
		if _, done := ids[typ]; !done && id >= 0 {
			ids[typ] = id
			order = append(order, typ)
		}
	}
	for _, typ := range []string{"bos", "eos", "unk", "sep", "pad", "cls", "mask"} {
		content := tokenContent(tc[typ+"_token"])
		if id, ok := addedIDs[content]; ok && content != "" {
			set(typ, id)
		}
	}
	if c.BOSTokenID != nil {
		set("bos", *c.BOSTokenID)
	}
	if c.EOSTokenID != nil && len(*c.EOSTokenID) > 0 {
		set("eos", (*c.EOSTokenID)[0])
	}
	keyOf := map[string]string{"bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id",
		"sep": "seperator_token_id", "pad": "padding_token_id", "cls": "cls_token_id", "mask": "mask_token_id"}
	var kvs []quant.KV
	for _, typ := range order {
		kvs = append(kvs, quant.KV{Key: "tokenizer.ggml." + keyOf[typ], Value: uint32(ids[typ])})
	}
	for _, k := range []string{"add_bos_token", "add_eos_token"} {
		if v, ok := tc[k].(bool); ok {
			kvs = append(kvs, quant.KV{Key: "tokenizer.ggml." + k, Value: v})
		}
	}
	tmpl, err := chatTemplate(dir, tc)
	if err != nil {
		return nil, err
	}
	if tmpl != "" {
		kvs = append(kvs, quant.KV{Key: "tokenizer.chat_template", Value: tmpl})
	}
	return kvs, nil
}

// tokenContent reads a tokenizer_config.json token entry: a string or
// {"content": ...}.
func tokenContent(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["content"].(string)
		return s
	}
	return ""
}

func chatTemplate(dir string, tc map[string]any) (string, error) {
	if s, ok := tc["chat_template"].(string); ok {
		return s, nil
	}
	if raw, err := readSmallFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		return string(raw), nil
	}
	raw, err := readSmallFile(filepath.Join(dir, "chat_template.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("weights: export gguf: %w", err)
	}
	var ct struct {
		ChatTemplate string `json:"chat_template"`
	}
	if err := json.Unmarshal(raw, &ct); err != nil {
		return "", fmt.Errorf("weights: export gguf: chat_template.json: %w", err)
	}
	return ct.ChatTemplate, nil
}

// ggufTokenizerKeys is the order in which tokenizer.* keys of a GGUF
// source are copied; other tokenizer.* keys follow, sorted.
var ggufTokenizerKeys = []string{
	"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
	"tokenizer.ggml.merges", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id",
	"tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
	"tokenizer.chat_template",
}

// copiedMetadata re-emits a GGUF source's metadata for a new file type:
// every key except general.file_type, general.quantization_version and
// general.alignment, architecture keys first, then tokenizer keys.
func copiedMetadata(meta map[string]any, fileType uint32) ([]quant.KV, error) {
	var general, archKeys, tokKeys []string
	skip := map[string]bool{"general.file_type": true, "general.quantization_version": true, "general.alignment": true}
	for k := range meta {
		switch {
		case skip[k]:
		case strings.HasPrefix(k, "general."):
			general = append(general, k)
		case strings.HasPrefix(k, "tokenizer."):
		default:
			archKeys = append(archKeys, k)
		}
	}
	sort.Strings(general)
	sort.Strings(archKeys)
	seen := map[string]bool{}
	for _, k := range ggufTokenizerKeys {
		if _, ok := meta[k]; ok {
			tokKeys = append(tokKeys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range meta {
		if strings.HasPrefix(k, "tokenizer.") && !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	// general.architecture first, as every writer puts it.
	keys := []string{"general.architecture"}
	for _, k := range general {
		if k != "general.architecture" {
			keys = append(keys, k)
		}
	}
	keys = append(append(append(keys, archKeys...), tokKeys...), rest...)
	var kvs []quant.KV
	for _, k := range keys {
		v, ok := meta[k]
		if !ok {
			continue
		}
		if _, nested := v.([]any); nested {
			return nil, fmt.Errorf("weights: export gguf: metadata %s: nested arrays are not copied", k)
		}
		kvs = append(kvs, quant.KV{Key: k, Value: v})
	}
	return append(kvs,
		quant.KV{Key: "general.quantization_version", Value: uint32(2)},
		quant.KV{Key: "general.file_type", Value: fileType}), nil
}

// exportName is general.name: the model folder's (or GGUF file's) base
// name.
func exportName(ck *Checkpoint) string {
	if ck.Format == FormatGGUF {
		if s, ok := ck.GGUFMeta["general.name"].(string); ok && s != "" {
			return s
		}
		return strings.TrimSuffix(filepath.Base(ck.Path), filepath.Ext(ck.Path))
	}
	st, err := os.Stat(ck.Path)
	if err == nil && !st.IsDir() {
		return filepath.Base(filepath.Dir(ck.Path))
	}
	return filepath.Base(filepath.Clean(ck.Path))
}
