#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms: add, build and install the module with DKMS for kernel KVER
# (its headers installed), check what modinfo says of the installed module,
# then remove it again so the machine is left as it was.  The sources are
# those the Debian package ships (debian/pcpu-pagecache-dkms.install), the
# version debian/changelog's, put in dkms.conf as dh_dkms does.
#
# The Debian package (make deb) registers the same DKMS module and version
# from the same /usr/src directory: while it is installed this refuses to
# run rather than remove the package's files (make check-deb purges it).
# The same lock as make check-deb's keeps the two apart.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KVER:?}"
name=pcpu_pagecache

if ! command -v dkms >/dev/null; then
	echo "dkms: installing dkms" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends dkms </dev/null >&2 ||
		{ apt-get update -qq &&
		  apt-get install -y -qq --no-install-recommends dkms </dev/null >&2; }
fi

# dpkg-parsechangelog is dpkg-dev's, which dkms depends on.
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
ver=${ver#*:}
[[ $ver != *-* ]] || ver=${ver%-*}
mapfile -t srcs < <(awk 'NF > 1 { for (i = 1; i < NF; i++) print $i }' \
	"$top/debian/pcpu-pagecache-dkms.install")

exec 9>/run/lock/pcpu_pagecache-dkms.lock
flock -w 900 9 || { echo "dkms: another DKMS lane holds the lock" >&2; exit 1; }

# DKMS builds from a copy under /usr/src: give it the sources only.
src=/usr/src/$name-$ver
if owner=$(dpkg-query -S "$src" 2>/dev/null); then
	echo "dkms: $src belongs to ${owner%%:*} (installed):" \
		"apt-get purge ${owner%%:*} first" >&2
	exit 1
fi
dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true
rm -rf "$src"
mkdir -p "$src"
cp "${srcs[@]/#/$top/}" "$src/"
sed "s/#MODULE_VERSION#/$ver/" "$top/dkms.conf" >"$src/dkms.conf"
trap 'dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true; rm -rf "$src"' EXIT

dkms add -m "$name" -v "$ver"
dkms build -m "$name" -v "$ver" -k "$KVER"
dkms install -m "$name" -v "$ver" -k "$KVER" --force
dkms status -m "$name"

ko=$(find "/lib/modules/$KVER/updates/dkms" -name "$name.ko*" | head -n 1)
[[ -n $ko ]] || { echo "dkms: $name.ko not installed for $KVER" >&2; exit 1; }
info=$(modinfo "$ko")
echo "$info" | grep -E '^(filename|description|license|parm|vermagic):'
for want in '^description: +.+' '^license: +GPL$' '^parm: +base:.+' \
	    '^parm: +size:.+' "^vermagic: +$KVER "; do
	echo "$info" | grep -Eq "$want" ||
		{ echo "dkms: modinfo lacks /$want/" >&2; exit 1; }
done
echo "dkms: built and installed $name $ver for $KVER"
