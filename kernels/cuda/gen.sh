#!/bin/sh
# gen.sh compiles src/kernels.cu to kernels.ptx (PTX ISA 7.0 for sm_80) with
# Debian's clang-14: no CUDA toolkit, no headers (-nocudainc), no libdevice
# (-nocudalib). Run by `go generate ./kernels/cuda`; the PTX is committed and
# embedded, and checkptx.sh fails when it is stale.
#   CLANG=clang-14 OUT=kernels.ptx sh gen.sh
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
OUT=${OUT:-kernels.ptx}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "gen.sh: $CLANG not found (apt-get install clang-14)" >&2
	exit 1
fi
"$CLANG" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 \
	-Xclang -target-feature -Xclang +ptx70 -O3 -Werror -S src/kernels.cu -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
