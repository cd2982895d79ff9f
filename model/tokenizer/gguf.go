package tokenizer

import (
	"fmt"
	"math"
	"reflect"
)

// GGUF token types (llama.cpp llama_token_type).
const (
	ggufTypeNormal      = 1
	ggufTypeUnknown     = 2
	ggufTypeControl     = 3
	ggufTypeUserDefined = 4
	ggufTypeUnused      = 5
	ggufTypeByte        = 6
)

// FromGGUFMeta builds a tokenizer from GGUF metadata as a GGUF reader returns
// it (keys as in llama.cpp: tokenizer.ggml.model "gpt2", tokenizer.ggml.pre
// "qwen2", tokenizer.ggml.tokens, token_type, merges, eos/bos/padding ids,
// tokenizer.chat_template). Arrays may be typed slices ([]string, []int32)
// or []any; ids any integer type.
//
// CONTROL tokens become special added tokens and USER_DEFINED tokens
// non-special ones, as llama.cpp treats them; UNUSED tokens ("[PAD151665]"
// rows up to the embedding size) are not tokens, so VocabSize stops before
// them. Text is NFC-normalised as Hugging Face does (llama.cpp does not), so
// ids equal those of the checkpoint's tokenizer.json.
func FromGGUFMeta(meta map[string]any) (*Tokenizer, error) {
	model, _ := meta["tokenizer.ggml.model"].(string)
	if model != "gpt2" {
		return nil, fmt.Errorf("tokenizer: gguf tokenizer.ggml.model %q not supported (want gpt2)", model)
	}
	pre, _ := meta["tokenizer.ggml.pre"].(string)
	if pre != "qwen2" {
		return nil, fmt.Errorf("tokenizer: gguf tokenizer.ggml.pre %q not supported (want qwen2)", pre)
	}
	tokens, err := ggufStrings(meta, "tokenizer.ggml.tokens")
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: gguf tokenizer.ggml.tokens missing or empty")
	}
	types, err := ggufInts(meta, "tokenizer.ggml.token_type")
	if err != nil {
		return nil, err
	}
	if types != nil && len(types) != len(tokens) {
		return nil, fmt.Errorf("tokenizer: gguf has %d token types for %d tokens", len(types), len(tokens))
	}
	mergeStrs, err := ggufStrings(meta, "tokenizer.ggml.merges")
	if err != nil {
		return nil, err
	}
	merges, err := splitMergeStrings(mergeStrs)
	if err != nil {
		return nil, err
	}
	sp := spec{vocab: make(map[string]int, len(tokens)), merges: merges, nfc: true}
	for id, tok := range tokens {
		typ := int64(ggufTypeNormal)
		if types != nil {
			typ = types[id]
		}
		switch typ {
		case ggufTypeUnused:
			continue
		case ggufTypeControl, ggufTypeUserDefined:
			sp.added = append(sp.added, AddedToken{ID: id, Content: tok, Special: typ == ggufTypeControl})
		default:
			if _, dup := sp.vocab[tok]; !dup {
				sp.vocab[tok] = id
			}
		}
	}
	t, err := build(sp)
	if err != nil {
		return nil, err
	}
	if err := t.applyGGUFIDs(meta); err != nil {
		return nil, err
	}
	t.chatTemplate, _ = meta["tokenizer.chat_template"].(string)
	return t, nil
}

// applyGGUFIDs sets the EOS ids (eos, eot and eom keys), BOS and padding.
func (t *Tokenizer) applyGGUFIDs(meta map[string]any) error {
	for _, k := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		if id, ok, err := ggufID(meta, k); err != nil {
			return err
		} else if ok {
			t.addEOS(id)
		}
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"tokenizer.ggml.bos_token_id", &t.bos}, {"tokenizer.ggml.padding_token_id", &t.pad}} {
		if id, ok, err := ggufID(meta, f.key); err != nil {
			return err
		} else if ok && id < t.vocabSize {
			*f.dst = id
		}
	}
	return nil
}

// FromGGUF is FromGGUFMeta (the name used by the model loader's brief).
func FromGGUF(meta map[string]any) (*Tokenizer, error) { return FromGGUFMeta(meta) }

func ggufStrings(meta map[string]any, key string) ([]string, error) {
	switch v := meta[key].(type) {
	case nil:
		return nil, nil
	case []string:
		return v, nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("tokenizer: gguf %s[%d] is %T, want string", key, i, e)
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("tokenizer: gguf %s is %T, want a string array", key, v)
	}
}

// ggufInts reads an integer array of any element type ([]int32 from
// llama.cpp's token_type, []any from a generic reader, ...).
func ggufInts(meta map[string]any, key string) ([]int64, error) {
	v, ok := meta[key]
	if !ok || v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("tokenizer: gguf %s is %T, want an integer array", key, v)
	}
	out := make([]int64, rv.Len())
	for i := range out {
		x, ok := anyInt(rv.Index(i).Interface())
		if !ok {
			return nil, fmt.Errorf("tokenizer: gguf %s[%d] is not an integer", key, i)
		}
		out[i] = x
	}
	return out, nil
}

func ggufID(meta map[string]any, key string) (int, bool, error) {
	v, ok := meta[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := anyInt(v)
	if !ok || n < 0 || n > math.MaxInt32 {
		return 0, false, fmt.Errorf("tokenizer: gguf %s = %v is not a token id", key, v)
	}
	return int(n), true, nil
}

// anyInt converts the integer types a GGUF reader may produce.
func anyInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64: // a JSON round trip
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<53
	}
	return 0, false
}
