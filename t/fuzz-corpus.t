#!/bin/sh
# fuzz-corpus.t: replay every fuzz harness (t/fuzz/fuzz-*.c, built with the
# standalone driver) over its committed seed corpus, t/fuzz/corpus/<target>/.
# One TAP line per target: the harness ran every seed with no failed
# property and no crash (under --enable-sanitizers, no ASan/UBSan report).
# Inputs that once found a bug live there too, so each replays as a
# regression test. `make fuzz-run` is the real fuzzing; this is its floor.

. "$top_srcdir/t/lib/tap.sh"
tap_tmpdir

for target in jwt reqjson cfg b64url bearer http authz form; do
	bin=$top_builddir/t/fuzz/fuzz-$target
	corpus=$top_srcdir/t/fuzz/corpus/$target
	log=$TAP_TMP/$target.log
	n=$(find "$corpus" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ ! -x "$bin" ]; then
		ok 1 "fuzz-$target: harness built"
		diag "$bin is missing: make check builds it"
		continue
	fi
	"$bin" "$corpus" >"$log" 2>&1
	rc=$?
	ran=$(sed -n 's/^.*: \([0-9][0-9]*\) inputs run$/\1/p' "$log")
	if [ "$rc" -eq 0 ] && [ "${ran:-0}" -eq "$n" ] && [ "$n" -gt 0 ]; then
		ok 0 "fuzz-$target replays its $n seed inputs"
	else
		ok 1 "fuzz-$target replays its $n seed inputs"
		diag "exit status $rc, ${ran:-no} inputs run; last lines of the log:"
		tail -n 20 "$log" | sed 's/^/#   /'
	fi
done
done_testing
