#!/usr/bin/env bash
# Builds the release packages (deb amd64+arm64, rpm amd64, msi) with
# installer/package, shows what is inside them, runs lintian on the deb,
# then installs, upgrades, removes and purges the deb on THIS machine.
# Run it as root on a throwaway host or container (it creates and deletes
# the lingshu user and /var/lib/lingshu):
#
#   sudo ./scripts/package-test.sh [OUTDIR]
#
# Tools (installed when root and missing): dpkg-deb, rpm, wixl + msitools,
# osslsigncode, lintian.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-$(mktemp -d /tmp/lingshu-packages.XXXXXX)}
mkdir -p "$out"
version=${LINGSHU_PACKAGE_VERSION:-0.9.0}

need=()
command -v rpm          >/dev/null || need+=(rpm)
command -v wixl         >/dev/null || need+=(wixl)
command -v msiinfo      >/dev/null || need+=(msitools)
command -v osslsigncode >/dev/null || need+=(osslsigncode)
command -v lintian      >/dev/null || need+=(lintian)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing ${need[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "== apt-get install ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== building packages of $version into $out"
go build -o "$out/.package" ./installer/package
for spec in "deb amd64" "deb arm64" "rpm amd64" "msi amd64"; do
	set -- $spec
	echo "\$ go run ./installer/package --format $1 --arch $2 --version $version --out $out"
	start=$(date +%s.%N)
	"$out/.package" --format "$1" --arch "$2" --version "$version" --out "$out"
	echo "   $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
done
rm -f "$out/.package"
ls -l "$out"

deb="$out/lingshu_${version}_amd64.deb"
rpmf=$(ls "$out"/lingshu-*.x86_64.rpm)
msi="$out/lingshu-${version}-x64.msi"

echo "== dpkg-deb -I / -c"
dpkg-deb -I "$deb"
dpkg-deb -c "$deb"
echo "== rpm -qpi / -qpl / --scripts"
rpm -qpi "$rpmf"
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpmf"
rpm -qp --scripts "$rpmf" | grep -E 'scriptlet|useradd|systemctl' || true
echo "== msiinfo"
msiinfo tables "$msi" | sort | tr '\n' ' '; echo
for table in File Component ServiceInstall ServiceControl Upgrade; do
	msiinfo export "$msi" "$table" | tail -n +4
done

echo "== lintian $deb"
lintian --pedantic --display-info "$deb" || true

echo "== install / upgrade / remove / purge (dpkg)"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: skipping the install test" >&2
	exit 0
fi
LINGSHU_PACKAGE_TESTS=1 LINGSHU_PACKAGE_OUT="$out/lifecycle" \
	go test -count=1 -run TestInstall -v ./installer/package
