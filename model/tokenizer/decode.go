package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// buildDecodeTable stores, for every id, the bytes it decodes to: the
// byte-level inverse for vocab tokens, the content itself for added tokens
// (the same bytes HF's ByteLevel decoder gives for every real added token;
// it would differ only for a content made of byte-level runes like "Ġx").
func (t *Tokenizer) buildDecodeTable(bl *byteLevel) {
	t.decOff = make([]uint32, len(t.tokens)+1)
	size := 0
	for _, tok := range t.tokens {
		size += len(tok)
	}
	t.decArena = make([]byte, 0, size)
	for id, tok := range t.tokens {
		t.decOff[id] = uint32(len(t.decArena))
		if aid, added := t.isAdded[tok]; added && aid == id {
			t.decArena = append(t.decArena, tok...)
		} else {
			t.decArena = append(t.decArena, bl.decode(tok)...)
		}
	}
	t.decOff[len(t.tokens)] = uint32(len(t.decArena))
}

// tokenBytes returns the decoded bytes of id, nil for an unknown id.
func (t *Tokenizer) tokenBytes(id int) []byte {
	if id < 0 || id >= len(t.tokens) {
		return nil
	}
	return t.decArena[t.decOff[id]:t.decOff[id+1]]
}

// DecodeOptions change Decode.
type DecodeOptions struct {
	// SkipSpecial drops special added tokens (HF skip_special_tokens).
	SkipSpecial bool
}

// Decode turns ids into text. Special tokens appear as their text; ids
// without a token (padding rows above VocabSize) are skipped. Byte
// sequences that are not valid UTF-8 become U+FFFD, one per maximal subpart,
// as Python's bytes.decode(errors="replace") does.
func (t *Tokenizer) Decode(ids []int) string {
	return t.DecodeWith(ids, DecodeOptions{})
}

// DecodeWith is Decode with options.
func (t *Tokenizer) DecodeWith(ids []int, opt DecodeOptions) string {
	var buf []byte
	for _, id := range ids {
		if opt.SkipSpecial && t.IsSpecial(id) {
			continue
		}
		buf = append(buf, t.tokenBytes(id)...)
	}
	return validUTF8(buf)
}

// validUTF8 returns b as a string, replacing each maximal subpart of an
// invalid sequence by U+FFFD (Unicode §3.9 "substitution of maximal
// subparts", the behaviour of Python and WHATWG decoders).
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			sb.Write(b[i : i+w])
			i += w
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += max(1, maximalSubpart(b[i:]))
	}
	return sb.String()
}

// maximalSubpart returns the length of the longest prefix of b that is a
// valid beginning of a UTF-8 sequence but not a whole one (0 when b[0]
// cannot start a sequence). Callers know b does not start with a valid rune.
func maximalSubpart(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	need, lo, hi := seqInfo(b[0])
	if need == 0 {
		return 0
	}
	n := 1
	for n < len(b) && n <= need {
		c := b[n]
		if n == 1 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xBF {
			break
		}
		n++
	}
	return n
}

// seqInfo gives, for a lead byte, the number of continuation bytes and the
// allowed range of the first one (0 continuation bytes: not a lead byte).
func seqInfo(c byte) (need int, lo, hi byte) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1, 0x80, 0xBF
	case c == 0xE0:
		return 2, 0xA0, 0xBF
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		return 2, 0x80, 0xBF
	case c == 0xED:
		return 2, 0x80, 0x9F
	case c == 0xF0:
		return 3, 0x90, 0xBF
	case c >= 0xF1 && c <= 0xF3:
		return 3, 0x80, 0xBF
	case c == 0xF4:
		return 3, 0x80, 0x8F
	}
	return 0, 0, 0
}
