package tokenizer

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// isNFC reports whether s is in NFC. Runs of quickNFC runes are skipped
// without consulting the normalisation tables.
func isNFC(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < 0xCC { // runes below U+0300
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if !quickNFC(r) {
			return norm.NFC.IsNormalString(s)
		}
		i += w
	}
	return true
}

// quickNFC reports whether r is in a range of NFC-stable starters that never
// compose with a neighbour (checked against the tables by a test): text made
// of them and of runes below U+0300 is NFC.
func quickNFC(r rune) bool {
	switch {
	case r < 0x300,
		r >= 0x4E00 && r <= 0x9FFF,                             // CJK Unified Ideographs
		r >= 0x3001 && r <= 0x3003, r >= 0x3008 && r <= 0x3011, // CJK punctuation, brackets
		r >= 0xFF01 && r <= 0xFF5E,   // fullwidth forms
		r >= 0x1F300 && r <= 0x1FAFF, // emoji
		r == 0x200D, r == 0xFE0F:     // ZWJ, VS16
		return true
	}
	return false
}

const cgj = "\u034f" // COMBINING GRAPHEME JOINER

// toNFC returns the NFC form of s as Unicode defines it (what Python,
// JavaScript and Rust's unicode-normalization return). x/text's norm follows
// the Stream-Safe Text Format and inserts U+034F after 30 non-starters in a
// row; for such input (Zalgo text) this falls back to nfcPlain.
func toNFC(s string) string {
	n := norm.NFC.String(s)
	if strings.Count(n, cgj) > strings.Count(s, cgj) && utf8.ValidString(s) {
		return nfcPlain(s)
	}
	return n
}

func ccc(r rune) uint8 {
	var buf [utf8.UTFMax]byte
	return norm.NFD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).CCC()
}

// nfcPlain is the textbook NFC (UAX #15): full canonical decomposition,
// canonical ordering, canonical composition, with no limit on the length of
// a run of combining marks. It is slow and used only for runs longer than 30.
func nfcPlain(s string) string {
	var rs []rune
	for _, r := range s {
		rs = append(rs, []rune(norm.NFD.String(string(r)))...)
	}
	cc := make([]uint8, len(rs))
	for i, r := range rs {
		cc[i] = ccc(r)
	}
	// Canonical ordering: a stable insertion sort of each run of non-starters.
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && cc[j] != 0 && cc[j-1] > cc[j]; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
			cc[j], cc[j-1] = cc[j-1], cc[j]
		}
	}
	// Canonical composition.
	out := make([]rune, 0, len(rs))
	starter, lastCC := -1, uint8(0)
	for i, r := range rs {
		c := cc[i]
		if starter >= 0 {
			adjacent := starter == len(out)-1
			if adjacent || (c != 0 && lastCC < c) {
				if p, ok := composePair(out[starter], r); ok {
					out[starter] = p
					continue
				}
			}
		}
		if c == 0 {
			starter = len(out)
		}
		lastCC = c
		out = append(out, r)
	}
	return string(out)
}

// composePair returns the primary composite of a starter and a following
// character, if there is one.
func composePair(a, b rune) (rune, bool) {
	pair := string([]rune{a, b})
	c := norm.NFC.String(pair)
	r, n := utf8.DecodeRuneInString(c)
	if n != len(c) || n == 0 {
		return 0, false
	}
	return r, true
}
