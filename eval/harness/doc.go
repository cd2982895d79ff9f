// Package harness runs a model over loaded benchmarks the way MedEvalKit
// does — its prompts (eval/datasets), greedy decoding, one user turn with
// the images first — and scores every answer (Score): multiple choice,
// yes/no and closed answers by this project's strict rule and by
// MedEvalKit's rule side by side; open answers by exact match, token F1,
// BLEU-1 and ROUGE-L, or by a local judge (the evaluated model itself or an
// OpenAI-compatible server on the hospital network; never a cloud
// default); reports by ROUGE-L and BLEU-4 per sample, by the corpus-level
// metrics of eval/metrics (METEOR, CIDEr-D and the rule-based CheXpert-label
// F1) in the report, and GREEN when a judge is configured. RaTEScore and
// RadGraph need their own NER models and are reported as not computed.
//
// Every answer is cached on disk under a key made of the model hash, the
// dataset, the sample id, the prompt version, the settings and a hash of
// the prompt and image references, written atomically; an interrupted run
// (a cancelled context, or a killed process) resumes where it stopped and a
// repeated run generates nothing. Each run writes manifest.json (model
// hash, dtype, settings, seed, versions, timings, computed/cached/failed
// counts) and results.jsonl (one scored Result per sample).
package harness
