package metrics

import (
	"strings"
	"sync"
	"unicode"
)

// Label is the value the rule-based CheXpert-style labeler gives one
// observation in one report.
type Label uint8

// Labels. Absent means the report does not mention the observation (the
// CheXpert "blank").
const (
	Absent Label = iota
	Positive
	Negative
	Uncertain
)

// String returns "absent", "positive", "negative" or "uncertain".
func (l Label) String() string {
	switch l {
	case Positive:
		return "positive"
	case Negative:
		return "negative"
	case Uncertain:
		return "uncertain"
	default:
		return "absent"
	}
}

// Window sizes, in words.
const (
	preCueWindow   = 14 // a negation or uncertainty cue reaches this many words forward
	postCueWindow  = 8  // a trailing cue reaches this many words back, never over a comma
	sizedWindow    = 6  // a size word qualifies a structure this many words away
	sizedNotWindow = 3  // "not"/"no" this close before "enlarged" negates it
)

// phraseSet matches phrases (sequences of words) by longest match.
type phraseSet struct {
	byFirst map[string][]phraseRef
}

type phraseRef struct {
	words []string
	idx   int // index into the caller's slice
}

func newPhraseSet(texts []string) *phraseSet {
	ps := &phraseSet{byFirst: map[string][]phraseRef{}}
	for i, t := range texts {
		w := strings.Fields(t)
		ps.byFirst[w[0]] = append(ps.byFirst[w[0]], phraseRef{words: w, idx: i})
	}
	return ps
}

// match returns the index and length of the longest phrase starting at
// toks[i], or -1, 0.
func (ps *phraseSet) match(toks []string, i int) (int, int) {
	best, bestLen := -1, 0
	for _, r := range ps.byFirst[toks[i]] {
		if len(r.words) <= bestLen || i+len(r.words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range r.words {
			if toks[i+k] != w {
				ok = false
				break
			}
		}
		if ok {
			best, bestLen = r.idx, len(r.words)
		}
	}
	return best, bestLen
}

// labelerRules are the compiled phrase lists; built once, read only.
type labelerRules struct {
	mentions     []phraseEntry
	mentionSet   *phraseSet
	preNeg       *phraseSet
	pseudoNeg    *phraseSet
	postNeg      *phraseSet
	uncBeforeNeg *phraseSet
	preUnc       *phraseSet
	postUnc      *phraseSet
	breakers     *phraseSet
	size         *phraseSet
	sizeKind     []sizeQual
}

type sizeQual uint8

const (
	sizeIsEnlarged sizeQual = iota
	sizeIsNormal
	sizeIsBorderline
)

var rulesOnce = sync.OnceValue(func() *labelerRules {
	r := &labelerRules{mentions: mentionPhrases()}
	texts := make([]string, len(r.mentions))
	for i, m := range r.mentions {
		texts[i] = m.text
	}
	r.mentionSet = newPhraseSet(texts)
	r.preNeg = newPhraseSet(preNegation)
	r.pseudoNeg = newPhraseSet(pseudoNegation)
	r.postNeg = newPhraseSet(postNegation)
	r.uncBeforeNeg = newPhraseSet(uncertainBeforeNegation)
	r.preUnc = newPhraseSet(preUncertainty)
	r.postUnc = newPhraseSet(postUncertainty)
	r.breakers = newPhraseSet(clauseBreakers)
	var sizes []string
	for _, l := range []struct {
		words []string
		q     sizeQual
	}{{sizeEnlarged, sizeIsEnlarged}, {sizeNormal, sizeIsNormal}, {sizeBorderline, sizeIsBorderline}} {
		for _, w := range l.words {
			sizes = append(sizes, w)
			r.sizeKind = append(r.sizeKind, l.q)
		}
	}
	r.size = newPhraseSet(sizes)
	return r
})

// CheXpertLabels labels report with the 14 CheXpert observations by rules
// (see the package documentation): every observation is a key of the
// result, Absent where the report does not mention it. Several mentions of
// one observation combine as in CheXpert: any positive mention makes it
// Positive, else any uncertain one Uncertain, else Negative. No Finding is
// Positive when no other observation except Support Devices is Positive or
// Uncertain, and Absent for an empty (blank) report.
func CheXpertLabels(report string) map[string]Label {
	out := make(map[string]Label, chexpertObservationsCount)
	for _, o := range CheXpertObservations() {
		out[o] = Absent
	}
	if strings.TrimSpace(report) == "" {
		return out
	}
	r := rulesOnce()
	for _, clause := range splitClauses(report, r) {
		labelClause(clause, r, out)
	}
	finding := false
	for o, l := range out {
		if o != NoFinding && o != SupportDevices && (l == Positive || l == Uncertain) {
			finding = true
		}
	}
	if !finding {
		out[NoFinding] = Positive
	}
	return out
}

// combine merges a new mention label into the current one: Positive beats
// Uncertain beats Negative beats Absent.
func combine(cur, l Label) Label {
	rank := func(x Label) int { return [...]int{Absent: 0, Negative: 1, Uncertain: 2, Positive: 3}[x] }
	if rank(l) > rank(cur) {
		return l
	}
	return cur
}

// splitClauses lower-cases text, splits it into sentences at . ; : ? ! and
// line breaks (a "." between digits, as in "3.5 cm", does not split), then
// into clauses at breaker words, and returns each clause as words with ","
// kept as its own token.
func splitClauses(text string, r *labelerRules) [][]string {
	rs := []rune(strings.ToLower(text))
	var sentences [][]string
	var cur []string
	var word strings.Builder
	flushWord := func() {
		if word.Len() > 0 {
			cur = append(cur, word.String())
			word.Reset()
		}
	}
	flushSentence := func() {
		flushWord()
		if len(cur) > 0 {
			sentences = append(sentences, cur)
			cur = nil
		}
	}
	for i, c := range rs {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			word.WriteRune(c)
		case c == '.' && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]):
			word.WriteRune(c)
		case c == '.' || c == ';' || c == ':' || c == '?' || c == '!' || c == '\n' || c == '\r':
			flushSentence()
		case c == ',':
			flushWord()
			cur = append(cur, ",")
		default:
			flushWord()
		}
	}
	flushSentence()
	var clauses [][]string
	for _, s := range sentences {
		start := 0
		for i := 0; i < len(s); {
			if _, n := r.breakers.match(s, i); n > 0 {
				if i > start {
					clauses = append(clauses, s[start:i])
				}
				i += n
				start = i
				continue
			}
			i++
		}
		if start < len(s) {
			clauses = append(clauses, s[start:])
		}
	}
	return clauses
}

// labelClause finds the mentions in one clause and classifies each.
func labelClause(toks []string, r *labelerRules, out map[string]Label) {
	for i := 0; i < len(toks); {
		idx, n := r.mentionSet.match(toks, i)
		if n == 0 {
			i++
			continue
		}
		m := r.mentions[idx]
		var l Label
		switch m.kind {
		case specific:
			l = classifyMention(toks, i, i+n, r)
		case sized:
			l = classifySized(toks, i, i+n, r)
		}
		if l != Absent {
			out[m.obs] = combine(out[m.obs], l)
		}
		i += n
	}
}

// classifyMention classifies the mention toks[start:end] from the cues
// around it: uncertainty cues that contain a negation word first, then
// negation, then uncertainty; no cue means Positive.
func classifyMention(toks []string, start, end int, r *labelerRules) Label {
	switch {
	case cueBefore(toks, start, r.uncBeforeNeg, nil) || cueAfter(toks, end, r.uncBeforeNeg):
		return Uncertain
	case cueBefore(toks, start, r.preNeg, r.pseudoNeg) || cueAfter(toks, end, r.postNeg):
		return Negative
	case cueBefore(toks, start, r.preUnc, nil) || cueAfter(toks, end, r.postUnc):
		return Uncertain
	}
	return Positive
}

// classifySized classifies a structure mention ("heart size") by the
// nearest size word: borderline → Uncertain, normal → Negative, enlarged →
// Negative when "no"/"not"/"without" closely precedes it, else as a
// specific mention. No size word near: Absent.
func classifySized(toks []string, start, end int, r *labelerRules) Label {
	bestDist, bestPos, bestQ := sizedWindow+1, -1, sizeIsNormal
	for i := max(0, start-sizedWindow); i < len(toks) && i <= end+sizedWindow; {
		if toks[i] == "," && i >= end {
			break
		}
		if i >= start && i < end {
			i = end
			continue
		}
		idx, n := r.size.match(toks, i)
		if n == 0 {
			i++
			continue
		}
		d := start - (i + n - 1)
		if i >= end {
			d = i - end + 1
		}
		if d < bestDist {
			bestDist, bestPos, bestQ = d, i, r.sizeKind[idx]
		}
		i += n
	}
	if bestPos < 0 {
		return Absent
	}
	switch bestQ {
	case sizeIsBorderline:
		return Uncertain
	case sizeIsNormal:
		return Negative
	}
	for j := max(0, bestPos-sizedNotWindow); j < bestPos; j++ {
		if toks[j] == "no" || toks[j] == "not" || toks[j] == "without" {
			return Negative
		}
	}
	lo, hi := min(start, bestPos), max(end, bestPos+1)
	return classifyMention(toks, lo, hi, r)
}

// cueBefore reports whether a phrase of set starts in the preCueWindow
// words before start and ends before it, skipping matches that begin a
// pseudo phrase ("no change in").
func cueBefore(toks []string, start int, set, pseudo *phraseSet) bool {
	words := 0
	for i := start - 1; i >= 0 && words < preCueWindow; i-- {
		if toks[i] == "," {
			// A cue reaches over a comma only into a list joined by
			// "or"/"nor" ("no consolidation, effusion, or pneumothorax"),
			// not into a new statement ("no pneumothorax, small effusion").
			if !orListAfter(toks, i) {
				return false
			}
			continue
		}
		words++
		_, n := set.match(toks, i)
		if n == 0 || i+n > start {
			continue
		}
		if pseudo != nil {
			if _, pn := pseudo.match(toks, i); pn > 0 {
				continue
			}
		}
		return true
	}
	return false
}

// orListAfter reports whether "or" or "nor" follows toks[i].
func orListAfter(toks []string, i int) bool {
	for _, t := range toks[i+1:] {
		if t == "or" || t == "nor" {
			return true
		}
	}
	return false
}

// cueAfter reports whether a phrase of set starts within postCueWindow
// words after end, before the next comma.
func cueAfter(toks []string, end int, set *phraseSet) bool {
	for i := end; i < len(toks) && i < end+postCueWindow; i++ {
		if toks[i] == "," {
			return false
		}
		if _, n := set.match(toks, i); n > 0 {
			return true
		}
	}
	return false
}
