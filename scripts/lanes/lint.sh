#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict, sparse, a W=1 build, kernel-doc and the
# rst check over every source of the project, and the kernel's coccinelle
# semantic patches over its kernel code.  Any finding fails.
#
# checkpatch.pl, kernel-doc and scripts/coccinelle come from the
# linux-source tarball at build time (they are not in the headers
# package); the Makefile passes KDIR, KSRC_TAR, BUILD and the extra module
# directories in MODDIRS.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KDIR:?}" "${KSRC_TAR:?}"
BUILD=${BUILD:-$top/build}
MODDIRS=${MODDIRS:-}
cd "$top"

kscripts=$BUILD/kscripts
if [[ ! -x $kscripts/scripts/checkpatch.pl || ! -d $kscripts/scripts/coccinelle ]]; then
	ktop=$(basename "$KSRC_TAR" .tar.xz)
	rm -rf "$kscripts" "$kscripts.tmp"
	mkdir -p "$kscripts.tmp"
	tar -I 'xz -T0' -xf "$KSRC_TAR" -C "$kscripts.tmp" --strip-components=1 \
		"$ktop/scripts/checkpatch.pl" "$ktop/scripts/spelling.txt" \
		"$ktop/scripts/const_structs.checkpatch" "$ktop/scripts/kernel-doc" \
		"$ktop/scripts/coccinelle"
	mv "$kscripts.tmp" "$kscripts"
fi
# spatch compiles the OCaml rules of two semantic patches with ocamlfind
# (coccinelle's) and the OCaml compiler (ocaml-nox's).
for p in sparse python3-docutils coccinelle ocaml-nox; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		echo "lint: installing $p" >&2
		apt-get install -y -qq --no-install-recommends "$p" </dev/null >&2 ||
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "$p" </dev/null >&2; }
	fi
done

fail=0
step() { printf '%-44s' "lint: $1"; }
ok() { echo "ok"; }
bad() { echo "FAILED"; sed 's/^/    /' "$1"; fail=1; }
out=$BUILD/lint.out
mkdir -p "$BUILD"

# Sources the project wrote: the module, test and benchmark modules, and
# the test program.  Generated *.mod.c files are not ours.
mapfile -t srcs < <(git ls-files '*.c' '*.h' | grep -v '\.mod\.c$')

# Trace headers are laid out the way every in-tree one is (TP_PROTO and
# friends open a parenthesis at the end of a line and indent by one tab);
# checkpatch has no notion of these macros, so only for the trace header,
# ignore those two layout checks.
trace_ignore=OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT
# A list of names written once and expanded where each use needs it (the
# stats, the trace header's EM()/EMe() reasons, as include/trace/events/
# migrate.h does) is a macro checkpatch takes for an unparenthesized
# expression; only in the two headers that hold such lists, and only that.
xmacro_ignore=COMPLEX_MACRO,MACRO_ARG_REUSE,TRAILING_SEMICOLON,CAMELCASE
step "checkpatch --strict"
: >"$out"
for f in "${srcs[@]}"; do
	args=(--strict --no-tree --quiet --no-summary --show-types -f)
	case $f in
	*_trace.h) args+=(--ignore "$trace_ignore,$xmacro_ignore") ;;
	*_stats.h) args+=(--ignore "$xmacro_ignore") ;;
	esac
	"$kscripts/scripts/checkpatch.pl" "${args[@]}" "$f" >>"$out" 2>&1 || true
done
if [[ -s $out ]]; then bad "$out"; else ok; fi

# One clean build of every module with W=1 and sparse on each file compiled
# (C=1), in a mirror of symlinks under build/lint: M= builds write next to
# the sources, and the tree's own build must not be disturbed.
step "W=1 build + sparse (C=1)"
: >"$out"
mirror=$BUILD/lint/src
rm -rf "$BUILD/lint"
mkdir -p "$mirror"
for f in $(git ls-files Kbuild '*.c' '*.h' '*/Kbuild' | grep -v '\.mod\.c$'); do
	mkdir -p "$mirror/$(dirname "$f")"
	ln -s "$top/$f" "$mirror/$f"
done
for d in $MODDIRS; do
	[[ -d $d ]] || continue
	rel=${d#"$top"/}
	mkdir -p "$mirror/$rel"
	for f in "$d"/Kbuild "$d"/*.[ch]; do
		[[ -e $f && ! -e $mirror/$rel/$(basename "$f") ]] || continue
		[[ $f == *.mod.c ]] && continue
		ln -s "$f" "$mirror/$rel/"
	done
done
for d in "$mirror" $MODDIRS; do
	[[ $d == "$mirror" ]] || d=$mirror/${d#"$top"/}
	[[ -f $d/Kbuild ]] || continue
	extra=()
	[[ $d != "$mirror" ]] && extra=(KBUILD_EXTRA_SYMBOLS="$mirror/Module.symvers")
	make -C "$KDIR" M="$d" W=1 C=1 "${extra[@]}" modules >"$out.log" 2>&1 ||
		{ cat "$out.log" >>"$out"; continue; }
	grep -E 'warning|error|: sparse' "$out.log" |
		grep -v 'Skipping BTF generation' >>"$out" || true
done
if [[ -s $out ]]; then bad "$out"; else ok; fi

# kernel-doc: the public header and the exported functions parse without
# warnings, and every exported symbol has a kernel-doc comment.
step "kernel-doc"
: >"$out"
# The module's files are those Kbuild links into pcpu_pagecache.ko.
mod_srcs=$(sed -n '/^pcpu_pagecache-y/,/[^\\]$/p' Kbuild | grep -o '[a-z_]*\.o' |
	   sed 's/\.o$/.c/')
# shellcheck disable=SC2086 # one word a file
"$kscripts/scripts/kernel-doc" -none pcpu_pagecache.h $mod_srcs ppc_internal.h \
	ppc_core.h >>"$out" 2>&1 || true
for f in $mod_srcs; do
	for sym in $(grep -o 'EXPORT_SYMBOL_GPL([a-z_]*)' "$f" |
		     sed 's/.*(\(.*\))/\1/'); do
		grep -q "^ \* $sym - " "$f" ||
			echo "$f: $sym exported without a kernel-doc comment" >>"$out"
	done
done
if [[ -s $out ]]; then bad "$out"; else ok; fi

step "Documentation rst"
: >"$out"
for f in Documentation/*.rst; do
	/usr/bin/python3 scripts/lanes/check-rst.py "$kscripts/scripts/kernel-doc" \
		"$f" >>"$out" 2>&1 || echo "$f: failed" >>"$out"
done
if grep -q ': failed$' "$out"; then bad "$out"; else ok; fi

# The sources DKMS and the package get are debian/'s install list: a file
# the module's build needs and the list misses breaks `make dkms` and the
# package's install (it did twice: ppc_core_*.c, ppc_heap.[ch]).  Every
# top-level source but the KUnit suites and the build's own must be on it.
step "package source list"
: >"$out"
for f in $(git ls-files -- '*.c' '*.h' Kbuild | grep -v / ); do
	case $f in *_kunit.c | *.mod.c) continue ;; esac
	awk -v f="$f" '$1 == f { found = 1 } END { exit !found }' \
		debian/pcpu-pagecache-dkms.install ||
		echo "$f: not in debian/pcpu-pagecache-dkms.install" >>"$out"
done
if [[ -s $out ]]; then bad "$out"; else ok; fi

# The kernel's semantic patches, as `make coccicheck MODE=report` runs them
# (scripts/coccicheck: each .cocci with its Options, one whose Requires the
# installed spatch does not meet skipped), over the kernel code: the
# top-level sources and those of the modules in MODDIRS.  spatch runs here
# directly, one .cocci at a time over a mirror of symlinks: coccicheck
# itself needs the whole source tree and stops at the first patch that
# fails.  A run costs about 2 s of CPU, mostly spatch starting: one on each
# CPU.  Any report, and any patch spatch cannot apply, fails.
step "coccicheck (MODE=report)"
cocci_dir=$BUILD/cocci
cmirror=$cocci_dir/src
rm -rf "$cocci_dir"
mkdir -p "$cmirror" "$cocci_dir/out"
dirs=(":(glob)*.[ch]")
for d in $MODDIRS; do
	dirs+=(":(glob)${d#"$top"/}/*.[ch]")
done
for f in $(git ls-files "${dirs[@]}" | grep -v '\.mod\.c$'); do
	mkdir -p "$cmirror/$(dirname "$f")"
	ln -s "$top/$f" "$cmirror/$f"
done
spver=$(spatch --version | awk 'NR == 1 { print $3 }')

# cocci_one PATCH RESULT: what applying PATCH reports, into RESULT.
cocci_one()
{
	local cocci=$1 res=$2 name=${1#"$kscripts"/} opt req

	opt=$(grep "Options:" "$cocci" | cut -d: -f2) || true
	req=$(grep "Requires:" "$cocci" | cut -d: -f2 | tr -d ' ') || true
	if [[ -n $req ]] && ! printf '%s\n' "$req" "$spver" | sort -CV; then
		echo "$name: needs spatch $req, not $spver" >"$res"
		return 0
	fi
	# shellcheck disable=SC2086 # the options are words
	spatch -D report --no-show-diff --very-quiet --cocci-file "$cocci" \
		$opt --dir "$cmirror" >"$res" 2>"$res.err" ||
		{ echo "$name: spatch failed"; cat "$res.err"; } >>"$res"
	return 0
}

t0=$SECONDS
ncpu=$(nproc)
i=0
while read -r cocci; do
	while (($(jobs -rp | wc -l) >= ncpu)); do
		wait -n
	done
	cocci_one "$cocci" "$cocci_dir/out/$(printf %03d $i)" &
	i=$((i + 1))
done < <(find "$kscripts/scripts/coccinelle" -name '*.cocci' | sort)
wait
cat "$cocci_dir"/out/[0-9][0-9][0-9] | sed "s|$cmirror/||" >"$out"
if [[ -s $out ]]; then bad "$out"; else echo "ok ($((SECONDS - t0)) s)"; fi

if ((fail)); then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: clean"
