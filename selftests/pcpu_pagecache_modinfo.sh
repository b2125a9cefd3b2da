#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What modinfo and sysfs say about pcpu_pagecache: a description, the GPL
# licence and a description of each parameter; once loaded, the parameters
# under /sys/module/pcpu_pagecache/parameters show the values the module
# was loaded with and are read-only (0444): the pool is built from them at
# load time, so changing them live would only make them lie.  That a write
# to a read-only file fails is the kernel's sysfs, not the module: not
# tested here.
set -u

here=$(dirname "$0")
. "$here/pcpu_pagecache_lib.sh"

PARAMS=(base size)
PARAM_DIR=/sys/module/$PCP_MOD/parameters
declare -A loaded_with=([base]=$PCP_RES_BASE [size]=$PCP_RES_SIZE)

names=(modinfo_runs modinfo_description modinfo_license_gpl)
for p in "${PARAMS[@]}"; do
	names+=("modinfo_parm_${p}_described")
done
names+=(load)
for p in "${PARAMS[@]}"; do
	names+=("param_${p}_value" "param_${p}_mode_0444")
done
names+=(unload)

# modinfo_field FIELD WANT_RE: modinfo's FIELD matches WANT_RE.
modinfo_field()
{
	local v

	v=$(modinfo -F "$1" "$PCP_MOD" 2>/dev/null)
	ktap_diag "$1: $v"
	[[ $v =~ $2 ]]
}

# parm_described NAME: "parm: NAME:DESCRIPTION (TYPE)"; without a
# description only the type.
parm_described()
{
	local line text

	line=$(modinfo -F parm "$PCP_MOD" 2>/dev/null | grep "^$1:")
	text=${line#"$1":}
	text=${text%(*)}
	if [[ -z $line ]]; then
		ktap_diag "modinfo lists no parameter $1; parm lines:"
		ktap_diag "$(modinfo -F parm "$PCP_MOD" 2>&1)"
		return 1
	fi
	ktap_diag "parm $line"
	[[ -n ${text// /} ]] || { ktap_diag "parameter $1 has no description"; return 1; }
}

# param_value NAME: the parameter reads the value it was loaded with.
param_value()
{
	local f=$PARAM_DIR/$1 got want=$((loaded_with[$1]))

	got=$(cat "$f") || return 1
	ktap_diag "$f: $got"
	[[ $got =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] && ((got == want)) && return 0
	ktap_diag "$f reads '$got', loaded with $1=${loaded_with[$1]}"
	return 1
}

ktap_plan
need_root

# ---- modinfo ----------------------------------------------------------------

if info=$(modinfo "$PCP_MOD" 2>&1); then
	ok modinfo_runs
else
	ktap_diag "$info"
	not_ok modinfo_runs
fi
check modinfo_description modinfo_field description '[^ ]'
check modinfo_license_gpl modinfo_field license '^GPL$'
for p in "${PARAMS[@]}"; do
	check "modinfo_parm_${p}_described" parm_described "$p"
done

# ---- /sys/module/pcpu_pagecache/parameters ---------------------------------

start_clean || ktap_diag "could not unload: results below will say"
modprobe "$PCP_MOD" base="$PCP_RES_BASE" size="$PCP_RES_SIZE"
result load $?
for p in "${PARAMS[@]}"; do
	check "param_${p}_value" param_value "$p"
	check "param_${p}_mode_0444" expect_eq "mode of $PARAM_DIR/$p" \
		"$(stat -c %a "$PARAM_DIR/$p" 2>&1)" 444
done
check unload unload_all

ktap_finished
