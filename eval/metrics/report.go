package metrics

import (
	"fmt"
	"strings"
)

// Pair is one generated text and its reference text(s).
type Pair struct {
	Hypothesis string
	References []string
}

// Report holds corpus scores. Sentence-level metrics (BLEU-n, ROUGE-L,
// METEOR) are the mean over pairs of the per-pair score, as MedEvalKit's
// cal_report_metrics.py averages sentence_bleu, Rouge and single_meteor_score;
// CIDEr is computed over the whole corpus. The JSON names are the shape
// `lingshu eval metrics --json` prints (DESIGN.md).
type Report struct {
	N         int     `json:"n"`
	Empty     int     `json:"empty_hypotheses"`
	BLEU1     float64 `json:"bleu1"`
	BLEU2     float64 `json:"bleu2"`
	BLEU3     float64 `json:"bleu3"`
	BLEU4     float64 `json:"bleu4"`
	RougeL    float64 `json:"rouge_l"`
	RougeLLin float64 `json:"rouge_l_lin"`
	Meteor    float64 `json:"meteor"`
	// CIDErD is CIDEr-D with corpus document frequencies; CIDEr is plain
	// CIDEr (cidereval `cider`) with corpus document frequencies.
	CIDErD float64 `json:"cider"`
	CIDEr  float64 `json:"cider_plain"`
	// CorpusBLEU4 is NLTK corpus_bleu (micro-averaged) BLEU-4, for readers
	// who compare with papers that report corpus BLEU.
	CorpusBLEU4   float64 `json:"corpus_bleu4"`
	MeteorVariant string  `json:"meteor_variant"`
	// CheXpert-label F1 (ClinicalF1 with default options, hypothesis
	// against the first reference): micro and macro over the 14
	// observations, micro and macro over CheXpert5Observations. Corpus-level,
	// like CIDEr. CheXpertVariant names the labeler and the uncertain mapping.
	CheXpertF1Micro  float64 `json:"chexpert_f1_micro"`
	CheXpertF1Macro  float64 `json:"chexpert_f1_macro"`
	CheXpert5F1Micro float64 `json:"chexpert5_f1_micro"`
	CheXpert5F1Macro float64 `json:"chexpert5_f1_macro"`
	CheXpertVariant  string  `json:"chexpert_variant"`
}

// CheXpertVariant names the clinical F1 in Report: this package's
// rule-based approximation of the CheXpert labeler, Uncertain counted as
// present.
const CheXpertVariant = "rule-based-chexpert-approx, uncertain=positive"

// Evaluate scores pairs as MedEvalKit scores report generation: every text
// is lower-cased; BLEU and METEOR use Tokenize; ROUGE-L the `rouge` package's
// own sentence split (RougeL); CIDEr the PTB-like TokenizePTB. With several
// references, sentence metrics take the best reference (as NLTK's
// meteor_score and pycocoevalcap) and BLEU/CIDEr use all of them as NLTK and
// pycocoevalcap do.
//
// The CheXpert-label F1 (ClinicalF1) compares each hypothesis with its
// first reference only, since the labeler labels one reference report.
//
// An empty hypothesis scores 0 on every metric and counts in every mean
// (for the CheXpert F1 it labels nothing, not even No Finding).
// MedEvalKit skips such samples (continue) but still divides the sentence
// metrics by the full count, so its BLEU/ROUGE/METEOR equal ours; its CIDEr,
// however, is averaged over non-empty answers only, which ours is not.
func Evaluate(pairs []Pair) (Report, error) {
	rep := Report{N: len(pairs), MeteorVariant: MeteorVariant, CheXpertVariant: CheXpertVariant}
	if len(pairs) == 0 {
		return rep, fmt.Errorf("metrics: evaluate: no pairs")
	}
	var (
		sums               [7]float64
		corpRefs, ptbRefs  [][][]string
		corpHyps, ptbHyps  [][]string
		chexRefs, chexHyps []string
	)
	for i, p := range pairs {
		if len(p.References) == 0 {
			return rep, fmt.Errorf("metrics: evaluate: pair %d has no reference", i)
		}
		hypLower := strings.ToLower(p.Hypothesis)
		hyp := Tokenize(hypLower)
		refs := make([][]string, len(p.References))
		prefs := make([][]string, len(p.References))
		bestRouge := 0.0
		for j, r := range p.References {
			refs[j] = Tokenize(r)
			prefs[j] = TokenizePTB(r)
			bestRouge = max(bestRouge, RougeL(hypLower, strings.ToLower(r)))
		}
		chexRefs, chexHyps = append(chexRefs, p.References[0]), append(chexHyps, p.Hypothesis)
		corpRefs, corpHyps = append(corpRefs, refs), append(corpHyps, hyp)
		ptbRefs, ptbHyps = append(ptbRefs, prefs), append(ptbHyps, TokenizePTB(hypLower))
		if strings.TrimSpace(p.Hypothesis) == "" {
			rep.Empty++
			continue
		}
		for n := 1; n <= 4; n++ {
			b, err := SentenceBLEU(refs, hyp, UniformWeights(n))
			if err != nil {
				return rep, fmt.Errorf("metrics: evaluate: pair %d: %w", i, err)
			}
			sums[n-1] += b
		}
		sums[4] += bestRouge
		sums[5] += RougeLLin(refs, hyp, 1.2)
		sums[6] += MeteorMulti(refs, hyp)
	}
	n := float64(len(pairs))
	rep.BLEU1, rep.BLEU2, rep.BLEU3, rep.BLEU4 = sums[0]/n, sums[1]/n, sums[2]/n, sums[3]/n
	rep.RougeL, rep.RougeLLin, rep.Meteor = sums[4]/n, sums[5]/n, sums[6]/n
	var err error
	if rep.CorpusBLEU4, err = CorpusBLEU(corpRefs, corpHyps, UniformWeights(4)); err != nil {
		return rep, fmt.Errorf("metrics: evaluate: %w", err)
	}
	if rep.CIDErD, _, err = CIDErScores(ptbRefs, ptbHyps, true); err != nil {
		return rep, fmt.Errorf("metrics: evaluate: %w", err)
	}
	if rep.CIDEr, _, err = CIDErScores(ptbRefs, ptbHyps, false); err != nil {
		return rep, fmt.Errorf("metrics: evaluate: %w", err)
	}
	cs := ClinicalF1(chexRefs, chexHyps, ClinicalOptions{})
	rep.CheXpertF1Micro, rep.CheXpertF1Macro = cs.MicroF1, cs.MacroF1
	rep.CheXpert5F1Micro, rep.CheXpert5F1Macro = cs.Micro5F1, cs.Macro5F1
	return rep, nil
}
