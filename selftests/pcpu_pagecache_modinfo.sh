#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What modinfo and sysfs say about pcpu_pagecache: a description, the GPL
# licence and a description of each parameter; once loaded, the parameters
# under /sys/module/pcpu_pagecache/parameters show the values the module
# was loaded with and are read-only, even for root: the pool is built from
# them at load time, so changing them live would only make them lie.
set -u

here=$(dirname "$0")
. "$here/ktap.sh"
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
	names+=("param_${p}_value" "param_${p}_mode_0444"
		"param_${p}_write_fails" "param_${p}_unchanged_after_write")
done
names+=(unload)

ktap_plan ${#names[@]}

if [[ $(id -u) -ne 0 ]]; then
	echo "# must run as root: the write checks need it"
	exit "$KSFT_SKIP"
fi

# ---- modinfo ----------------------------------------------------------------

if info=$(modinfo "$PCP_MOD" 2>&1); then
	ktap_ok modinfo_runs
else
	ktap_diag "$info"
	ktap_not_ok modinfo_runs
fi

desc=$(modinfo -F description "$PCP_MOD" 2>/dev/null)
ktap_diag "description: $desc"
[[ -n ${desc// /} ]]
ktap_result modinfo_description $?

license=$(modinfo -F license "$PCP_MOD" 2>/dev/null)
ktap_diag "license: $license"
[[ $license == GPL ]]
ktap_result modinfo_license_gpl $?

# "parm: NAME:DESCRIPTION (TYPE)"; without a description only the type.
parms=$(modinfo -F parm "$PCP_MOD" 2>/dev/null)
for p in "${PARAMS[@]}"; do
	line=$(grep "^$p:" <<<"$parms")
	text=${line#"$p":}
	text=${text%(*)}
	if [[ -z $line ]]; then
		ktap_diag "modinfo lists no parameter $p; parm lines:"
		ktap_diag "$parms"
		ktap_not_ok "modinfo_parm_${p}_described"
	elif [[ -z ${text// /} ]]; then
		ktap_diag "parameter $p has no description: $line"
		ktap_not_ok "modinfo_parm_${p}_described"
	else
		ktap_diag "parm $line"
		ktap_ok "modinfo_parm_${p}_described"
	fi
done

# ---- /sys/module/pcpu_pagecache/parameters ---------------------------------

if mod_loaded "$PCP_MOD"; then
	ktap_diag "$PCP_MOD was loaded before the test; unloading it"
	unload_all || ktap_diag "could not unload: results below will say"
fi

if modprobe "$PCP_MOD" base="$PCP_RES_BASE" size="$PCP_RES_SIZE"; then
	ktap_ok load
	loaded=1
else
	ktap_not_ok load
	loaded=0
fi

for p in "${PARAMS[@]}"; do
	f=$PARAM_DIR/$p
	want=$((loaded_with[$p]))
	if [[ $loaded -eq 0 || ! -e $f ]]; then
		ktap_diag "no $f"
		for t in value mode_0444 write_fails unchanged_after_write; do
			ktap_not_ok "param_${p}_$t"
		done
		continue
	fi

	got=$(cat "$f")
	if [[ $got =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] && ((got == want)); then
		ktap_diag "$f: $got"
		ktap_ok "param_${p}_value"
	else
		ktap_diag "$f reads '$got', loaded with $p=${loaded_with[$p]}"
		ktap_not_ok "param_${p}_value"
	fi

	mode=$(stat -c %a "$f")
	[[ $mode == 444 ]] || ktap_diag "$f has mode $mode"
	[[ $mode == 444 ]]
	ktap_result "param_${p}_mode_0444" $?

	# Root passes the permission bits: the write must be refused anyway.
	if err=$( (echo $((want + 0x400000)) > "$f") 2>&1); then
		ktap_diag "writing $f as root succeeded"
		ktap_not_ok "param_${p}_write_fails"
	else
		ktap_diag "write refused: ${err##*: }"
		ktap_ok "param_${p}_write_fails"
	fi

	after=$(cat "$f")
	[[ $after == "$got" ]] || ktap_diag "$f reads '$after' after the write, was '$got'"
	[[ $after == "$got" ]]
	ktap_result "param_${p}_unchanged_after_write" $?
done

unload_all
ktap_result unload $?

ktap_finished
