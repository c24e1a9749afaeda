#!/bin/sh
# SPEC §3, no user enumeration by timing: a login with an unknown e-mail
# address verifies the password against a dummy hash at the configured
# cost (lib/session.c), so that it costs the login worker as much as a
# wrong password for a real account. Without it an unknown address
# answers in a fraction of the time, which tells an attacker which
# addresses have accounts.
#
# Measured as the worker's CPU time (utime + stime, /proc/PID/stat), not
# wall time, so that whatever else the machine runs does not move it;
# one worker, a cost that dominates the request (Argon2id at 16 MiB), and
# a generous bound: unknown >= 0.5 x wrong password (without the dummy
# hash it is about 0.1). The answers must be identical too.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
RATE_LIMIT=off
STACK_WORKERS=1
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 16M
login_max_failures = 1000"
export RATE_LIMIT STACK_WORKERS
api_stack

# Rounds of N logins of each kind, until the wrong passwords have cost at
# least MIN_TICKS of CPU (at least 3 rounds, at most 30): enough clock
# ticks to compare, on a fast machine as on a slow one.
N=10
MIN_TICKS=40

api_user ulrike@example.com Password@123 || bail_out "cannot register"
printf '{"Email":"ulrike@example.com","Password":"Wrong@Password1","ClientId":"Client1"}' >"$TAP_TMP/wrong"
printf '{"Email":"nobody.%s@example.com","Password":"Wrong@Password1","ClientId":"Client1"}' \
    "$(stack_random_hex 4)" >"$TAP_TMP/unknown"

worker=$(pgrep -P "$(cat "$STACK_DIR/run/login.pid")")
[ "$(printf '%s\n' "$worker" | wc -l)" -eq 1 ] && [ -r "/proc/$worker/stat" ] ||
    bail_out "cannot find the one login worker (got: $worker)"

# CPU clock ticks the worker has used so far (fields 14 and 15; its name,
# field 2, has no blank).
cpu() {
	awk '{ print $14 + $15 }' "/proc/$worker/stat"
}

# series BODY-FILE: N logins on one connection; their answers ("STATUS BODY",
# one per line) are added to $TAP_TMP/answers.<file name>.
series() {
	_k=0
	: >"$TAP_TMP/series.K"
	while [ "$_k" -lt "$N" ]; do
		printf 'url = "%s/api/Auth/Login"\n' "$STACK_URL" >>"$TAP_TMP/series.K"
		_k=$((_k + 1))
	done
	stack_curl -K "$TAP_TMP/series.K" -H 'Content-Type: application/json' \
	    --data-binary "@$1" -w '\t%{http_code}\n' |
	    awk -F '\t' '{ print $2 " " $1 }' >>"$TAP_TMP/answers.${1##*/}"
}

# Warm up both paths (key cache, the dummy hash made at its first use).
N=2 series "$TAP_TMP/wrong"
N=2 series "$TAP_TMP/unknown"
: >"$TAP_TMP/answers.wrong"
: >"$TAP_TMP/answers.unknown"

wrong=0 unknown=0 r=0
while [ "$r" -lt 3 ] || { [ "$wrong" -lt "$MIN_TICKS" ] && [ "$r" -lt 30 ]; }; do
	c0=$(cpu)
	series "$TAP_TMP/wrong"
	c1=$(cpu)
	series "$TAP_TMP/unknown"
	c2=$(cpu)
	wrong=$((wrong + c1 - c0))
	unknown=$((unknown + c2 - c1))
	r=$((r + 1))
done
diag "login worker CPU for $((r * N)) logins each: wrong password $wrong ticks," \
    "unknown address $unknown ticks ($(getconf CLK_TCK) per second)"

is "$(sort -u "$TAP_TMP/answers.wrong")" '401 {"message":"Invalid credentials."}' \
    "a wrong password: 401 Invalid credentials. each time"
is "$(sort -u "$TAP_TMP/answers.unknown")" "$(sort -u "$TAP_TMP/answers.wrong")" \
    "an unknown address: the very same answer"
is "$(pgrep -P "$(cat "$STACK_DIR/run/login.pid")")" "$worker" "one worker served them all"
[ "$wrong" -ge "$MIN_TICKS" ]
ok $? "the wrong passwords cost a measurable CPU time ($wrong ticks, at least $MIN_TICKS)"
[ $((unknown * 2)) -ge "$wrong" ]
ok $? "an unknown address costs at least half as much CPU ($unknown vs $wrong ticks)"

done_testing
