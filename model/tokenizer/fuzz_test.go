package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/lingshu-edge/lingshu/internal/golden"
)

// FuzzEncodeDecode: Encode never panics; for valid NFC UTF-8 (with or
// without special tokens) Decode(Encode(s)) == s (NFC in Unicode's sense:
// toNFC(s) == s); the pieces of the
// pre-tokenizer always cover the input.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range roundTripCorpus {
		f.Add(s)
	}
	f.Add("\xff\xfe<|im_end|\xe4\xbd")
	f.Add(norm.NFD.String("Café"))
	tok := qwen2Tiny(f)
	f.Fuzz(func(t *testing.T, s string) {
		var sb strings.Builder
		splitQwen2(s, func(p string) {
			if p == "" {
				t.Fatalf("empty piece in %q", s)
			}
			sb.WriteString(p)
		})
		if sb.String() != s {
			t.Fatalf("pieces of %q do not cover it: %q", s, sb.String())
		}
		for _, ps := range []bool{true, false} {
			ids := tok.Encode(s, ps)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("Encode(%q) gave id %d", s, id)
				}
			}
			got := tok.Decode(ids)
			if utf8.ValidString(s) && toNFC(s) == s && got != s {
				t.Fatalf("round trip (parseSpecial=%v) %q -> %v -> %q", ps, s, ids, got)
			}
		}
	})
}

// FuzzLoadTokenizerJSON: the tokenizer.json / config parsers never panic,
// and whatever loads can encode and decode.
func FuzzLoadTokenizerJSON(f *testing.F) {
	f.Add(tinyJSON(f, [][2]string{{"a", "b"}, {"ab", "c"}}, []map[string]any{{"id": 500, "content": "<x>", "special": true, "lstrip": true}}, true),
		[]byte(`{"eos_token": "<x>", "chat_template": "T"}`))
	f.Add(tinyJSON(f, [][2]string{{"Ġ", "Ġ"}}, nil, false), []byte(`{"eos_token": {"content": "<x>"}}`))
	f.Add([]byte(`{"model": {"vocab": {"a": 0}, "merges": ["a a"]}}`), []byte(`{}`))
	tj, err1 := os.ReadFile(filepath.Join("testdata", "tiny", "tokenizer.json"))
	tc, err2 := os.ReadFile(filepath.Join("testdata", "tiny", "tokenizer_config.json"))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Add(tj, tc)
	if b, err := os.ReadFile(filepath.Join(golden.Root(), "qwen2-tiny", "tokenizer_config.json")); err == nil {
		f.Add([]byte(`{}`), b)
	}
	f.Fuzz(func(t *testing.T, tj, tc []byte) {
		tok, err := LoadJSON(tj, tc, tc)
		if err != nil {
			return
		}
		ids := tok.Encode("abc <x> 你好 \n\n ", true)
		_ = tok.Decode(append(ids, -1, 1<<30))
		_ = tok.NewStreamDecoder().Push(0)
	})
}
