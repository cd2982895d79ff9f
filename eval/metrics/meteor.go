package metrics

import (
	"math"
	"sort"
	"strings"
)

// MeteorVariant names the METEOR that Meteor computes, so reports never pass
// it off as NLTK's full METEOR with WordNet synonyms.
const MeteorVariant = "meteor-exact-stem (NLTK single_meteor_score without the WordNet synonym stage)"

// METEOR parameters of NLTK's single_meteor_score.
const (
	meteorAlpha = 0.9
	meteorBeta  = 3.0
	meteorGamma = 0.5
)

// indexedWord is a token with its position in the original sequence.
type indexedWord struct {
	pos  int
	word string
}

type wordMatch struct{ hyp, ref int }

// matchStage pairs equal words the way NLTK's _match_enums does: hypothesis
// words from last to first, each with the last still-unmatched equal
// reference word. It returns the matches and the unmatched words of both.
func matchStage(hyp, ref []indexedWord) ([]wordMatch, []indexedWord, []indexedWord) {
	hyp = append([]indexedWord(nil), hyp...)
	ref = append([]indexedWord(nil), ref...)
	var out []wordMatch
	for i := len(hyp) - 1; i >= 0; i-- {
		for j := len(ref) - 1; j >= 0; j-- {
			if hyp[i].word == ref[j].word {
				out = append(out, wordMatch{hyp[i].pos, ref[j].pos})
				hyp = append(hyp[:i], hyp[i+1:]...)
				ref = append(ref[:j], ref[j+1:]...)
				break
			}
		}
	}
	return out, hyp, ref
}

func stemAll(ws []indexedWord) []indexedWord {
	out := make([]indexedWord, len(ws))
	for i, w := range ws {
		out[i] = indexedWord{w.pos, PorterStem(w.word)}
	}
	return out
}

// countChunks counts runs of matches adjacent in both hypothesis and
// reference (matches sorted by hypothesis position).
func countChunks(ms []wordMatch) int {
	chunks := 1
	for i := 0; i+1 < len(ms); i++ {
		if !(ms[i+1].hyp == ms[i].hyp+1 && ms[i+1].ref == ms[i].ref+1) {
			chunks++
		}
	}
	return chunks
}

// Meteor is NLTK's single_meteor_score(reference, hypothesis) restricted to
// its first two alignment stages (exact, then Porter stems of what is left;
// words are lower-cased first). With m matches, P = m/|hyp|, R = m/|ref|,
// Fmean = PR / (αP + (1-α)R), penalty = γ (chunks/m)^β, score =
// (1 - penalty) Fmean; 0 when nothing matches. NLTK's WordNet synonym stage
// would only add matches, so Meteor ≤ NLTK's value on the same tokens.
//
// Hand-computed: hyp "the cat sat", ref "the cat sat on the mat": m = 3,
// P = 1, R = 0.5, Fmean = 0.5/(0.9+0.05) = 0.526316. NLTK matches from the
// end, so hypothesis "the" pairs with the *second* "the" of the reference:
// alignment (0,4),(1,1),(2,2) has 2 chunks, penalty = 0.5·(2/3)³ = 0.148148,
// score = 0.851852 · 0.526316 = 0.448343 (METEOR proper would pick the
// one-chunk alignment and give 0.516569; we follow NLTK).
func Meteor(ref, hyp []string) float64 {
	if len(hyp) == 0 || len(ref) == 0 {
		return 0
	}
	h := make([]indexedWord, len(hyp))
	for i, w := range hyp {
		h[i] = indexedWord{i, strings.ToLower(w)}
	}
	r := make([]indexedWord, len(ref))
	for i, w := range ref {
		r[i] = indexedWord{i, strings.ToLower(w)}
	}
	exact, h, r := matchStage(h, r)
	stem, _, _ := matchStage(stemAll(h), stemAll(r))
	ms := append(exact, stem...)
	if len(ms) == 0 {
		return 0
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].hyp < ms[j].hyp })
	m := float64(len(ms))
	p, rc := m/float64(len(hyp)), m/float64(len(ref))
	fmean := p * rc / (meteorAlpha*p + (1-meteorAlpha)*rc)
	frag := float64(countChunks(ms)) / m
	return (1 - meteorGamma*math.Pow(frag, meteorBeta)) * fmean
}

// MeteorMulti is NLTK's meteor_score: the best Meteor over the references.
func MeteorMulti(refs [][]string, hyp []string) float64 {
	best := 0.0
	for _, r := range refs {
		best = max(best, Meteor(r, hyp))
	}
	return best
}
