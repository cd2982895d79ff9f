package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tinyJSON builds a tokenizer.json with the 256 byte tokens (ids 0..255),
// the given merges (ids from 256 on, in order) and added tokens.
func tinyJSON(t testing.TB, merges [][2]string, added []map[string]any, mergesAsStrings bool) []byte {
	t.Helper()
	bl := newByteLevel()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(bl.toRune[b])] = b
	}
	var ms []any
	for _, m := range merges {
		if _, ok := vocab[m[0]+m[1]]; !ok {
			vocab[m[0]+m[1]] = len(vocab)
		}
		if mergesAsStrings {
			ms = append(ms, m[0]+" "+m[1])
		} else {
			ms = append(ms, []string{m[0], m[1]})
		}
	}
	for _, a := range added {
		if _, ok := a["id"]; !ok {
			a["id"] = len(vocab) + 100
		}
	}
	doc := map[string]any{
		"version":      "1.0",
		"added_tokens": added,
		"normalizer":   map[string]any{"type": "NFC"},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": Qwen2Pattern}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		}},
		"decoder": map[string]any{"type": "ByteLevel"},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": ms},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t testing.TB, tj, tc, gc []byte) *Tokenizer {
	t.Helper()
	tok, err := LoadJSON(tj, tc, gc)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAddedTokens_LongestLeftmostAndFlags(t *testing.T) {
	added := []map[string]any{
		{"id": 1000, "content": "<a>", "special": true},
		{"id": 1001, "content": "<a><b>", "special": true},
		{"id": 1002, "content": "<n>", "special": false},
		{"id": 1003, "content": "<L>", "special": true, "lstrip": true},
		{"id": 1004, "content": "<R>", "special": true, "rstrip": true},
		{"id": 1005, "content": "sw", "special": false, "single_word": true},
	}
	tok := mustLoad(t, tinyJSON(t, nil, added, true), nil, nil)
	enc := func(s string, ps bool) []int { return tok.Encode(s, ps) }
	bytesOf := func(s string) []int {
		var out []int
		for i := 0; i < len(s); i++ {
			out = append(out, int(s[i]))
		}
		return out
	}
	byteID := func(c byte) int { id, _ := tok.TokenID(string(newByteLevel().toRune[c])); return id }
	sp := byteID(' ')
	for _, c := range []struct {
		in   string
		ps   bool
		want []int
	}{
		{"<a><b>", true, []int{1001}}, // longest at the leftmost position
		{"x<a><a>", true, []int{byteID('x'), 1000, 1000}},
		{"<a>", false, bytesOf("<a>")},             // special left as text
		{"<n>", false, []int{1002}},                // non-special always matched
		{"x  <L>", true, []int{byteID('x'), 1003}}, // lstrip eats the spaces before
		{"<R>  x", true, []int{1004, byteID('x')}}, // rstrip eats the spaces after
		{"<R>  x", false, append(bytesOf("<R>"), sp, sp, byteID('x'))},
		{"a sw b", true, []int{byteID('a'), sp, 1005, sp, byteID('b')}},
		{"asw", true, bytesOf("asw")}, // single_word: inside a word, not matched
		{"sw_", true, bytesOf("sw_")},
	} {
		if got := enc(c.in, c.ps); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q, %v) = %v, want %v", c.in, c.ps, got, c.want)
		}
	}
	if got := tok.Decode([]int{1000, byteID('x'), 1002}); got != "<a>x<n>" {
		t.Errorf("Decode = %q", got)
	}
	if got := tok.DecodeWith([]int{1000, byteID('x'), 1002}, DecodeOptions{SkipSpecial: true}); got != "x<n>" {
		t.Errorf("Decode skip special = %q", got)
	}
	if got := tok.AddedTokens(); len(got) != 6 || got[0].ID != 1000 || !got[3].LStrip {
		t.Errorf("AddedTokens = %+v", got)
	}
}

// refBPE is the textbook quadratic BPE: merge the lowest-ranked pair,
// leftmost first, until none applies.
func refBPE(m *bpeModel, piece string) []int32 {
	var syms []int32
	for i := 0; i < len(piece); i++ {
		if id := m.byteID[piece[i]]; id >= 0 {
			syms = append(syms, id)
		}
	}
	for {
		best, at := int32(-1), -1
		for i := 0; i+1 < len(syms); i++ {
			if mg, ok := m.merges[pairKey(syms[i], syms[i+1])]; ok && (best < 0 || mg.rank < best) {
				best, at = mg.rank, i
			}
		}
		if at < 0 {
			return syms
		}
		syms = slices.Replace(syms, at, at+2, m.merges[pairKey(syms[at], syms[at+1])].id)
	}
}

func TestBPE_MatchesReference(t *testing.T) {
	tok := qwen2Tiny(t)
	texts := append([]string{strings.Repeat("a", 300), strings.Repeat("ab", 200), strings.Repeat(" ", 100),
		strings.Repeat("的", 50), "pneumonoultramicroscopicsilicovolcanoconiosis"}, roundTripCorpus...)
	for _, s := range texts {
		splitQwen2(s, func(p string) {
			if got, want := tok.bpe.encode(nil, p), refBPE(tok.bpe, p); !slices.Equal(got, want) {
				t.Errorf("bpe(%q) = %v, reference %v", p, got, want)
			}
		})
	}
}

func TestBPE_MergeRanksAndFormats(t *testing.T) {
	merges := [][2]string{{"a", "b"}, {"b", "c"}, {"ab", "c"}}
	for _, asStrings := range []bool{true, false} {
		tok := mustLoad(t, tinyJSON(t, merges, nil, asStrings), nil, nil)
		ab, _ := tok.TokenID("ab")
		abc, _ := tok.TokenID("abc")
		c, _ := tok.TokenID("c")
		if got := tok.Encode("abc", false); !slices.Equal(got, []int{abc}) {
			t.Errorf("strings=%v: abc -> %v, want [%d]", asStrings, got, abc)
		}
		if got := tok.Encode("abcc", false); !slices.Equal(got, []int{abc, c}) {
			t.Errorf("strings=%v: abcc -> %v", asStrings, got)
		}
		if got := tok.Encode("abab", false); !slices.Equal(got, []int{ab, ab}) {
			t.Errorf("strings=%v: abab -> %v", asStrings, got)
		}
	}
}
