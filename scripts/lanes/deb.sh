#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: pcpu-pagecache-dkms_<version>_all.deb, the module's sources for
# DKMS, built by Debian's tooling (debhelper and dh-dkms, from debian/) out
# of the tree: debian/, dkms.conf and the sources that
# debian/pcpu-pagecache-dkms.install lists are copied to
# $BUILD/deb/pcpu-pagecache-<version>/, and the .deb is written to
# $BUILD/deb/.  The version is debian/changelog's.  The last line printed
# is the .deb's path; the build's log is $BUILD/deb/build.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/deb

# What dpkg-buildpackage needs to build this package (debian/control's
# Build-Depends, and dpkg-dev itself); installed if missing, as lint.sh does.
missing=()
for p in dpkg-dev debhelper dh-dkms; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "deb: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2 ||
		{ apt-get update -qq &&
		  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2; }
fi

ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/pcpu-pagecache-$ver
deb=$out/pcpu-pagecache-dkms_${ver}_all.deb
mapfile -t srcs < <(awk 'NF > 1 { for (i = 1; i < NF; i++) print $i }' \
	"$top/debian/pcpu-pagecache-dkms.install")

rm -rf "$out"
mkdir -p "$src"
cp -r "$top/debian" "$src/"
cp "$top/dkms.conf" "${srcs[@]/#/$top/}" "$src/"
if ! (cd "$src" && dpkg-buildpackage --build=all -us -uc) >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log in $out/build.log)" >&2
	exit 1
fi
[[ -f $deb ]] || { echo "deb: no $deb" >&2; exit 1; }
echo "$deb"
