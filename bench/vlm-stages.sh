#!/bin/sh
# Per-stage timings of one `lingshu ask` (render, preprocess, vision tower,
# prefill, decode) for a 512×512 image on a random Qwen2.5-VL checkpoint
# whose text decoder is Qwen2.5-0.5B-shaped and whose vision tower is the
# Qwen2.5-VL-7B / Lingshu-7B one (depth 32, hidden 1280, 16 heads, window
# 112, full attention in blocks 7, 15, 23, 31): about 2.3 GB of BF16,
# written by `lingshu dev random-model --shape qwen25vl-0.5b-7btower` into a
# temporary folder (removed on exit unless KEEP=1).
#
#   bench/vlm-stages.sh
#   IMAGE=other.png MAX_TOKENS=16 BACKEND=cpu THREADS=2 bench/vlm-stages.sh
#   LINGSHU_BENCH_MODEL=/path/to/hf-folder bench/vlm-stages.sh   # an existing checkpoint instead
#
# The machine's load average is printed before and after: timings on a
# shared machine are only comparable at the same load.
set -eu
cd "$(dirname "$0")/.."
GOLDEN=${LINGSHU_GOLDEN_DIR:-../shared/golden}
IMAGE=${IMAGE:-$GOLDEN/qwen25vl-tiny/img3_xray_gray_512x512.png}
SHAPE=${SHAPE:-qwen25vl-0.5b-7btower}
MAX_TOKENS=${MAX_TOKENS:-8}
BACKEND=${BACKEND:-auto}
THREADS=${THREADS:-0}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lingshu-vlm-stages.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "keeping $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi
[ -f "$IMAGE" ] || { echo "vlm-stages: image $IMAGE not found (set IMAGE or LINGSHU_GOLDEN_DIR)" >&2; exit 1; }

BIN=$WORK/lingshu
go build -o "$BIN" ./cmd/lingshu

MODEL=${LINGSHU_BENCH_MODEL:-}
if [ -z "$MODEL" ]; then
	MODEL=$WORK/model
	echo "== writing $SHAPE to $MODEL"
	t0=$(date +%s)
	"$BIN" dev random-model --shape "$SHAPE" --out "$MODEL" --tokenizer-from "$GOLDEN/qwen25vl-tiny"
	echo "written in $(( $(date +%s) - t0 )) s"
fi

echo "== ask: $IMAGE, $MAX_TOKENS tokens, backend $BACKEND, threads $THREADS (0: all)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
"$BIN" ask --model "$MODEL" --image "$IMAGE" --max-tokens "$MAX_TOKENS" --backend "$BACKEND" --threads "$THREADS" \
	--json "Describe this image." >"$WORK/ask.json"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"

python3 - "$WORK/ask.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timings_ms"]
img = r["images"][0]
print(f"image {img['width']}x{img['height']} -> {img['resized_wh'][0]}x{img['resized_wh'][1]}, "
      f"{img['tokens']} image tokens, {r['prompt_tokens']} prompt tokens, {len(r['ids'])} generated ({r['stop']})")
for k in ("load", "render", "preprocess", "vision", "prefill", "decode", "total"):
    print(f"{k:>10} {t[k]:12.1f} ms")
tps = r.get("tokens_per_s", {})
print(f"prefill {tps.get('prefill', 0):.1f} tok/s, decode {tps.get('decode', 0):.2f} tok/s")
EOF
