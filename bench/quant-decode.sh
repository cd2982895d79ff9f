#!/bin/sh
# Weight-format benchmark: prefill and decode tokens/s of the Qwen2 decoder on
# the CPU backend with its matrices in F32, BF16, F16 and Q8_0, on a random
# Qwen2.5-0.5B-shaped checkpoint, and decode as a fraction of the machine's
# memory-bandwidth ceiling: copy bandwidth (measured in the same run, with the
# same number of threads) ÷ weight bytes read per decoded token.
#
#   bench/quant-decode.sh                       # 2 threads, 512-token prompt, 32 decode steps
#   THREADS=4 PREFILL=256 DECODE=64 DTYPES=Q8_0,F16 bench/quant-decode.sh
#   LINGSHU_BENCH_MODEL=/path/to/bf16-folder bench/quant-decode.sh
#
# The BF16 checkpoint is written once (weights.WriteRandomQwen2, what
# `lingshu dev random-model --shape qwen2.5-0.5b` runs; about 1 GB) into
# LINGSHU_BENCH_MODEL, by default the folder bench/decoder.sh uses; the other
# formats are made from it in memory at load time (bench/dtypes). The output
# names the kernel set the CPU selected and the load average before and after:
# on a shared machine, tok/CPU-s × THREADS estimates the uncontended decode rate.
set -eu
cd "$(dirname "$0")/.."
MODEL=${LINGSHU_BENCH_MODEL:-${TMPDIR:-/tmp}/lingshu-bench/qwen2.5-0.5b}
THREADS=${THREADS:-2}
PREFILL=${PREFILL:-512}
DECODE=${DECODE:-32}
DTYPES=${DTYPES:-F32,BF16,F16,Q8_0}
REPS=${REPS:-2}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/dtypes" ./bench/dtypes
mkdir -p "$MODEL"
"$WORK/dtypes" -model "$MODEL" -write qwen2.5-0.5b -threads "$THREADS" -prefill "$PREFILL" -decode "$DECODE" \
	-dtypes "$DTYPES" -reps "$REPS"
