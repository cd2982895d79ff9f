package scoring

import (
	"strings"
	"unicode"
)

// YesNo is the polarity read from a response.
type YesNo int

const (
	Unknown YesNo = iota // neither yes nor no
	Yes
	No
	Both // "yes and no", "yes ... no": ambiguous
)

func (y YesNo) String() string {
	return [...]string{"unknown", "yes", "no", "both"}[y]
}

var (
	yesWords = map[string]bool{"yes": true, "yeah": true, "yep": true, "true": true, "correct": true}
	noWords  = map[string]bool{"no": true, "not": true, "false": true, "incorrect": true, "nope": true,
		"none": true, "absent": true, "negative": true, "without": true, "neither": true, "nor": true}
	// weakYes words answer yes only when no yes- or no-word is present:
	// "pneumothorax is present".
	weakYes = map[string]bool{"present": true, "seen": true, "visible": true, "positive": true,
		"shown": true, "evident": true, "observed": true, "noted": true}
	zhYes = []string{"是", "对", "有", "正确"}
	zhNo  = []string{"否", "不", "没", "无", "错误"}
)

// ExtractYesNo reads yes or no from a free-text response. From the answer
// span (as ExtractChoice: \boxed{}, <answer>, text after an answer marker,
// else everything) it takes, in order: a leading word ("Yes, there is ..."
// → Yes; "No." → No; "是的" → Yes; "否"/"不是"/"没有" → No); otherwise the
// whole words of the span: only yes-words (yes, yeah, true, correct) →
// Yes; only no-words (no, not, none, absent, negative, without, false) → No;
// both → Both; neither, but a finding word (present, seen, visible,
// positive, noted) → Yes. Whole words only: "normal", "nodule", "know", "eyes" are not
// yes or no.
func ExtractYesNo(response string) YesNo {
	span, _ := answerSpan(response)
	s := strings.ToLower(span)
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	if len(words) > 0 {
		switch w := strings.Trim(words[0], "'"); {
		case yesWords[w] && w != "correct":
			if !hasWord(words[1:], "and") || !anyIn(words[1:], noWords) {
				return Yes
			}
		case w == "no" || w == "not" || w == "nope":
			if !anyIn(words[1:], yesWords) {
				return No
			}
		}
	}
	for _, p := range []string{"不是", "没有", "不"} {
		if strings.HasPrefix(s, p) {
			return No
		}
	}
	for _, p := range zhNo {
		if strings.HasPrefix(s, p) {
			return No
		}
	}
	for _, p := range zhYes {
		if strings.HasPrefix(s, p) {
			return Yes
		}
	}
	y, n := anyIn(words, yesWords), anyIn(words, noWords)
	switch {
	case y && n:
		return Both
	case y:
		return Yes
	case n:
		return No
	case anyIn(words, weakYes):
		return Yes
	}
	return Unknown
}

func anyIn(words []string, set map[string]bool) bool {
	for _, w := range words {
		if set[strings.Trim(w, "'")] {
			return true
		}
	}
	return false
}

func hasWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// parseYesNo maps a reference answer ("yes", "No", "是", "否") to YesNo.
func parseYesNo(answer string) YesNo {
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "yes", "是", "true":
		return Yes
	case "no", "否", "false":
		return No
	}
	return Unknown
}

// JudgeYesNo reports whether response gives the reference answer ("yes" or
// "no"). Strict: ExtractYesNo must give exactly that polarity (Both and
// Unknown are wrong). MedEvalKitCompat: MedEvalKit's judge_judgement.
func JudgeYesNo(response, answer string, mode Mode) bool {
	if mode == MedEvalKitCompat {
		return judgeYesNoCompat(answer, response)
	}
	want := parseYesNo(answer)
	return want != Unknown && ExtractYesNo(response) == want
}
