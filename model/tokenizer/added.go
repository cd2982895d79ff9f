package tokenizer

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// AddedToken is a token matched in the raw text before pre-tokenization
// (tokenizer.json "added_tokens"; GGUF CONTROL and USER_DEFINED tokens).
type AddedToken struct {
	ID      int
	Content string
	// Special tokens (<|im_start|>, <|image_pad|>...) are split out only
	// when Encode is asked to parse specials; Decode can skip them.
	Special bool
	// LStrip / RStrip: the match also swallows the whitespace before / after.
	LStrip, RStrip bool
	// SingleWord: match only when not inside a word.
	SingleWord bool
	// Normalized: HF matches the token in normalised text. All added tokens
	// are matched in the raw text here; NFC leaves the ASCII contents of
	// real tokens unchanged, so this only matters for exotic contents.
	Normalized bool
}

// addedMatcher finds added tokens in text: leftmost match first, the longest
// token among those starting there (Aho-Corasick LeftmostLongest, as HF).
type addedMatcher struct {
	tokens  []AddedToken
	byFirst [256][]int32 // first content byte → token indexes, longest first
}

func newAddedMatcher(tokens []AddedToken) *addedMatcher {
	m := &addedMatcher{}
	for _, t := range tokens {
		if t.Content != "" {
			m.tokens = append(m.tokens, t)
		}
	}
	for i, t := range m.tokens {
		b := t.Content[0]
		m.byFirst[b] = append(m.byFirst[b], int32(i))
	}
	for b := range m.byFirst {
		l := m.byFirst[b]
		sort.SliceStable(l, func(i, j int) bool { return len(m.tokens[l[i]].Content) > len(m.tokens[l[j]].Content) })
	}
	return m
}

// split calls fn for each part of s in order: text between added tokens as
// (text, -1), and each matched added token as ("", id). With parseSpecial
// false, tokens flagged Special are left in the text.
func (m *addedMatcher) split(s string, parseSpecial bool, fn func(text string, id int)) {
	textStart := 0
	for i := 0; i < len(s); i++ {
		cands := m.byFirst[s[i]]
		if len(cands) == 0 {
			continue
		}
		tok, end := m.matchAt(s, i, cands, parseSpecial)
		if tok == nil {
			continue
		}
		start := i
		if tok.LStrip {
			for start > textStart {
				r, w := utf8.DecodeLastRuneInString(s[textStart:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= w
			}
		}
		if tok.RStrip {
			for end < len(s) {
				r, w := utf8.DecodeRuneInString(s[end:])
				if !unicode.IsSpace(r) {
					break
				}
				end += w
			}
		}
		if start > textStart {
			fn(s[textStart:start], -1)
		}
		fn("", tok.ID)
		textStart = end
		i = end - 1
	}
	if textStart < len(s) {
		fn(s[textStart:], -1)
	}
}

func (m *addedMatcher) matchAt(s string, i int, cands []int32, parseSpecial bool) (*AddedToken, int) {
	for _, ci := range cands {
		t := &m.tokens[ci]
		if t.Special && !parseSpecial {
			continue
		}
		end := i + len(t.Content)
		if end > len(s) || s[i:end] != t.Content {
			continue
		}
		if t.SingleWord && (isWordBefore(s, i) || isWordAfter(s, end)) {
			continue
		}
		return t, end
	}
	return nil, 0
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

func isWordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func isWordAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// empty reports whether there is no added token to look for.
func (m *addedMatcher) empty() bool { return len(m.tokens) == 0 }
