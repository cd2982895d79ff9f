package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Qwen2Pattern is the pre-tokenizer regex of Qwen2 / Qwen2.5 tokenizer.json
// files (also GGUF tokenizer.ggml.pre = "qwen2"). splitQwen2 implements it
// without a regex engine.
const Qwen2Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Rune classes of the pattern: \p{L} (general category L), \p{N} (category
// N) and \s (Unicode White_Space, as in Oniguruma's Unicode \s: U+0009–U+000D,
// U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000). An invalid UTF-8 byte is classed like U+FFFD (neither).
const (
	clsL = 1 << iota
	clsN
	clsS
)

var asciiClass = func() (t [128]uint8) {
	for r := rune(0); r < 128; r++ {
		switch {
		case unicode.IsLetter(r):
			t[r] = clsL
		case unicode.IsNumber(r):
			t[r] = clsN
		case unicode.IsSpace(r):
			t[r] = clsS
		}
	}
	return t
}()

func class(r rune) uint8 {
	if r < 128 {
		return asciiClass[r]
	}
	if (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xAC00 && r <= 0xD7A3) {
		return clsL // CJK Unified Ideographs, Hangul syllables: all Lo
	}
	switch {
	case unicode.IsLetter(r):
		return clsL
	case unicode.IsNumber(r):
		return clsN
	case unicode.IsSpace(r): // Go's IsSpace is exactly White_Space
		return clsS
	}
	return 0
}

func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

// splitQwen2 calls emit with the pieces of s, in order; the pieces cover s
// exactly. It matches what a backtracking regex engine (Oniguruma, as in
// Hugging Face tokenizers) does with Qwen2Pattern: at each position the
// first alternative that matches wins, each with its greedy length.
// Contractions are matched case-insensitively in ASCII only ('S, 'Re, ...),
// as transformers.js and llama.cpp do (Oniguruma would also take 'ſ).
func splitQwen2(s string, emit func(piece string)) {
	for i := 0; i < len(s); {
		end := qwen2PieceEnd(s, i)
		emit(s[i:end])
		i = end
	}
}

// qwen2PieceEnd returns the end of the piece that starts at byte i < len(s).
// It is one function on purpose: the alternatives read in the regex's order.
func qwen2PieceEnd(s string, i int) int {
	r0, w0 := runeAt(s, i)
	c0 := class(r0)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r0 == '\'' {
		if n := contraction(s[i+1:]); n > 0 {
			return i + 1 + n
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == clsL {
		return skipClass(s, i+w0, clsL)
	}
	if c0 != clsN && !isCRLF(r0) {
		if r1, w1 := runeAt(s, i+w0); w1 > 0 && class(r1) == clsL {
			return skipClass(s, i+w0+w1, clsL)
		}
	}
	// \p{N}
	if c0 == clsN {
		return i + w0
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	j := i
	if r0 == ' ' {
		j = i + w0
	}
	if r, w := runeAt(s, j); w > 0 && class(r) == 0 {
		j = skipClass(s, j+w, 0)
		for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
			j++
		}
		return j
	}
	// Here r0 is whitespace (every other rune was taken above).
	// \s*[\r\n]+  |  \s+(?!\S)  |  \s+
	end, lastNL, lastStart := i, -1, i
	for end < len(s) {
		r, w := runeAt(s, end)
		if class(r) != clsS {
			break
		}
		if isCRLF(r) {
			lastNL = end
		}
		lastStart = end
		end += w
	}
	switch {
	case lastNL >= 0: // greedy \s* backs off to the last CR/LF of the run
		return lastNL + 1
	case end == len(s): // run reaches the end: \s+(?!\S) takes it all
		return end
	case lastStart > i: // leave the last space to the next word
		return lastStart
	case end > i:
		return end
	}
	return i + w0 // unreachable for valid input; keeps the scanner moving
}

// skipClass returns the end of the run of runes of class c starting at j.
func skipClass(s string, j int, c uint8) int {
	for j < len(s) {
		r, w := runeAt(s, j)
		if class(r) != c {
			break
		}
		j += w
	}
	return j
}

// contraction returns the length of s, lowercased in ASCII, matching one of
// s, t, re, ve, m, ll, d at its start, or 0.
func contraction(s string) int {
	if len(s) == 0 {
		return 0
	}
	switch s[0] | 0x20 {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(s) > 1 && s[1]|0x20 == 'e' {
			return 2
		}
	case 'l':
		if len(s) > 1 && s[1]|0x20 == 'l' {
			return 2
		}
	}
	return 0
}
