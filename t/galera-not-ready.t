#!/bin/sh
# SPEC §11: a Galera node cut off from the cluster while its server keeps
# running (gmcast.isolate=1: non-Primary, and every query that touches a
# table answers 1047 "WSREP has not yet prepared node for application
# use"), on a real three-node cluster (t/lib/galera.sh):
# - site 1 lists node 3 then node 1 in db_host: its workers, connected to
#   node 3 before the cut, get 1047, move to node 1 (lib/db.c, db_fail)
#   and answer Login, RefreshToken and GetById with 200, without a
#   restart; the programs log "node not ready, trying the next host";
# - site 1's workers started during the cut pass node 3 over at connect
#   (wsrep_ready OFF, lib/db.c db_connect_host) and serve through node 1;
# - site 2, whose only database is node 3, answers 503 with the JSON body
#   at once: no hang, no other 5xx, no worker crash;
# - node 3 rejoins (gmcast.isolate=0) and is Synced again: it reads the
#   refresh made through site 1 during the cut as the cluster wrote it
#   (the old token revoked, its successor live), and site 2 serves again:
#   that successor refreshes through node 3.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
. "$top_srcdir/t/lib/galera.sh"

galera_test_cluster
GALERA_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
db_connect_timeout = 2
db_read_timeout = 15
db_write_timeout = 15"
RATE_LIMIT=off
# One worker per program: the warm-up below then surely reaches each one.
STACK_WORKERS=1
STACK_PROGRAMS="login refresh-token users products jwks"
export RATE_LIMIT STACK_WORKERS STACK_PROGRAMS
galera_site "$TAP_TMP/site1" "127.0.0.1:$GALERA_PORT3, 127.0.0.1:$GALERA_PORT1" ||
    bail_out "site 1 did not start"
galera_site "$TAP_TMP/site2" "127.0.0.1:$GALERA_PORT3" || bail_out "site 2 did not start"

UNAVAILABLE='{"message":"Service temporarily unavailable."}'
NOT_READY='node not ready, trying the next host'
PROGRAMS="login refresh-token products"

# ---- before the cut: both sites work through node 3 ----------------------------
galera_on "$TAP_TMP/site1"
anon api POST /api/Users/Register \
    '{"Firstname":"Not","Lastname":"Ready","Email":"nr@example.com","Password":"Password@123"}'
[ "$STATUS" = 201 ] || bail_out "register on site 1: $STATUS $BODY"
# Every worker of site 1 connected to node 3 (its first host) and
# prepared its statements there, as a running site's have: each program
# serves a few requests. (What this test checks is 1047, which the cut-off
# node answers when a statement prepared before the cut runs. A read with
# wsrep_sync_wait first prepared after the cut fails at its prepare with
# 1205 instead, "Synchronous wait failed": site 2 meets that below.)
for _i in 1 2; do
	api_login nr@example.com Password@123 || bail_out "log in on site 1: $STATUS $BODY"
	AUTH=$TOKEN api GET /api/Products/GetById/1
	[ "$STATUS" = 200 ] || bail_out "GetById on site 1: $STATUS $BODY"
	api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
	[ "$STATUS" = 200 ] || bail_out "refresh on site 1: $STATUS $BODY"
done
tok0=$(json .RefreshToken)
at0=$TOKEN
galera_on "$TAP_TMP/site2"
api_login nr@example.com Password@123
is "$STATUS" 200 "site 2 (node 3 only) serves before the cut"
! grep -q "$NOT_READY" "$TAP_TMP"/site[12]/log/*.log
ok $? "no \"$NOT_READY\" logged yet"
pids1=$(worker_pids "$TAP_TMP/site1" $PROGRAMS)
pids2=$(worker_pids "$TAP_TMP/site2" $PROGRAMS)

# ---- node 3 cut off, its server running -------------------------------------
galera_sql 3 "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'"
ok $? "node 3 isolated (gmcast.isolate=1)"
not_primary() {
	_st=$(galera_status 3 wsrep_cluster_status)
	[ -n "$_st" ] && [ "$_st" != Primary ]
}
within 60 not_primary
ok $? "node 3 is $(galera_status 3 wsrep_cluster_status) (was Primary)"
refuses() {
	galera_sql 3 "SELECT COUNT(*) FROM Users" >"$TAP_TMP/n3.out" 2>&1 && return 1
	grep -q '^ERROR 1047 ' "$TAP_TMP/n3.out"
}
within 30 refuses
ok $? "a query on node 3 answers $(grep '^ERROR' "$TAP_TMP/n3.out")"
galera_alive "$(galera_pid 3)"
ok $? "node 3's server still runs"
# Nodes 1 and 2 went on as the primary component once node 3 was evicted
# (evs.suspect_timeout): before that, writes through node 1 stall.
two() {
	[ "$(galera_status 1 wsrep_cluster_size)" = 2 ] &&
	    [ "$(galera_status 1 wsrep_cluster_status)" = Primary ]
}
within 60 two
ok $? "nodes 1 and 2 are the primary component"

# ---- site 1: node 3 refuses, node 1 answers, same workers ---------------------
galera_on "$TAP_TMP/site1"
t0=$(date +%s)
treq POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$tok0\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "site 1 (node 3, then node 1): RefreshToken answers 200 ($SECS s)"
tok1=$(json .RefreshToken)
api_login nr@example.com Password@123
is "$STATUS" 200 "site 1: Login answers 200"
AUTH=$TOKEN api GET /api/Products/GetById/1
is "$STATUS" 200 "site 1: GetById answers 200"
# The workers stay on node 1.
bad=0
for _i in 1 2 3 4; do
	api_login nr@example.com Password@123
	[ "$STATUS" = 200 ] || { bad=$((bad + 1)); diag "Login: $STATUS $BODY"; }
	AUTH=$TOKEN api GET /api/Products/GetById/1
	[ "$STATUS" = 200 ] || { bad=$((bad + 1)); diag "GetById: $STATUS $BODY"; }
	api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
	[ "$STATUS" = 200 ] || { bad=$((bad + 1)); diag "RefreshToken: $STATUS $BODY"; }
done
is "$bad" 0 "site 1: 12 more requests, every one 200"
t1=$(date +%s)
diag "site 1's requests during the cut took $((t1 - t0)) s"
is "$(worker_pids "$TAP_TMP/site1" $PROGRAMS)" "$pids1" "site 1's workers were not restarted"
grep -h "$NOT_READY" "$TAP_TMP/site1/log/"*.log >"$TAP_TMP/not-ready.log"
grep -q '1047 ' "$TAP_TMP/not-ready.log"
ok $? "site 1 logged 1047, \"$NOT_READY\""
grep -q 'connected to database host 2 of 2 (was host 1)' "$TAP_TMP/site1/log/"*.log
ok $? "its workers logged the move to the second host"
! grep -q "is a Galera node that is not ready" "$TAP_TMP/site1/log/"*.log
ok $? "  straight to it, without trying node 3 again first"

# ---- site 2: node 3 only --------------------------------------------------------
# Its login worker meets 1047 (prepared before the cut) and tries its only
# host again until the retries run out; its products and refresh-token
# workers, which had prepared nothing, meet 1205 at the prepare. Either way
# the answer is the 503.
galera_on "$TAP_TMP/site2"
bad=0
# expect_503 METHOD PATH [BODY]: the exact 503, within 10 s (no hang).
expect_503() {
	treq "$@"
	if [ "$STATUS $BODY" != "503 $UNAVAILABLE" ] ||
	    ! awk -v s="$SECS" 'BEGIN { exit !(s + 0 < 10) }'; then
		bad=$((bad + 1))
		diag "site 2: $1 $2: $STATUS $BODY ($SECS s)"
	fi
}
anon expect_503 GET /api/Products/GetAll
AUTH=$at0 expect_503 GET /api/Products/GetById/1
anon expect_503 POST /api/Auth/Login \
    '{"Email":"nr@example.com","Password":"Password@123","ClientId":"Client1"}'
anon expect_503 POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$tok1\",\"ClientId\":\"Client1\"}"
is "$bad" 0 "site 2 (node 3 only) answers 503 $UNAVAILABLE to all four, each within 10 s"
# nginx answers a worker's crash with the same 503 body (error_page): the
# workers must be the same ones.
is "$(worker_pids "$TAP_TMP/site2" $PROGRAMS)" "$pids2" "site 2's workers were not restarted"

# ---- site 1: workers that start during the cut ---------------------------------
# A worker that connects while its first host is cut off must not settle
# there: node 3 takes the connection but is not ready (wsrep_ready OFF),
# and a read that waits for the cluster would fail at its prepare with
# 1205. It is passed over as if it were down (lib/db.c, db_connect_host).
old_rt=$(pgrep -P "$(cat "$TAP_TMP/site1/run/refresh-token.pid")")
old_pr=$(pgrep -P "$(cat "$TAP_TMP/site1/run/products.pid")")
kill -KILL $old_rt $old_pr
fresh() {
	_rt=$(pgrep -P "$(cat "$TAP_TMP/site1/run/refresh-token.pid")")
	_pr=$(pgrep -P "$(cat "$TAP_TMP/site1/run/products.pid")")
	[ -n "$_rt" ] && [ -n "$_pr" ] && [ "$_rt" != "$old_rt" ] && [ "$_pr" != "$old_pr" ]
}
within 30 fresh
ok $? "site 1's refresh-token and products workers killed and restarted during the cut"
galera_on "$TAP_TMP/site1"
api_login nr@example.com Password@123 || diag "Login: $STATUS $BODY"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "site 1, a worker started during the cut: RefreshToken 200"
AUTH=$TOKEN api GET /api/Products/GetById/1
is "$STATUS" 200 "site 1, a worker started during the cut: GetById 200"
grep -q "is a Galera node that is not ready" "$TAP_TMP/site1/log/"*.log
ok $? "  they logged node 3 as not ready and went on to the next host"

# ---- node 3 rejoins ------------------------------------------------------------
galera_sql 3 "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'"
ok $? "node 3 let back in (gmcast.isolate=0)"
galera_wait_synced 3 90
ok $? "node 3 is Synced again"
three() {
	[ "$(galera_status 1 wsrep_cluster_size)" = 3 ] &&
	    [ "$(galera_status 3 wsrep_cluster_status)" = Primary ]
}
within 60 three
ok $? "three nodes in the primary component again"
synced3() {
	galera_sql 3 "SET SESSION wsrep_sync_wait = 1;
	    SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)" 2>&1
}
is "$(synced3 "$tok0") $(synced3 "$tok1")" "1 0" \
    "node 3 reads the refresh made through site 1 during the cut: old token revoked, new one live"
galera_on "$TAP_TMP/site2"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$tok1\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "site 2 serves again: the token site 1 issued during the cut refreshes through node 3"

done_testing
