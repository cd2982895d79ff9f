package metrics

import "strings"

// PorterStem stems one word with the Porter (1980) algorithm in the variant
// NLTK's PorterStemmer uses by default (mode NLTK_EXTENSIONS), which METEOR's
// stem stage calls: a small table of irregular forms, words of up to two
// letters kept, "ies"/"ied" on four-letter words → "ie", "y" → "i" only after
// a consonant that is not the first letter, the extra step-2 rules
// "fulli" → "ful" and "logi" → "log", and a two-letter vowel-consonant stem
// counting as CVC. Letters are Unicode code points; anything that is not
// a, e, i, o, u (or a vowel-like y) counts as a consonant.
func PorterStem(word string) string {
	w := strings.ToLower(word)
	if s, ok := porterIrregular[w]; ok {
		return s
	}
	p := porter([]rune(w))
	if len(p) <= 2 {
		return w
	}
	p = p.step1a().step1b().step1c().step2().step3().step4().step5a().step5b()
	return string(p)
}

var porterIrregular = map[string]string{
	"sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"news": "news", "innings": "inning", "inning": "inning", "outings": "outing",
	"outing": "outing", "cannings": "canning", "canning": "canning", "howe": "howe",
	"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

type porter []rune

func (w porter) consonant(i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !w.consonant(i-1)
	}
	return true
}

// measure is m in [C](VC)^m[V]: the number of vowel→consonant transitions.
func (w porter) measure() int {
	m := 0
	for i := 1; i < len(w); i++ {
		if !w.consonant(i-1) && w.consonant(i) {
			m++
		}
	}
	return m
}

func (w porter) hasVowel() bool {
	for i := range w {
		if !w.consonant(i) {
			return true
		}
	}
	return false
}

func (w porter) endsDouble() bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && w.consonant(n-1)
}

func (w porter) endsCVC() bool {
	n := len(w)
	if n >= 3 && w.consonant(n-3) && !w.consonant(n-2) && w.consonant(n-1) &&
		w[n-1] != 'w' && w[n-1] != 'x' && w[n-1] != 'y' {
		return true
	}
	return n == 2 && !w.consonant(0) && w.consonant(1)
}

func (w porter) hasSuffix(s string) bool { return strings.HasSuffix(string(w), s) }

// cut removes suffix s (which w must end with).
func (w porter) cut(s string) porter { return w[:len(w)-len([]rune(s))] }

func (w porter) with(s string) porter {
	return append(append(porter{}, w...), []rune(s)...)
}

// rule is one (suffix, replacement, condition on the stem) entry.
type rule struct {
	suffix, repl string
	cond         func(stem porter) bool
}

// apply applies the first rule whose suffix w ends with; if its condition
// fails, w is returned unchanged (later rules are not tried), as NLTK's
// _apply_rule_list.
func (w porter) apply(rules []rule) porter {
	for _, r := range rules {
		if w.hasSuffix(r.suffix) {
			stem := w.cut(r.suffix)
			if r.cond == nil || r.cond(stem) {
				return stem.with(r.repl)
			}
			return w
		}
	}
	return w
}

func mGT0(s porter) bool { return s.measure() > 0 }
func mGT1(s porter) bool { return s.measure() > 1 }

func (w porter) step1a() porter {
	if w.hasSuffix("ies") && len(w) == 4 {
		return w.cut("ies").with("ie")
	}
	return w.apply([]rule{{"sses", "ss", nil}, {"ies", "i", nil}, {"ss", "ss", nil}, {"s", "", nil}})
}

func (w porter) step1b() porter {
	if w.hasSuffix("ied") {
		if len(w) == 4 {
			return w.cut("ied").with("ie")
		}
		return w.cut("ied").with("i")
	}
	if w.hasSuffix("eed") {
		if s := w.cut("eed"); s.measure() > 0 {
			return s.with("ee")
		}
		return w
	}
	var st porter
	ok := false
	for _, suf := range []string{"ed", "ing"} {
		if w.hasSuffix(suf) {
			if s := w.cut(suf); s.hasVowel() {
				st, ok = s, true
				break
			}
		}
	}
	if !ok {
		return w
	}
	switch {
	case st.hasSuffix("at"):
		return st.with("e")
	case st.hasSuffix("bl"):
		return st.with("e")
	case st.hasSuffix("iz"):
		return st.with("e")
	case st.endsDouble():
		if last := st[len(st)-1]; last != 'l' && last != 's' && last != 'z' {
			return st[:len(st)-1]
		}
		return st
	case st.measure() == 1 && st.endsCVC():
		return st.with("e")
	}
	return st
}

func (w porter) step1c() porter {
	return w.apply([]rule{{"y", "i", func(s porter) bool { return len(s) > 1 && s.consonant(len(s)-1) }}})
}

var step2Rules = []rule{
	{"ational", "ate", mGT0}, {"tional", "tion", mGT0}, {"enci", "ence", mGT0},
	{"anci", "ance", mGT0}, {"izer", "ize", mGT0}, {"bli", "ble", mGT0},
	{"alli", "al", mGT0}, {"entli", "ent", mGT0}, {"eli", "e", mGT0},
	{"ousli", "ous", mGT0}, {"ization", "ize", mGT0}, {"ation", "ate", mGT0},
	{"ator", "ate", mGT0}, {"alism", "al", mGT0}, {"iveness", "ive", mGT0},
	{"fulness", "ful", mGT0}, {"ousness", "ous", mGT0}, {"aliti", "al", mGT0},
	{"iviti", "ive", mGT0}, {"biliti", "ble", mGT0}, {"fulli", "ful", mGT0},
}

func (w porter) step2() porter {
	if w.hasSuffix("alli") && w.cut("alli").measure() > 0 {
		return w.cut("alli").with("al").step2()
	}
	rules := append(step2Rules[:len(step2Rules):len(step2Rules)],
		rule{"logi", "log", func(porter) bool { return w[:len(w)-3].measure() > 0 }})
	return w.apply(rules)
}

var step3Rules = []rule{
	{"icate", "ic", mGT0}, {"ative", "", mGT0}, {"alize", "al", mGT0},
	{"iciti", "ic", mGT0}, {"ical", "ic", mGT0}, {"ful", "", mGT0}, {"ness", "", mGT0},
}

func (w porter) step3() porter { return w.apply(step3Rules) }

var step4Rules = []rule{
	{"al", "", mGT1}, {"ance", "", mGT1}, {"ence", "", mGT1}, {"er", "", mGT1},
	{"ic", "", mGT1}, {"able", "", mGT1}, {"ible", "", mGT1}, {"ant", "", mGT1},
	{"ement", "", mGT1}, {"ment", "", mGT1}, {"ent", "", mGT1},
	{"ion", "", func(s porter) bool {
		return s.measure() > 1 && (s[len(s)-1] == 's' || s[len(s)-1] == 't')
	}},
	{"ou", "", mGT1}, {"ism", "", mGT1}, {"ate", "", mGT1}, {"iti", "", mGT1},
	{"ous", "", mGT1}, {"ive", "", mGT1}, {"ize", "", mGT1},
}

func (w porter) step4() porter { return w.apply(step4Rules) }

func (w porter) step5a() porter {
	if !w.hasSuffix("e") {
		return w
	}
	s := w.cut("e")
	if m := s.measure(); m > 1 || (m == 1 && !s.endsCVC()) {
		return s
	}
	return w
}

func (w porter) step5b() porter {
	if w.hasSuffix("ll") && w[:len(w)-1].measure() > 1 {
		return w[:len(w)-1]
	}
	return w
}
