#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian/Ubuntu machine: installs the
# real DICOM peers and tools the integration tests talk to (when run as root
# and they are missing), checks formatting, vet and the Windows cross-build,
# then runs every package's tests.
#
#   sudo ./scripts/test.sh            # everything
#   ./scripts/test.sh -short          # skip the slow integration tests
#
# Extra arguments are passed to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v storescu  >/dev/null || need_pkgs+=(dcmtk)
command -v Orthanc   >/dev/null || need_pkgs+=(orthanc)
command -v dciodvfy  >/dev/null || need_pkgs+=(dicom3tools)
[ -d /usr/lib/python3/dist-packages/pydicom/data/test_files ] || need_pkgs+=(python3-pydicom)
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)
command -v rpm       >/dev/null || need_pkgs+=(rpm)
command -v wixl      >/dev/null || need_pkgs+=(wixl)
command -v msiinfo   >/dev/null || need_pkgs+=(msitools)
command -v osslsigncode >/dev/null || need_pkgs+=(osslsigncode)
/usr/bin/python3 -c 'import nltk' 2>/dev/null || need_pkgs+=(python3-nltk)
command -v chromium  >/dev/null || need_pkgs+=(chromium)
command -v chromedriver >/dev/null || need_pkgs+=(chromium-driver)
command -v clang-14  >/dev/null || need_pkgs+=(clang-14)
command -v qemu-aarch64 >/dev/null || need_pkgs+=(qemu-user)
fc-list 2>/dev/null | grep -i dejavu >/dev/null || need_pkgs+=(fonts-dejavu-core fontconfig) # no -q: SIGPIPE under pipefail
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "== installing ${need_pkgs[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
		# The Debian package starts a system Orthanc on 4242/8042; tests run their own.
		if command -v systemctl >/dev/null && systemctl is-active --quiet orthanc 2>/dev/null; then
			systemctl stop orthanc || true
		fi
		pkill -x Orthanc 2>/dev/null || true
	else
		echo "== not root: tests that need ${need_pkgs[*]} will be skipped" >&2
	fi
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== GOOS=windows go build + vet"
GOOS=windows GOARCH=amd64 go build ./...
GOOS=windows GOARCH=amd64 go vet ./...
echo "== GOARCH=arm64 go build (the pure-Go kernel path)"
GOARCH=arm64 go build ./...
echo "== PTX regenerated from kernels/cuda/src matches the committed kernels.ptx"
CHECKPTX_REQUIRE=${CHECKPTX_REQUIRE:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)} sh kernels/cuda/checkptx.sh
echo "== go test"
export TCP_NODELAY=1
go test -count=1 -timeout 25m "$@" ./...
if command -v clang-14 >/dev/null; then
	echo "== CUDA kernels on the CPU emulator (kernels/cuda/emu)"
	sh kernels/cuda/emucheck.sh
fi
if command -v qemu-aarch64 >/dev/null; then
	echo "== arm64 NEON kernels against their generic twins, under qemu (with and without dotprod)"
	armtest=$(mktemp -d)
	GOARCH=arm64 go test -c -o "$armtest/cpu.test" ./kernels/cpu
	for model in max cortex-a72; do
		qemu-aarch64 -cpu "$model" "$armtest/cpu.test" -test.run 'Kernels|Conformance' >"$armtest/log" 2>&1 ||
			{ cat "$armtest/log"; exit 1; }
		echo "ok  kernels/cpu on qemu-aarch64 -cpu $model"
	done
	rm -rf "$armtest"
fi
