package tokenizer

import "unicode/utf8"

// byteLevel is GPT-2's reversible byte ↔ printable-rune table
// (bytes_to_unicode): printable Latin-1 bytes map to themselves, the other 68
// bytes to U+0100 onwards, in byte order.
type byteLevel struct {
	toRune [256]rune
	toByte map[rune]byte
}

// gpt2Bytes is the table, built once; it is never modified.
var gpt2Bytes = newByteLevel()

func newByteLevel() *byteLevel {
	bl := &byteLevel{toByte: make(map[rune]byte, 256)}
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			bl.toRune[b] = rune(b)
		} else {
			bl.toRune[b] = rune(256 + n)
			n++
		}
		bl.toByte[bl.toRune[b]] = byte(b)
	}
	return bl
}

// encode appends the byte-level form of s (one rune per byte) to dst.
func (bl *byteLevel) encode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = utf8.AppendRune(dst, bl.toRune[s[i]])
	}
	return dst
}

// decode maps a byte-level token back to raw bytes. Like the Hugging Face
// ByteLevel decoder, a token holding any rune outside the table (an added
// token such as "<a b>") is taken as its own UTF-8 bytes, unchanged.
func (bl *byteLevel) decode(tok string) []byte {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := bl.toByte[r]
		if !ok {
			return []byte(tok)
		}
		out = append(out, b)
	}
	return out
}
