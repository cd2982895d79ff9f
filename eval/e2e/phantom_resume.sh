#!/usr/bin/env bash
# End to end through the CLI on phantom studies with the tiny model:
# run, SIGKILL the process after K answers are cached, resume, rerun,
# a second run with other settings, and the comparison report.
#
# usage: eval/e2e/phantom_resume.sh [LINGSHU_BIN] [MODEL] [WORKDIR] [K]
set -euo pipefail
BIN=${1:-lingshu}
MODEL=${2:-../shared/golden/qwen25vl-tiny}
W=${3:-$(mktemp -d)}
K=${4:-10}
ARGS=(--model "$MODEL" --max-tokens 32 --max-pixels 200704 --progress lines)

rm -rf "$W/ph" "$W/run-a" "$W/run-b"
"$BIN" phantom --out "$W/ph" --studies 3 --modality CT --slices 12 --seed 7

cached() { find "$W/run-a/cache" -name '*.json' 2>/dev/null | wc -l; }
field() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['status'], m['counts']['samples'], m['counts']['computed'], m['counts']['cached'], m['counts']['failed'], round(m['total_ms']/1000,1))" "$1"; }

echo "== run 1 (SIGKILL after $K cached answers)"
"$BIN" eval run "${ARGS[@]}" --dataset phantom="$W/ph" --out "$W/run-a" 2>"$W/run1.log" &
pid=$!
while [ "$(cached)" -lt "$K" ]; do
	kill -0 "$pid" 2>/dev/null || { echo "run ended before $K answers"; exit 1; }
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" || true
before=$(cached)
echo "killed pid $pid with $before answers cached; manifest present: $([ -f "$W/run-a/manifest.json" ] && echo yes || echo no)"

echo "== run 2 (resume)"
"$BIN" eval run "${ARGS[@]}" --dataset phantom="$W/ph" --out "$W/run-a" 2>"$W/run2.log"
echo "manifest: status samples computed cached failed seconds = $(field "$W/run-a/manifest.json")"

echo "== run 3 (rerun: nothing computed)"
"$BIN" eval run "${ARGS[@]}" --dataset phantom="$W/ph" --out "$W/run-a" 2>"$W/run3.log"
echo "manifest: status samples computed cached failed seconds = $(field "$W/run-a/manifest.json")"

echo "== run B (other settings: --max-pixels 50176, --max-tokens 16)"
"$BIN" eval run --model "$MODEL" --max-tokens 16 --max-pixels 50176 --progress lines --dataset phantom="$W/ph" --out "$W/run-b" 2>"$W/runb.log"
echo "manifest: status samples computed cached failed seconds = $(field "$W/run-b/manifest.json")"

echo "== report"
"$BIN" eval report "$W/run-a" "$W/run-b" --out "$W/report.html"
echo "workdir $W"
