#!/bin/sh
# Decoder benchmark: prefill and decode tokens/s and peak memory of the Qwen2
# decoder on the CPU backend, on a random Qwen2.5-0.5B-shaped BF16 checkpoint
# (written once by weights.WriteRandomQwen2, about 1 GB).
#
#   bench/decoder.sh                      # 2 threads, prompts of 128 and 512 tokens, 32 decode steps
#   THREADS=4 PREFILL=512 DECODE=64 bench/decoder.sh
#   LINGSHU_BENCH_MODEL=/path/to/hf-folder-or.gguf bench/decoder.sh
#
# Besides wall-clock tokens/s it prints tokens per CPU-second: on a machine
# shared with other work, that × THREADS estimates the uncontended rate.
set -eu
cd "$(dirname "$0")/.."
MODEL=${LINGSHU_BENCH_MODEL:-${TMPDIR:-/tmp}/lingshu-bench/qwen2.5-0.5b}
THREADS=${THREADS:-2}
PREFILL=${PREFILL:-128,512}
DECODE=${DECODE:-32}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BIN=$WORK/decoder
go build -o "$BIN" ./bench/decoder

echo "== model"
"$BIN" -model "$MODEL" -write qwen2.5-0.5b -threads "$THREADS" -prefill 1 -decode 0 | grep -E "writing|model"

echo "== memory: load + one 16-token forward + 1 decode step, under /usr/bin/time -v"
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$BIN" -model "$MODEL" -threads "$THREADS" -prefill 16 -decode 1 >"$WORK/mem.out" 2>"$WORK/time.txt"
	grep -E "peak RSS" "$WORK/mem.out"
	grep -E "Maximum resident set size" "$WORK/time.txt"
else
	"$BIN" -model "$MODEL" -threads "$THREADS" -prefill 16 -decode 1 | grep "peak RSS"
fi

echo "== speed: $THREADS threads, prompts $PREFILL, $DECODE decode steps"
"$BIN" -model "$MODEL" -threads "$THREADS" -prefill "$PREFILL" -decode "$DECODE" -chunk 512
