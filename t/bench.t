#!/bin/sh
# `make bench` works (issue 6): bench/run, briefly (2 s per run, 4
# connections, the floor, GetById, Protected, RefreshToken with RS256
# then ES256 keys (BENCH_ALG, issue 14) and TokenRefresh), starts its own
# stack,
# prints the table and the CPU split, writes the CSV files, exits 0 and
# leaves no stack behind. Nothing here looks at a speed: how fast is for
# `make bench` to say, never for make check.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
tap_tmpdir

out=$TAP_TMP/out
TMPDIR=$TAP_TMP BENCH_SECONDS=2 BENCH_CONNS=4 BENCH_ONLY="hello GetById Protected RefreshToken TokenRefresh" \
    BENCH_ALG="RS256 ES256" \
    BENCH_OUT=$out sh "$top_srcdir/bench/run" >"$TAP_TMP/stdout" 2>"$TAP_TMP/stderr"
rc=$?
is "$rc" 0 "bench/run exits 0"
[ "$rc" = 0 ] || sed 's/^/# /' "$TAP_TMP/stderr"

row() {     # row NAME: the table's line for NAME at 4 connections
	awk -v n="$1" '$1 == n && $2 == 4 && NF >= 7 { print; exit }' "$TAP_TMP/stdout"
}
for b in hello GetById Protected RefreshToken RefreshES256 TokenRefresh; do
	line=$(row "$b")
	[ -n "$line" ]
	ok $? "the table has a $b row"
	# req/s > 0 and no error: every request of the run got a 2xx.
	echo "$line" | awk '{ exit !($3 > 0 && $6 == 0) }'
	ok $? "$b: requests answered, no error ($line)"
done
grep -q '^GetById .*floor (hello) 4c' "$TAP_TMP/stdout"
ok $? "GetById is set against the floor"
grep -q '^Protected .*floor (hello) 4c' "$TAP_TMP/stdout"
ok $? "Protected is set against the floor"
grep -q '^RefreshToken .*RSA-2048 sign' "$TAP_TMP/stdout"
ok $? "RefreshToken is set against RSA-2048 signatures per second"
grep -q '^TokenRefresh .*RSA-2048 sign' "$TAP_TMP/stdout"
ok $? "TokenRefresh (/oauth2/token) too"
grep -q '^  TokenRefresh  *4c: [0-9.]* of the req/s of RefreshToken' "$TAP_TMP/stdout"
ok $? "TokenRefresh is set against RefreshToken of the same run"
grep -q '^RefreshES256 .*floor (hello) 4c' "$TAP_TMP/stdout"
ok $? "RefreshES256 is set against the floor"
grep -q 'ECDSA P-256 sign [0-9.]*/s on 1 core' "$TAP_TMP/stdout"
ok $? "the ECDSA P-256 and Ed25519 signing limits are reported"
grep -q '^CPU us/req .*programs .*nginx .*MariaDB .*wrk' "$TAP_TMP/stdout"
ok $? "the CPU split is printed"
grep -q '^jwtauth workers: largest RSS [0-9]* KiB' "$TAP_TMP/stdout"
ok $? "the workers' RSS is reported"

is "$(sed -n 1p "$out/results.csv" | cut -d, -f1-5)" "benchmark,connections,seconds,requests,rps" \
    "results.csv has its header"
is "$(grep -c '^[A-Za-z0-9]*,4,' "$out/results.csv")" 6 "results.csv: one row per benchmark"
is "$(cut -d, -f1,2 "$out/cpu.csv" | tr '\n' ' ')" \
    "benchmark,connections hello,4 GetById,4 Protected,4 RefreshToken,4 RefreshES256,4 TokenRefresh,4 " \
    "cpu.csv: one row per benchmark"
# Each part is a number, and the whole is not nothing.
awk -F, 'NR > 1 { for (i = 3; i <= 6; i++) if ($i !~ /^[0-9]+$/) exit 1; s += $3 } END { exit !(s > 0) }' \
    "$out/cpu.csv"
ok $? "cpu.csv: four numbers per row"
[ -s "$out/rss.csv" ]
ok $? "rss.csv written"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$out/bench.png" ]
	ok $? "bench.png drawn"
fi

# The stack went away with the run: no folder, no process.
is "$(ls -d "$TAP_TMP"/jwtauth-bench.* 2>/dev/null)" "" "the bench's stack folder is removed"
pgrep -f "$TAP_TMP/jwtauth-bench" >/dev/null
is "$?" 1 "no process of the bench's stack is left"

done_testing
