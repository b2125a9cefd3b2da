# SPDX-License-Identifier: GPL-2.0
#
# Small KTAP helpers for the shell selftests (6.1 has no ktap_helpers.sh).
# Source this file, call ktap_plan once, one ktap_ok/ktap_not_ok/ktap_skip
# per sub-test, and end with ktap_finished, which exits with kselftest's
# codes: 0 pass, 1 fail, 4 (skip) when nothing passed and nothing failed.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

__ktap_planned=0
__ktap_num=0
__ktap_pass=0
__ktap_fail=0
__ktap_skip=0

ktap_plan()
{
	__ktap_planned=$1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_diag()
{
	local line

	# Every line of a multi-line message must stay a KTAP diagnostic.
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

ktap_ok()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_pass=$((__ktap_pass + 1))
	echo "ok $__ktap_num $1"
}

ktap_not_ok()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_fail=$((__ktap_fail + 1))
	echo "not ok $__ktap_num $1"
}

# ktap_skip NAME REASON
ktap_skip()
{
	__ktap_num=$((__ktap_num + 1))
	__ktap_skip=$((__ktap_skip + 1))
	echo "ok $__ktap_num $1 # SKIP ${2:-}"
}

# ktap_result NAME COND: ok when COND (a shell status) is 0.
ktap_result()
{
	if [[ $2 -eq 0 ]]; then
		ktap_ok "$1"
	else
		ktap_not_ok "$1"
	fi
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

# Short names for a script that lists its results up front in names=(...)
# and reports them in that order.
ok()     { ktap_ok "$1"; }
not_ok() { ktap_not_ok "$1"; }
skip()   { ktap_skip "$1" "$2"; }
result() { ktap_result "$1" "$2"; }

# bail REASON: fail every result of names=(...) not reported yet, run the
# script's ktap_cleanup if it defines one, and stop.
bail()
{
	local i

	ktap_diag "$1"
	for ((i = __ktap_num; i < ${#names[@]}; i++)); do
		ktap_not_ok "${names[i]}"
	done
	if declare -F ktap_cleanup >/dev/null; then
		ktap_cleanup
	fi
	ktap_finished
}
