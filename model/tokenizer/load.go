package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// LoadDir loads the tokenizer of a Hugging Face model folder:
// tokenizer.json (required), tokenizer_config.json (chat template, special
// tokens), generation_config.json (more EOS ids), and the chat template from
// chat_template.jinja or chat_template.json when tokenizer_config.json has
// none (Qwen2.5-VL processors keep it there).
func LoadDir(dir string) (*Tokenizer, error) {
	tj, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", dir, err)
	}
	opt := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tokenizer: load %s: %w", dir, err)
		}
		return b, nil
	}
	tc, err := opt("tokenizer_config.json")
	if err != nil {
		return nil, err
	}
	gc, err := opt("generation_config.json")
	if err != nil {
		return nil, err
	}
	t, err := LoadJSON(tj, tc, gc)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	if t.chatTemplate == "" {
		if b, err := opt("chat_template.jinja"); err != nil {
			return nil, err
		} else if b != nil {
			t.chatTemplate = string(b)
		}
	}
	if t.chatTemplate == "" {
		b, err := opt("chat_template.json")
		if err != nil {
			return nil, err
		}
		if b != nil {
			var ct struct {
				ChatTemplate json.RawMessage `json:"chat_template"`
			}
			if err := json.Unmarshal(b, &ct); err != nil {
				return nil, fmt.Errorf("tokenizer: parse %s/chat_template.json: %w", dir, err)
			}
			if t.chatTemplate, err = parseChatTemplate(ct.ChatTemplate); err != nil {
				return nil, fmt.Errorf("tokenizer: parse %s/chat_template.json: %w", dir, err)
			}
		}
	}
	return t, nil
}

// LoadJSON builds a tokenizer from the contents of tokenizer.json and,
// optionally (nil to omit), tokenizer_config.json and generation_config.json.
func LoadJSON(tokenizerJSON, tokenizerConfig, generationConfig []byte) (*Tokenizer, error) {
	sp, err := parseTokenizerJSON(tokenizerJSON)
	if err != nil {
		return nil, err
	}
	var cfg hfTokenizerConfig
	if tokenizerConfig != nil {
		if err := json.Unmarshal(tokenizerConfig, &cfg); err != nil {
			return nil, fmt.Errorf("tokenizer: parse tokenizer_config.json: %w", err)
		}
		sp.added, err = mergeAddedDecoder(sp.added, cfg.AddedTokensDecoder)
		if err != nil {
			return nil, err
		}
	}
	t, err := build(sp)
	if err != nil {
		return nil, err
	}
	if err := t.applyConfig(&cfg); err != nil {
		return nil, err
	}
	if generationConfig != nil {
		if err := t.applyGenerationConfig(generationConfig); err != nil {
			return nil, err
		}
	}
	return t, nil
}

type hfAddedToken struct {
	ID         *int   `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

func (a hfAddedToken) token(id int) AddedToken {
	return AddedToken{ID: id, Content: a.Content, Special: a.Special, LStrip: a.LStrip, RStrip: a.RStrip,
		SingleWord: a.SingleWord, Normalized: a.Normalized}
}

type hfComponent struct {
	Type          string        `json:"type"`
	Pretokenizers []hfComponent `json:"pretokenizers"`
	Normalizers   []hfComponent `json:"normalizers"`
	Pattern       *struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior       string `json:"behavior"`
	Invert         bool   `json:"invert"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
}

type hfTokenizerJSON struct {
	AddedTokens  []hfAddedToken `json:"added_tokens"`
	Normalizer   *hfComponent   `json:"normalizer"`
	PreTokenizer *hfComponent   `json:"pre_tokenizer"`
	Decoder      *hfComponent   `json:"decoder"`
	Model        struct {
		Type                    string          `json:"type"`
		Vocab                   map[string]int  `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
		Dropout                 *float64        `json:"dropout"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
		ByteFallback            bool            `json:"byte_fallback"`
		IgnoreMerges            bool            `json:"ignore_merges"`
	} `json:"model"`
}

// parseTokenizerJSON reads tokenizer.json and checks that its pipeline is
// the one implemented here (Qwen2's): anything else is an error, not a
// silently different tokenization.
func parseTokenizerJSON(data []byte) (spec, error) {
	var tj hfTokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return spec{}, fmt.Errorf("tokenizer: parse tokenizer.json: %w", err)
	}
	m := &tj.Model
	switch {
	case m.Type != "BPE" && m.Type != "":
		return spec{}, fmt.Errorf("tokenizer: model type %q not supported (want BPE)", m.Type)
	case len(m.Vocab) == 0:
		return spec{}, fmt.Errorf("tokenizer: tokenizer.json has no model.vocab")
	case m.Dropout != nil && *m.Dropout != 0:
		return spec{}, fmt.Errorf("tokenizer: BPE dropout not supported")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "",
		m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return spec{}, fmt.Errorf("tokenizer: BPE subword prefix/suffix not supported")
	case m.ByteFallback:
		return spec{}, fmt.Errorf("tokenizer: BPE byte_fallback not supported")
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return spec{}, err
	}
	nfc, err := checkNormalizer(tj.Normalizer)
	if err != nil {
		return spec{}, err
	}
	if err := checkPreTokenizer(tj.PreTokenizer); err != nil {
		return spec{}, err
	}
	if d := tj.Decoder; d != nil && d.Type != "ByteLevel" {
		return spec{}, fmt.Errorf("tokenizer: decoder %q not supported (want ByteLevel)", d.Type)
	}
	sp := spec{vocab: m.Vocab, merges: merges, nfc: nfc, ignoreMerges: m.IgnoreMerges}
	for i, a := range tj.AddedTokens {
		if a.ID == nil {
			return spec{}, fmt.Errorf("tokenizer: added token %d (%q) has no id", i, a.Content)
		}
		sp.added = append(sp.added, a.token(*a.ID))
	}
	return sp, nil
}

// parseMerges accepts both layouts: ["a b", ...] and [["a","b"], ...]. The
// first element decides which one is decoded.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if mergesArePairs(raw) {
		var pairs [][]string
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, fmt.Errorf("tokenizer: model.merges: %w", err)
		}
		out := make([][2]string, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("tokenizer: merge %d has %d parts, want 2", i, len(p))
			}
			out[i] = [2]string{p[0], p[1]}
		}
		return out, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err != nil {
		return nil, fmt.Errorf("tokenizer: model.merges is neither [\"a b\"] nor [[\"a\",\"b\"]]: %w", err)
	}
	return splitMergeStrings(strs)
}

// mergesArePairs reports whether the JSON array raw starts with an array.
func mergesArePairs(raw []byte) bool {
	seenOpen := false
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		case '[':
			if seenOpen {
				return true
			}
			seenOpen = true
		default:
			return false
		}
	}
	return false
}

func splitMergeStrings(strs []string) ([][2]string, error) {
	out := make([][2]string, len(strs))
	for i, s := range strs {
		sp := -1
		for j := 1; j < len(s); j++ { // the separator is the first space after the first byte
			if s[j] == ' ' {
				sp = j
				break
			}
		}
		if sp < 0 || sp == len(s)-1 {
			return nil, fmt.Errorf("tokenizer: merge %d %q is not \"a b\"", i, s)
		}
		out[i] = [2]string{s[:sp], s[sp+1:]}
	}
	return out, nil
}

func checkNormalizer(n *hfComponent) (nfc bool, err error) {
	if n == nil {
		return false, nil
	}
	switch n.Type {
	case "NFC":
		return true, nil
	case "Sequence":
		for _, c := range n.Normalizers {
			if c.Type != "NFC" {
				return false, fmt.Errorf("tokenizer: normalizer %q not supported (want NFC)", c.Type)
			}
			nfc = true
		}
		return nfc, nil
	}
	return false, fmt.Errorf("tokenizer: normalizer %q not supported (want NFC)", n.Type)
}

// checkPreTokenizer accepts Qwen2's Sequence[Split(Qwen2Pattern, Isolated),
// ByteLevel(use_regex=false, add_prefix_space=false)].
func checkPreTokenizer(p *hfComponent) error {
	if p == nil || p.Type != "Sequence" || len(p.Pretokenizers) != 2 {
		return fmt.Errorf("tokenizer: pre_tokenizer not supported: want Qwen2's Sequence[Split, ByteLevel]")
	}
	sp, bl := p.Pretokenizers[0], p.Pretokenizers[1]
	if sp.Type != "Split" || sp.Pattern == nil || sp.Pattern.Regex == nil || *sp.Pattern.Regex != Qwen2Pattern ||
		sp.Behavior != "Isolated" || sp.Invert {
		return fmt.Errorf("tokenizer: pre_tokenizer Split not supported: want Qwen2's pattern, Isolated")
	}
	if bl.Type != "ByteLevel" || bl.AddPrefixSpace || bl.UseRegex == nil || *bl.UseRegex {
		return fmt.Errorf("tokenizer: pre_tokenizer ByteLevel not supported: want use_regex=false, add_prefix_space=false")
	}
	return nil
}

type hfTokenizerConfig struct {
	ChatTemplate       json.RawMessage         `json:"chat_template"`
	EOSToken           json.RawMessage         `json:"eos_token"`
	BOSToken           json.RawMessage         `json:"bos_token"`
	PadToken           json.RawMessage         `json:"pad_token"`
	AddedTokensDecoder map[string]hfAddedToken `json:"added_tokens_decoder"`
}

// mergeAddedDecoder adds tokenizer_config.json added_tokens_decoder entries
// whose id tokenizer.json lacks (transformers does the same on load).
func mergeAddedDecoder(added []AddedToken, dec map[string]hfAddedToken) ([]AddedToken, error) {
	have := make(map[int]bool, len(added))
	for _, a := range added {
		have[a.ID] = true
	}
	ids := make([]int, 0, len(dec))
	byID := make(map[int]hfAddedToken, len(dec))
	for k, a := range dec {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("tokenizer: added_tokens_decoder key %q is not an id", k)
		}
		if !have[id] {
			ids = append(ids, id)
			byID[id] = a
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		added = append(added, byID[id].token(id))
	}
	return added, nil
}

// applyConfig sets the chat template and the EOS/BOS/pad ids named by
// tokenizer_config.json.
func (t *Tokenizer) applyConfig(cfg *hfTokenizerConfig) error {
	var err error
	if t.chatTemplate, err = parseChatTemplate(cfg.ChatTemplate); err != nil {
		return fmt.Errorf("tokenizer: tokenizer_config.json chat_template: %w", err)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		set  func(int)
	}{
		{"eos_token", cfg.EOSToken, t.addEOS},
		{"bos_token", cfg.BOSToken, func(id int) { t.bos = id }},
		{"pad_token", cfg.PadToken, func(id int) { t.pad = id }},
	} {
		text, err := tokenText(f.raw)
		if err != nil {
			return fmt.Errorf("tokenizer: tokenizer_config.json %s: %w", f.name, err)
		}
		if text == "" {
			continue
		}
		id, ok := t.TokenID(text)
		if !ok {
			return fmt.Errorf("tokenizer: tokenizer_config.json %s %q is not a token", f.name, text)
		}
		f.set(id)
	}
	return nil
}

// applyGenerationConfig adds eos_token_id (an int or a list) and fills
// bos/pad ids not set by tokenizer_config.json.
func (t *Tokenizer) applyGenerationConfig(data []byte) error {
	var gc struct {
		EOS any `json:"eos_token_id"`
		BOS any `json:"bos_token_id"`
		Pad any `json:"pad_token_id"`
	}
	if err := json.Unmarshal(data, &gc); err != nil {
		return fmt.Errorf("tokenizer: parse generation_config.json: %w", err)
	}
	eos, err := jsonIDs(gc.EOS)
	if err != nil {
		return fmt.Errorf("tokenizer: generation_config.json eos_token_id: %w", err)
	}
	for _, id := range eos {
		t.addEOS(id)
	}
	for _, f := range []struct {
		v   any
		dst *int
	}{{gc.BOS, &t.bos}, {gc.Pad, &t.pad}} {
		ids, err := jsonIDs(f.v)
		if err != nil {
			return fmt.Errorf("tokenizer: generation_config.json: %w", err)
		}
		if len(ids) > 0 && *f.dst < 0 && ids[0] < t.vocabSize {
			*f.dst = ids[0]
		}
	}
	return nil
}

// parseChatTemplate reads a chat_template value: a string, or HF's list of
// {"name", "template"} (the one named "default" wins, else the first).
func parseChatTemplate(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("want a string or a list of {name, template}: %w", err)
	}
	for _, e := range list {
		if e.Name == "default" {
			return e.Template, nil
		}
	}
	if len(list) > 0 {
		return list[0].Template, nil
	}
	return "", nil
}

// tokenText reads a special-token field: "text", {"content": "text"}, null.
func tokenText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("want a string or {\"content\": ...}: %w", err)
	}
	return obj.Content, nil
}

// jsonIDs reads null, an integer or a list of integers.
func jsonIDs(v any) ([]int, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		if x < 0 || x != math.Trunc(x) || x > math.MaxInt32 {
			return nil, fmt.Errorf("%v is not a token id", x)
		}
		return []int{int(x)}, nil
	case []any:
		var out []int
		for _, e := range x {
			if _, ok := e.(float64); !ok {
				return nil, fmt.Errorf("list entry %v is not a token id", e)
			}
			ids, err := jsonIDs(e)
			if err != nil {
				return nil, err
			}
			out = append(out, ids[0])
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not an id or a list of ids", v)
}
