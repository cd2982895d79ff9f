package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidUTF8_MaximalSubparts(t *testing.T) {
	// Expected strings are Python's bytes.decode("utf-8", "replace").
	for _, c := range []struct{ in, want string }{
		{"\xe4\xbd", "\ufffd"},
		{"\xe4\xbdA", "\ufffdA"},
		{"\xff", "\ufffd"},
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
		{"\xf0\x9f\x98", "\ufffd"},
		{"\xf0\x9f\x98A\x80", "\ufffdA\ufffd"},
		{"\xc0\xaf", "\ufffd\ufffd"},
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"},
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
		{"a\xf1\x80\x80\xe1\x80\xc2b", "a\ufffd\ufffd\ufffdb"},
		{"ok 你好", "ok 你好"},
	} {
		if got := validUTF8([]byte(c.in)); got != c.want {
			t.Errorf("validUTF8(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStreamDecoder_HoldsPartialCharacters(t *testing.T) {
	tok := qwen2Tiny(t)
	for _, s := range roundTripCorpus {
		ids := tok.Encode(s, true)
		d := tok.NewStreamDecoder()
		var sb strings.Builder
		for _, id := range ids {
			out := d.Push(id)
			if !utf8.ValidString(out) || strings.ContainsRune(out, utf8.RuneError) {
				t.Errorf("%q: Push(%d) emitted %q (partial character)", s, id, out)
			}
			sb.WriteString(out)
		}
		sb.WriteString(d.Flush())
		if sb.String() != s {
			t.Errorf("stream of %q gave %q", s, sb.String())
		}
	}
}

func TestStreamDecoder_SplitEmojiAndFlush(t *testing.T) {
	tok := qwen2Tiny(t)
	// " 🦙" is three tokens in Qwen2's vocab (golden emoji case).
	ids := tok.Encode(" 🦙", false)
	if len(ids) < 2 {
		t.Fatalf("want a multi-token character, got %v", ids)
	}
	d := tok.NewStreamDecoder()
	var early string
	for _, id := range ids[:len(ids)-1] {
		early += d.Push(id)
	}
	if early != " " {
		t.Errorf("Pushes before the last emitted %q, want only the space", early)
	}
	if out := d.Push(ids[len(ids)-1]); out != "🦙" {
		t.Errorf("last Push = %q", out)
	}
	d.Push(ids[0])
	if out := d.Flush(); out != "\ufffd" {
		t.Errorf("Flush of an unfinished character = %q, want U+FFFD", out)
	}
	if out := d.Flush(); out != "" {
		t.Errorf("second Flush = %q", out)
	}
	imEnd, _ := tok.TokenID("<|im_end|>")
	ds := tok.NewStreamDecoderWith(DecodeOptions{SkipSpecial: true})
	if out := ds.Push(imEnd); out != "" {
		t.Errorf("SkipSpecial stream emitted %q", out)
	}
	if out := tok.NewStreamDecoder().Push(imEnd); out != "<|im_end|>" {
		t.Errorf("stream special = %q", out)
	}
}

func TestCompletePrefix(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"a", 1}, {"a\xe4", 1}, {"a\xe4\xbd", 1}, {"a\xe4\xbd\xa0", 4},
		{"\xf0\x9f\x98", 0}, {"\xff", 1}, {"a\xe4A", 3}, {"\x80\x80\x80\x80", 4}, {"\xed\xa0", 2},
	} {
		if got := completePrefix([]byte(c.in)); got != c.want {
			t.Errorf("completePrefix(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
