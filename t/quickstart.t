#!/bin/sh
# ./quickstart's own forms (SPEC §8): a second run changes nothing and
# restarts nothing; `./quickstart ctl` runs jwtauthctl against the stack;
# `./quickstart stop` stops every process it started, and again is a no-op;
# a port already taken (HTTPS_PORT, MARIADB_PORT) is named, with what to
# set, before anything starts.
#
# quickstart runs on its own folder (QUICKSTART_VAR) and free ports, with
# the programs under test (QUICKSTART_BUILDDIR): never the user's ./var.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

qs() { "$QS" "$@" >"$TAP_TMP/qs.out" 2>&1; }

# Every process of the stack: its pid files, and each multiwatch's workers.
pids() {
	for f in "$QUICKSTART_VAR"/mariadb/mariadbd.pid "$QUICKSTART_VAR"/run/*.pid; do
		p=$(cat "$f")
		echo "$(basename "$f" .pid)=$p $(pgrep -P "$p" | sort -n | tr '\n' ' ')"
	done
}
# The processes, of any name, whose stderr is a log of the stack.
holders() {
	for l in "$QUICKSTART_VAR"/log/*; do
		stack_orphans "$l"
	done
}

# ---- start, then again ---------------------------------------------------------
api_quickstart          # bails out unless ./quickstart exits 0
grep -q "^quickstart: jwtauth is up at https://127.0.0.1:$HTTPS_PORT\$" "$TAP_TMP/qs.out"
ok $? "./quickstart says where it is up"
api_login pranaya@example.com Password@123
ok $? "  the demo user logs in"
before=$(pids)
qs; ok $? "second ./quickstart: exit 0"
is "$(pids)" "$before" "  restarts nothing (same MariaDB, nginx, multiwatch and worker pids)"
grep -q 'demo user' "$TAP_TMP/qs.out"
is "$?" 1 "  and does not make the demo user again"
is "$(anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"; echo "$STATUS")" \
    200 "  a session of the first run refreshes"

# ---- ctl -------------------------------------------------------------------------
"$QS" ctl user list >"$TAP_TMP/out" 2>"$TAP_TMP/err"
ok $? "./quickstart ctl user list: exit 0"
grep -q "	pranaya@example.com	Pranaya	Rout	Admin,Editor,User\$" "$TAP_TMP/out"
ok $? "  lists the demo user with its roles"
"$QS" ctl keys list >"$TAP_TMP/out" 2>/dev/null
is "$(awk -F '\t' '{ for (i = 1; i <= NF; i++) if ($i == "active") n++ } END { print n + 0 }' \
    "$TAP_TMP/out")" 1 "./quickstart ctl keys list: one active key"
"$QS" ctl user frobnicate >/dev/null 2>&1
is "$?" 2 "./quickstart ctl with a bad command: jwtauthctl's usage status 2"

# ---- stop, then again ------------------------------------------------------------
[ -n "$(holders)" ]; ok $? "before stop: the stack's processes run"
qs stop; ok $? "./quickstart stop: exit 0"
is "$(holders | tr '\n' ' ')" "" "  no process of the stack is left"
[ -z "$(ss -Htln "sport = :$HTTPS_PORT")" ] && [ -z "$(ss -Htln "sport = :$MARIADB_PORT")" ]
ok $? "  both ports are free"
qs stop; ok $? "./quickstart stop again: exit 0"

# ---- a port taken by another program -----------------------------------------------
# A listener that is not ours, on a port passed as HTTPS_PORT, then as MARIADB_PORT.
P=$(stack_free_port)
socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" EXEC:/bin/true &
listener=$!
tap_at_exit "kill $listener 2>/dev/null"
i=0
until [ -n "$(ss -Htln "sport = :$P")" ] || [ "$i" -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
for var in HTTPS_PORT MARIADB_PORT; do
	d=$TAP_TMP/taken-$var
	t0=$(date +%s%N)
	env "$var=$P" QUICKSTART_VAR="$d" "$QS" >"$TAP_TMP/qs.out" 2>&1
	rc=$?
	diag "$var taken: quickstart gave up after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	is "$rc" 1 "$var=$P taken: ./quickstart fails"
	grep -q "port $P is already taken by socat (pid $listener): set $var to a free port, e.g. $var=[0-9]" \
	    "$TAP_TMP/qs.out"
	ok $? "  names the port, what holds it, and what to set" || sed 's/^/# /' "$TAP_TMP/qs.out"
	[ ! -e "$d/mariadb" ]; ok $? "  before starting anything (no MariaDB was set up)"
	"$QS" stop >/dev/null 2>&1
done

done_testing
