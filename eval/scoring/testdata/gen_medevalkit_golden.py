#!/usr/bin/python3
"""Generate medevalkit_golden.json: what MedEvalKit's own scoring functions
answer on a table of model outputs, for the MedEvalKitCompat mode of the Go
package eval/scoring, plus difflib ratios.

Usage: /usr/bin/python3 gen_medevalkit_golden.py PATH/TO/MedEvalKit/utils/utils.py [OUT.json]

The functions judge_multi_choice, parse_response, judge_judgement, extract,
get_content_between_a_b, str_similarity and find_most_similar_index are read
from MedEvalKit's utils.py with ast (the module itself imports API clients
that are not installed) and run unchanged. mathruler's extract_boxed_content
is not installed either; BoxedStandIn below re-implements its documented
behaviour (content of the last \\boxed{...}, braces balanced, stripped;
"None" when there is none).
"""
import ast
import difflib
import json
import sys

WANTED = {"judge_multi_choice", "parse_response", "judge_judgement", "extract",
          "get_content_between_a_b", "str_similarity", "find_most_similar_index"}


def extract_boxed_content(text):
    start = text.rfind("\\boxed{")
    if start == -1:
        return "None"
    content = text[start + len("\\boxed{"):]
    depth = 0
    for i, ch in enumerate(content):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == -1:
            return content[:i].strip()
    return "None"


def load(utils_path):
    tree = ast.parse(open(utils_path, encoding="utf-8").read())
    body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in WANTED]
    missing = WANTED - {n.name for n in body}
    if missing:
        sys.exit(f"missing in {utils_path}: {sorted(missing)}")
    ns = {"difflib": difflib, "extract_boxed_content": extract_boxed_content}
    exec(compile(ast.Module(body=body, type_ignores=[]), utils_path, "exec"), ns)
    return ns


OPTIONS = ["A. Pneumonia", "B. Pneumothorax", "C. Pleural effusion", "D. Tension pneumothorax",
           "E. None of the above"]

MC = ["B", "b", "b.", "\\boxed{B}", "Option A is unlikely... so the answer is \\boxed{C}",
      "The answer is (B).", "B. Pneumothorax", "(D) Tension pneumothorax", "pneumothorax",
      "Findings suggest a tension pneumothorax.", "A and C", "The answer is A, C", "答案是B",
      "答案：Ｃ", "<think>maybe A</think><answer>D</answer>", "**Answer:** B", "None of the above.",
      "I cannot determine this from the image.", "I cannot tell.", "", "A small pleural effusion is seen.",
      "I think the answer is B", "F", "Let's consider A. Then B. Final answer: C",
      "Answer: pleural effusion", "Pneumothorax", "C", "B\n\nBecause the lung edge is visible.",
      "Reasoning first.\n\nD. Tension pneumothorax"]
ANSWERS = ["A", "B", "C", "D", "E", "Pneumothorax"]

YN = ["Yes", "yes.", "Yes, there is a nodule in the left lung.", "No.", "No, the heart is normal.",
      "yes and no", "The pneumothorax is not present.", "not present", "There is no evidence of effusion",
      "Pneumothorax is present.", "The heart size is normal.", "The eyes are symmetric.", "\\boxed{yes}",
      "<answer>no</answer>", "是的", "否", "Answer: yes", "The eyes are normal", "", "I don't know",
      "Yes, the heart is normal.", "Yes, a nodule is seen.", "The heart is normal."]

RATIO = [("a. pneumonia", "the answer is (b)."), ("b. pneumothorax", "pneumothorax"), ("", ""), ("abc", ""),
         ("c. pleural effusion", "a and c"), ("tension pneumothorax", "pneumothorax tension"),
         ("x" * 5, "y" * 300 + "x"), ("a. pneumonia", ("the lungs are clear and there is no pneumonia " * 6).strip())]


def main():
    ns = load(sys.argv[1])
    out_path = sys.argv[2] if len(sys.argv) > 2 else "medevalkit_golden.json"
    golden = {
        "options": OPTIONS,
        "multi_choice": [{"response": r, "answer": a, "correct": bool(ns["judge_multi_choice"](OPTIONS, a, r))}
                         for r in MC for a in ANSWERS],
        "yes_no": [{"response": r, "answer": a, "correct": bool(ns["judge_judgement"](a, r))}
                   for r in YN for a in ("yes", "no")],
        "parse_response": {r: ns["parse_response"](r) for r in MC + YN},
        "ratio": [{"a": a, "b": b, "ratio": difflib.SequenceMatcher(None, a, b).ratio()} for a, b in RATIO],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
