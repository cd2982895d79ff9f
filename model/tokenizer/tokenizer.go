package tokenizer

import (
	"fmt"
	"sort"
)

// Tokenizer is a loaded byte-level BPE tokenizer. It is immutable after
// loading and safe for concurrent use (the piece cache is locked).
type Tokenizer struct {
	bpe   *bpeModel
	added *addedMatcher
	nfc   bool
	cache *pieceCache

	tokens    []string // id → token (vocab form, or added-token content); "" = no token
	special   []bool   // id → is a special added token
	isAdded   map[string]int
	decArena  []byte   // concatenated decoded bytes of every id
	decOff    []uint32 // id → offset in decArena; len = len(tokens)+1
	vocabSize int

	eos          []int
	bos, pad     int // -1 when absent
	chatTemplate string
}

// Cache bounds per tokenizer instance.
const (
	cacheEntries   = 1 << 16
	cacheMaxPiece  = 256
	maxIDSlack     = 1 << 16 // ids may leave at most this many holes
	unknownTokenID = -1
)

// spec is what both loaders (tokenizer.json, GGUF) hand to build.
type spec struct {
	vocab        map[string]int
	merges       [][2]string
	added        []AddedToken
	nfc          bool
	ignoreMerges bool
}

// build checks a spec and makes the tokenizer: merge table, id tables and
// the decode arena.
func build(sp spec) (*Tokenizer, error) {
	bl := gpt2Bytes
	maxID := -1
	for tok, id := range sp.vocab {
		if id < 0 {
			return nil, fmt.Errorf("tokenizer: vocab token %q has negative id %d", tok, id)
		}
		maxID = max(maxID, id)
	}
	for _, a := range sp.added {
		if a.ID < 0 {
			return nil, fmt.Errorf("tokenizer: added token %q has negative id %d", a.Content, a.ID)
		}
		maxID = max(maxID, a.ID)
	}
	if maxID < 0 {
		return nil, fmt.Errorf("tokenizer: empty vocabulary")
	}
	if maxID >= len(sp.vocab)+len(sp.added)+maxIDSlack {
		return nil, fmt.Errorf("tokenizer: id %d far beyond the %d tokens", maxID, len(sp.vocab)+len(sp.added))
	}
	t := &Tokenizer{
		nfc:       sp.nfc,
		cache:     newPieceCache(cacheEntries, cacheMaxPiece),
		tokens:    make([]string, maxID+1),
		special:   make([]bool, maxID+1),
		isAdded:   make(map[string]int, len(sp.added)),
		vocabSize: maxID + 1,
		bos:       unknownTokenID,
		pad:       unknownTokenID,
	}
	for tok, id := range sp.vocab {
		t.tokens[id] = tok
	}
	for _, a := range sp.added {
		t.tokens[a.ID] = a.Content
		t.special[a.ID] = a.Special
		t.isAdded[a.Content] = a.ID
	}
	m := &bpeModel{vocab: sp.vocab, merges: make(map[uint64]merge, len(sp.merges)), ignoreMerges: sp.ignoreMerges, bl: bl}
	for b := 0; b < 256; b++ {
		m.byteID[b] = -1
		if id, ok := sp.vocab[string(bl.toRune[b])]; ok {
			m.byteID[b] = int32(id)
		}
	}
	for i, mg := range sp.merges {
		a, okA := sp.vocab[mg[0]]
		b, okB := sp.vocab[mg[1]]
		ab, okAB := sp.vocab[mg[0]+mg[1]]
		if !okA || !okB || !okAB {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q) uses a token missing from the vocab", i, mg[0], mg[1])
		}
		// A repeated pair keeps its last rank, as HF's map insertion does.
		m.merges[pairKey(int32(a), int32(b))] = merge{rank: int32(i), id: int32(ab)}
	}
	t.bpe = m
	t.added = newAddedMatcher(sp.added)
	t.buildDecodeTable(bl)
	return t, nil
}

// Encode returns the token ids of text (no BOS/EOS are added: Qwen2 adds
// none). With parseSpecial, special added tokens written in the text
// (<|im_start|>, <|image_pad|>...) become their ids; without it they are
// tokenized as plain text. Non-special added tokens (<tool_call>) are always
// matched, as Hugging Face does.
func (t *Tokenizer) Encode(text string, parseSpecial bool) []int {
	ids := make([]int, 0, len(text)/3+4)
	if t.added.empty() {
		return t.encodeText(ids, text)
	}
	t.added.split(text, parseSpecial, func(seg string, id int) {
		if id >= 0 {
			ids = append(ids, id)
			return
		}
		ids = t.encodeText(ids, seg)
	})
	return ids
}

// encodeText normalises, pre-tokenizes and BPE-encodes text that holds no
// added token.
func (t *Tokenizer) encodeText(ids []int, s string) []int {
	if t.nfc && !isNFC(s) {
		s = toNFC(s)
	}
	var tmp []int32
	splitQwen2(s, func(piece string) {
		if cached, ok := t.cache.get(piece); ok {
			for _, id := range cached {
				ids = append(ids, int(id))
			}
			return
		}
		tmp = t.bpe.encode(tmp[:0], piece)
		for _, id := range tmp {
			ids = append(ids, int(id))
		}
		if len(piece) <= cacheMaxPiece {
			t.cache.put(piece, append([]int32(nil), tmp...))
		}
	})
	return ids
}

// TokenID returns the id of a token given in vocab form (byte-level runes,
// e.g. "Ġthe") or as an added token's content ("<|im_end|>").
func (t *Tokenizer) TokenID(s string) (int, bool) {
	if id, ok := t.isAdded[s]; ok {
		return id, true
	}
	id, ok := t.bpe.vocab[s]
	return id, ok
}

// Token returns the token of id in vocab form (HF convert_ids_to_tokens),
// or false for an id that has no token (out of range, or padding).
func (t *Tokenizer) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.tokens) || t.tokens[id] == "" {
		return "", false
	}
	return t.tokens[id], true
}

// IsSpecial reports whether id is a special added token.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// VocabSize is the number of tokenizer ids (largest id + 1, added tokens
// included: 151665 for Qwen2.5). A model's embedding may have more rows
// (152064 for Qwen2.5-VL-7B); ids at or above VocabSize are padding and
// decode to nothing.
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// EOSIDs returns the end-of-sequence ids: tokenizer_config eos_token first,
// then generation_config eos_token_id entries (LoadDir), or the GGUF
// eos/eot/eom ids (FromGGUFMeta).
func (t *Tokenizer) EOSIDs() []int { return append([]int(nil), t.eos...) }

// IsEOS reports whether id ends generation.
func (t *Tokenizer) IsEOS(id int) bool {
	for _, e := range t.eos {
		if e == id {
			return true
		}
	}
	return false
}

// BOSID returns the beginning-of-sequence id, if the checkpoint names one.
func (t *Tokenizer) BOSID() (int, bool) { return t.bos, t.bos >= 0 }

// PadID returns the padding id, if the checkpoint names one.
func (t *Tokenizer) PadID() (int, bool) { return t.pad, t.pad >= 0 }

// ChatTemplate returns the checkpoint's Jinja chat template text, for
// provenance; rendering is done in Go by RenderChat.
func (t *Tokenizer) ChatTemplate() string { return t.chatTemplate }

// AddedTokens returns the added tokens, ordered by id.
func (t *Tokenizer) AddedTokens() []AddedToken {
	out := append([]AddedToken(nil), t.added.tokens...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// addEOS appends id to the EOS list unless it is there already or invalid.
func (t *Tokenizer) addEOS(id int) {
	if id < 0 || id >= t.vocabSize || t.IsEOS(id) {
		return
	}
	t.eos = append(t.eos, id)
}
