# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# KTAP for the shell selftests (6.1 has no ktap_helpers.sh).  A script
# lists its results in names=(...), calls ktap_plan once, reports each in
# that order with ok, not_ok, skip or result (or check), and ends with
# ktap_finished, which exits with kselftest's codes: 0 pass, 1 fail,
# 4 (skip) when nothing passed and nothing failed.  bail stops early and
# fails what is left; skip_all skips what is left, skip_program skips the
# program as a whole (one result).

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

__ktap_planned=0
__ktap_num=0
__ktap_pass=0
__ktap_fail=0
__ktap_skip=0

# ktap_plan [N]: N results, by default one for each of names=(...).
ktap_plan()
{
	__ktap_planned=${1:-${#names[@]}}
	echo "TAP version 13"
	echo "1..$__ktap_planned"
}

# ktap_diag TEXT...: every line of the text as a KTAP diagnostic.
ktap_diag()
{
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# ktap_diag_stream: the lines on stdin as diagnostics, as they come (a
# line that is one already stays as it is).
ktap_diag_stream()
{
	local line

	while IFS= read -r line; do
		[[ $line == "#"* ]] || line="# $line"
		echo "$line"
	done
}

ok()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_pass=$((__ktap_pass + 1))
	echo "ok $__ktap_num $1"
}

not_ok()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_fail=$((__ktap_fail + 1))
	echo "not ok $__ktap_num $1"
}

# skip NAME REASON
skip()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_skip=$((__ktap_skip + 1))
	echo "ok $__ktap_num $1 # SKIP ${2:-}"
}

# result NAME STATUS: ok when STATUS (a shell status) is 0.
result()
{
	if [[ $2 -eq 0 ]]; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# check NAME COMMAND...: ok when COMMAND succeeds.
check()
{
	local name=$1

	shift
	"$@"
	result "$name" $?
}

ktap_finished()
{
	echo "# Totals: pass:$__ktap_pass fail:$__ktap_fail skip:$__ktap_skip"
	# A test that stopped early reported fewer results than it planned.
	if [[ $__ktap_num -ne $__ktap_planned ]]; then
		echo "# planned $__ktap_planned tests but ran $__ktap_num"
		exit $KSFT_FAIL
	fi
	if [[ $__ktap_fail -gt 0 ]]; then
		exit $KSFT_FAIL
	fi
	if [[ $__ktap_pass -eq 0 && $__ktap_skip -gt 0 ]]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}

# __ktap_rest VERDICT [REASON]: report every result of names=(...) not
# reported yet with VERDICT (not_ok or skip).
__ktap_rest()
{
	local i

	for ((i = __ktap_num; i < ${#names[@]}; i++)); do
		"$1" "${names[i]}" "${2:-}"
	done
}

# bail REASON: fail every result not reported yet, run the script's
# ktap_cleanup if it defines one, and stop.
bail()
{
	ktap_diag "$1"
	__ktap_rest not_ok
	if declare -F ktap_cleanup >/dev/null; then
		ktap_cleanup
	fi
	ktap_finished
}

# skip_all REASON: skip every result not reported yet, and stop.
skip_all()
{
	__ktap_rest skip "$1"
	ktap_finished
}

# skip_program REASON: the whole program is skipped, as one result.
skip_program()
{
	echo "# $1"
	exit $KSFT_SKIP
}

# need_root: run as root, or skip the program.
need_root()
{
	[[ $(id -u) -eq 0 ]] || skip_program "must run as root"
}
