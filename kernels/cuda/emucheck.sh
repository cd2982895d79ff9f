#!/bin/sh
# emucheck.sh runs the CUDA backend's conformance suite and the golden tiny
# Qwen2 prefill with the kernels of src/ executed on the CPU: emu/emu.cpp
# compiles them for the host behind a stand-in libcuda.so (one coroutine per
# CUDA thread), and the real Go backend loads it through purego. It checks
# launch arguments, indexing, tiling, reductions and numerics without a
# GPU; it cannot check ptxas or the hardware. About a minute on two cores.
#   sh kernels/cuda/emucheck.sh [extra go test flags]
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CLANG" -x c++ -std=c++17 -O2 -fPIC -shared -DLINGSHU_EMU -Wno-unused-function emu/emu.cpp -o "$tmp/libcudaemu.so" -lstdc++
LINGSHU_CUDA_EMU="$tmp/libcudaemu.so" CGO_ENABLED=0 go test -count=1 -timeout 20m -run '^TestEmulated_' "$@" .
