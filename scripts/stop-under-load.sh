#!/usr/bin/env bash
# Graceful stop under load: sends a CT series with DCMTK storescu, sends
# SIGTERM to `lingshu serve` mid-stream, measures the time from SIGTERM to
# process exit (it must be within the stop bound, 30 s in `lingshu serve`),
# then checks with `lingshu store verify` that every instance storescu saw
# acknowledged is stored, readable, equal to what was sent and indexed.
#
#   scripts/stop-under-load.sh [ROUNDS=5] [INSTANCES=300]
#
# Environment: STOP_BOUND (seconds, default 30), KEEP=1 keeps the work dir.
# Prints one line per round and a summary; exits 1 if any acknowledged
# instance was lost, a file is torn, an exit was not clean, or a stop took
# longer than the bound. Round 1 also saves a mid-load /metrics scrape.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
N=${2:-300}
BOUND=${STOP_BOUND:-30}
command -v storescu >/dev/null || { echo "need storescu (apt-get install dcmtk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "need curl" >&2; exit 1; }
export TCP_NODELAY=1
work=$(mktemp -d /var/tmp/lingshu-stop.XXXXXX)
lpid=""
cleanup() {
	[ -n "$lpid" ] && kill -9 "$lpid" 2>/dev/null
	wait 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

go build -o "$work/lingshu" ./cmd/lingshu
"$work/lingshu" phantom --out "$work/src" --modality CT --studies 1 --slices "$N" --seed 12 >/dev/null
find "$work/src" -name '*.dcm' | sort >"$work/all.txt"
total=$(wc -l <"$work/all.txt")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 400); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
acks() { grep -c 'Received Store Response (Success)' "$work/storescu.log" 2>/dev/null || true; }
json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }

fail=0; sum_acked=0; sum_lost=0; worst_ms=0
for r in $(seq "$ROUNDS"); do
	rm -rf "$work/data"; dport=$(free_port); hport=$(free_port)
	LINGSHU_ADMIN_PASSWORD=stop-test "$work/lingshu" serve --data "$work/data" --dicom-addr "127.0.0.1:$dport" \
		--http-addr "127.0.0.1:$hport" --log-level info >"$work/lingshu-$r.log" 2>&1 &
	lpid=$!
	wait_port "$dport"
	storescu -v -aec LINGSHU 127.0.0.1 "$dport" $(cat "$work/all.txt") >"$work/storescu.log" 2>&1 &
	spid=$!
	# Stop somewhere in the middle: after 10% to 80% of the instances were acknowledged.
	target=$(python3 -c "import random; print(random.randint($total // 10, $total * 8 // 10))")
	while [ "$(acks)" -lt "$target" ] && kill -0 "$spid" 2>/dev/null; do sleep 0.01; done
	[ "$r" = 1 ] && curl -fsS "http://127.0.0.1:$hport/metrics" >"$work/metrics-sample.txt" || true
	at_term=$(acks)
	# A watchdog kills the daemon well past the bound so the script cannot hang.
	(sleep $((BOUND + 15)); kill -9 "$lpid" 2>/dev/null) &
	wd=$!
	t0=$(date +%s%N)
	kill -TERM "$lpid"
	rc=0; wait "$lpid" || rc=$?
	t1=$(date +%s%N)
	kill "$wd" 2>/dev/null; wait "$wd" 2>/dev/null || true
	lpid=""
	wait "$spid" || true
	exit_ms=$(( (t1 - t0) / 1000000 ))
	# Files whose C-STORE-RSP said Success, in the order storescu sent them.
	awk '/Sending file: /{f=$NF} /Received Store Response \(Success\)/{print f}' "$work/storescu.log" >"$work/acked.txt"
	acked=$(wc -l <"$work/acked.txt")
	out=$("$work/lingshu" store verify --data "$work/data" --expect "$work/acked.txt" --json 2>>"$work/verify.err" || true)
	lost=$(json "$out" 'missing'); torn=$(json "$out" 'unreadable + mismatched'); stored=$(json "$out" 'instances')
	stopped=$(grep -c 'lingshu stopped' "$work/lingshu-$r.log" || true)
	ok=yes
	if [ "$rc" -ne 0 ] || [ "$lost" -ne 0 ] || [ "$torn" -ne 0 ] || [ "$exit_ms" -gt $((BOUND * 1000)) ] || [ "$stopped" -ne 1 ]; then
		ok=NO; fail=1
	fi
	echo "round $r: sigterm_after=$at_term acknowledged=$acked stored=$stored lost=$lost torn=$torn exit_ms=$exit_ms exit_code=$rc ok=$ok"
	sum_acked=$((sum_acked + acked)); sum_lost=$((sum_lost + lost))
	[ "$exit_ms" -gt "$worst_ms" ] && worst_ms=$exit_ms
	[ "$ok" = yes ] || { echo "--- daemon log, round $r:"; tail -20 "$work/lingshu-$r.log"; }
done
if [ -s "$work/metrics-sample.txt" ]; then
	echo "--- /metrics mid-load (round 1), DICOM and store families:"
	grep -E '^lingshu_(dicom|store|ingest_store_duration_seconds_(count|sum))' "$work/metrics-sample.txt" || true
fi
echo "summary: rounds=$ROUNDS instances=$total acknowledged=$sum_acked lost=$sum_lost worst_exit_ms=$worst_ms bound_s=$BOUND"
exit "$fail"
