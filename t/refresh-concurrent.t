#!/bin/sh
# Rotation is exactly-once (SPEC §3, lib/session.h): of N concurrent
# refreshes of one token exactly one succeeds, the others get 401 with a
# JSON body and no 5xx; the family gains exactly one token; the losers do
# not revoke the family, so the winner's new token keeps working. And N
# distinct tokens refreshed at once all succeed.
#
# RATE_LIMIT=off: nginx's limit_req would otherwise answer some of the
# burst itself (everything comes from one address).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
RATE_LIMIT=off
STACK_WORKERS=4
# A loser served after the winner's commit is a duplicate only within
# refresh_reuse_interval of it: the longest, 60 s, keeps the whole burst
# on the duplicate side however slowly this machine serves it.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
refresh_reuse_interval = 60"
export RATE_LIMIT STACK_WORKERS
api_stack

N=20

# fire DIR TOKEN...: one background curl per token, all started before any
# is waited for; DIR/i.status and DIR/i.body per request. Only these pids
# are waited for: the stack's servers are this shell's children too.
fire() {
	_dir=$1
	shift
	mkdir -p "$_dir"
	_i=0
	_pids=
	for _t in "$@"; do
		_i=$((_i + 1))
		printf '{"RefreshToken":"%s","ClientId":"Client1"}' "$_t" >"$_dir/$_i.req"
		stack_curl -X POST -H 'Content-Type: application/json' \
		    --data-binary "@$_dir/$_i.req" -o "$_dir/$_i.body" -w '%{http_code}' \
		    "$STACK_URL/api/Auth/RefreshToken" >"$_dir/$_i.status" 2>"$_dir/$_i.err" &
		_pids="$_pids $!"
	done
	for _p in $_pids; do
		wait "$_p"
	done
}
# count DIR PATTERN: how many statuses match.
statuses() {
	for _f in "$1"/*.status; do
		cat "$_f"
		echo
	done
}
count() {
	statuses "$1" | grep -c "^$2\$"
}

api_user dave@example.com Password@123 || bail_out "cannot register"
api_login dave@example.com Password@123 || bail_out "cannot log in"
tok=$REFRESH
fam=$(stack_sql "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$tok', 256)")

# ---- N at once, one token -------------------------------------------------
# (A refresh token is base64url: no character the shell would split on.)
fire "$TAP_TMP/one" $(yes "$tok" | head -n "$N")

is "$(count "$TAP_TMP/one" '[0-9][0-9][0-9]')" "$N" "all $N requests answered"
is "$(count "$TAP_TMP/one" 200)" 1 "exactly one 200"
is "$(count "$TAP_TMP/one" 401)" $((N - 1)) "the $((N - 1)) others 401"
is "$(count "$TAP_TMP/one" '5..')" 0 "no 5xx"
bad=0
winner=
for f in "$TAP_TMP"/one/*.status; do
	b=${f%.status}.body
	case $(cat "$f") in
	200)
		winner=$(jq -r .RefreshToken <"$b")
		jq -e '(.Token | type) == "string" and (.RefreshToken | type) == "string"' <"$b" >/dev/null || bad=1
		;;
	401)
		# A loser either lost the UPDATE or came after the commit:
		# both are "revoked", never anything else.
		[ "$(cat "$b")" = '{"message":"Refresh token has been revoked."}' ] ||
		    { bad=1; diag "loser: $(cat "$b")"; }
		;;
	*)
		bad=1
		;;
	esac
done
is "$bad" 0 "every answer has the expected JSON body (401: Refresh token has been revoked.)"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam'")" 2 \
    "the family holds the original and exactly one new token"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 0
    AND TokenHash = SHA2('$winner', 256)")" 1 "the new token is the winner's, and live"
is "$(stack_sql "SELECT o.ReplacedBy = n.Id FROM RefreshTokens o, RefreshTokens n
    WHERE o.TokenHash = SHA2('$tok', 256) AND n.TokenHash = SHA2('$winner', 256)")" 1 \
    "the original is replaced by the winner's token"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$winner\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "the winner's new token still refreshes: the losers did not revoke the family"
[ "$STATUS" = 200 ] || diag "$BODY"

# ---- N at once, one token, every rotation held at its INSERT ---------------
# Above, whether two rotations overlap is left to the scheduler. Here they
# must: a transaction of the test's holds the user's row, so each worker's
# INSERT of the new token waits on its foreign-key check, after its lookup
# found the token live. Released together, only the guard of the UPDATE
# (IsRevoked = 0) leaves one winner (make mutants: rotation-guard).
api_login dave@example.com Password@123 || bail_out "cannot log in"
held=$REFRESH
hfam=$(stack_sql "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$held', 256)")
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'dave@example.com'")
stack_sql "START TRANSACTION; SELECT Id FROM Users WHERE Id = $uid FOR UPDATE;
    DO SLEEP(30); COMMIT" >/dev/null &
holder=$!
# sql_at_least N SQL: SQL's one number is N or more.
sql_at_least() {
	[ "$(stack_sql "$2")" -ge "$1" ] 2>/dev/null
}
eventually sql_at_least 1 "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_rows_locked > 0"
fire "$TAP_TMP/held" $(yes "$held" | head -n "$N") &
firing=$!
# Every worker waits at its INSERT (STACK_WORKERS): then let them all go.
eventually sql_at_least "$STACK_WORKERS" "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS"
ok $? "all $STACK_WORKERS workers found the token live and wait at their INSERT"
stack_sql "KILL QUERY $(stack_sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(30)%'")"
wait "$firing"
wait "$holder"
is "$(count "$TAP_TMP/held" 200):$(count "$TAP_TMP/held" 401):$(count "$TAP_TMP/held" '5..')" \
    "1:$((N - 1)):0" "rotations held together at their INSERT: exactly one 200, the others 401"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$hfam'")" 2 \
    "  the family holds the original and exactly one new token"

# ---- N at once, N tokens ----------------------------------------------------
set --
i=0
while [ "$i" -lt "$N" ]; do
	api_login dave@example.com Password@123 || bail_out "cannot log in"
	set -- "$@" "$REFRESH"
	i=$((i + 1))
done
fire "$TAP_TMP/many" "$@"
is "$(count "$TAP_TMP/many" 200)" "$N" "$N distinct tokens refreshed at once: $N x 200"
bad=0
for b in "$TAP_TMP"/many/*.body; do
	jq -e '(.Token | type) == "string" and (.RefreshToken | type) == "string"' <"$b" >/dev/null || bad=1
done
is "$bad" 0 "... each with new tokens"
is "$(for t in "$@"; do
	stack_sql "SELECT ReplacedBy IS NOT NULL AND IsRevoked = 1 FROM RefreshTokens WHERE TokenHash = SHA2('$t', 256)"
done | sort | uniq -c | tr -s ' ' | sed 's/^ //')" "$N 1" "... and each old token rotated in the database"

done_testing
