// Package datasets reads medical benchmarks from the files they are
// distributed as — the sets MedEvalKit (alibaba-damo-academy/MedEvalKit)
// evaluates Lingshu on — plus Lingshu's own JSONL format for a hospital's
// sets and the folders `lingshu phantom` writes. Nothing is downloaded:
// every loader reads a local path and checks it, reporting each missing
// file and each malformed record by file, line or record, and field
// (ValidationError).
//
// Each sample carries the prompt MedEvalKit builds for it (prompt.go
// reproduces utils/question_formats.py), the kind of scoring it needs
// (multiple choice, yes/no, closed, open, report) and the tags its
// benchmark breaks results down by (question_type, modality_type, ...).
//
// Parquet (parquet.go, through github.com/parquet-go/parquet-go): MMMU's
// Health & Medicine subjects (mmmu-medical, mmmu-medical-test) and the
// Hugging Face copy of VQA-RAD; embedded images are written once to a
// content-addressed cache ($LINGSHU_CACHE_DIR/dataset-images) so samples
// keep plain file paths. Not supported: the Hugging Face copy of PathVQA
// (its original release is read instead).
package datasets
