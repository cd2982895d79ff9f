#!/usr/bin/python3
"""Generate golden_ref.json: ROUGE-L from the `rouge` package (pltrdy/rouge
1.0.1, which MedEvalKit calls) and CIDEr / CIDEr-D from cidereval
(michelecafagna26/cider, what MedEvalKit's `cider` comes from), run from
their sources, for the Go package eval/metrics.

Usage: /usr/bin/python3 gen_ref_golden.py ROUGE_SRC CIDEREVAL_SRC [OUT.json]

ROUGE_SRC is a folder holding the package folder rouge/ (the repository's
rouge/ directory); CIDEREVAL_SRC the repository's cidereval/ folder. Neither
package is on Debian and PyPI is not reachable here, so both are read from
source checkouts. cidereval's scorers are loaded file by file with stub
modules for importlib_resources and cidereval.data (only used for the
COCO-val document frequencies, which are not used here: df="corpus").
CIDEr is fed pre-tokenised text (runs of [a-z0-9] in lower case), so the
comparison checks the arithmetic, not the Java PTB tokenizer.
"""
import importlib.util
import json
import os
import re
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_nltk_golden import FIXED, random_cases  # noqa: E402


def load_cider(src):
    stub = types.ModuleType("importlib_resources")
    stub.files = stub.as_file = lambda *a, **k: None
    sys.modules.setdefault("importlib_resources", stub)
    pkg = types.ModuleType("cidereval")
    pkg.data = types.ModuleType("cidereval.data")
    sys.modules.setdefault("cidereval", pkg)
    sys.modules.setdefault("cidereval.data", pkg.data)
    mods = {}
    for name, rel in (("cider", "cider/cider_scorer.py"), ("ciderD", "ciderD/ciderD_scorer.py")):
        spec = importlib.util.spec_from_file_location("ref_" + name, os.path.join(src, rel))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods[name] = mod.CiderScorer
    return mods


def cider_scores(scorer_cls, hyps, refs):
    s = scorer_cls(n=4, df_mode="corpus")
    for h, r in zip(hyps, refs):
        s += (h, r)
    mean, per = s.compute_score()
    return float(mean), [float(x) for x in per]


def main():
    sys.path.insert(0, sys.argv[1])
    from rouge import Rouge
    import rouge
    ciders = load_cider(sys.argv[2])
    out_path = sys.argv[3] if len(sys.argv) > 3 else "golden_ref.json"
    cases = FIXED + random_cases(300) + [("a b. c d.", "a c. b d."), ("a b. ", "a b"), ("...", "a b")]
    scorer = Rouge()
    rows = []
    for hyp, ref in cases:
        try:
            f = scorer.get_scores(hyp.lower(), ref.lower())[0]["rouge-l"]["f"]
        except ValueError:  # no sentence: the package refuses, Go returns 0
            f = None
        rows.append({"hypothesis": hyp, "reference": ref, "rouge_l": f})
    toks = lambda s: " ".join(re.findall(r"[a-z0-9]+", s.lower()))
    hyps = [toks(h) for h, _ in cases]
    refs = [[toks(r)] for _, r in cases]
    cmean, cper = cider_scores(ciders["cider"], hyps, refs)
    dmean, dper = cider_scores(ciders["ciderD"], hyps, refs)
    golden = {
        "generator": "eval/metrics/testdata/gen_ref_golden.py",
        "rouge_version": rouge.__version__,
        "rouge": rows,
        "cider_hyps": hyps, "cider_refs": refs,
        "cider": {"mean": cmean, "scores": cper},
        "ciderD": {"mean": dmean, "scores": dper},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
