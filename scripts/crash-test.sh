#!/usr/bin/env bash
# Crash safety: sends a few hundred instances with DCMTK storescu, kills the
# daemon with SIGKILL mid-stream, restarts it on the same data directory, and
# checks that every instance storescu saw acknowledged is on disk, readable,
# indexed and equal to what was sent, and that no file is torn.
#
#   scripts/crash-test.sh [ROUNDS=10] [INSTANCES=300]
#
# Prints one line per round and a summary "lost=0 torn=0" on success; exits 1
# if any acknowledged instance was lost or any stored file is torn.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
N=${2:-300}
command -v storescu >/dev/null || { echo "need storescu (apt-get install dcmtk)" >&2; exit 1; }
export TCP_NODELAY=1
work=$(mktemp -d /var/tmp/lingshu-crash.XXXXXX)
lpid=""
cleanup() { [ -n "$lpid" ] && kill -9 "$lpid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/lingshu" ./cmd/lingshu
"$work/lingshu" phantom --out "$work/src" --modality CT --studies 2 --slices $((N / 2)) --seed 11 >/dev/null
find "$work/src" -name '*.dcm' | sort >"$work/all.txt"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
start() {
	LINGSHU_ADMIN_PASSWORD=crash "$work/lingshu" serve --data "$work/data" --dicom-addr "127.0.0.1:$dport" \
		--http-addr "127.0.0.1:$hport" --log-level warn >>"$work/lingshu.log" 2>&1 &
	lpid=$!
	wait_port "$dport"
}

total_acked=0; total_lost=0; total_torn=0
for r in $(seq "$ROUNDS"); do
	rm -rf "$work/data"; dport=$(free_port); hport=$(free_port)
	start
	storescu -v -aec LINGSHU 127.0.0.1 "$dport" $(cat "$work/all.txt") >"$work/storescu.log" 2>&1 &
	spid=$!
	# Kill somewhere in the middle of the stream: 0.2 to 1.2 s in.
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.2), 2))')"
	kill -9 "$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
	wait "$spid" || true
	# Files whose C-STORE-RSP said Success, in the order storescu sent them.
	awk '/Sending file: /{f=$NF} /Received Store Response \(Success\)/{print f}' "$work/storescu.log" >"$work/acked.txt"
	acked=$(wc -l <"$work/acked.txt")
	start   # recovery runs on open
	kill -TERM "$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
	out=$("$work/lingshu" store verify --data "$work/data" --expect "$work/acked.txt" --json 2>>"$work/verify.err" || true)
	lost=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["missing"])' "$out")
	torn=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["unreadable"] + d["mismatched"])' "$out")
	stored=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["instances"])' "$out")
	echo "round $r: acknowledged=$acked stored=$stored lost=$lost torn=$torn"
	total_acked=$((total_acked + acked)); total_lost=$((total_lost + lost)); total_torn=$((total_torn + torn))
done
echo "summary: rounds=$ROUNDS acknowledged=$total_acked lost=$total_lost torn=$total_torn"
[ "$total_lost" -eq 0 ] && [ "$total_torn" -eq 0 ]
