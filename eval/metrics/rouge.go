package metrics

import "strings"

// rougeSentences splits text as the `rouge` package's Rouge.get_scores does:
// at every ".", pieces of length zero dropped, runs of white space inside a
// piece collapsed to one space. A piece of only white space survives as an
// empty sentence (and later as one empty word), exactly as there.
func rougeSentences(text string) []string {
	var out []string
	for _, p := range strings.Split(text, ".") {
		if p == "" {
			continue
		}
		out = append(out, strings.Join(strings.Fields(p), " "))
	}
	return out
}

// rougeWords splits sentences on the single space, as _split_into_words.
func rougeWords(sentences []string) []string {
	var out []string
	for _, s := range sentences {
		out = append(out, strings.Split(s, " ")...)
	}
	return out
}

// lcsTable is the dynamic-programming table of LCS lengths of x[:i], y[:j],
// stored flat: entry (i, j) is at i*(len(y)+1)+j.
type lcsTable struct {
	t    []int32
	cols int
}

func (l lcsTable) at(i, j int) int { return int(l.t[i*l.cols+j]) }

func newLCSTable(x, y []string) lcsTable {
	l := lcsTable{t: make([]int32, (len(x)+1)*(len(y)+1)), cols: len(y) + 1}
	for i := 1; i <= len(x); i++ {
		row, prev := l.t[i*l.cols:(i+1)*l.cols], l.t[(i-1)*l.cols:i*l.cols]
		for j := 1; j <= len(y); j++ {
			if x[i-1] == y[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	return l
}

// lcsLen is the length of the longest common subsequence of x and y.
func lcsLen(x, y []string) int { return newLCSTable(x, y).at(len(x), len(y)) }

// lcsWords reconstructs one LCS of x and y, walking back with the same tie
// rule as the `rouge` package (up only when strictly better, else left), so
// that the same words are chosen.
func lcsWords(x, y []string) []string {
	t := newLCSTable(x, y)
	var rev []string
	for i, j := len(x), len(y); i > 0 && j > 0; {
		switch {
		case x[i-1] == y[j-1]:
			rev = append(rev, x[i-1])
			i, j = i-1, j-1
		case t.at(i-1, j) > t.at(i, j-1):
			i--
		default:
			j--
		}
	}
	return rev
}

// RougeL is ROUGE-L F as MedEvalKit computes it with the `rouge` package
// (v1.0.1, default exclusive=True): hypothesis and reference are cut into
// sentences at "."; for each reference sentence the LCS with every
// hypothesis sentence is found and its words are added to one union *set*;
// R = |union| / |distinct reference words|, P = |union| / |distinct
// hypothesis words|, F = 2PR / (P + R + 1e-8). MedEvalKit lower-cases both
// texts before the call; RougeL does not, so callers pass lower-cased text.
// An empty hypothesis or reference (which makes the package raise) gives 0.
//
// Hand-computed: hyp "the cat sat", ref "the cat sat on the mat" →
// one sentence each, LCS words {the, cat, sat}, distinct ref words 5
// {the,cat,sat,on,mat}, hyp 3: R = 3/5, P = 1, F = 1.2/1.6 = 0.75 (less 1e-8).
func RougeL(hyp, ref string) float64 {
	hs, rs := rougeSentences(hyp), rougeSentences(ref)
	if len(hs) == 0 || len(rs) == 0 {
		return 0
	}
	hw := make([][]string, len(hs))
	for i, s := range hs {
		hw[i] = strings.Split(s, " ")
	}
	union := make(map[string]bool)
	for _, r := range rs {
		rw := strings.Split(r, " ")
		for _, h := range hw {
			for _, w := range lcsWords(rw, h) {
				union[w] = true
			}
		}
	}
	m, n := distinct(rougeWords(rs)), distinct(rougeWords(hs))
	if m == 0 || n == 0 {
		return 0
	}
	r := float64(len(union)) / float64(m)
	p := float64(len(union)) / float64(n)
	return 2 * (p * r) / (p + r + 1e-8)
}

func distinct(ws []string) int {
	set := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		set[w] = struct{}{}
	}
	return len(set)
}

// RougeLLin is the sentence-level ROUGE-L of Lin (2004) as pycocoevalcap
// computes it: for each reference, P = LCS/|hyp|, R = LCS/|ref|; the best P
// and best R over the references give F = (1+β²)PR / (R + β²P), β = 1.2 in
// pycocoevalcap. Hand-computed: hyp "the cat sat" (3), ref "the cat sat on
// the mat" (6): LCS 3, P = 1, R = 0.5, F = 2.44·0.5/(0.5+1.44) ≈ 0.628866.
func RougeLLin(refs [][]string, hyp []string, beta float64) float64 {
	if len(hyp) == 0 {
		return 0
	}
	bestP, bestR := 0.0, 0.0
	for _, ref := range refs {
		if len(ref) == 0 {
			continue
		}
		l := float64(lcsLen(ref, hyp))
		bestP = max(bestP, l/float64(len(hyp)))
		bestR = max(bestR, l/float64(len(ref)))
	}
	if bestP == 0 || bestR == 0 {
		return 0
	}
	b2 := beta * beta
	return (1 + b2) * bestP * bestR / (bestR + b2*bestP)
}
