#!/usr/bin/env bash
# Ingest throughput: the same N uncompressed 512×512 16-bit CT instances sent
# with DCMTK storescu (one association) to lingshu (which fsyncs every file
# and commits its index before answering) and to DCMTK storescp (which does
# not fsync), interleaved ROUNDS times. Prints instances/s of each and the
# ratio lingshu/storescp per round and overall.
#
#   bench/ingest.sh [N=500] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500}
ROUNDS=${2:-3}
for tool in storescu storescp; do
	command -v $tool >/dev/null || { echo "need $tool (apt-get install dcmtk)" >&2; exit 1; }
done
export TCP_NODELAY=1
work=$(mktemp -d /var/tmp/lingshu-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/lingshu" ./cmd/lingshu
"$work/lingshu" phantom --out "$work/src" --modality CT --studies 1 --slices "$N" --transfer-syntax explicit --seed 7 >/dev/null
mapfile -t files < <(find "$work/src" -name '*.dcm' | sort)
[ ${#files[@]} -eq "$N" ] || { echo "expected $N files, got ${#files[@]}" >&2; exit 1; }
size=$(du -b "${files[0]}" | cut -f1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

lport=$(free_port); hport=$(free_port); sport=$(free_port)
mkdir -p "$work/storescp"
storescp -aet STORESCP -od "$work/storescp" "$sport" >"$work/storescp.log" 2>&1 &
pids+=($!)

echo "instances: $N × $size bytes, storescu → lingshu (fsync) vs storescp (no fsync), one association each"
total_l=0; total_s=0
for r in $(seq "$ROUNDS"); do
	rm -rf "$work/data" "$work/storescp"/*
	LINGSHU_ADMIN_PASSWORD=bench "$work/lingshu" serve --data "$work/data" --dicom-addr "127.0.0.1:$lport" \
		--http-addr "127.0.0.1:$hport" >"$work/lingshu.log" 2>&1 &
	lpid=$!; pids+=($lpid)
	wait_port "$lport"; wait_port "$sport"
	t0=$(date +%s.%N); storescu -aec LINGSHU "127.0.0.1" "$lport" "${files[@]}"; t1=$(date +%s.%N)
	storescu -aec STORESCP "127.0.0.1" "$sport" "${files[@]}"; t2=$(date +%s.%N)
	stored=$(find "$work/data/instances" -name '*.dcm' | wc -l)
	kill -TERM "$lpid"; wait "$lpid" || true
	[ "$stored" -eq "$N" ] || { echo "lingshu stored $stored of $N" >&2; exit 1; }
	python3 - "$N" "$t0" "$t1" "$t2" "$r" <<'PY'
import sys
n, t0, t1, t2, r = int(sys.argv[1]), *map(float, sys.argv[2:5]), sys.argv[5]
l, s = n / (t1 - t0), n / (t2 - t1)
print(f"round {r}: lingshu {l:7.1f} inst/s   storescp {s:7.1f} inst/s   ratio {l/s:.2f}")
PY
	total_l=$(python3 -c "print($total_l + $t1 - $t0)"); total_s=$(python3 -c "print($total_s + $t2 - $t1)")
done
python3 -c "n=$N*$ROUNDS; l=n/$total_l; s=n/$total_s; print(f'overall: lingshu {l:.1f} inst/s, storescp {s:.1f} inst/s, ratio {l/s:.2f}')"
