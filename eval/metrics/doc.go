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
// 7B judge) and are not implemented; MedEvalKit has no model-free entity or
// CheXpert-label F1, so none is offered here.
package metrics
