#!/bin/sh
# A crash under load loses nothing (issue 15). A mixed load (logins,
# refreshes, GetById, Add; t/lib/mixload.py) runs on a ./quickstart stack
# while MariaDB is SIGKILLed, answers come back during the outage, and
# ./quickstart restarts it; then nginx's master is SIGKILLed and
# ./quickstart brings it back. Every answer is 200/201 or 503 with SPEC's
# JSON body, none hangs (the client gives up after 20 s; the programs'
# database timeouts are 2 s here); the workers are the same processes
# before and after; afterwards every refresh token whose refresh answered
# 200 and that was not presented again still refreshes, no family has two
# live tokens, and every product whose Add answered 201 is there.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

PY=/usr/bin/python3
LOAD=$top_srcdir/t/lib/mixload.py
THREADS=${THREADS:-4}
# All the load comes from one address; cheap password hashes; short
# database timeouts, so that a hang would show.
RATE_LIMIT=off
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
db_connect_timeout = 2
db_read_timeout = 2
db_write_timeout = 2"
export RATE_LIMIT STACK_CONF_EXTRA
api_quickstart
V=$QUICKSTART_VAR
L=$TAP_TMP/load
mkdir -p "$L"
users=
i=1
while [ "$i" -le "$THREADS" ]; do
	api_user "load$i@example.com" "Load-pw-$i" || bail_out "cannot register"
	users="$users load$i@example.com:Load-pw-$i"
	i=$((i + 1))
done

# Each program's multiwatch and its workers.
workers() {
	for f in "$V"/run/*.pid; do
		case $f in */nginx.pid) continue ;; esac
		p=$(cat "$f")
		echo "$(basename "$f" .pid) $p $(pgrep -P "$p" | sort -n | tr '\n' ' ')"
	done
}
# count NAME: a counter of the load's progress file.
count() {
	jq -r ".$1" "$L/progress" 2>/dev/null || echo 0
}
# wait_for NAME N: until the counter NAME reaches N (at most 60 s).
wait_for() {
	_target=$(( $(count "$1") + $2 ))
	_i=0
	until [ "$(count "$1")" -ge "$_target" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 600 ] && { diag "waited in vain for $2 more $1 ($(cat "$L/progress"))"; return 1; }
		sleep 0.1
	done
}

before=$(workers)
"$PY" "$LOAD" load "$L" "$STACK_URL" "$STACK_CACERT" $users 2>"$TAP_TMP/load.err" &
load=$!
tap_at_exit "touch '$L/stop'; wait $load 2>/dev/null"

wait_for ok 100; ok $? "the load runs: 100 successful answers"

# ---- MariaDB: SIGKILL, answers during the outage, ./quickstart -------------------------
kill -9 "$(cat "$V/mariadb/mariadbd.pid")"
wait_for unavailable 40; ok $? "MariaDB SIGKILLed: 40 answers during the outage are 503"
"$QS" >"$TAP_TMP/qs.out" 2>&1
ok $? "./quickstart restarts MariaDB" || sed 's/^/# /' "$TAP_TMP/qs.out"
wait_for ok 100; ok $? "the load succeeds again: 100 more successful answers"

# ---- nginx: SIGKILL its master, ./quickstart -------------------------------------------
kill -9 "$(cat "$V/run/nginx.pid")"
"$QS" >"$TAP_TMP/qs.out" 2>&1
ok $? "nginx's master SIGKILLed under load: ./quickstart brings it back" ||
    sed 's/^/# /' "$TAP_TMP/qs.out"
wait_for ok 100; ok $? "the load succeeds again: 100 more successful answers"

touch "$L/stop"
wait "$load"
ok $? "the load ends cleanly" || sed 's/^/# /' "$TAP_TMP/load.err"
diag "answers: $(cat "$L/progress")"
is "$(head -n 5 "$L/bad")" "" "every answer was 200/201 or 503 with SPEC's JSON body, none hung"
is "$(workers)" "$before" "the workers were not restarted (same pids)"

# ---- nothing lost -----------------------------------------------------------------------
MIXLOAD_LOGIN=load1@example.com:Load-pw-1 "$PY" "$LOAD" check "$L" "$STACK_URL" "$STACK_CACERT" \
    >"$TAP_TMP/check" 2>&1 || sed 's/^/# /' "$TAP_TMP/check"
fams=$(sed -n 's/^families //p' "$TAP_TMP/check")
[ "${fams:-0}" -gt 0 ]; ok $? "$fams refresh tokens from a 200, not presented again: checked"
is "$(sed -n 's/^refresh_failed *//p' "$TAP_TMP/check")" "" "  every one still refreshes"
prods=$(sed -n 's/^products //p' "$TAP_TMP/check")
[ "${prods:-0}" -gt 0 ]; ok $? "$prods products whose Add answered 201: checked"
is "$(sed -n 's/^products_missing *//p' "$TAP_TMP/check")" "" "  every one is there"
is "$(stack_sql "SELECT COUNT(*) FROM (SELECT FamilyId FROM RefreshTokens WHERE IsRevoked = 0
    GROUP BY FamilyId HAVING COUNT(*) > 1) f")" 0 "no family has two live refresh tokens"

done_testing
