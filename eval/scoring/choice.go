package scoring

import (
	"regexp"
	"strings"
	"unicode"
)

// Mode selects the judging rule.
type Mode int

const (
	// Strict is this package's rule: an answer counts only when exactly one
	// option can be read from the response; no answer, several options or
	// "yes and no" count as wrong.
	Strict Mode = iota
	// MedEvalKitCompat reproduces MedEvalKit's judge_multi_choice and
	// judge_judgement as published, bugs included, for comparing numbers
	// with papers that used it.
	MedEvalKitCompat
)

// How names the rule that produced a Choice.
type How string

const (
	ViaBoxed   How = "boxed"      // \boxed{...}
	ViaTag     How = "answer-tag" // <answer>...</answer>
	ViaMarker  How = "marker"     // "the answer is", "Answer:", "答案是", ...
	ViaWhole   How = "whole"      // the whole response
	ViaNothing How = "none"       // nothing could be read
)

// Choice is what ExtractChoice read from a response.
type Choice struct {
	// Options holds the 0-based indices of the options named, in order of
	// first mention; exactly one for a usable answer.
	Options []int
	// Span is the part of the response the options were read from.
	Span string
	Via  How
}

// Single returns the one option named and true, or -1 and false when the
// response names none or several.
func (c Choice) Single() (int, bool) {
	if len(c.Options) == 1 {
		return c.Options[0], true
	}
	return -1, false
}

// markerRE finds answer markers; the text after the last one is the span.
var markerRE = regexp.MustCompile(`(?i)(?:final answer|correct answer|correct option|the answer|answer|答案|正确答案|正确选项|选项)\s*(?:is|would be|should be|:|：|是|为|应为|应该是)?\s*:?`)

// letterRE matches an option label standing alone: "B", "(B)", "B.", "B)",
// "[B]", "**B**" — a single Latin letter not part of a longer word.
var letterRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}])\(?\[?([A-Za-z])\]?\)?(?:[^\p{L}\p{N}]|$)`)

// labelRE strips a leading option label from an option text ("A. ", "(A) ",
// "A: ", "A、").
var labelRE = regexp.MustCompile(`^\s*\(?[A-Za-z]\s*[\).:：、]\s*`)

// toASCII folds full-width forms (Ｂ, （, ：) to ASCII and trims markdown
// emphasis, so that Chinese-keyboard output reads like ASCII.
func toASCII(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		case r == '*':
			return -1
		}
		return r
	}, s)
}

// answerSpan picks the part of the response that holds the answer: the last
// \boxed{}, else the <answer> tags, else the text after the last answer
// marker (if that is not empty), else the whole response.
func answerSpan(response string) (string, How) {
	r := toASCII(response)
	if b, ok := ExtractBoxed(r); ok {
		return b, ViaBoxed
	}
	if t := extractTag(r, "answer"); t != r {
		return t, ViaTag
	}
	if locs := markerRE.FindAllStringIndex(r, -1); len(locs) > 0 {
		if after := strings.TrimSpace(r[locs[len(locs)-1][1]:]); after != "" {
			return after, ViaMarker
		}
	}
	return strings.TrimSpace(r), ViaWhole
}

// normText lower-cases s, folds spaces and trims punctuation at both ends.
func normText(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(toASCII(s))), " ")
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}

// optionText is an option's text without its label, normalised.
func optionText(opt string) string { return normText(labelRE.ReplaceAllString(opt, "")) }

// ExtractChoice reads which of options (texts, with or without "A. "
// labels; option i has letter 'A'+i) a free-text response names. From the
// answer span (see How) it takes, in order: the span itself as one letter;
// a leading label ("B. Pneumonia", "(B)"); stand-alone letters of valid
// options (upper case only, except when the span is just "b" or "b." — a
// lower-case "a" is usually the article; "I" and the article "A" before a
// lower-case word are skipped); and finally option texts that occur in the
// span as whole words (a text contained in a longer matching option text is
// not counted twice). Several distinct options are all returned, so that
// "A and C" is not read as A.
func ExtractChoice(response string, options []string) Choice {
	span, via := answerSpan(response)
	c := Choice{Span: span, Via: via}
	if idx := lettersIn(span, len(options)); len(idx) > 0 {
		c.Options = idx
		return c
	}
	c.Options = textsIn(span, options)
	if len(c.Options) == 0 && via != ViaWhole {
		// the marker may precede reasoning; try the whole response too.
		whole := strings.TrimSpace(toASCII(response))
		if idx := lettersIn(whole, len(options)); len(idx) > 0 {
			c.Options, c.Span, c.Via = idx, whole, ViaWhole
		} else if idx := textsIn(whole, options); len(idx) > 0 {
			c.Options, c.Span, c.Via = idx, whole, ViaWhole
		}
	}
	if len(c.Options) == 0 {
		c.Via = ViaNothing
	}
	return c
}

// lettersIn returns the valid option letters named in span.
func lettersIn(span string, n int) []int {
	valid := func(r byte) (int, bool) {
		i := int(unicode.ToUpper(rune(r)) - 'A')
		return i, i >= 0 && i < n
	}
	t := strings.TrimFunc(span, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	if len(t) == 1 {
		if i, ok := valid(t[0]); ok {
			return []int{i}
		}
		return nil
	}
	// a leading label ("B. Pneumothorax", "(b) ...") counts when no other
	// option letter follows it.
	if m := labelRE.FindString(span); m != "" {
		l := strings.TrimLeft(strings.TrimSpace(m), "(")
		if i, ok := valid(l[0]); ok && len(lettersUpper(span[len(m):], n)) == 0 {
			return []int{i}
		}
	}
	return lettersUpper(span, n)
}

// lettersUpper finds stand-alone upper-case option letters.
func lettersUpper(span string, n int) []int {
	var out []int
	seen := map[int]bool{}
	for _, loc := range letterRE.FindAllStringSubmatchIndex(span, -1) {
		l := span[loc[2]]
		if l < 'A' || l > 'Z' || int(l-'A') >= n {
			continue
		}
		after := strings.TrimLeft(span[loc[3]:], " ")
		if l == 'I' && !isLabelled(span, loc[2], loc[3]) {
			continue
		}
		if l == 'A' && !isLabelled(span, loc[2], loc[3]) && after != "" && unicode.IsLower(rune(after[0])) &&
			!strings.HasPrefix(after, "and ") && !strings.HasPrefix(after, "or ") {
			continue // the article: "A small effusion"
		}
		if i := int(l - 'A'); !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// isLabelled reports whether the letter at span[i:j] is written as a label:
// "(A", "A)", "A.", "A:" or at the end of the span.
func isLabelled(span string, i, j int) bool {
	if i > 0 && (span[i-1] == '(' || span[i-1] == '[') {
		return true
	}
	return j == len(span) || strings.ContainsRune(").:]", rune(span[j]))
}

// textsIn returns the options whose text occurs in span as whole words,
// dropping texts that only occur inside a longer matching option text.
func textsIn(span string, options []string) []int {
	s := " " + normText(span) + " "
	var hits []int
	for i, o := range options {
		if t := optionText(o); t != "" && containsWords(s, t) {
			hits = append(hits, i)
		}
	}
	var out []int
	for _, i := range hits {
		inner := false
		ti := optionText(options[i])
		for _, j := range hits {
			if tj := optionText(options[j]); j != i && len(tj) > len(ti) && containsWords(" "+tj+" ", ti) &&
				strings.Count(s, ti) == strings.Count(s, tj) {
				inner = true
			}
		}
		if !inner {
			out = append(out, i)
		}
	}
	return out
}

// containsWords reports whether t occurs in s (which starts and ends with a
// space) not glued to letters or digits on either side.
func containsWords(s, t string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], t)
		if i < 0 {
			return false
		}
		i += off
		before, after := rune(s[i-1]), rune(' ')
		if i+len(t) < len(s) {
			after = rune(s[i+len(t)])
		}
		if !isWordByte(before) && !isWordByte(after) {
			return true
		}
		off = i + 1
	}
}

func isWordByte(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// JudgeMultiChoice reports whether response answers a multiple-choice
// question correctly. answer is the correct option's letter ("B") or text.
// Strict: exactly one option must be read (ExtractChoice) and it must be the
// answer. MedEvalKitCompat: MedEvalKit's judge_multi_choice.
func JudgeMultiChoice(response string, options []string, answer string, mode Mode) bool {
	if mode == MedEvalKitCompat {
		return judgeMultiChoiceCompat(options, answer, response)
	}
	want := answerIndex(answer, options)
	got, ok := ExtractChoice(response, options).Single()
	return ok && want >= 0 && got == want
}

// answerIndex maps a letter or an option text to its option index.
func answerIndex(answer string, options []string) int {
	a := normText(answer)
	if len(a) == 1 && a[0] >= 'a' && int(a[0]-'a') < len(options) {
		return int(a[0] - 'a')
	}
	for i, o := range options {
		if optionText(o) == a || normText(o) == a {
			return i
		}
	}
	return -1
}
