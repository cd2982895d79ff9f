package scoring

// similarity is Python's difflib.SequenceMatcher(None, a, b).ratio() over
// Unicode code points: 2·M / (len(a) + len(b)), where M is the number of
// characters in the matching blocks found by difflib's recursive
// longest-match search, including its "autojunk" rule (when b has 200 or
// more characters, characters occurring more than len(b)/100 + 1 times in b
// cannot start a match). MedEvalKit's multiple-choice fallback ranks
// options by it, so MedEvalKitCompat needs the same numbers.
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra)+len(rb) == 0 {
		return 1
	}
	m := newMatcher(ra, rb)
	return 2 * float64(m.matches()) / float64(len(ra)+len(rb))
}

type matcher struct {
	a, b []rune
	b2j  map[rune][]int
}

func newMatcher(a, b []rune) *matcher {
	m := &matcher{a: a, b: b, b2j: make(map[rune][]int)}
	for j, r := range b {
		m.b2j[r] = append(m.b2j[r], j)
	}
	if n := len(b); n >= 200 {
		ntest := n/100 + 1
		for r, idx := range m.b2j {
			if len(idx) > ntest {
				delete(m.b2j, r)
			}
		}
	}
	return m
}

// longest is difflib's find_longest_match(alo, ahi, blo, bhi) with no junk
// function: the longest block a[i:i+k] == b[j:j+k], earliest in a, then
// earliest in b, grown over "popular" characters at both ends.
func (m *matcher) longest(alo, ahi, blo, bhi int) (int, int, int) {
	bi, bj, bk := alo, blo, 0
	j2len := map[int]int{}
	for i := alo; i < ahi; i++ {
		next := map[int]int{}
		for _, j := range m.b2j[m.a[i]] {
			if j < blo {
				continue
			}
			if j >= bhi {
				break
			}
			k := j2len[j-1] + 1
			next[j] = k
			if k > bk {
				bi, bj, bk = i-k+1, j-k+1, k
			}
		}
		j2len = next
	}
	for bi > alo && bj > blo && m.a[bi-1] == m.b[bj-1] {
		bi, bj, bk = bi-1, bj-1, bk+1
	}
	for bi+bk < ahi && bj+bk < bhi && m.a[bi+bk] == m.b[bj+bk] {
		bk++
	}
	return bi, bj, bk
}

// matches sums the sizes of difflib's get_matching_blocks.
func (m *matcher) matches() int {
	type span struct{ alo, ahi, blo, bhi int }
	queue := []span{{0, len(m.a), 0, len(m.b)}}
	total := 0
	for len(queue) > 0 {
		s := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		i, j, k := m.longest(s.alo, s.ahi, s.blo, s.bhi)
		if k == 0 {
			continue
		}
		total += k
		if s.alo < i && s.blo < j {
			queue = append(queue, span{s.alo, i, s.blo, j})
		}
		if i+k < s.ahi && j+k < s.bhi {
			queue = append(queue, span{i + k, s.ahi, j + k, s.bhi})
		}
	}
	return total
}
