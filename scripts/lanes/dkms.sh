#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms: add, build and install the module with DKMS for kernel KVER
# (its headers installed), check what modinfo says of the installed module,
# then remove it again so the machine is left as it was.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KVER:?}"
name=pcpu_pagecache
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

if ! command -v dkms >/dev/null; then
	echo "dkms: installing dkms" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends dkms </dev/null >&2 ||
		{ apt-get update -qq &&
		  apt-get install -y -qq --no-install-recommends dkms </dev/null >&2; }
fi

# DKMS builds from a copy under /usr/src: give it the sources only.
src=/usr/src/$name-$ver
dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true
rm -rf "$src"
mkdir -p "$src"
cp "$top"/{dkms.conf,Kbuild,pcpu_pagecache.h} \
	"$top"/pcpu_pagecache_*.[ch] "$top"/ppc_*.[ch] "$src/"
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
