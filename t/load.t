#!/bin/sh
# Load and concurrency (issue 5): Login, RefreshToken and GetById under
# load together, then bursts of concurrent refreshes; nothing is lost.
#
# 1. For LOAD_SECONDS (15 here; `make load` runs 60), three wrk processes
#    at once: logins of a few accounts, refreshes (each token presented
#    exactly once: a pool minted beforehand, then the new tokens of the
#    answers, so families grow chains), and GetById with a valid token.
#    The refresh and login clients stop sending those a few seconds before
#    the end and then wait until none of theirs is in flight
#    (t/lib/wrk/common.lua, "Draining"); only then are they stopped, so
#    every rotation the server made was seen, however slow the machine.
#    Then: no 5xx and no socket error or timeout; every request answered
#    200; as many rows with ReplacedBy as 200 refreshes; as many new rows
#    as 200 logins and refreshes; every family has exactly one live token,
#    every replacement is in its family and replaces one token only; and
#    no worker died (same pids before and after).
# 2. 200 concurrent refreshes of one token (one curl, 200 connections):
#    exactly one 200, 199 x 401 "Refresh token has been revoked.", the
#    family gains exactly one token, and it stays live.
# 3. 200 distinct tokens refreshed concurrently: 200 x 200, each rotated.
#
# Counts and SQL are exact; no assertion depends on timing. Runs with
# RATE_LIMIT=off (everything comes from one address) and a cheap Argon2id
# cost (login is measured by `make bench`, not here).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

: "${LOAD_SECONDS:=15}"
case $LOAD_SECONDS in
'' | *[!0-9]*) bail_out "LOAD_SECONDS must be a number of seconds" ;;
esac
[ "$LOAD_SECONDS" -ge 5 ] || LOAD_SECONDS=5
# Seconds at the end without logins and refreshes (see above).
DRAIN=$((LOAD_SECONDS / 5))
[ "$DRAIN" -ge 3 ] || DRAIN=3

command -v wrk >/dev/null 2>&1 || bail_out "wrk is not installed (apt-get install wrk)"

RATE_LIMIT=off
STACK_WORKERS=4
# A copy of a rotated token presented within refresh_reuse_interval is a
# duplicate (401, family kept), later it is reuse (family revoked): the
# longest interval keeps the burst below on the duplicate side however
# slowly this machine serves it.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
refresh_reuse_interval = 60"
export RATE_LIMIT STACK_WORKERS
api_stack
WRK_LUA=$top_srcdir/t/lib/wrk

# mint_pool N EMAIL FILE: N refresh tokens of EMAIL on Client1, each the
# start of its own family, written straight into the database (as a login
# would write them: SHA-256 of 32 random bytes in base64url) and listed in
# FILE. Logins at this rate would take minutes.
mint_pool() {
	stack_sql "$(stack_mint_sql "$1" "$2")" >"$3" && [ "$(wc -l <"$3")" -eq "$1" ]
}

# The worker processes (children of each program's multiwatch).
workers() {
	for _pidf in "$TAP_TMP"/run/*.pid; do
		case $_pidf in */mariadbd.pid|*/nginx.pid) continue ;; esac
		ps -o pid= --ppid "$(cat "$_pidf")"
	done | tr -d ' ' | sort -n
}

# count FILE KIND STATUS: responses of that kind and status in a wrk log.
count() {
	awk -v k="$2" -v s="$3" '$1 == "count" && $2 == k && $3 == s { n = $4 } END { print n + 0 }' "$1"
}
# others FILE KIND: responses of that kind with any status but 200.
others() {
	awk -v k="$2" '$1 == "count" && $2 == k && $3 != 200 { n += $4 } END { print n + 0 }' "$1"
}
# wstat FILE NAME: a field of the stats line.
wstat() {
	sed -n "s/^stats .*[ ]$2=\\([0-9.]*\\).*/\\1/p" "$1"
}

# ---- set-up ------------------------------------------------------------------
: >"$TAP_TMP/users"
for i in 1 2 3 4; do
	api_user "load$i@example.com" "Password@$i$i$i" || bail_out "cannot register"
	echo "load$i@example.com Password@$i$i$i" >>"$TAP_TMP/users"
done
api_user reader@example.com Password@123 || bail_out "cannot register"
api_login reader@example.com Password@123 || bail_out "cannot log in"
( umask 077; printf '%s\n' "$TOKEN" >"$TAP_TMP/access" )
POOL=2000
mint_pool "$POOL" load1@example.com "$TAP_TMP/pool" || bail_out "cannot mint the token pool"
rows0=$(stack_sql "SELECT COUNT(*) FROM RefreshTokens")
fams0=$(stack_sql "SELECT COUNT(DISTINCT FamilyId) FROM RefreshTokens")
workers >"$TAP_TMP/workers.before"

# ---- 1. load -------------------------------------------------------------------
diag "load: ${LOAD_SECONDS}s of Login + RefreshToken + GetById (no logins or refreshes in the last ${DRAIN}s)"
# run_wrk NAME SECONDS ARGS...: wrk itself (exec: $! is its pid, for SIGINT).
run_wrk() {
	_name=$1 _secs=$2
	shift 2
	exec wrk -t1 --timeout 30s -d "${_secs}s" "$@" >"$TAP_TMP/wrk.$_name" 2>&1
}
# The writers run until they have drained (at most LONG s, far beyond
# any wait: a writer that never drains fails the counts below).
LONG=$((LOAD_SECONDS + 600))
WRK_USERS=$TAP_TMP/users WRK_DRAIN_AFTER=$((LOAD_SECONDS - DRAIN)) WRK_DRAINED=$TAP_TMP/drained.login \
    run_wrk login "$LONG" -c4 -s "$WRK_LUA/login.lua" "$STACK_URL" &
p1=$!
WRK_POOL=$TAP_TMP/pool WRK_DRAIN_AFTER=$((LOAD_SECONDS - DRAIN)) WRK_DRAINED=$TAP_TMP/drained.refresh \
    run_wrk refresh "$LONG" -c8 -s "$WRK_LUA/refresh.lua" "$STACK_URL" &
p2=$!
tap_at_exit 'kill -INT "$p1" "$p2" 2>/dev/null'
WRK_TOKEN_FILE=$TAP_TMP/access WRK_COUNT=1 \
    run_wrk getbyid "$LOAD_SECONDS" -c8 -s "$WRK_LUA/get.lua" "$STACK_URL/api/Products/GetById/1" &
p3=$!
# Only these: the stack's servers are this shell's children too.
wait "$p3"; rc3=$?
i=0
until [ -e "$TAP_TMP/drained.login.1" ] && [ -e "$TAP_TMP/drained.refresh.1" ]; do
	i=$((i + 1))
	[ "$i" -gt $((LONG * 10)) ] && break
	sleep 0.1
done
[ -e "$TAP_TMP/drained.login.1" ] && [ -e "$TAP_TMP/drained.refresh.1" ]
ok $? "the login and refresh clients drained (no write left in flight)"
# wrk reports on SIGINT as at the end of its duration.
kill -INT "$p1" "$p2"
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
is "$rc1 $rc2 $rc3" "0 0 0" "the three wrk runs ended normally"

L=$TAP_TMP/wrk.login R=$TAP_TMP/wrk.refresh G=$TAP_TMP/wrk.getbyid
logins=$(count "$L" login 200)
refreshes=$(count "$R" refresh 200)
gets=$(count "$G" get 200)
diag "$logins logins, $refreshes refreshes, $gets GetById answered 200 in ${LOAD_SECONDS}s" \
    "($(wstat "$L" rps) + $(wstat "$R" rps) + $(wstat "$G" rps) requests/s, drain GETs included)"
for f in "$L" "$R" "$G"; do
	grep -q '^stats ' "$f" || { diag "$(cat "$f")"; break; }
done
ok "$([ "$logins" -gt 0 ] && [ "$refreshes" -gt 0 ] && [ "$gets" -gt 0 ]; echo $?)" \
    "each kind of request succeeded at least once"
is "$(cat "$L" "$R" "$G" | awk '$1 == "count" && $3 ~ /^5/ { n += $4 } END { print n + 0 }')" 0 \
    "no 5xx"
is "$(for f in "$L" "$R" "$G"; do
	echo "$(wstat "$f" connect) $(wstat "$f" read) $(wstat "$f" write) $(wstat "$f" timeout)"
done | tr '\n' ' ')" "0 0 0 0 0 0 0 0 0 0 0 0 " "no socket error or timeout (connect read write timeout, per run)"
is "$(others "$L" login) $(others "$R" refresh) $(others "$G" get) \
$(others "$L" drain) $(others "$R" drain)" "0 0 0 0 0" \
    "every login, refresh, GetById and drain GET answered 200"
[ "$(others "$R" refresh)" = 0 ] || grep '^count' "$R" | sed 's/^/# /'

is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE ReplacedBy IS NOT NULL")" "$refreshes" \
    "no lost rotation: rows with ReplacedBy = 200 refreshes ($refreshes)"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens")" $((rows0 + logins + refreshes)) \
    "one new row per 200 login or refresh, no other"
is "$(stack_sql "SELECT COUNT(DISTINCT FamilyId) FROM RefreshTokens")" $((fams0 + logins)) \
    "one new family per login"
is "$(stack_sql "SELECT COUNT(*) FROM (SELECT FamilyId FROM RefreshTokens
    GROUP BY FamilyId HAVING SUM(IsRevoked = 0) <> 1) f")" 0 \
    "every family has exactly one live token"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens o LEFT JOIN RefreshTokens n ON n.Id = o.ReplacedBy
    WHERE o.ReplacedBy IS NOT NULL AND (n.Id IS NULL OR n.FamilyId <> o.FamilyId OR o.IsRevoked = 0)")" 0 \
    "every replaced token is revoked and replaced within its family"
is "$(stack_sql "SELECT COUNT(*) FROM (SELECT ReplacedBy FROM RefreshTokens
    WHERE ReplacedBy IS NOT NULL GROUP BY ReplacedBy HAVING COUNT(*) > 1) d")" 0 \
    "no token replaces two"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 1 AND ReplacedBy IS NULL")" 0 \
    "no token revoked without a replacement (no reuse detected, no half-done rotation)"
workers >"$TAP_TMP/workers.after"
is "$(tr '\n' ' ' <"$TAP_TMP/workers.after")" "$(tr '\n' ' ' <"$TAP_TMP/workers.before")" \
    "no worker died under load (same worker pids)"

# ---- 2 and 3. bursts -------------------------------------------------------------
# burst DIR TOKENFILE: one POST /api/Auth/RefreshToken per line of
# TOKENFILE, all at once (one curl, one connection each); DIR/statuses
# gets "STATUS i" lines, DIR/i.body the answers.
burst() {
	mkdir -p "$1" || return 1
	_i=0
	: >"$1/curl.conf"
	while read -r _t; do
		_i=$((_i + 1))
		printf '{"RefreshToken":"%s","ClientId":"Client1"}' "$_t" >"$1/$_i.req"
		[ "$_i" -gt 1 ] && echo next >>"$1/curl.conf"
		cat >>"$1/curl.conf" <<EOF
url = "$STACK_URL/api/Auth/RefreshToken"
cacert = "$STACK_CACERT"
noproxy = "*"
http1.1
silent
show-error
max-time = 60
header = "Content-Type: application/json"
data-binary = "@$1/$_i.req"
output = "$1/$_i.body"
write-out = "%{http_code} $_i\\n"
EOF
	done <"$2"
	curl -sS --no-progress-meter --parallel --parallel-immediate --parallel-max 200 -K "$1/curl.conf" \
	    >"$1/statuses" 2>"$1/errors"
}
statuses() {
	cut -d ' ' -f 1 "$1/statuses" | sort | uniq -c | awk '{ printf "%s x %s, ", $1, $2 }'
}

api_login load2@example.com Password@222 || bail_out "cannot log in"
one=$REFRESH
fam=$(stack_sql "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$one', 256)")
i=0
while [ "$i" -lt 200 ]; do
	echo "$one"
	i=$((i + 1))
done >"$TAP_TMP/one.tokens"
burst "$TAP_TMP/one" "$TAP_TMP/one.tokens"
is "$(statuses "$TAP_TMP/one")" "1 x 200, 199 x 401, " "200 concurrent refreshes of one token: exactly one 200"
[ -s "$TAP_TMP/one/errors" ] && diag "$(head -n 3 "$TAP_TMP/one/errors")"
bad=0
winner=
while read -r st i; do
	b=$TAP_TMP/one/$i.body
	case $st in
	200) winner=$(jq -r .RefreshToken <"$b") ;;
	401) [ "$(cat "$b")" = '{"message":"Refresh token has been revoked."}' ] || bad=$((bad + 1)) ;;
	esac
done <"$TAP_TMP/one/statuses"
is "$bad" 0 "... each 401 is \"Refresh token has been revoked.\""
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam'")" 2 \
    "... the family gained exactly one token"
is "$(stack_sql "SELECT o.ReplacedBy = n.Id FROM RefreshTokens o, RefreshTokens n
    WHERE o.TokenHash = SHA2('$one', 256) AND n.TokenHash = SHA2('${winner:-none}', 256)")" 1 \
    "... the winner's, which replaced the original"
is "$(stack_sql "SELECT SUM(IsRevoked = 0), SUM(IsRevoked = 0 AND TokenHash = SHA2('${winner:-none}', 256))
    FROM RefreshTokens WHERE FamilyId = '$fam'")" "1	1" \
    "... and it is the family's only live token: the losers were taken for duplicates, not reuse"

mint_pool 200 load3@example.com "$TAP_TMP/many.tokens" || bail_out "cannot mint 200 tokens"
burst "$TAP_TMP/many" "$TAP_TMP/many.tokens"
is "$(statuses "$TAP_TMP/many")" "200 x 200, " "200 distinct tokens refreshed concurrently: 200 x 200"
[ -s "$TAP_TMP/many/errors" ] && diag "$(head -n 3 "$TAP_TMP/many/errors")"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens o JOIN RefreshTokens n ON n.Id = o.ReplacedBy
    WHERE o.IsRevoked = 1 AND n.IsRevoked = 0 AND n.FamilyId = o.FamilyId AND o.UserId = n.UserId
    AND o.UserId = (SELECT Id FROM Users WHERE Email = 'load3@example.com')")" 200 \
    "... each of the 200 rotated once, into a live token of its family"
is "$(cat "$TAP_TMP"/many/*.body | jq -r .RefreshToken | sort -u | grep -c .)" 200 \
    "... and 200 distinct new refresh tokens were handed out"

done_testing
