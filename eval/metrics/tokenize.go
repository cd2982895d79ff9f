package metrics

import (
	"strings"
	"unicode"
)

// Tokenize splits text the way MedEvalKit's prep_reports does before BLEU and
// METEOR: lower case, every "." preceded by a space, split on the single
// space character (tabs and newlines stay inside tokens, as in Python's
// str.split(" ")), empty tokens dropped.
func Tokenize(text string) []string {
	s := strings.ReplaceAll(strings.ToLower(text), ".", " .")
	parts := strings.Split(s, " ")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ptbPunctuation lists the tokens pycocoevalcap's PTBTokenizer wrapper drops
// after tokenising (brackets appear there as -LRB- etc.).
var ptbPunctuation = map[string]bool{
	"''": true, "'": true, "``": true, "`": true, ".": true, "?": true, "!": true,
	",": true, ":": true, "-": true, "--": true, "...": true, ";": true,
	"(": true, ")": true, "[": true, "]": true, "{": true, "}": true, "\"": true,
}

// isEdgePunct reports whether r is split off the start or end of a word by
// TokenizePTB.
func isEdgePunct(r rune) bool {
	return strings.ContainsRune(".,;:!?()[]{}\"'`", r)
}

// TokenizePTB approximates the Stanford PTBTokenizer (-lowerCase) plus the
// punctuation removal that cidereval/pycocoevalcap apply before CIDEr: lower
// case, split on white space, punctuation split off both ends of each word
// and dropped, the clitic "'s" kept as its own token. Inner punctuation
// ("2.5", "left-sided") stays in the word, as in PTB. It is not the Java
// tokenizer: rare constructs (e.g. "n't", URLs) may split differently.
func TokenizePTB(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), unicode.IsSpace) {
		var tail []string
		w = strings.TrimLeftFunc(w, isEdgePunct)
		for {
			trimmed := strings.TrimRightFunc(w, isEdgePunct)
			if strings.HasSuffix(trimmed, "'s") && len(trimmed) > 2 {
				tail = append([]string{"'s"}, tail...)
				w = trimmed[:len(trimmed)-2]
				continue
			}
			w = trimmed
			break
		}
		if w != "" && !ptbPunctuation[w] {
			out = append(out, w)
		}
		out = append(out, tail...)
	}
	return out
}
