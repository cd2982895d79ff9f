package store

import "strings"

// pattern is a DICOM-style wildcard: * matches any run of characters, ?
// exactly one; everything else literally. Matching works on runes.
type pattern struct {
	p    []rune
	fold bool
}

func compilePattern(p string, fold bool) *pattern {
	if fold {
		p = strings.ToLower(p)
	}
	return &pattern{p: []rune(p), fold: fold}
}

// match reports whether s matches the whole pattern. It runs in
// O(len(s)*len(p)) worst case (greedy star with backtrack to the last star).
func (pt *pattern) match(s string) bool {
	if pt.fold {
		s = strings.ToLower(s)
	}
	str := []rune(s)
	p := pt.p
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			si++
			pi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
