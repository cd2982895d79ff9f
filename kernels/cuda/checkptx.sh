#!/bin/sh
# checkptx.sh regenerates the PTX into a temporary file and fails when it
# differs from the committed kernels/cuda/kernels.ptx (run `go generate
# ./kernels/cuda` and commit the result). Without clang-14 it says so and
# exits 0 unless CHECKPTX_REQUIRE=1 (CI sets it).
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "checkptx: $CLANG not installed; PTX not regenerated" >&2
	[ "${CHECKPTX_REQUIRE:-0}" = 1 ] && exit 1
	exit 0
fi
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.tmp"' EXIT
OUT=$tmp sh ./gen.sh
if ! cmp -s "$tmp" kernels.ptx; then
	echo "checkptx: kernels/cuda/kernels.ptx is stale; run: go generate ./kernels/cuda" >&2
	diff "$tmp" kernels.ptx | head -20 >&2
	exit 1
fi
echo "checkptx: kernels.ptx matches src/ ($(grep -c '^\.visible \.entry' kernels.ptx) kernels)"
