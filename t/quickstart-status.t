#!/bin/sh
# `./quickstart test` (and so .ci/run) exits 0 exactly when its last line
# says "0 failed". automake's `make check` exits 0 on a skipped result,
# which quickstart counts as a failure: the exit status must follow the
# count, not make's status. quickstart's own run_tests and check_in run
# here against a build folder whose `make check` prints what automake's
# TAP driver prints, so that no whole suite runs inside the suite.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
tap_tmpdir

src=$top_srcdir
QUICKSTART_FUNCTIONS_ONLY=1 . "$src/quickstart"
set +eu                 # quickstart's options, not this test's
top_srcdir=$src
SANITIZE=off

# suite DIR STATUS SUMMARY-LINES...: a folder whose `make check` prints
# the result lines and the summary, and exits STATUS.
suite() {
	_d=$1 _st=$2
	shift 2
	mkdir -p "$_d"
	printf '%s\n' "$@" >"$_d/out"
	printf 'check:\n\t@cat out\n\t@exit %s\n' "$_st" >"$_d/Makefile"
}

# quickstart_run DIR: run_tests in DIR -> $out (its output), $rc.
quickstart_run() {
	out=$( (cd "$1" && run_tests) 2>&1)
	rc=$?
}

suite "$TAP_TMP/green" 0 'PASS: t/a.t 1 - a' 'PASS: t/a.t 2 - b' \
    '# TOTAL: 2' '# PASS:  2' '# SKIP:  0' '# XFAIL: 0' '# FAIL:  0' '# XPASS: 0' '# ERROR: 0'
quickstart_run "$TAP_TMP/green"
is "$(printf '%s\n' "$out" | tail -n 1)" "2 passed, 0 failed" "all passed: the line"
is "$rc" 0 "all passed: exit status 0"

suite "$TAP_TMP/skip" 0 'PASS: t/a.t 1 - a' 'SKIP: t/a.t 2 # SKIP no apache2' \
    '# TOTAL: 2' '# PASS:  1' '# SKIP:  1' '# XFAIL: 0' '# FAIL:  0' '# XPASS: 0' '# ERROR: 0'
quickstart_run "$TAP_TMP/skip"
is "$(printf '%s\n' "$out" | tail -n 1)" "1 passed, 1 failed" "a skipped result: counted as failed"
printf '%s\n' "$out" | grep -q '^build: SKIP: t/a.t 2'
ok $? "a skipped result: named"
[ "$rc" -ne 0 ]
ok $? "a skipped result, make check exiting 0: the exit status is not 0 (got $rc)"

suite "$TAP_TMP/fail" 2 'FAIL: t/a.t 1 - a' \
    '# TOTAL: 1' '# PASS:  0' '# SKIP:  0' '# XFAIL: 0' '# FAIL:  1' '# XPASS: 0' '# ERROR: 0'
quickstart_run "$TAP_TMP/fail"
is "$(printf '%s\n' "$out" | tail -n 1)" "0 passed, 1 failed" "a failure: the line"
[ "$rc" -ne 0 ]
ok $? "a failure: the exit status is not 0"

suite "$TAP_TMP/broken" 2 'PASS: t/a.t 1 - a' \
    '# TOTAL: 1' '# PASS:  1' '# SKIP:  0' '# XFAIL: 0' '# FAIL:  0' '# XPASS: 0' '# ERROR: 0'
quickstart_run "$TAP_TMP/broken"
is "$(printf '%s\n' "$out" | tail -n 1)" "1 passed, 1 failed" \
    "make check failing with every result passed (a test that did not build): one failure"
[ "$rc" -ne 0 ]
ok $? "... and the exit status is not 0"

done_testing
