# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the pcpu_pagecache shell selftests.  Sourced after
# ktap.sh.
# shellcheck disable=SC2034 # the variables are for the scripts that source this

PCP_MOD=pcpu_pagecache
PCP_TEST_MOD=test_pcpu_pagecache
PCP_CLAIM_MOD=pcpu_pagecache_claim
PCP_DEBUGFS=/sys/kernel/debug/pcpu_pagecache
PCP_STATS=$PCP_DEBUGFS/default/stats
PCP_WORKLOAD=/sys/kernel/debug/test_pcpu_pagecache/workload
PCP_SNAPSHOT=/sys/kernel/debug/test_pcpu_pagecache/snapshot

# The reserved range the guest boots with (memmap=128M$0x30000000): the
# first half is for the module's default pool.
PCP_RES_BASE=0x30000000
PCP_RES_SIZE=0x4000000
PCP_RES_IOMEM=30000000-33ffffff
PCP_RES_PAGES=16384

mod_loaded()
{
	grep -q "^$1 " /proc/modules
}

# mod_available NAME: modprobe can find NAME (depmod knows it).
mod_available()
{
	modprobe -n -q "$1" 2>/dev/null
}

# stat_get NAME: print one value of the default pool's stats.
stat_get()
{
	awk -v n="$1" '$1 == n { print $2; found = 1 } END { exit !found }' \
		"$PCP_STATS"
}

# stats_invariant: pages_total == free + cached + inuse + leaked, read
# from one read.  The pool's stats file is exact only on a quiet pool; the
# test module's snapshot stops every CPU for the read, so it is exact under
# load too: it is used when the test module is loaded.
stats_invariant()
{
	local f=$PCP_STATS

	[[ -r $PCP_SNAPSHOT ]] && f=$PCP_SNAPSHOT
	awk '
		{ v[$1] = $2 }
		END {
			n = split("pages_total pages_free pages_cached pages_inuse pages_leaked", k, " ")
			for (i = 1; i <= n; i++)
				if (!(k[i] in v)) { print "missing " k[i]; exit 1 }
			sum = v["pages_free"] + v["pages_cached"] + v["pages_inuse"] + v["pages_leaked"]
			if (v["pages_total"] != sum) {
				printf "pages_total %s != free %s + cached %s + inuse %s + leaked %s\n",
					v["pages_total"], v["pages_free"], v["pages_cached"],
					v["pages_inuse"], v["pages_leaked"]
				exit 1
			}
		}' "$f"
}

# iomem_has_pool [RANGE]: /proc/iomem has a pcpu_pagecache entry (at RANGE).
# The name must not continue with '_', so pcpu_pagecache_claim's entry
# does not count.
iomem_has_pool()
{
	local range=${1:-[0-9a-f]+-[0-9a-f]+}

	grep -Eq "^[[:space:]]*${range} : ${PCP_MOD}([^_[:alnum:]]|\$)" /proc/iomem
}

# unload_all: remove the test modules and the module itself, users first.
unload_all()
{
	local m

	for m in "$PCP_TEST_MOD" "$PCP_CLAIM_MOD" "$PCP_MOD"; do
		if mod_loaded "$m"; then
			rmmod "$m" || return 1
		fi
	done
}

# kmsg_mark TEXT: write TEXT into the kernel log, so that what a command
# makes the kernel log can later be told from what came before.
kmsg_mark()
{
	echo "$1" > /dev/kmsg
}

# kmsg_since TEXT: print the kernel log lines after the mark TEXT.
kmsg_since()
{
	dmesg | awk -v m="$1" 'seen { print } index($0, m) { seen = 1 }'
}
