#!/bin/sh
# devcheck.sh: the GPU check of the CUDA backend, in two phases so that the
# GPU machine needs neither Go nor the repository's tooling.
#
#   sh kernels/cuda/devcheck.sh build [DIR]   # here: cgo-free test binary + golden data → DIR
#   sh DIR/devcheck.sh run [DIR]              # on the GPU machine (or kernels/cuda/devcheck.sh run DIR)
#   sh kernels/cuda/devcheck.sh all [DIR]     # both, on a GPU machine with Go
#
# The binary is built with CGO_ENABLED=0; it needs only libc, libdl and
# libpthread (for purego's dlopen), no particular glibc version, no Go.
# DIR defaults to $TMPDIR/lingshu-devcheck. A folder named devcheck.test at
# the repository root is git-ignored (*.test), so it can be carried to a
# lent machine as is: build into devcheck.test, then run
# `sh devcheck.test/devcheck.sh run devcheck.test` there.
#
# run executes, in one go: the conformance suite (kernels/kerneltest) on the
# GPU against the CPU reference, larger shapes, the qwen2-tiny golden model
# on CUDA, then the 7B-shaped Q8_0 decode/prefill benchmark (tokens/s and
# fraction of the copy-bandwidth roofline) and the tensor-core matmul
# timings. Output goes to stdout and DIR/devcheck.log (copied into $OUT
# when that folder exists, as on a lent machine); the exit status is
# non-zero when any test failed. Knobs: LINGSHU_CUDA_DEVICE (0),
# LINGSHU_BENCH_CTX (512), LINGSHU_BENCH_PREFILL (512), LINGSHU_BENCH_STEPS
# (64), LINGSHU_BENCH_SHAPE=tiny, DEVCHECK_SKIP_BENCH=1, DEVCHECK_TESTS (a
# -test.run pattern), DEVCHECK_F16=1 (also ship the F16 GGUF), and
# LINGSHU_CUDA_LIBRARY (another libcuda; the emulator of emucheck.sh to
# dry-run this script without a GPU).
set -eu
mode=${1:-}
DIR=${2:-${TMPDIR:-/tmp}/lingshu-devcheck}
here=$(cd "$(dirname "$0")" && pwd)

build() {
	root=$(cd "$here/../.." && pwd)
	mkdir -p "$DIR/golden/qwen2-tiny"
	DIR=$(cd "$DIR" && pwd)
	(cd "$root" && CGO_ENABLED=0 go test -c -trimpath -ldflags='-s -w' -o "$DIR/cuda-gpu.bin" ./kernels/cuda)
	gold=${LINGSHU_GOLDEN_DIR:-$root/../shared/golden}/qwen2-tiny
	files="config.json expected.json model.safetensors model-q8_0.gguf"
	[ "${DEVCHECK_F16:-0}" = 1 ] && files="$files model-f16.gguf"
	for f in $files; do
		if [ -f "$gold/$f" ]; then cp "$gold/$f" "$DIR/golden/qwen2-tiny/"; else echo "devcheck: no $gold/$f" >&2; fi
	done
	cp "$here/devcheck.sh" "$DIR/devcheck.sh"
	echo "devcheck: built $DIR ($(du -sh "$DIR" | cut -f1))"
}

run() {
	DIR=$(cd "$DIR" && pwd)
	bin=$DIR/cuda-gpu.bin
	[ -x "$bin" ] || { echo "devcheck: $bin missing; run the build phase first" >&2; exit 2; }
	log=$DIR/devcheck.log
	: >"$log"
	command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,memory.free,clocks.max.sm --format=csv 2>&1 | tee -a "$log"
	export LINGSHU_CUDA_REQUIRE=1 LINGSHU_GOLDEN_DIR="$DIR/golden"
	status=0
	tests=${DEVCHECK_TESTS:-'^TestGPU_(Conformance|LargeShapes|SpecialValues|GoldenQwen2)$'}
	echo "== conformance, large shapes, special values, golden qwen2-tiny on CUDA" | tee -a "$log"
	"$bin" -test.run "$tests" -test.v -test.timeout 300s 2>&1 | tee -a "$log" | grep -v '^=== RUN' || true
	grep -q '^--- FAIL\|^FAIL\|^panic' "$log" && status=1
	if [ "${DEVCHECK_SKIP_BENCH:-0}" != 1 ]; then
		echo "== 7B-shaped Q8_0 benchmark" | tee -a "$log"
		LINGSHU_CUDA_BENCH=1 "$bin" -test.run '^TestGPU_Bench7B$' -test.v -test.timeout 400s 2>&1 | tee -a "$log" | grep -v '^=== RUN' || true
		grep -q '^--- FAIL\|^FAIL\|^panic' "$log" && status=1
	fi
	echo "== devcheck: $([ $status = 0 ] && echo PASS || echo FAIL) (log: $log)"
	if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then cp "$log" "$OUT/"; fi
	return $status
}

case $mode in
build) build ;;
run) run ;;
all) build && run ;;
*) echo "usage: devcheck.sh build|run|all [DIR]" >&2; exit 2 ;;
esac
