package metrics

import (
	"math"
	"strings"
	"testing"
)

// want lists the expected non-absent labels (No Finding included only when
// stated); every other observation must be Absent.
type labelCase struct {
	report string
	want   map[string]Label
}

func TestCheXpertLabels_Sentences(t *testing.T) {
	P, N, U := Positive, Negative, Uncertain
	nf := func(m map[string]Label) map[string]Label { m[NoFinding] = P; return m }
	cases := []labelCase{
		{"No pleural effusion or pneumothorax.", nf(map[string]Label{PleuralEffusion: N, Pneumothorax: N})},
		{"Mild cardiomegaly.", map[string]Label{Cardiomegaly: P}},
		{"Possible left lower lobe pneumonia.", map[string]Label{Pneumonia: U}},
		{"Heart size is normal.", nf(map[string]Label{Cardiomegaly: N})},
		{"Endotracheal tube terminates 3 cm above the carina.", nf(map[string]Label{SupportDevices: P})},
		{"There is no evidence of focal consolidation.", nf(map[string]Label{Consolidation: N})},
		{"Lungs are clear.", nf(map[string]Label{})},
		{"No acute cardiopulmonary process.", nf(map[string]Label{})},
		{"The heart is mildly enlarged.", map[string]Label{Cardiomegaly: P}},
		{"The cardiac silhouette is enlarged.", map[string]Label{Cardiomegaly: P}},
		{"Heart size is top normal.", map[string]Label{Cardiomegaly: U}},
		{"Borderline cardiomegaly.", map[string]Label{Cardiomegaly: U}},
		{"The heart is not enlarged.", nf(map[string]Label{Cardiomegaly: N})},
		{"Normal heart size with a large left pleural effusion.", map[string]Label{Cardiomegaly: N, PleuralEffusion: P}},
		{"Cardiomediastinal silhouette is within normal limits.", nf(map[string]Label{EnlargedCardiomediastinum: N})},
		{"The mediastinum is widened.", map[string]Label{EnlargedCardiomediastinum: P}},
		{"Heart and mediastinum are normal.", nf(map[string]Label{Cardiomegaly: N, EnlargedCardiomediastinum: N})},
		{"Small bilateral pleural effusions.", map[string]Label{PleuralEffusion: P}},
		{"Moderate pulmonary edema.", map[string]Label{Edema: P}},
		{"Mild pulmonary vascular congestion without frank edema.", map[string]Label{Edema: P}},
		{"Bibasilar atelectasis.", map[string]Label{Atelectasis: P}},
		{"Left basilar opacity may reflect atelectasis or pneumonia.", map[string]Label{LungOpacity: P, Atelectasis: U, Pneumonia: U}},
		{"Right lower lobe consolidation concerning for pneumonia.", map[string]Label{Consolidation: P, Pneumonia: U}},
		{"Atelectasis versus pneumonia at the left base.", map[string]Label{Atelectasis: U, Pneumonia: U}},
		{"Pneumonia cannot be excluded.", map[string]Label{Pneumonia: U}},
		{"Cannot exclude a small right pneumothorax.", map[string]Label{Pneumothorax: U}},
		{"No pneumothorax, small left effusion.", map[string]Label{Pneumothorax: N, PleuralEffusion: P}},
		{"There is no focal consolidation, pleural effusion, or pneumothorax.",
			nf(map[string]Label{Consolidation: N, PleuralEffusion: N, Pneumothorax: N})},
		{"No change in the large right pleural effusion.", map[string]Label{PleuralEffusion: P}},
		{"The previously seen pneumothorax has resolved.", nf(map[string]Label{Pneumothorax: N})},
		{"Right chest tube has been removed.", nf(map[string]Label{SupportDevices: N})},
		{"No pneumothorax but there is a new small left effusion.", map[string]Label{Pneumothorax: N, PleuralEffusion: P}},
		{"A 1.5 cm nodule in the right upper lobe.", map[string]Label{LungLesion: P}},
		{"No suspicious pulmonary nodules or masses.", nf(map[string]Label{LungLesion: N})},
		{"Healed left rib fractures.", map[string]Label{Fracture: P}},
		{"No acute displaced rib fracture.", nf(map[string]Label{Fracture: N})},
		{"Right apical pleural thickening.", map[string]Label{PleuralOther: P}},
		{"Left PICC line tip in the mid SVC.", nf(map[string]Label{SupportDevices: P})},
		{"Small pericardial effusion.", nf(map[string]Label{})},
		{"Median sternotomy wires and mediastinal clips are intact.", nf(map[string]Label{SupportDevices: P})},
		{"Patchy opacities in the right lung base likely represent atelectasis.", map[string]Label{LungOpacity: P, Atelectasis: U}},
		{"Findings suggestive of mild interstitial edema.", map[string]Label{Edema: U}},
		{"Stable cardiomegaly. No focal consolidation. No pneumothorax or effusion.",
			map[string]Label{Cardiomegaly: P, Consolidation: N, Pneumothorax: N, PleuralEffusion: N}},
		{"FINDINGS: The lungs are clear without focal consolidation. IMPRESSION: Normal chest.",
			nf(map[string]Label{Consolidation: N})},
		{"Blunting of the right costophrenic angle.", map[string]Label{PleuralEffusion: P}},
		{"Pulmonary edema has resolved.", nf(map[string]Label{Edema: N})},
		{"Linear opacity at the left base, likely subsegmental atelectasis.", map[string]Label{LungOpacity: P, Atelectasis: U}},
		{"No evidence of pneumonia.", nf(map[string]Label{Pneumonia: N})},
		{"The heart size is stable.", nf(map[string]Label{})},
		{"No new focal opacity.", nf(map[string]Label{LungOpacity: N})},
		{"Interval removal of the endotracheal tube.", nf(map[string]Label{SupportDevices: N})},
		{"Pleural effusion is not excluded.", map[string]Label{PleuralEffusion: U}},
		{"There is no pneumothorax, though a small effusion persists.", map[string]Label{Pneumothorax: N, PleuralEffusion: P}},
		{"Unchanged position of the left IJ central venous catheter.", nf(map[string]Label{SupportDevices: P})},
		{"Enlarged heart size with mild interstitial edema.", map[string]Label{Cardiomegaly: P, Edema: P}},
		{"Heart size is at the upper limits of normal.", map[string]Label{Cardiomegaly: U}},
		{"No radiographically apparent pneumonia.", nf(map[string]Label{Pneumonia: N})},
		{"Lungs are hyperinflated but clear.", nf(map[string]Label{})},
		{"Pacemaker leads terminate in the right atrium and ventricle.", nf(map[string]Label{SupportDevices: P})},
		{"The mediastinal and hilar contours are unremarkable.", nf(map[string]Label{EnlargedCardiomediastinum: N})},
		{"Right upper lobe mass is again seen.", map[string]Label{LungLesion: P}},
	}
	for _, c := range cases {
		got := CheXpertLabels(c.report)
		if len(got) != 14 {
			t.Errorf("%q: %d keys", c.report, len(got))
		}
		for _, o := range CheXpertObservations() {
			if got[o] != c.want[o] {
				t.Errorf("%q: %s = %v, want %v", c.report, o, got[o], c.want[o])
			}
		}
	}
}

func TestCheXpertLabels_CombineAndBlank(t *testing.T) {
	got := CheXpertLabels("No pleural effusion. Possible small left effusion. Small right pleural effusion.")
	if got[PleuralEffusion] != Positive || got[NoFinding] != Absent {
		t.Errorf("positive must win: %v", got)
	}
	got = CheXpertLabels("No pleural effusion. Possible small left effusion.")
	if got[PleuralEffusion] != Uncertain || got[NoFinding] != Absent {
		t.Errorf("uncertain beats negative and blocks No Finding: %v", got)
	}
	for _, blank := range []string{"", "   \n\t"} {
		for o, l := range CheXpertLabels(blank) {
			if l != Absent {
				t.Errorf("blank report: %s = %v", o, l)
			}
		}
	}
	if Positive.String() != "positive" || Label(99).String() != "absent" {
		t.Error("Label.String")
	}
}

func TestClinicalF1_HandComputed(t *testing.T) {
	refs := []string{
		"Mild cardiomegaly. Small left pleural effusion.",
		"Lungs are clear. No pneumothorax.",
		"Possible left lower lobe pneumonia.",
	}
	preds := []string{
		"Cardiomegaly. No pleural effusion.",
		"Lungs are clear.",
		"Left lower lobe pneumonia.",
	}
	// Uncertain as positive: Cardiomegaly TP; Pleural Effusion FN;
	// No Finding: ref2 & pred2 present (TP), pred1 is not No Finding
	// (cardiomegaly) → TP 1; Pneumonia TP (uncertain counts). Micro: TP 3,
	// FN 1 → 6/7.
	cs := ClinicalF1(refs, preds, ClinicalOptions{})
	if cs.N != 3 || !cs.UncertainAsPositive || math.Abs(cs.MicroF1-6.0/7) > 1e-12 {
		t.Errorf("micro %v n %d", cs.MicroF1, cs.N)
	}
	// Macro over 14: F1 1 for Cardiomegaly, No Finding, Pneumonia; 0 for the rest.
	if math.Abs(cs.MacroF1-3.0/14) > 1e-12 {
		t.Errorf("macro %v", cs.MacroF1)
	}
	// 5-subset: Cardiomegaly TP, Effusion FN → micro 2/3, macro 1/5.
	if math.Abs(cs.Micro5F1-2.0/3) > 1e-12 || math.Abs(cs.Macro5F1-0.2) > 1e-12 {
		t.Errorf("5: %v %v", cs.Micro5F1, cs.Macro5F1)
	}
	// Uncertain as negative: the reference pneumonia is absent, the
	// prediction's present → FP. Micro: TP 2, FP 1, FN 1 → 4/6.
	cs = ClinicalF1(refs, preds, ClinicalOptions{UncertainAsNegative: true})
	if cs.UncertainAsPositive || math.Abs(cs.MicroF1-4.0/6) > 1e-12 {
		t.Errorf("uncertain as negative: micro %v", cs.MicroF1)
	}
	var pn ObservationScore
	for _, o := range cs.PerObservation {
		if o.Observation == Pneumonia {
			pn = o
		}
	}
	if pn.FP != 1 || pn.TP != 0 || pn.Support != 0 || pn.F1 != 0 {
		t.Errorf("pneumonia %+v", pn)
	}
}

func TestClinicalF1_EdgeCases(t *testing.T) {
	// Nothing present anywhere (blank texts): every F1 is 0 by definition.
	cs := ClinicalF1([]string{"", ""}, []string{"", ""}, ClinicalOptions{})
	if cs.MicroF1 != 0 || cs.MacroF1 != 0 || cs.Micro5F1 != 0 || cs.N != 2 {
		t.Errorf("blank: %+v", cs)
	}
	// Perfect agreement on every present observation.
	r := []string{"Cardiomegaly with pulmonary edema and bilateral effusions.", "Right lower lobe consolidation."}
	cs = ClinicalF1(r, r, ClinicalOptions{})
	if cs.MicroF1 != 1 || cs.Micro5F1 != 1 || cs.Macro5F1 != 0.8 {
		t.Errorf("identical: %+v", cs)
	}
	// Length mismatch: only the common prefix is scored.
	if cs := ClinicalF1([]string{"a", "b"}, []string{"a"}, ClinicalOptions{}); cs.N != 1 {
		t.Errorf("mismatch N = %d", cs.N)
	}
	if cs := ClinicalF1(nil, nil, ClinicalOptions{}); cs.N != 0 || cs.MicroF1 != 0 || len(cs.PerObservation) != 14 {
		t.Errorf("empty: %+v", cs)
	}
}

func TestEvaluate_CheXpertFields(t *testing.T) {
	rep, err := Evaluate([]Pair{
		{Hypothesis: "Mild cardiomegaly.", References: []string{"Cardiomegaly.", "Heart size is normal."}},
		{Hypothesis: "", References: []string{"Small right pleural effusion."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pair 1 (first reference only): Cardiomegaly TP. Pair 2: Effusion FN.
	if math.Abs(rep.CheXpertF1Micro-2.0/3) > 1e-12 || math.Abs(rep.CheXpert5F1Micro-2.0/3) > 1e-12 ||
		math.Abs(rep.CheXpertF1Macro-1.0/14) > 1e-12 || !strings.Contains(rep.CheXpertVariant, "uncertain=positive") {
		t.Errorf("%+v", rep)
	}
}

func FuzzCheXpertLabels(f *testing.F) {
	for _, s := range []string{
		"No pleural effusion or pneumothorax.", "Heart size is top normal, no", "cannot", ", , or",
		"1.5.5 cm.. ;: heart", "no change in", "mediastinum", "not enlarged heart", "\xff\xfe heart size",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CheXpertLabels(s)
		if len(got) != 14 {
			t.Fatalf("%d labels", len(got))
		}
		for _, l := range got {
			if l > Uncertain {
				t.Fatalf("bad label %d", l)
			}
		}
	})
}
