// Package tokenizer is the byte-level BPE tokenizer of Qwen2 / Qwen2.5-VL
// (Lingshu) checkpoints and their ChatML chat template.
//
// A Tokenizer loads from a Hugging Face model folder (tokenizer.json,
// tokenizer_config.json, generation_config.json: LoadDir, LoadJSON) or from
// GGUF metadata written by llama.cpp (FromGGUFMeta). Encoding follows the
// Hugging Face `tokenizers` pipeline:
//
//  1. added tokens are split out of the raw text first (leftmost, longest
//     match); tokens flagged special are split out only when parseSpecial is
//     true, non-special added tokens always (HF split_special_tokens=false
//     semantics, and llama.cpp parse-special for USER_DEFINED tokens);
//  2. each remaining segment is NFC-normalised (Qwen2's normalizer; also for
//     GGUF, where llama.cpp itself does not normalise). This is Unicode NFC
//     as Python, JavaScript and Rust compute it: x/text's Stream-Safe
//     U+034F insertion after 30 combining marks is undone (nfc.go). NFD
//     input therefore decodes to its NFC form: Decode(Encode(s)) == s holds
//     for NFC text;
//  3. the segment is split into pieces by a hand-written scanner equivalent to
//     Qwen2's pre-tokenizer regex (pretokenize.go; Go's regexp has no
//     lookahead), with Oniguruma's classes: \s is Unicode White_Space
//     (U+0085 yes, U+FEFF no; transformers.js differs on those two), and
//     contractions are matched case-insensitively in ASCII only;
//  4. each piece is mapped to GPT-2 byte-level symbols and merged by BPE
//     rank (bpe.go), with a bounded per-tokenizer cache of piece → ids.
//
// Decoding maps ids back to bytes; invalid UTF-8 becomes U+FFFD per maximal
// subpart (Python's errors="replace"). A StreamDecoder emits only complete
// UTF-8 so that a character split across tokens is never printed in halves.
//
// The chat template is built in Go (chat.go), not by a Jinja engine: it
// renders the Qwen2.5-VL ChatML template byte for byte.
//
// A Tokenizer is immutable after loading and safe for concurrent use.
package tokenizer
