#!/bin/sh
# A refresh interrupted by the death of its worker (SPEC §2: "never a
# half-done write"; §3: the presented token is revoked and replaced
# atomically). The refresh-token program here is t/fault/refresh-token-fault,
# built from the same sources with the test-only fault points compiled in
# (lib/fault.h); it SIGKILLs itself at the named point of the rotation:
#
#   rotate-after-insert   new token inserted, old not yet revoked
#   rotate-after-update   old revoked and linked to the new, before COMMIT
#   rotate-after-commit   committed, before the client has the answer
#
# The client sees nginx's 502 (the FastCGI connection broke) with the JSON
# body of a 503. Before
# COMMIT, the transaction must roll back whole: the old token is still the
# one live token of its family, and refreshing with it works afterwards.
# After COMMIT, the new token is the live one; the client, which never saw
# it, gets 401 "revoked" when it retries with the old one, but the retry
# is taken for a duplicate (session.h), so the family survives: the user
# holds one live token at every moment, never none and never two.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

FAULT_BIN=$top_builddir/t/fault/refresh-token-fault
[ -x "$FAULT_BIN" ] || bail_out "$FAULT_BIN is not built (make check builds it)"

# The retry after a commit is a duplicate only within
# refresh_reuse_interval: its longest, 60 s, covers a slow restart of the
# worker on a loaded machine.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
refresh_reuse_interval = 60"
# The stack without refresh-token: this test starts its own below, on the
# socket nginx expects, with the fault environment.
STACK_PROGRAMS="login users products jwks"
api_stack
unset STACK_PROGRAMS

UNAVAILABLE='{"message":"Service temporarily unavailable."}'
ARM=$TAP_TMP/fault.arm
SOCK=$STACK_DIR/run/refresh-token.sock
PIDF=$STACK_DIR/run/refresh-token.pid
LOG=$STACK_DIR/log/refresh-token.log

# fault_start POINT: refresh-token-fault under spawn-fcgi and multiwatch
# (two workers, as stack.sh starts every program), dying at POINT once.
# The pid file in run/ lets stack_stop end it with the rest.
fault_start() {
	rm -f "$SOCK"
	JWTAUTH_FAULT=$1 JWTAUTH_FAULT_ONCE=$ARM "$SPAWN_FCGI" -n -s "$SOCK" -M 0600 -- \
	    "$MULTIWATCH" -f 2 -- "$FAULT_BIN" >>"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDF"
	_i=0
	until [ -S "$SOCK" ] && [ "$(pgrep -P "$(cat "$PIDF")" | wc -l)" -eq 2 ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 100 ] && bail_out "refresh-token-fault did not start"
		sleep 0.05
	done
}

fault_stop() {
	_pid=$(cat "$PIDF")
	kill "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 50 ]; do
		_i=$((_i + 1)); sleep 0.1
	done
	kill -9 "$_pid" 2>/dev/null
	rm -f "$PIDF"
}

workers() {
	pgrep -P "$(cat "$PIDF")" | sort -n | tr '\n' ' '
}

# Wait until multiwatch has replaced a dead worker: two workers again,
# not the same set as $1.
replaced() {
	_i=0
	while :; do
		_now=$(workers)
		[ "$(printf '%s' "$_now" | wc -w)" -eq 2 ] && [ "$_now" != "$1" ] && return 0
		_i=$((_i + 1))
		[ "$_i" -gt 100 ] && return 1
		sleep 0.05
	done
}

# nginx's answer when the worker dies mid-request: its JSON page for a
# broken upstream (nginx/jwtauth.conf: error_page 502 503 504 keeps the
# upstream's status, 502, unless written "=503").
gateway_error() {
	case $STATUS in 502|503) _st=5xx ;; *) _st=$STATUS ;; esac
	is "$_st $BODY" "5xx $UNAVAILABLE" "$1: the client gets nginx's 502/503 \"Service temporarily unavailable.\" (got $STATUS)"
}

refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"Client1\"}"
}

# The family's rows, oldest first: "live|revoked-and-linked|revoked" per row.
family_state() {
	stack_sql "SELECT GROUP_CONCAT(CASE WHEN IsRevoked = 0 THEN 'live'
	    WHEN ReplacedBy IS NOT NULL THEN 'rotated' ELSE 'revoked' END ORDER BY Id SEPARATOR ' ')
	    FROM RefreshTokens WHERE FamilyId =
	    (SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256))"
}
token_state() {
	stack_sql "SELECT CASE WHEN IsRevoked = 0 THEN 'live'
	    WHEN ReplacedBy IS NOT NULL THEN 'rotated' ELSE 'revoked' END
	    FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}

api_user alice@example.com Password@123 || bail_out "cannot register"

# The shipped program has no fault point unless configure was asked for them.
if grep -q '^#define JWTAUTH_FAULT_INJECTION' "$top_builddir/config.h" 2>/dev/null; then
	diag "this build has --enable-fault-injection: every program has fault points"
else
	nm "$top_builddir/cgi-bin/refresh-token" | grep -q ' fault_point$'
	is "$?" 1 "cgi-bin/refresh-token holds no fault point"
fi
nm "$FAULT_BIN" | grep -q ' fault_point$'
ok $? "refresh-token-fault holds the fault points"

# ---- before COMMIT: the old token survives --------------------------------
for point in rotate-after-insert rotate-after-update; do
	fault_start "$point"
	api_login alice@example.com Password@123 || bail_out "cannot log in"
	r0=$REFRESH
	: >"$ARM"
	before=$(workers)
	refresh "$r0"
	gateway_error "$point"
	grep -q "fault point $point: SIGKILL" "$LOG"
	ok $? "$point: the worker died at the fault point"
	[ ! -e "$ARM" ]
	ok $? "$point: the fault fired once (its arming file is gone)"
	replaced "$before"
	ok $? "$point: multiwatch replaced the dead worker"
	is "$(family_state "$r0")" live "$point: SQL: the old token is still the only one, live"
	is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens rt JOIN Users u ON u.Id = rt.UserId
	    WHERE u.Email = 'alice@example.com' AND rt.IsRevoked = 0 AND rt.TokenHash = SHA2('$r0', 256)")" 1 \
	    "$point: SQL: alice holds the old token, live"
	refresh "$r0"
	is "$STATUS" 200 "$point: refreshing with the old token works afterwards"
	r1=$(json .RefreshToken)
	is "$(family_state "$r0")" "rotated live" "$point: SQL: old rotated, new live"
	is "$(token_state "$r1")" live "$point: SQL: the new token is the live one"
	refresh "$r1"
	is "$STATUS" 200 "$point: and the new token refreshes too"
	fault_stop
done

# ---- after COMMIT: the new token is the live one -------------------------
point=rotate-after-commit
fault_start "$point"
api_login alice@example.com Password@123 || bail_out "cannot log in"
r0=$REFRESH
: >"$ARM"
before=$(workers)
refresh "$r0"
gateway_error "$point"
grep -q "fault point $point: SIGKILL" "$LOG"
ok $? "$point: the worker died at the fault point"
replaced "$before"
ok $? "$point: multiwatch replaced the dead worker"
is "$(family_state "$r0")" "rotated live" "$point: SQL: old rotated, one new token live"
# The client retries at once with the only token it has.
refresh "$r0"
is "$STATUS $BODY" '401 {"message":"Refresh token has been revoked."}' \
    "$point: a retry with the old token: 401 revoked"
is "$(family_state "$r0")" "rotated live" "$point: SQL: the retry is no reuse: the new token stays live"
fault_stop

done_testing
