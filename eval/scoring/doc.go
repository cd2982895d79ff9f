// Package scoring judges free-text model answers to closed questions the way
// MedEvalKit (alibaba-damo-academy/MedEvalKit, utils/utils.py) does, with a
// stricter rule by default and MedEvalKit's own rule behind an option.
//
// Multiple choice (JudgeMultiChoice, ExtractChoice). Strict reads the answer
// from the last \boxed{}, else the <answer> tags, else the text after the
// last answer marker ("the answer is", "Answer:", "答案是", "答案：", ...),
// else the whole response; full-width forms are folded to ASCII. It accepts
// one option letter (any case when it stands alone, "(B)", "B.", "B)"), or
// an option's text as whole words. No option, or several ("A and C"), is
// wrong.
//
// MedEvalKitCompat reproduces judge_multi_choice exactly (checked against
// MedEvalKit's own code on the table in testdata/medevalkit_golden.json),
// including its behaviours that the strict rule corrects:
//   - a response that names no option is matched to the most similar option
//     text by difflib ratio, so "I cannot tell." or "" still earn credit
//     (an empty or dissimilar response picks option A; "I cannot tell."
//     picks "None of the above"); an invalid letter "F" picks some option;
//   - several letters ("A and C") fall through to the same fallback and may
//     be credited;
//   - "答案：" with a full-width colon and full-width letters are not
//     recognised ("答案：Ｃ" is judged as A).
//
// Yes/no (JudgeYesNo, ExtractYesNo). Strict reads whole words: a leading
// yes/no decides; otherwise yes-words only → yes, no-words (no, not, none,
// absent, without, negative) only → no, both → ambiguous (wrong); Chinese
// 是/否/不是/没有. MedEvalKitCompat reproduces judge_judgement, which tests
// *substrings*: "no" inside "normal", "nodule", "know", "not" and "yes"
// inside "eyes" count, so "Yes, the heart is normal." is judged wrong and
// "The heart is normal." is credited as "no". The same substring flaw was
// reported for VLMEvalKit's yes/no judge ("notice" read as "no",
// open-compass/VLMEvalKit#73). MedEvalKit issue #30 reports a separate bug
// in its per-dataset aggregation (cal_metrics resets the closed-question
// count when an LLM judge is used), which concerns the harness, not this
// package.
package scoring
