#!/usr/bin/python3
"""Generate golden_nltk.json: reference values from Debian's python3-nltk
(3.8) for the Go package eval/metrics.

Usage: /usr/bin/python3 gen_nltk_golden.py [OUT.json]   (default golden_nltk.json)

Tokenisation is MedEvalKit's prep_reports (utils/Metrics_Compute/
cal_report_metrics.py). METEOR is NLTK's single_meteor_score with a WordNet
stand-in that knows no synonyms, i.e. the exact + Porter-stem stages that
the Go code implements; WordNet data is not available offline.
"""
import json
import random
import sys
import warnings

from nltk.stem.porter import PorterStemmer
from nltk.translate.bleu_score import corpus_bleu, sentence_bleu
from nltk.translate.meteor_score import single_meteor_score

warnings.filterwarnings("ignore")


class NoSynonyms:
    """Stands in for nltk.corpus.wordnet: no word has synsets."""

    def synsets(self, word):
        return []


def prep(text):
    return [t for t in str(text).lower().replace(".", " .").split(" ") if t != ""]


FIXED = [
    ("the cat sat", "the cat sat on the mat"),
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("", "the heart is normal."),
    ("no acute cardiopulmonary process.", "Findings: The lungs are clear. Impression: No acute cardiopulmonary process."),
    ("Findings: Heart size normal. Lungs clear. Impression: Normal chest.",
     "Findings: The heart size is normal. The lungs are clear bilaterally. Impression: No acute disease."),
    ("Small left pleural effusion.\nNo pneumothorax.", "Findings: small left pleural effusion. no pneumothorax. Impression: effusion."),
    ("completely unrelated words here", "the lungs are clear"),
    ("clear", "the lungs are clear"),
    ("lungs lungs lungs lungs", "lungs are clear"),
    ("The nodules are enlarging and calcified", "the nodule is enlarged and calcification noted"),
    ("opacities opacity opacified", "opacity"),
    ("mildly enlarged cardiac silhouette, stable.", "The cardiac silhouette is mildly enlarged and stable."),
    ("2.5 cm mass in the right upper lobe.", "there is a 2.5 cm mass in the right upper lobe."),
    ("Pneumonia. Pneumonia. Pneumonia.", "Findings: right lower lobe pneumonia. Impression: pneumonia."),
    ("右肺上叶结节。", "右肺上叶见结节。"),
    ("a b c d e f g", "g f e d c b a"),
    ("a b c d", "a b c d"),
    ("degenerative changes of the thoracic spine", "degenerative changes are seen in the thoracic spine"),
]

VOCAB = ("the lungs are clear no focal consolidation pleural effusion pneumothorax heart size "
         "is normal cardiomediastinal silhouette within limits mild degenerative changes thoracic "
         "spine right left lower upper lobe opacity opacities atelectasis edema pulmonary vascular "
         "congestion enlarged enlargement stable unchanged compared prior study acute process "
         "findings impression . , calcified granuloma nodule nodules there of and with".split())


def random_cases(n, seed=20261129):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ref = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(3, 40)))
        words = ref.split(" ")
        hyp = []
        for w in words:  # a noisy copy: drop, keep, substitute or insert
            r = rng.random()
            if r < 0.15:
                continue
            hyp.append(rng.choice(VOCAB) if r < 0.3 else w)
            if rng.random() < 0.1:
                hyp.append(rng.choice(VOCAB))
        out.append((" ".join(hyp), ref))
    return out


def porter_words():
    words = set()
    try:
        with open("/usr/share/dict/american-english", encoding="utf-8") as f:
            all_words = [w.strip() for w in f if w.strip().isascii() and w.strip().isalpha()]
        words.update(w.lower() for w in all_words[::17])
    except OSError:
        pass
    for _, ref in FIXED:
        words.update(prep(ref))
    words.update(VOCAB)
    words.update("sky skies dying lying tying news innings cannings howe proceed exceed succeed "
                 "flies dies tied cried generalization oscillators hopefulli analogi biologi "
                 "controll rolling hopping filing conflated troubled sized fizzed failing "
                 "ies ied is as be".split())
    return sorted(words)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "golden_nltk.json"
    cases = FIXED + random_cases(300)
    stem = PorterStemmer()
    nosyn = NoSynonyms()
    rows = []
    for hyp, ref in cases:
        th, tr = prep(hyp), prep(ref)
        row = {"hypothesis": hyp, "reference": ref, "hyp_tokens": th, "ref_tokens": tr}
        for n in range(1, 5):
            row[f"bleu{n}"] = sentence_bleu([tr], th, weights=[1 / n] * n)
        row["meteor_exact_stem"] = single_meteor_score(tr, th, wordnet=nosyn)
        rows.append(row)
    corpus = {}
    for n in range(1, 5):
        corpus[f"bleu{n}"] = corpus_bleu([[prep(r)] for _, r in cases], [prep(h) for h, _ in cases],
                                         weights=[1 / n] * n)
    import nltk
    golden = {
        "generator": "eval/metrics/testdata/gen_nltk_golden.py",
        "nltk_version": nltk.__version__,
        "cases": rows,
        "corpus": corpus,
        "porter": {w: stem.stem(w) for w in porter_words()},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
