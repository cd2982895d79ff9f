// Package metrics computes the text-generation metrics that MedEvalKit
// (alibaba-damo-academy/MedEvalKit, utils/Metrics_Compute/cal_report_metrics.py)
// reports for report generation and open-ended VQA, re-implemented in Go so
// that the appliance can score a model on site without Python.
//
// Every metric follows the published definition and, where MedEvalKit calls
// a particular library, that library's arithmetic:
//
//   - Tokenisation: MedEvalKit's prep_reports — lower case, "." becomes " .",
//     split on the single space character, empty tokens dropped (see Tokenize).
//   - BLEU-n (Papineni et al. 2002) as NLTK 3.8's sentence_bleu/corpus_bleu
//     with its default "method0" (no) smoothing: a zero n-gram precision is
//     replaced by the smallest normal float64, so the score is ~0, not NaN.
//   - ROUGE-L as the `rouge` package (pltrdy, v1.0.1, exclusive=True) that
//     MedEvalKit calls: text split into sentences at ".", summary-level
//     union-LCS over word sets, F1 with a 1e-8 guard (RougeL). The textbook
//     sentence-level LCS F-measure of Lin (2004) with beta = 1.2, as in
//     pycocoevalcap, is RougeLLin.
//   - METEOR as NLTK's single_meteor_score (alpha 0.9, beta 3, gamma 0.5) with
//     the exact and Porter-stem stages only; NLTK's third stage (WordNet
//     synonyms) is left out because WordNet data is not shipped offline.
//     The variant is named "meteor-exact-stem" (MeteorVariant).
//   - CIDEr-D (Vedantam et al. 2015, pycocoevalcap / cidereval ciderD):
//     tf-idf over the reference corpus, n = 1..4, clipping, Gaussian length
//     penalty with sigma 6, ×10; and plain CIDEr (cidereval's `cider`): no
//     clipping, no penalty, ×10. Both take document frequencies from the
//     evaluated references (df="corpus"). MedEvalKit calls cidereval's
//     cider(predictions=…, references=…), whose default is df="coco-val":
//     IDF from the COCO caption validation set shipped with cidereval, not
//     available offline. Its CIDEr is therefore not reproducible here and
//     differs from ours; the arithmetic matches cidereval with df="corpus"
//     (testdata/golden_ref.json). Text for CIDEr is tokenised by TokenizePTB,
//     an approximation of the Java PTB tokenizer cidereval runs.
//
// For open-ended VQA MedEvalKit also reports exact match and a word-set F1
// (TokenF1, with TokenizeVQA for its BLEU). The clinical-entity metrics it
// reports for reports (RaTEScore, GREEN) need neural models (a NER model, a
// 7B judge) and are not implemented here.
//
// # CheXpert-label F1 (clinical efficacy)
//
// MedEvalKit has no model-free clinical metric; this package adds one, the
// "clinical efficacy" F1 that report-generation papers compute from CheXpert
// observation labels. CheXpertLabels is a rule-based approximation of the
// CheXpert labeler (Irvin et al. 2019), written for this project from the
// paper's description with its own phrase lists (clinical_phrases.go) — it
// is neither the Stanford labeler (no NegBio dependency parse) nor CheXbert
// (no neural model). Its F1 is comparable in kind only with papers that use
// the rule-based CheXpert labeler, and even then only approximately: the
// phrase lists and scope rules differ, so absolute figures differ by a few
// points; use it to compare runs with each other, not with published CheXbert
// numbers.
//
// The labeler:
//
//   - Lower-cases the report, splits it into sentences at . ; : ? ! and line
//     breaks (not at a decimal point), and sentences into clauses at "but",
//     "however", "although", "though", "whereas", "except", "which",
//     "otherwise", "while", "aside from", "apart from", "other than".
//   - Finds mentions of 13 observations by longest whole-word phrase match;
//     "blocker" phrases ("pericardial effusion", "mass effect", "osseous
//     lesion", "pleural line", …) consume words that would otherwise be
//     misread. Structures ("heart size", "cardiac silhouette",
//     "mediastinum", "mediastinal contours") are a Cardiomegaly or Enlarged
//     Cardiomediastinum mention only when a size word lies within 6 words
//     (the nearest wins): "enlarged"/"widened"/… → positive (negative when
//     "no"/"not"/"without" precedes it within 3 words), "normal"/
//     "unremarkable"/"not enlarged"/… → negative, "borderline"/"top
//     normal"/"upper limits of normal" → uncertain; "the heart size is
//     stable" labels nothing.
//   - Classifies each mention, in this order: an uncertainty cue that
//     contains a negation word ("cannot be excluded", "not ruled out") →
//     uncertain; a negation cue ("no", "not", "without", "negative for",
//     "free of", "no evidence of", … up to 14 words before the mention, or
//     "has resolved", "not seen", "removed", … up to 8 words after it) →
//     negative; an uncertainty cue ("possible", "likely", "may",
//     "concerning for", "suggestive of", "versus", "is suspected", …) →
//     uncertain; otherwise positive. A cue never crosses a clause boundary;
//     a preceding cue crosses a comma only into a list joined by "or"/"nor"
//     ("no consolidation, effusion, or pneumothorax" negates all three; "no
//     pneumothorax, small effusion" does not negate the effusion); a
//     following cue never crosses a comma. "no change in", "no interval
//     change", "not only" and similar do not negate.
//   - Combines the mentions of one observation as CheXpert does: any
//     positive → Positive, else any uncertain → Uncertain, else Negative;
//     no mention → Absent.
//   - No Finding is Positive when no other observation except Support
//     Devices is Positive or Uncertain (CheXpert's rule), and Absent for a
//     blank report, so an empty generation never earns a No Finding match.
//   - Blunting of the costophrenic angle counts as Pleural Effusion; scarring
//     and fibrosis as Lung Opacity; vascular congestion and Kerley lines as
//     Edema; pleural thickening, plaques and apical caps as Pleural Other.
//
// ClinicalF1 turns labels into binary "present" — Positive, and Uncertain
// too unless ClinicalOptions.UncertainAsNegative (the default, uncertain as
// positive, is the mapping most report-generation papers use) — and scores
// predictions against references per observation: micro F1 pools TP/FP/FN
// over the 14 observations, macro F1 averages the 14 per-observation F1,
// and the 5-observation variants (Atelectasis, Cardiomegaly, Consolidation,
// Edema, Pleural Effusion) do the same over that subset. Absent and
// Negative are both "not present". An observation present in no reference
// and no prediction has F1 0 (scikit-learn's zero_division=0) and still
// counts in the macro mean, so a corpus with nothing present scores 0.
// Evaluate reports these as chexpert_f1_micro, chexpert_f1_macro,
// chexpert5_f1_micro and chexpert5_f1_macro, computed over the whole corpus
// (like CIDEr) against each pair's first reference.
package metrics
