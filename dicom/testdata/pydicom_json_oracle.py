"""Compare Lingshu's DICOM JSON (files in argv[1], named <relative path with
'/' replaced by '__'>.json) with pydicom's Dataset.to_json_dict for the same
files under argv[2]. Differences that are deliberate choices of ours, all
allowed by PS3.18 F.2, are normalised away:
  - an empty value inside a multi-valued string is null (pydicom: "");
  - an empty attribute or sequence has no "Value" (pydicom: []);
  - string values lose trailing spaces (pydicom keeps some, e.g. CS);
  - private UN elements stay UN (pydicom applies its private dictionary);
  - FL values are printed at float32 precision.
Prints one line per remaining difference and exits 1 if there is any."""
import json, math, os, sys, warnings
warnings.simplefilter("ignore")
import pydicom

ours_dir, root = sys.argv[1], sys.argv[2]

def vr(x):
    v = x.get("vr", "")
    return v[3:] if v.startswith("VR.") else v

def empty(v):
    return v is None or v == []

def same_scalar(p, q):
    if p is None and q in ("", None):
        return True
    if isinstance(p, str) and isinstance(q, str):
        return p.rstrip(" ") == q.rstrip(" ")
    if isinstance(p, (int, float)) and isinstance(q, (int, float)):
        return p == q or abs(p - q) <= 1e-6 * max(abs(p), abs(q)) or abs(p - q) < 1e-44
    return p == q

def cmp(a, b, path, out):
    for k in sorted(set(a) | set(b)):
        if k not in a:
            out.append(f"{path}{k}: missing in ours"); continue
        if k not in b:
            out.append(f"{path}{k}: extra in ours"); continue
        x, y = a[k], b[k]
        if vr(x) == "UN" and int(k[:4], 16) % 2 == 1:
            continue
        if vr(x) != vr(y):
            out.append(f"{path}{k}: vr {vr(x)} vs {vr(y)}"); continue
        if "BulkDataURI" in x or "BulkDataURI" in y:
            continue
        if "InlineBinary" in x or "InlineBinary" in y:
            if x.get("InlineBinary") != y.get("InlineBinary"):
                out.append(f"{path}{k}: InlineBinary differs")
            continue
        xv, yv = x.get("Value"), y.get("Value")
        if empty(xv) and (empty(yv) or yv == [""]):
            continue
        if vr(x) == "SQ":
            if xv is None or yv is None or len(xv) != len(yv):
                out.append(f"{path}{k}: items differ"); continue
            for i, (p, q) in enumerate(zip(xv, yv)):
                cmp(p, q, f"{path}{k}/{i}/", out)
            continue
        if not isinstance(xv, list) or not isinstance(yv, list) or len(xv) != len(yv) or \
                not all(same_scalar(p, q) for p, q in zip(xv, yv)):
            out.append(f"{path}{k}: {str(xv)[:80]} vs {str(yv)[:80]}")

bad = 0
for fn in sorted(os.listdir(ours_dir)):
    src = os.path.join(root, fn[:-5].replace("__", "/"))
    ours = json.load(open(os.path.join(ours_dir, fn)))
    try:
        ref = pydicom.dcmread(src, force=True).to_json_dict(
            bulk_data_threshold=1 << 30, bulk_data_element_handler=lambda e: "bulk")
    except Exception as e:  # pydicom cannot read it: nothing to compare
        print(f"skip {fn}: pydicom: {e!r:.80}")
        continue
    ref = {k: v for k, v in ref.items() if not k.endswith("0000") and not k.startswith("0002")}
    out = []
    cmp(ours, ref, "", out)
    for line in out:
        print(f"{fn}: {line}")
    bad += bool(out)
print(f"{bad} of {len(os.listdir(ours_dir))} files differ")
sys.exit(1 if bad else 0)
