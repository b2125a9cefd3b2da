#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a busybox initramfs with the built modules and the kselftest
# collection, boot it in QEMU, and report.
#
#   vm.sh check   run the kselftests; print each result and a final
#                 "N passed, N failed" line; non-zero on any failure, on a
#                 kernel splat in the console, or if the guest did not
#                 finish
#   vm.sh demo    run scripts/vm/guest/demo.sh and show its output
#   vm.sh stable  scripts/vm/guest/stable.sh: the suite's stress under
#                 CPU hotplug STABLE_RUNS times (default 4) of STABLE_SECS
#                 seconds (default 60) on one boot; one verdict a run,
#                 a kernel splat failing the run it shows up in
#                 (scripts/ktap/stable-summary.sh)
#   vm.sh loop    crash triage (issue 20): scripts/vm/guest/loop.sh, rounds
#                 of the stress actors under CPU hotplug until LOOP_SECS
#                 (KAPPEND_EXTRA="LOOP_MODE=... LOOP_SECS=..."); reported
#                 like check
#   vm.sh big     like check, but scripts/vm/guest/big.sh on a big guest:
#                 VM_SMP vCPUs (default 16), VM_MEM MiB (default 4096) and
#                 VM_MEMMAP reserved ranges (default 1 GiB at 1 GiB for the
#                 default pool, 256 MiB at 2 GiB for the test module), on
#                 two NUMA nodes: node 0 has the first VM_NUMA_SPLIT_MB
#                 MiB (default 1792, inside the default pool's range) and
#                 the first half of the CPUs, node 1 the rest
#
# The Makefile passes KVER, KDIR, KIMAGE, BUILD, KSFT_DIR and KOBJ: the
# kernel's own build tree (build/$KVER), with the .ko files, the test
# program in selftests/, and where this run's initramfs and logs go.
# Without KOBJ: the in-tree .ko files, $BUILD/selftests and $BUILD.  Also:
# VM_TIMEOUT (seconds, default 1200), QEMU (binary), VM_ACCEL (QEMU's
# -accel, default tcg,thread=multi), QEMU_EXTRA (more QEMU options),
# KAPPEND_EXTRA (more kernel parameters), GUEST_EXTRA (a script the guest
# runs after the kselftest collection, its output counted with the
# results), HOST_EXTRA (a program the host runs on the console log
# after the run, its KTAP output counted too).  Every kernel splat line is
# also written to splats-$mode.txt, as "LINE_NUMBER<TAB>TEXT", except the
# KCSAN reports of races in the kernel's own code: kcsan-kernel-$mode.txt.
#
# A console watchdog stops a guest that makes no progress long before
# VM_TIMEOUT: no new output on either serial port for VM_BOOT_STALL
# seconds (default 60) before init says it started, or VM_RUN_STALL
# seconds (default 240) after, and QEMU is killed with a "host: not ok
# guest made no progress for N s at boot|during tests" line.  A boot that
# hangs is booted once more (a "host: retried: boot hang ..." line; the
# hung boot's console is kept as console-$mode.hung.log).  The summary
# also names the guest's kernel release and the longest silences the
# watchdog saw, the figures its limits are set from.
set -euo pipefail

mode=${1:-}
case $mode in
check|demo|loop) ;;
stable)
	: "${STABLE_RUNS:=4}" "${STABLE_SECS:=60}"
	# Unknown to the kernel, name=value parameters go to init's
	# environment, and from there to stable.sh.
	KAPPEND_EXTRA="${KAPPEND_EXTRA:-} ppc_stable_runs=$STABLE_RUNS ppc_stable_secs=$STABLE_SECS"
	;;
big)
	: "${VM_SMP:=16}" "${VM_MEM:=4096}"
	: "${VM_MEMMAP:=memmap=1G\$0x40000000 memmap=256M\$0x80000000}"
	: "${VM_NUMA_SPLIT_MB:=1792}"
	;;
*)	echo "usage: $0 check|demo|stable|big|loop" >&2; exit 2 ;;
esac
# The default guest: 4 of 8 possible CPUs, 2 GiB, 128 MiB reserved.
VM_SMP=${VM_SMP:-4,maxcpus=8}
VM_MEM=${VM_MEM:-2048}
VM_MEMMAP=${VM_MEMMAP:-memmap=128M\$0x30000000}

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KVER:?}" "${KIMAGE:?}" "${KDIR:?}"
BUILD=${BUILD:-$top/build}
KSFT_DIR=${KSFT_DIR:-$BUILD/ksrc/tools/testing/selftests}
# A backstop only: the console watchdog below stops a guest that makes no
# progress.  1200 s, not 600: on 2026-12-08 a 6.1-rt guest still running
# tests (CPU hotplug under the blk fio test) at a host load of 20 was cut
# off at 600 s; 6.12's single TCG thread (see accel below) needs it anyway.
VM_TIMEOUT=${VM_TIMEOUT:-1200}
# The watchdog's limits, in seconds without a new byte on the console or
# the test output.  The longest silences of normal runs on this 2-core
# machine, shared and loaded (Documentation/testing.rst, "What the harness saw", 2026-12-07): at boot
# 12 s (4 vCPUs) to 24 s (16), all of it before the kernel's first line;
# during tests 17 s in make check, but 320 s in check-big, whose
# api_exhaustion waits on 16 vCPUs: load stretches a silence tenfold, so
# the limit during tests is far above the 4-vCPU figure (check-big sets
# its own, 1000 s), and still well under VM_TIMEOUT.
VM_BOOT_STALL=${VM_BOOT_STALL:-60}
VM_RUN_STALL=${VM_RUN_STALL:-240}
QEMU=${QEMU:-qemu-system-x86_64}
if [[ -n ${KOBJ:-} ]]; then
	kodir=$KOBJ ksft_out=$KOBJ/selftests out=$KOBJ
else
	kodir=$top ksft_out=$BUILD/selftests out=$BUILD
fi

root=$out/initramfs-$mode
initrd=$out/initramfs-$mode.cpio.gz
console=$out/console-$mode.log
ktap=$out/ktap-$mode.log
qemu_err=$out/qemu-$mode.err
summary=$out/summary-$mode.txt
qemu_pid=$out/qemu-$mode.pid
# What the watchdog saw (see watchdog).
wd_file=$out/watchdog-$mode.txt
# init's first line (scripts/vm/guest/init): the boot is over, and it
# names the release.
boot_marker='^init: [^ ]*, cpus online'

# Kernel messages that mean the kernel found a bug.  Lockdep, KASAN,
# UBSAN, DEBUG_PREEMPT and might_sleep reports start with "WARNING:" or
# "BUG:" and most carry a "Call Trace:".  A bare "WARNING:" is too wide:
# the stock kernel prints e.g. "RETBleed: WARNING: ..." at boot, so only the
# WARN() and lockdep shapes of it count.  The module never dumps a stack on
# purpose, so any "Call Trace:" is a failure.
# A KCSAN report is ours when a function of one of our modules is in the
# stack of either racing access, above the first frame of interrupt entry
# (an interrupt's stack goes on into the code it interrupted, which has
# nothing to do with the race), unless the report names one of the
# kernel's own races in known_re that our code only drives:
#   hrtimer_wakeup  6.1's hrtimer sleeper: the timer interrupt clears
#                   t->task while the sleeper (our actors' usleep_range())
#                   reads it plainly on the same CPU;
#   vprintk_emit    printk's own unknown-origin reports, under our
#                   pr_warn() callers.
# Nor is a race on a variable of the kernel image (an address in its
# mapping, 0xffffffff80000000 to 0xffffffff9fffffff, where no module's
# data lives) ours, whatever the stacks: our calls into the kernel reach
# its globals, e.g. hrtimer_forward_now() reading the timekeeper under its
# seqcount while the tick rewrites it, which 6.1's KCSAN reports once the
# interrupt watcher sees the tick interrupt the reader.
# The others are races in the kernel's own code, on stacks of no function
# of ours (the tick's nohz state, the scheduler's idle masks...): they
# cannot be marked without patching linux-source, so they go to
# kcsan-kernel-$mode.txt, are listed by check-debug.sh --flavour kcsan, and do not fail
# the run.  Only whole KCSAN frame lines count, so a line another CPU
# prints into a report cannot make it ours.
ours_re='\[((test_)?pcpu_pagecache[a-z_]*|tpp_[a-z_]+)\]\r?$'
known_re='BUG: KCSAN: .*(hrtimer_wakeup|vprintk_emit)'
splat_re='WARNING: CPU: [0-9]+ PID: [0-9]+|WARNING: (possible|suspicious|inconsistent|bad unlock|held lock|lock held|Nested lock)|BUG:|Oops: |general protection fault|Kernel panic|kernel BUG at|Call Trace:|lockdep is turned off|lockdep:.*bad path|possible recursive locking|circular locking|inconsistent lock state|scheduling while atomic|sleeping function called from invalid context|KASAN:|UBSAN:|kmemleak: [0-9]+ new suspected|using smp_processor_id\(\) in preemptible|refcount_t: |list_(add|del) corruption|soft lockup|hard LOCKUP|blocked for more than|detected stalls? on CPU|self-detected stall'

log() { echo "vm: $*" >&2; }

# shellcheck source=scripts/vm/blk-tools.sh
. "$top/scripts/vm/blk-tools.sh"

# copy_libs ELF: copy the shared libraries ELF needs to the same paths in
# the initramfs.
copy_libs()
{
	local lib

	# ldd fails on static binaries: nothing to copy then.
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		if [[ ! -e $root/$lib ]]; then
			install -D -m 0755 "$(readlink -f "$lib")" "$root/$lib"
		fi
	done
}

# copy_elf SRC DST: copy a program and its libraries into the initramfs.
copy_elf()
{
	install -D -m 0755 "$1" "$root/$2"
	copy_libs "$1"
}

# copy_perl: perl and the modules of kselftest/prefix.pl.  Without perl the
# runner prefixes test output with busybox sed, which holds it all until
# the test ends: no live results, and nothing of a test that hangs.
copy_perl()
{
	local f

	copy_elf "$(command -v perl)" /usr/bin/perl
	for f in $(perl -e 'use strict; use IO::Handle;
			print "$_\n" for values %INC, @DynaLoader::dl_shared_objects'); do
		install -D -m 0644 "$f" "$root/$f"
	done
}

build_initramfs()
{
	local a b f ko builtin_dir

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc}
	mkdir -p "$root"/lib/modules/"$KVER"/extra

	# busybox provides the shell and the small tools; kmod, bash and
	# coreutils' timeout replace its versions where they fall short
	# (modprobe -n, bash-only scripts, the runner's timeout --foreground).
	install -m 0755 "$(command -v busybox)" "$root/bin/busybox"
	for a in $(busybox --list); do
		case $a in
		busybox|insmod|rmmod|modprobe|lsmod|modinfo|depmod|bash|timeout) ;;
		*) ln -s busybox "$root/bin/$a" ;;
		esac
	done
	copy_elf "$(command -v bash)" /bin/bash
	copy_elf "$(command -v timeout)" /usr/bin/timeout
	copy_elf "$(command -v kmod)" /sbin/kmod
	for b in insmod rmmod modprobe lsmod modinfo depmod; do
		ln -s kmod "$root/sbin/$b"
	done
	ln -s ../../bin/busybox "$root/usr/bin/env"

	# The modules.
	for ko in "$kodir"/*.ko "$kodir"/selftests/modules/*.ko \
		  "$kodir"/examples/blk/*.ko; do
		if [[ -e $ko ]]; then
			install -m 0644 "$ko" "$root/lib/modules/$KVER/extra/"
		fi
	done
	if [[ ! -e $root/lib/modules/$KVER/extra/pcpu_pagecache.ko ]]; then
		log "pcpu_pagecache.ko not built"
		exit 1
	fi

	# The demo runs no kselftest and no block-device test: it gets
	# neither their tools nor perl, a smaller image to pack and to
	# unpack in the guest; the suite's shell library alone gives it the
	# names and sizes.
	if [[ $mode == demo ]]; then
		install -D -m 0644 -t "$root/kselftest/pcpu_pagecache" \
			"$top/selftests/pcpu_pagecache_lib.sh" "$top/selftests/ktap.sh"
	else
		copy_perl
		# The block-device tests' tools and ext4, which they mount;
		# vgem, the heap test's importer.
		blk_tools_pack "$root" "$KVER" ext4 vgem
		# The kselftest install tree: runner, collection, list of tests.
		mkdir -p "$root/kselftest/kselftest"
		install -m 0755 "$KSFT_DIR/run_kselftest.sh" "$root/kselftest/"
		install -m 0755 "$KSFT_DIR"/kselftest/{runner.sh,module.sh,prefix.pl} \
			"$root/kselftest/kselftest/"
		make -s --no-print-directory -C "$top/selftests" KSFT_DIR="$KSFT_DIR" \
			OUTPUT="$ksft_out" \
			INSTALL_PATH="$root/kselftest/pcpu_pagecache" install >/dev/null
		make -s --no-print-directory -C "$top/selftests" KSFT_DIR="$KSFT_DIR" \
			OUTPUT="$ksft_out" emit_tests \
			> "$root/kselftest/kselftest-list.txt"
		# Test programs are dynamically linked.
		while IFS= read -r -d '' f; do
			if [[ $(head -c 4 "$f") == $'\x7fELF' ]]; then
				copy_libs "$f"
			fi
		done < <(find "$root/kselftest" -type f -perm -u+x -print0)
	fi

	# depmod last, once ext4 and every module are in place; with what it
	# and modprobe want to know about the kernel's built-in ones.
	builtin_dir=/lib/modules/$KVER
	[[ -e $builtin_dir/modules.builtin ]] || builtin_dir=$KDIR
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [[ -e $builtin_dir/$f ]]; then
			cp "$builtin_dir/$f" "$root/lib/modules/$KVER/"
		fi
	done
	depmod -b "$root" "$KVER"

	install -m 0755 "$top/scripts/vm/guest/init" "$root/init"
	install -m 0755 "$top/scripts/vm/guest/$mode.sh" "$root/guest-main.sh"
	if [[ -n ${GUEST_EXTRA:-} ]]; then
		install -m 0755 "$GUEST_EXTRA" "$root/guest-extra.sh"
	fi
	# The kernel opens /dev/console for init before devtmpfs is mounted;
	# without root, init reopens it later instead.
	mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true

	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$initrd"
}

# 6.12 under multi-threaded TCG: a vCPU ran an int3 that text_poke_bp()
# had already replaced, at a jump label in ttwu_do_activate(), while CPU
# hotplug flipped static keys ("Oops: int3" in the fresh-clone CI run of
# 2026-12-07; kernel text, which no pool page can reach).  Code patched
# on one vCPU and run stale on another is the emulation's to get right:
# one TCG thread for all vCPUs runs the same kernel and tests without it.
# The earlier "stack guard page" crash (a faulting IRET into the kernel)
# is of the same kind as far as can be told; see Documentation/testing.rst, "Kernels".
#
# And single-threaded TCG, in turn: twice on 2026-12-08 a 6.12 guest took
# "double fault" in CPU hotplug's kmalloc(), at the instruction after
# SLUB's cmpxchg16b %gs:, with EFLAGS in the frame that are no flags at
# all (418ac242, 7daf4a42: the low half of RAX, | ZF).  QEMU 7.2 emulates
# that instruction without TCG_PARALLEL in helper_cmpxchg16b_unlocked(),
# which computes EFLAGS from the lazily kept condition codes; garbage
# there (NT set) makes the next IRET fault, inside the fault's delivery.
# QEMU 7.2's translator does not store cc_op before that call: in a block
# entered after an IRET or POPF the helper reads an operand of the ADD
# before it as the flags (qemu-x86_64 7.2 does it to a user program, with
# no kernel at all; 10.0 and hardware do not: testing.rst, "Kernels").
# 6.1's code tests setz's result, not ZF, so the bad flags never reach an
# interrupt frame there.  The guest's CPU model without CX16 makes the
# kernel take SLUB's and the per-CPU code's paths without the instruction;
# the module does not use it.
if [[ -z ${VM_ACCEL:-} && $KVER == 6.12.* ]]; then
	accel=tcg,thread=single
	cpu_model="-cpu qemu64,-cx16"
else
	accel=${VM_ACCEL:-tcg,thread=multi}
	cpu_model=
fi

run_qemu()
{
	# memmap= reserves [0x30000000, +128M): not System RAM, so the
	# module can claim it.  preempt=full: the stock kernels are
	# PREEMPT_DYNAMIC (the RT kernel is fully preemptible anyway and
	# passes the parameter, unknown to it, on to init's environment).
	# panic=-1 with -no-reboot ends the VM on a panic.  A WARN lets the
	# remaining tests run (the host fails the run on it), but after an
	# Oops the next tests only hang until the timeout: oops=panic ends
	# the VM at once.  -smp 4,maxcpus=8 makes possible CPUs differ from
	# present ones.
	local append="console=ttyS0 $VM_MEMMAP preempt=full"
	append+=" printk.devkmsg=on oops=panic panic=-1 ${KAPPEND_EXTRA:-}"
	local numa="" ncpu=${VM_SMP%%,*} split=${VM_NUMA_SPLIT_MB:-}
	local smp=$VM_SMP

	# Two NUMA nodes: each needs memory of its own, and -m the sum.  One
	# socket a node: CPUs that share a last-level cache on two nodes make
	# the kernel WARN at boot (topology_sane()).
	if [[ -n $split ]]; then
		[[ $smp == *,* ]] ||
			smp+=",sockets=2,cores=$((ncpu / 2)),threads=1"
		numa="-object memory-backend-ram,id=m0,size=${split}M"
		numa+=" -object memory-backend-ram,id=m1,size=$((VM_MEM - split))M"
		numa+=" -numa node,nodeid=0,cpus=0-$((ncpu / 2 - 1)),memdev=m0"
		numa+=" -numa node,nodeid=1,cpus=$((ncpu / 2))-$((ncpu - 1)),memdev=m1"
	fi

	# shellcheck disable=SC2086 # cpu_model, numa, QEMU_EXTRA: lists of options
	timeout -k 10 "$VM_TIMEOUT" "$QEMU" \
		-nodefaults -no-user-config -display none -no-reboot \
		-accel "$accel" -smp "$smp" -m "$VM_MEM" \
		-kernel "$KIMAGE" -initrd "$initrd" -append "$append" \
		-serial "file:$console" -serial "file:$ktap" -pidfile "$qemu_pid" \
		$cpu_model $numa ${QEMU_EXTRA:-} </dev/null >"$qemu_err" 2>&1
}

# watchdog PID: while PID (run_qemu) lives, look once a second at how much
# the guest wrote to its two serial ports.  Before init's first line the
# guest is booting, then running tests; the longest time without a new
# byte in each phase goes to $wd_file ("silence boot S run S"), and when
# one reaches its limit (VM_BOOT_STALL, VM_RUN_STALL) QEMU is killed and
# the file gets "hang boot|run SECONDS" too.  With VM_BOOT_ONLY, QEMU is
# killed as soon as the boot is over, with "booted SECONDS".  Output counts, not lines:
# a test that prints a dot a minute is alive.
watchdog()
{
	local pid=$1 phase=boot size last_size=-1 last=$SECONDS gap limit t0=$SECONDS
	local -A max=([boot]=0 [run]=0) where=([boot]=0 [run]=0)

	echo "silence boot 0 run 0 after-lines 0 0" >"$wd_file"
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		size=$(($(stat -c %s "$console") + $(stat -c %s "$ktap")))
		gap=$((SECONDS - last))
		if [[ $size != "$last_size" ]]; then
			last_size=$size last=$SECONDS gap=0
			if [[ $phase == boot ]] && grep -aqE "$boot_marker" "$console"; then
				phase=run
				# VM_BOOT_ONLY: the boot is all that is wanted.
				if [[ -n ${VM_BOOT_ONLY:-} ]]; then
					echo "booted $((SECONDS - t0))" >>"$wd_file"
					kill "$(cat "$qemu_pid" 2>/dev/null)" 2>/dev/null
					return 0
				fi
			fi
		fi
		if ((gap > max[$phase])); then
			max[$phase]=$gap
			where[$phase]=$(wc -l <"$console")
			echo "silence boot ${max[boot]} run ${max[run]}" \
				"after-lines ${where[boot]} ${where[run]}" >"$wd_file"
		fi
		limit=$VM_RUN_STALL
		[[ $phase == run ]] || limit=$VM_BOOT_STALL
		if ((gap >= limit)); then
			echo "hang $phase $gap" >>"$wd_file"
			kill "$(cat "$qemu_pid" 2>/dev/null)" 2>/dev/null
			return 0
		fi
	done
}

# watchdog_hang: "PHASE SECONDS" if the watchdog killed the guest.
watchdog_hang()
{
	awk '$1 == "hang" { print $2, $3 }' "$wd_file" 2>/dev/null || true
}

# run_guest: boot the guest and stream its test output (ttyS1) to stdout
# until QEMU is gone; a boot the watchdog stopped is booted once more.
# Sets qrc (QEMU's status) and retried (the first boot's hang, or empty).
run_guest()
{
	local qpid wpid hang attempt

	retried=
	for attempt in 1 2; do
		: >"$console"
		: >"$ktap"
		rm -f "$qemu_pid" "$wd_file"
		run_qemu & qpid=$!
		watchdog $qpid & wpid=$!
		tail -n +1 -f --pid=$qpid "$ktap"
		qrc=0
		wait $qpid || qrc=$?
		wait $wpid || true
		hang=$(watchdog_hang)
		# A hang at boot is the emulator's or the kernel's luck, not a
		# test's result: the guest has not run a line of the tests.
		if [[ $attempt -eq 1 && $hang == boot* ]]; then
			cp "$console" "$out/console-$mode.hung.log"
			retried="boot hang after ${hang#* } s, at console line $(wc -l <"$console")"
			retried+=" ($(tail -n 1 "$console" | tr -d '\r' | cut -c 1-100));"
			retried+=" its console in $out/console-$mode.hung.log"
			log "retrying: $retried"
			continue
		fi
		break
	done
}

# host_checks QEMU_STATUS: what the host sees itself, as "host: " lines.
host_checks()
{
	local qrc=$1 splats splat_file=$out/splats-$mode.txt hang rel silence b r bl rl

	rel=$(grep -aoE -m 1 "$boot_marker" "$console" | sed 's/^init: //; s/,.*//' || true)
	echo "host: kernel release ${rel:-unknown (init did not start)}"
	if [[ -n ${retried:-} ]]; then
		echo "host: retried: $retried"
	fi
	read -r _ _ b _ r _ bl rl < <(head -n 1 "$wd_file" 2>/dev/null ||
		echo "silence boot ? run ? after-lines ? ?")
	echo "host: longest console silence ${b:-?} s at boot (after console line" \
		"${bl:-?}), ${r:-?} s during tests (after line ${rl:-?}; watchdog at" \
		"$VM_BOOT_STALL s and $VM_RUN_STALL s)"
	hang=$(watchdog_hang)
	if [[ -n $hang ]]; then
		silence=${hang#* }
		if [[ $hang == boot* ]]; then
			echo "host: not ok guest made no progress for $silence s at boot" \
				"(console line $(wc -l <"$console"): $(tail -n 1 "$console" | tr -d '\r' | cut -c 1-100))"
		else
			echo "host: not ok guest made no progress for $silence s during tests" \
				"(last output: $(tail -n 1 "$ktap" | tr -d '\r' | cut -c 1-100))"
		fi
	elif [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
		echo "host: not ok guest timed out after ${VM_TIMEOUT}s"
	elif [[ $qrc -ne 0 ]]; then
		echo "host: not ok qemu exited with $qrc: $(head -c 300 "$qemu_err")"
	fi
	if ! grep -aq '^PCPU_PAGECACHE_END' "$ktap"; then
		echo "host: not ok guest did not reach the end (crash or timeout)"
	fi
	# Lines the guest copies from the test output are not kernel
	# messages, nor are command lines.  Fault injection dumps a stack on
	# purpose, and so do the reports of a failed allocation that an
	# injected fault causes: inside the windows pcpu_pagecache_fault.sh
	# marks, a vmalloc, page or percpu allocation failure report and its
	# stack are no splat.  The regex goes through the environment: awk -v
	# would eat its backslashes.
	: >"$out/kcsan-kernel-$mode.txt"
	RE=$splat_re OURS=$ours_re KNOWN=$known_re \
	KFILE=$out/kcsan-kernel-$mode.txt awk '
		function kcsan_end() {
			if (kours && !kimage && kline !~ ENVIRON["KNOWN"])
				print kc "\t" kline
			else
				print kc "\t" kline > ENVIRON["KFILE"]
			kc = 0
		}
		/^\[ktap\] / { next }
		/BUG: KCSAN: / { if (kc) kcsan_end(); kc = NR; kline = $0; kours = 0; kimage = 0; kin = 0; next }
		kc && /==================================================================/ { kcsan_end(); next }
		kc && / to 0xffffffff[89][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f] of / { kimage = 1 }
		kc && / on cpu [0-9]+:\r?$/ { kin = 1; next }
		kc && kin && /^(\[ *[0-9.]+\] )? [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?\r?$/ {
			if ($0 ~ /[ \]] (asm_[a-z_]+|sysvec_[a-z_]+|irq_exit[a-z_]*|handle_softirqs|__do_softirq|common_interrupt|exc_[a-z_]+)\+0x/)
				kin = 0
			else if ($0 ~ ENVIRON["OURS"])
				kours = 1
			next
		}
		/Kernel command line:|Command line:|^init: cmdline/ { next }
		/FAULT_INJECTION: forcing a failure/ { fi = NR; next }
		/pcpu_pagecache_fault: begin / { win = 1 }
		/pcpu_pagecache_fault: end / { win = 0 }
		win && /(vmalloc error|page allocation failure): |percpu: allocation failed/ { fi = NR; next }
		/Call Trace:/ && fi && NR - fi < 10 { next }
		$0 ~ ENVIRON["RE"] { print NR "\t" $0 }
		END { if (kc) { kours = 1; kcsan_end() } }' "$console" > "$splat_file"
	# head reads the file itself: a head that quits early on a pipe would
	# kill its writer with SIGPIPE, and this whole block with it (pipefail).
	splats=$(head -n 20 "$splat_file" | cut -f 2-)
	if [[ -n $splats ]]; then
		echo "host: not ok kernel splat in the console log:"
		while IFS= read -r l; do
			echo "host: | $l"
		done <<<"$splats"
	fi
	return 0
}

log "packing $initrd for $KVER"
build_initramfs
rm -f "$summary"

# VM_BOOT_ONLY=N: boot the guest N times, each only until init's first
# line (or the boot watchdog), and count the boots that got there: a way
# to catch a boot hang that shows once in many boots.  Each hung boot's
# console is kept as console-$mode.bootK.log.
if [[ -n ${VM_BOOT_ONLY:-} ]]; then
	for ((k = 1; k <= VM_BOOT_ONLY; k++)); do
		: >"$console"
		: >"$ktap"
		rm -f "$qemu_pid" "$wd_file"
		run_qemu & qpid=$!
		watchdog $qpid
		wait $qpid || true
		if b=$(awk '$1 == "booted" { print $2; f = 1 } END { exit !f }' "$wd_file"); then
			echo "ok $k boot in $b s"
		else
			cp "$console" "$out/console-$mode.boot$k.log"
			echo "not ok $k boot: $(watchdog_hang | sed 's/^boot //; s/$/ s without output/')," \
				"console line $(wc -l <"$console"): $(tail -n 1 "$console" | tr -d '\r' | cut -c 1-100)"
		fi
	done | tee "$out/boots-$mode.txt"
	nb=$(grep -c '^ok ' "$out/boots-$mode.txt" || true)
	nh=$(grep -c '^not ok ' "$out/boots-$mode.txt" || true)
	echo "$nb passed, $nh failed" | tee -a "$out/boots-$mode.txt"
	[[ $nh -eq 0 ]]
	exit
fi
log "booting $KIMAGE (timeout ${VM_TIMEOUT}s, watchdog ${VM_BOOT_STALL}s/${VM_RUN_STALL}s); console: $console"

if [[ $mode != demo ]]; then
	# Results show up as the guest prints them; the host's own checks
	# join the stream once QEMU is gone.
	{
		run_guest
		host_checks "$qrc"
		if [[ -n ${HOST_EXTRA:-} ]]; then
			"$HOST_EXTRA" "$console" || true
		fi
	} | if [[ $mode == stable ]]; then
		"$top/scripts/ktap/stable-summary.sh" "$STABLE_RUNS" "$console" \
			"$out/splats-$mode.txt"
	else
		"$top/scripts/ktap/ktap-summary.sh" --log "$console"
	fi | tee "$summary"
	# With pipefail and set -e a failed verdict has already exited.
	exit 0
fi

# demo: show the guest's output as it comes.
{
	run_guest
	host_checks "$qrc" >"$out/host-demo.txt"
} | tr -d '\r' | { grep -av '^PCPU_PAGECACHE_END' || true; }
grep -a '^host: retried' "$out/host-demo.txt" || true
problems=$(grep -a '^host: not ok' "$out/host-demo.txt" || true)
if [[ -n $problems ]]; then
	echo "$problems"
	echo "demo FAILED: kernel console log in $console"
	exit 1
fi
echo "demo done; kernel console log in $console"
