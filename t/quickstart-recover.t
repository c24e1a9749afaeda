#!/bin/sh
# ./quickstart brings a crashed stack back, every time (issue 15): MariaDB
# SIGKILLed and ./quickstart run at once, 20 times in a row (a SIGKILLed
# server is a zombie for up to ~2 s here, and kill -0 succeeds on a zombie:
# quickstart must not take it for running); then the same for nginx's
# master (whose workers live on, holding the port) and for the multiwatch
# of a program (whose workers live on, holding the socket). A session from
# before the first crash still refreshes after the last, and no orphan of
# a killed process is left behind.
#
# quickstart runs on its own folder (QUICKSTART_VAR) and free ports, with
# the programs under test (QUICKSTART_BUILDDIR): never the user's ./var.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

# 20 rounds for MariaDB (what the issue asks), 20 for nginx and 10 for each
# of two multiwatch: about 80 s here. The sanitized pass of ./quickstart
# test (ASAN_OPTIONS set) looks for memory errors in the programs, which
# the first rounds exercise as well as the last: it runs a quarter.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	: "${DB_KILLS:=5}" "${NGINX_KILLS:=5}" "${MW_KILLS:=3}"
fi
DB_KILLS=${DB_KILLS:-20}
NGINX_KILLS=${NGINX_KILLS:-20}
MW_KILLS=${MW_KILLS:-10}        # per program: login and refresh-token
api_quickstart
V=$QUICKSTART_VAR
api_login pranaya@example.com Password@123 || bail_out "cannot log in"
first=$REFRESH

# kill_and_repair N PIDFILE NAME: N times, SIGKILL the process PIDFILE
# names and run ./quickstart at once. $failed lists the rounds that failed,
# $killed every pid killed.
kill_and_repair() {
	failed= killed=
	k=1
	while [ "$k" -le "$1" ]; do
		p=$(cat "$2")
		kill -9 "$p"
		killed="$killed $p"
		if ! "$QS" >"$TAP_TMP/qs.out" 2>&1; then
			failed="$failed $k"
			sed 's/^/# /' "$TAP_TMP/qs.out" | tail -n 5
		fi
		k=$((k + 1))
	done
	stack_pidfile_alive "$2" "$3"
}

# refreshes: the session still rotates; REFRESH is the new token.
refreshes() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
	[ "$STATUS" = 200 ] || { diag "refresh: $STATUS $BODY"; return 1; }
	REFRESH=$(json .RefreshToken)
}

# Only the current nginx master and its children hold nginx's error log.
nginx_orphans() {
	m=$(cat "$V/run/nginx.pid")
	for p in $(stack_orphans "$V/log/nginx-error.log"); do
		[ "$p" = "$m" ] || [ "$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)" = "$m" ] ||
		    echo "$p"
	done
}

# ---- MariaDB ------------------------------------------------------------------------
t0=$(date +%s)
kill_and_repair "$DB_KILLS" "$V/mariadb/mariadbd.pid" mariadbd
ok $? "MariaDB SIGKILLed, then ./quickstart at once, $DB_KILLS times: MariaDB runs"
is "$failed" "" "  every ./quickstart succeeded"
diag "$DB_KILLS MariaDB rounds: $(( $(date +%s) - t0 )) s"
REFRESH=$first
refreshes; ok $? "  a session from before the first kill still refreshes"

# ---- nginx --------------------------------------------------------------------------
t0=$(date +%s)
kill_and_repair "$NGINX_KILLS" "$V/run/nginx.pid" nginx
ok $? "nginx's master SIGKILLed, then ./quickstart at once, $NGINX_KILLS times: nginx runs"
is "$failed" "" "  every ./quickstart succeeded"
diag "$NGINX_KILLS nginx rounds: $(( $(date +%s) - t0 )) s"
is "$(nginx_orphans | tr '\n' ' ')" "" "  no worker of a killed master is left"
refreshes; ok $? "  the session still refreshes"

# ---- multiwatch ---------------------------------------------------------------------
for prog in login refresh-token; do
	t0=$(date +%s)
	workers=$(pgrep -P "$(cat "$V/run/$prog.pid")" | tr '\n' ' ')
	kill_and_repair "$MW_KILLS" "$V/run/$prog.pid" multiwatch
	ok $? "$prog's multiwatch SIGKILLed, then ./quickstart at once, $MW_KILLS times: it runs"
	is "$failed" "" "  every ./quickstart succeeded"
	diag "$MW_KILLS $prog rounds: $(( $(date +%s) - t0 )) s"
	left=
	for p in $workers; do stack_alive "$p" && left="$left $p"; done
	is "$left" "" "  the workers of the first killed multiwatch are gone"
	mw=$(cat "$V/run/$prog.pid")
	stray=
	for p in $(stack_orphans "$V/log/$prog.log"); do
		[ "$p" = "$mw" ] || [ "$(awk '/^PPid:/ {print $2}' "/proc/$p/status")" = "$mw" ] ||
		    stray="$stray $p"
	done
	is "$stray" "" "  only the new multiwatch and its workers serve $prog"
done
refreshes; ok $? "the session still refreshes"
api_login pranaya@example.com Password@123
ok $? "and a new login works"

done_testing
