#!/usr/bin/env bash
# Draft durability soak: each round sends a new study to `lingshu serve`
# (with a model, drafts on, stable_after 1s), SIGKILLs the whole process
# group at a random moment (before the study is stable, while its draft
# job waits or runs, or after), restarts on the same data directory and
# waits until the queue is idle. At the end every study must have exactly
# one AI draft, from a job that is done: a kill never loses a draft and
# never makes two.
#
#   scripts/draft-crash-soak.sh [ROUNDS=10] [MODEL=../shared/golden/qwen25vl-tiny] [MAX_TOKENS=3000]
#
# Prints one line per round and "summary: studies=N ok=N bad=0"; exits 1 on
# any study without exactly one draft.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
MODEL=${2:-../shared/golden/qwen25vl-tiny}
MAX_TOKENS=${3:-3000}
command -v storescu >/dev/null || { echo "need storescu (apt-get install dcmtk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "need curl" >&2; exit 1; }
[ -e "$MODEL" ] || { echo "model $MODEL not found" >&2; exit 1; }
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
export TCP_NODELAY=1
work=$(mktemp -d /var/tmp/lingshu-draft-soak.XXXXXX)
lpid=""
cleanup() { [ -n "$lpid" ] && kill -9 -- "-$lpid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/lingshu" ./cmd/lingshu
cat >"$work/lingshu.toml" <<EOF
[store]
stable_after = "1s"
min_free_mb = 0
[drafts]
max_tokens = $MAX_TOKENS
EOF
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dport=$(free_port); hport=$(free_port)
api="http://127.0.0.1:$hport/api/v1"
start() {
	# setsid: the daemon and its runner child form one process group.
	LINGSHU_ADMIN_PASSWORD=soak setsid "$work/lingshu" serve --config "$work/lingshu.toml" --data "$work/data" \
		--dicom-addr "127.0.0.1:$dport" --http-addr "127.0.0.1:$hport" --model "$MODEL" --backend cpu \
		>>"$work/lingshu.log" 2>&1 &
	lpid=$!
	for _ in $(seq 600); do curl -sf "$api/health" >/dev/null && return 0; sleep 0.1; done
	echo "serve did not come up; log:" >&2; tail -20 "$work/lingshu.log" >&2; return 1
}
token() { curl -sf -H 'Content-Type: application/json' -d '{"username":"admin","password":"soak"}' "$api/auth/login" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
# busy: number of queued or running jobs.
busy() {
	local t; t=$(token)
	for s in queued running; do curl -sf -H "Authorization: Bearer $t" "$api/jobs?state=$s"; echo; done |
		python3 -c 'import json,sys; print(sum(len(json.loads(l)["items"]) for l in sys.stdin if l.strip()))'
}

: >"$work/studies.txt"
for r in $(seq "$ROUNDS"); do
	"$work/lingshu" phantom --out "$work/src/$r" --modality CT --slices 8 --seed "$((1000 + r))" >/dev/null
	files=$(find "$work/src/$r" -name '*.dcm' | sort)
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["study_instance_uid"])' \
		"$work/src/$r/phantom_index.json" >>"$work/studies.txt"
	start
	storescu -aec LINGSHU 127.0.0.1 "$dport" $files >/dev/null 2>&1
	delay=$(python3 -c 'import random; print(round(random.uniform(0.5, 6.0), 2))')
	sleep "$delay"
	state=$(curl -sf -H "Authorization: Bearer $(token)" "$api/jobs?limit=1" |
		python3 -c 'import json,sys; i=json.load(sys.stdin)["items"]; print(i[0]["state"] if i else "none")' || echo "?")
	kill -9 -- "-$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
	start
	for _ in $(seq 600); do [ "$(busy)" = 0 ] && sleep 2 && [ "$(busy)" = 0 ] && break; sleep 0.5; done
	kill -TERM "$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
	echo "round $r: killed after ${delay}s (newest job $state)"
done

start
t=$(token)
ok=0; bad=0
while read -r uid; do
	n=$(curl -sf -H "Authorization: Bearer $t" "$api/studies/$uid/reports" |
		python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["items"] if r["kind"]=="ai_draft"))')
	jobs=$(curl -sf -H "Authorization: Bearer $t" "$api/jobs?study_uid=$uid" |
		python3 -c 'import json,sys; print(",".join("%s/%d" % (j["state"], j["attempts"]) for j in json.load(sys.stdin)["items"]))')
	if [ "$n" = 1 ] && [ "$jobs" = "${jobs#*,}" ] && [ "${jobs%%/*}" = done ]; then ok=$((ok + 1)); else
		bad=$((bad + 1)); echo "study $uid: drafts=$n jobs=$jobs" >&2
	fi
done <"$work/studies.txt"
echo "summary: studies=$ROUNDS ok=$ok bad=$bad"
[ "$bad" -eq 0 ]
