package metrics

// ClinicalOptions choose how labels become the binary "present" of F1.
// The zero value is the default: Uncertain counts as present.
type ClinicalOptions struct {
	// UncertainAsNegative counts Uncertain as absent. By default (false)
	// Uncertain counts as present ("uncertain as positive", the mapping most
	// report-generation papers use with the CheXpert labeler).
	UncertainAsNegative bool
}

// ObservationScore is the binary confusion count and F1 of one observation
// over a corpus.
type ObservationScore struct {
	Observation string  `json:"observation"`
	TP          int     `json:"tp"`
	FP          int     `json:"fp"`
	FN          int     `json:"fn"`
	Support     int     `json:"support"` // references where it is present (TP+FN)
	Precision   float64 `json:"precision"`
	Recall      float64 `json:"recall"`
	F1          float64 `json:"f1"`
}

// ClinicalScores are the CheXpert-label F1 scores of a corpus.
type ClinicalScores struct {
	N                   int                `json:"n"`
	UncertainAsPositive bool               `json:"uncertain_as_positive"`
	MicroF1             float64            `json:"f1_micro"`
	MacroF1             float64            `json:"f1_macro"`
	Micro5F1            float64            `json:"f1_micro_5"`
	Macro5F1            float64            `json:"f1_macro_5"`
	PerObservation      []ObservationScore `json:"per_observation"` // in CheXpertObservations order
}

// ClinicalF1 labels every reference and prediction with CheXpertLabels and
// scores each observation as a binary "present" (Positive, and Uncertain
// unless opts.UncertainAsNegative) of the prediction against the
// reference. MicroF1 pools TP/FP/FN over the 14 observations; MacroF1 is the
// mean of the 14 per-observation F1; Micro5F1/Macro5F1 do the same over
// CheXpert5Observations.
//
// An observation with no TP, FP or FN (present in no reference and no
// prediction) has F1 0, as scikit-learn's f1_score gives (zero_division=0)
// and as papers that compute these figures with it report; it still counts
// in the macro mean. A corpus with nothing present anywhere therefore
// scores 0. Precision and recall with a zero denominator are 0 as well.
// refs[i] and preds[i] are one pair; pairs past the shorter slice are not
// scored, and N is the number scored.
func ClinicalF1(refs, preds []string, opts ClinicalOptions) ClinicalScores {
	obs := CheXpertObservations()
	n := min(len(refs), len(preds))
	cs := ClinicalScores{N: n, UncertainAsPositive: !opts.UncertainAsNegative}
	counts := make(map[string]*ObservationScore, len(obs))
	for _, o := range obs {
		counts[o] = &ObservationScore{Observation: o}
	}
	present := func(l Label) bool {
		return l == Positive || (l == Uncertain && !opts.UncertainAsNegative)
	}
	for i := range n {
		rl, pl := CheXpertLabels(refs[i]), CheXpertLabels(preds[i])
		for _, o := range obs {
			r, p := present(rl[o]), present(pl[o])
			c := counts[o]
			switch {
			case r && p:
				c.TP++
			case p:
				c.FP++
			case r:
				c.FN++
			}
		}
	}
	for _, o := range obs {
		c := counts[o]
		c.Support = c.TP + c.FN
		c.Precision, c.Recall, c.F1 = prf(c.TP, c.FP, c.FN)
		cs.PerObservation = append(cs.PerObservation, *c)
	}
	cs.MicroF1, cs.MacroF1 = microMacro(counts, obs)
	cs.Micro5F1, cs.Macro5F1 = microMacro(counts, CheXpert5Observations())
	return cs
}

// prf is precision, recall and F1 with 0 for a zero denominator.
func prf(tp, fp, fn int) (p, r, f float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if d := 2*tp + fp + fn; d > 0 {
		f = 2 * float64(tp) / float64(d)
	}
	return p, r, f
}

func microMacro(counts map[string]*ObservationScore, obs []string) (micro, macro float64) {
	var tp, fp, fn int
	for _, o := range obs {
		c := counts[o]
		tp, fp, fn = tp+c.TP, fp+c.FP, fn+c.FN
		macro += c.F1
	}
	_, _, micro = prf(tp, fp, fn)
	return micro, macro / float64(len(obs))
}
