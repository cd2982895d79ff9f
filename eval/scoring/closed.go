package scoring

import (
	"strings"
	"unicode"
)

// JudgeClosed reports whether response gives a short closed answer ("left",
// "2", "right upper lobe") that is not yes/no. Strict: the answer span
// (\boxed{}, <answer>, after an answer marker, else the whole response),
// lower-cased with punctuation and surrounding articles removed, must equal
// the answer normalised the same way. MedEvalKitCompat: MedEvalKit's
// judge_close_end_vqa — parse_response, newlines and every "." removed,
// then string equality with the lower-cased answer (no trimming).
func JudgeClosed(response, answer string, mode Mode) bool {
	if mode == MedEvalKitCompat {
		r := ParseResponse(response)
		r = strings.ReplaceAll(strings.ReplaceAll(r, "\n", ""), ".", "")
		return r == strings.ToLower(answer)
	}
	span, _ := answerSpan(response)
	a := NormalizeAnswer(answer)
	return a != "" && NormalizeAnswer(span) == a
}

// NormalizeAnswer lower-cases s, folds full-width forms, turns punctuation
// into spaces, drops a leading article and collapses spaces: "The Left." →
// "left".
func NormalizeAnswer(s string) string {
	s = strings.ToLower(toASCII(s))
	s = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return ' '
		}
		return r
	}, s)
	f := strings.Fields(s)
	if len(f) > 1 && (f[0] == "the" || f[0] == "a" || f[0] == "an") {
		f = f[1:]
	}
	return strings.Join(f, " ")
}
