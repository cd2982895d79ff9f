package scoring

import "strings"

// answerPatterns are the markers MedEvalKit's parse_response cuts at, in its
// order; for each one present the text after its last occurrence is kept.
var answerPatterns = []string{
	"**answer**:", "**answer**", "*answer*:", "**answer:**", "answer is",
	"answer:", "答案:", "final answer", "final answer is",
}

// ExtractBoxed returns the content of the last \boxed{...} in s, braces
// balanced, trimmed, and whether one was found (mathruler's
// extract_boxed_content, which MedEvalKit calls, returns "None" when not).
func ExtractBoxed(s string) (string, bool) {
	start := strings.LastIndex(s, `\boxed{`)
	if start < 0 {
		return "", false
	}
	content := s[start+len(`\boxed{`):]
	depth := 0
	for i, r := range content {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth == -1 {
			return strings.TrimSpace(content[:i]), true
		}
	}
	return "", false
}

// extractTag joins the contents of every <tag>...</tag> pair with spaces,
// trimmed; when there is none it returns text (MedEvalKit's extract with
// hard=True).
func extractTag(text, tag string) string {
	open, end := "<"+tag+">", "</"+tag+">"
	var b strings.Builder
	for rest := text; ; {
		i := strings.Index(rest, open)
		if i < 0 {
			break
		}
		rest = rest[i+len(open):]
		j := strings.Index(rest, end)
		if j < 0 {
			break
		}
		b.WriteString(rest[:j])
		b.WriteString(" ")
		rest = rest[j+len(end):]
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		return s
	}
	return text
}

// ParseResponse is MedEvalKit's parse_response: lower case; the last
// \boxed{} if the text mentions "boxed" (the literal "None" when it has no
// well-formed box), else the <answer> tags; then, for each answer marker
// present, the text after its last occurrence.
func ParseResponse(response string) string {
	r := strings.ToLower(response)
	if strings.Contains(r, "boxed") {
		if b, ok := ExtractBoxed(r); ok {
			r = b
		} else {
			r = "None"
		}
	} else if strings.Contains(r, "<answer>") {
		r = extractTag(r, "answer")
	}
	for _, p := range answerPatterns {
		if i := strings.LastIndex(r, p); i >= 0 {
			r = r[i+len(p):]
		}
	}
	return r
}

// firstPart is Python's s.split(sep)[0].
func firstPart(s, sep string) string {
	before, _, _ := strings.Cut(s, sep)
	return before
}

// lastPart is Python's s.split(sep)[-1].
func lastPart(s, sep string) string {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return s
}

// judgeMultiChoiceCompat is MedEvalKit's judge_multi_choice, rule for rule,
// including what this package's strict rule treats as bugs: a response
// that names no option is still matched to the most similar option text by
// difflib ratio (option A when nothing is similar at all), several letters
// or "(b)" fall through to that fallback, and "答案是" / "答案：" are not
// answer markers.
func judgeMultiChoiceCompat(choices []string, answer, response string) bool {
	letters := make([]string, len(choices))
	for i := range choices {
		letters[i] = string(rune('a' + i))
	}
	isLetter := func(s string) int {
		for i, l := range letters {
			if s == l {
				return i
			}
		}
		return -1
	}
	response = strings.ToLower(response)
	if first := firstPart(response, "\n\n"); isLetter(first) >= 0 {
		response = first
	} else if last := firstPart(lastPart(response, "\n\n"), "."); isLetter(last) >= 0 {
		response = last
	}
	response = ParseResponse(response)
	lower := make([]string, len(choices))
	for i, c := range choices {
		lower[i] = strings.ToLower(c)
	}
	response = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(response)), "\n", "")
	split := lastPart(firstPart(response, "."), ":")
	answer = strings.ToLower(strings.TrimSpace(answer))
	switch {
	case split == answer:
		return true
	case isLetter(split) >= 0:
		return lower[isLetter(split)] == answer
	case indexOf(lower, split) >= 0:
		a := isLetter(answer)
		return a >= 0 && split == lower[a]
	}
	best, bestSim := 0, 0.0
	for i, c := range lower {
		if s := similarity(c, response); s > bestSim {
			best, bestSim = i, s
		}
	}
	return len(choices) > 0 && (letters[best] == answer || lower[best] == answer)
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// judgeYesNoCompat is MedEvalKit's judge_judgement: after ParseResponse and
// removing "\n" and ".", correct when exactly one of the *substrings* "yes"
// and "no" occurs and the answer is a substring of the response — so "no"
// inside "normal", "nodule" or "not", and "yes" inside "eyes", count.
func judgeYesNoCompat(answer, response string) bool {
	answer = strings.ToLower(answer)
	r := ParseResponse(response)
	r = strings.ReplaceAll(strings.ReplaceAll(r, "\n", ""), ".", "")
	if strings.Contains(r, "yes") != strings.Contains(r, "no") {
		return strings.Contains(r, answer)
	}
	return false
}
