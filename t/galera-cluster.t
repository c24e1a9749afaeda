#!/bin/sh
# SPEC §11 on a real three-node MariaDB Galera cluster (t/lib/galera.sh),
# with three sites (programs + nginx), site K talking to node K only:
# - one user's session hops nodes: register on 1, log in on 2, refresh on
#   3, log out on 1;
# - the same refresh token sent to all three sites at once, GALERA_ROUNDS
#   times (200): exactly one 200 each time, the losers answer as on one
#   server, and the database (read with wsrep_sync_wait) agrees;
# - reuse detection across nodes;
# - jwtauthctl keys rotate through node 1: node 3's JWKS publishes the new
#   key, and tokens from every site verify on every site, across the
#   hand-over;
# - through a node that lags (its applier paused), the refresh-token
#   lookup and the Products reads wait for it (wsrep_sync_wait);
# - a product updated through node 1 is never served stale by node 2
#   (Products reads use the query cache on one server, jwtauth.cnf).
# One cluster start for all of it: it is the slow part (about 12-20 s).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
. "$top_srcdir/t/lib/galera.sh"

ROUNDS=${GALERA_ROUNDS:-200}

galera_test_cluster
# Cheap hashing (this is no password test); a short reuse interval, key
# cache and JWKS max-age, so that the reuse and hand-over (jwks_max_age +
# key_cache_refresh + 2 s) checks need not wait long.
GALERA_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
refresh_reuse_interval = 2
key_cache_refresh = 1
jwks_max_age = 0
db_read_timeout = 15"
RATE_LIMIT=off
export RATE_LIMIT
for s in 1 2 3; do
	eval "port=\$GALERA_PORT$s"
	galera_site "$TAP_TMP/site$s" "127.0.0.1:$port" || bail_out "site $s did not start"
done

# The database as seen through node $1 once it caught up with the cluster.
synced_sql() {
	galera_sql "$1" "SET SESSION wsrep_sync_wait = 1; $2"
}

[ "$(galera_status 3 wsrep_cluster_size)" = 3 ]
ok $? "three nodes, seen from node 3"
# What Galera replicates: InnoDB tables with a primary key (schema.sql and
# every migration, as applied above).
is "$(galera_sql 3 "SELECT COUNT(*) FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = 'jwtauth' AND ENGINE <> 'InnoDB'")" 0 "every table is InnoDB"
is "$(galera_sql 3 "SELECT COUNT(*) FROM information_schema.TABLES t
    WHERE t.TABLE_SCHEMA = 'jwtauth' AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c
    WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
    AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')")" 0 "every table has a primary key"

# ---- one session across the nodes -----------------------------------------
galera_on "$TAP_TMP/site1"
anon api POST /api/Users/Register \
    '{"Firstname":"Gal","Lastname":"Era","Email":"gal@example.com","Password":"Password@123"}'
is "$STATUS" 201 "register through node 1"

galera_on "$TAP_TMP/site2"
api_login gal@example.com Password@123
is "$STATUS" 200 "log in through node 2"
tok2=$TOKEN

galera_on "$TAP_TMP/site3"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "refresh through node 3"
TOKEN=$(json .Token)
REFRESH=$(json .RefreshToken)

galera_on "$TAP_TMP/site1"
AUTH=$tok2 api GET /api/Users/GetProfile
is "$STATUS" 200 "node 2's access token verifies on node 1"
AUTH=$TOKEN api POST /api/Auth/Logout \
    "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":false}"
is "$STATUS" 200 "log out through node 1 with the token node 3 issued"
is "$(synced_sql 2 "SELECT COUNT(*) FROM RefreshTokens rt JOIN Users u ON u.Id = rt.UserId
    WHERE u.Email = 'gal@example.com' AND rt.IsRevoked = 0")" 0 \
    "node 2 sees no live token left"

# ---- the same token to all three nodes at once, ROUNDS times ---------------
galera_on "$TAP_TMP/site1"
api_login gal@example.com Password@123 || bail_out "cannot log in"
tok=$REFRESH
fam=$(synced_sql 1 "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$tok', 256)")
URL1=https://127.0.0.1:$(cat "$TAP_TMP/site1/run/https.port")
URL2=https://127.0.0.1:$(cat "$TAP_TMP/site2/run/https.port")
URL3=https://127.0.0.1:$(cat "$TAP_TMP/site3/run/https.port")
R=$TAP_TMP/race
mkdir -p "$R"
revoked='{"message":"Refresh token has been revoked."}'
bad_rounds=0
bad_bodies=0
r=0
t0=$(date +%s)
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	printf '{"RefreshToken":"%s","ClientId":"Client1"}' "$tok" >"$R/req"
	pids=
	for s in 1 2 3; do
		eval "url=\$URL$s"
		curl -sS --noproxy '*' --cacert "$TAP_TMP/site$s/tls/cert.pem" --max-time 30 \
		    -X POST -H 'Content-Type: application/json' --data-binary "@$R/req" \
		    -o "$R/$s.body" -w '%{http_code}' "$url/api/Auth/RefreshToken" \
		    >"$R/$s.status" 2>/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
	wins=0
	winner=
	for s in 1 2 3; do
		case $(cat "$R/$s.status") in
		200)
			wins=$((wins + 1))
			winner=$s
			;;
		401)
			[ "$(cat "$R/$s.body")" = "$revoked" ] || bad_bodies=$((bad_bodies + 1))
			;;
		*)
			bad_bodies=$((bad_bodies + 1))
			diag "round $r: node $s answered $(cat "$R/$s.status") $(cat "$R/$s.body")"
			;;
		esac
	done
	if [ "$wins" -ne 1 ]; then
		bad_rounds=$((bad_rounds + 1))
		diag "round $r: $wins answers 200"
		[ "$wins" -eq 0 ] && break
	fi
	tok=$(jq -r .RefreshToken <"$R/$winner.body")
done
t1=$(date +%s)
diag "$r rounds of three concurrent refreshes in $((t1 - t0)) s"
is "$bad_rounds" 0 "$ROUNDS rounds across three nodes: exactly one 200 in each"
is "$bad_bodies" 0 "every loser answered 401 \"Refresh token has been revoked.\", as on one server"
is "$(synced_sql 3 "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam'")" \
    $((ROUNDS + 1)) "node 3 (synced) counts one token per rotation, plus the login's"
is "$(synced_sql 3 "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 0")" \
    1 "exactly one live token in the family"
is "$(synced_sql 3 "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 0
    AND TokenHash = SHA2('$tok', 256)")" 1 "and it is the last winner's"
is "$(synced_sql 3 "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 1
    AND ReplacedBy IS NULL")" 0 "every other one was rotated, none revoked as reuse"
conflicts=0
for s in 1 2 3; do
	c=$(galera_status "$s" wsrep_local_cert_failures)
	b=$(galera_status "$s" wsrep_local_bf_aborts)
	conflicts=$((conflicts + ${c:-0} + ${b:-0}))
done
diag "certification failures + brute-force aborts over the nodes: $conflicts"
ok $([ "$conflicts" -gt 0 ]; echo $?) "the race did conflict across nodes (retries were exercised)"

# ---- reuse across nodes ------------------------------------------------------
galera_on "$TAP_TMP/site1"
api_login gal@example.com Password@123 || bail_out "cannot log in"
old=$REFRESH
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$old\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "rotated on node 1"
new=$(json .RefreshToken)
fam=$(synced_sql 1 "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$old', 256)")
sleep 3         # past refresh_reuse_interval (2 s): no longer a duplicate
galera_on "$TAP_TMP/site2"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$old\",\"ClientId\":\"Client1\"}"
is "$STATUS $BODY" "401 $revoked" "the rotated token presented on node 2: revoked"
galera_on "$TAP_TMP/site3"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$new\",\"ClientId\":\"Client1\"}"
is "$STATUS $BODY" "401 $revoked" "its successor is dead on node 3 too: family revoked"
is "$(synced_sql 3 "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 0")" \
    0 "no live token in the family, seen from node 3"

# ---- key rotation through node 1 ----------------------------------------------
kid_of() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)" | jq -r .kid
}
for s in 1 2 3; do
	galera_on "$TAP_TMP/site$s"
	api_login gal@example.com Password@123 || bail_out "cannot log in on $s"
	eval "before$s=\$TOKEN"
done
oldkid=$(kid_of "$before1")
galera_on "$TAP_TMP/site1"
"$top_builddir/jwtauthctl" keys rotate >"$TAP_TMP/rotate.out" 2>&1
ok $? "jwtauthctl keys rotate through node 1"
newkid=$(synced_sql 3 "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
ok $([ -n "$newkid" ] && [ "$newkid" != "$oldkid" ]; echo $?) "a new active key ($newkid)"
galera_on "$TAP_TMP/site3"
i=0
while :; do
	api GET /.well-known/jwks.json
	if json '.keys[].kid' | grep -qxF -- "$newkid" && json '.keys[].kid' | grep -qxF -- "$oldkid"; then
		break
	fi
	i=$((i + 1))
	[ "$i" -gt 100 ] && break
	sleep 0.1
done
ok $(json '.keys[].kid' | grep -qxF -- "$newkid"; echo $?) "node 3's JWKS publishes the key rotated on node 1"
json '.keys[].kid' | grep -qxF -- "$newkid" || diag "node 3's JWKS after $i polls: $STATUS $BODY"
ok $(json '.keys[].kid' | grep -qxF -- "$oldkid"; echo $?) "and still the retired one"
# After the hand-over (3 s here) every site signs with the new key.
for s in 1 2 3; do
	galera_on "$TAP_TMP/site$s"
	i=0
	while :; do
		api_login gal@example.com Password@123
		[ "$(kid_of "$TOKEN")" = "$newkid" ] && break
		i=$((i + 1))
		[ "$i" -gt 60 ] && break
		sleep 0.2
	done
	is "$(kid_of "$TOKEN")" "$newkid" "node $s signs with the new key after the hand-over"
	eval "after$s=\$TOKEN"
done
bad=0
for s in 1 2 3; do
	galera_on "$TAP_TMP/site$s"
	for t in "$before1" "$before2" "$before3" "$after1" "$after2" "$after3"; do
		AUTH=$t api GET /api/Users/GetProfile
		[ "$STATUS" = 200 ] || { bad=$((bad + 1)); diag "site $s: $STATUS $BODY"; }
	done
done
is "$bad" 0 "tokens of every node, old key and new, verify on every node"

# ---- a node that lags: reads that must be current wait for it ------------------
# FLUSH TABLES WITH READ LOCK on node 2 pauses its applier (the node
# desyncs): what node 1 commits meanwhile is not applied there until the
# lock goes. A plain read through node 2 then misses it; jwtauth's reads
# (wsrep_sync_wait) wait until node 2 caught up, and so answer as if
# there were one server.
galera_sql 1 "INSERT INTO UserRoles (UserId, RoleId) SELECT u.Id, r.Id FROM Users u, Roles r
    WHERE u.Email = 'gal@example.com' AND r.Name = 'Editor'" || bail_out "cannot grant Editor"
galera_on "$TAP_TMP/site1"
api_login gal@example.com Password@123 || bail_out "cannot log in"
editor=$TOKEN
lagging=$TAP_TMP/lag
lag_node2() {
	galera_sql 2 "FLUSH TABLES WITH READ LOCK; SELECT SLEEP($1); UNLOCK TABLES" \
	    >"$lagging.out" 2>&1 &
	lagpid=$!
	i=0
	until [ "$(galera_status 2 wsrep_local_state_comment)" = Donor/Desynced ]; do
		i=$((i + 1))
		[ "$i" -gt 100 ] && return 1
		sleep 0.1
	done
}
lag_node2 3
ok $? "node 2 paused (FLUSH TABLES WITH READ LOCK: Donor/Desynced)"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "refresh through node 1 while node 2 lags"
lagtok=$(json .RefreshToken)
AUTH=$editor api PUT /api/Products/Update/2 '{"Name":"Lagged","Description":"x","Price":1.25}'
is "$STATUS" 204 "product 2 updated through node 1 while node 2 lags"
is "$(galera_sql 2 "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = SHA2('$lagtok', 256)")" 0 \
    "a plain read through node 2 does not see the new token yet"
galera_on "$TAP_TMP/site2"
AUTH=$editor api GET /api/Products/GetById/2
is "$(json .Name)" Lagged "GetById through the lagging node 2 waits and answers the update"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$lagtok\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "the new token refreshes through node 2 (its lookup waited for node 1's commit)"
wait "$lagpid"

# ---- Products: updated through node 1, read through node 2 ---------------------
galera_on "$TAP_TMP/site2"
AUTH=$editor api GET /api/Products/GetById/1
api GET /api/Products/GetAll             # both reads warm node 2's cache, if any
qcache() {
	echo $(( $(galera_status 2 Qcache_hits) + $(galera_status 2 Qcache_inserts) ))
}
q0=$(qcache)
stale=0
n=0
while [ "$n" -lt 20 ]; do
	n=$((n + 1))
	galera_on "$TAP_TMP/site1"
	AUTH=$editor api PUT /api/Products/Update/1 \
	    "{\"Name\":\"Galera $n\",\"Description\":\"round $n\",\"Price\":$n.50}"
	[ "$STATUS" = 204 ] || { diag "update $n: $STATUS $BODY"; stale=$((stale + 1)); continue; }
	galera_on "$TAP_TMP/site2"
	AUTH=$editor api GET /api/Products/GetById/1
	[ "$(json .Name)" = "Galera $n" ] || { diag "GetById after update $n: $BODY"; stale=$((stale + 1)); }
	api GET /api/Products/GetAll
	[ "$(json '.[] | select(.Id == 1) | .Name')" = "Galera $n" ] ||
	    { diag "GetAll after update $n: $BODY"; stale=$((stale + 1)); }
done
is "$stale" 0 "20 updates through node 1: node 2 never answered the old product"
# jwtauth.cnf's query cache is on in the nodes too; the reads above wait
# for the cluster (SET STATEMENT wsrep_sync_wait = 1 FOR ...), which
# MariaDB answers without it (contrib/DEPLOYING.md, "N hosts").
is "$(( $(qcache) - q0 ))" 0 "node 2's query cache neither stored nor answered those reads"

# ---- refreshes per second: one node, then all three at once --------------------
# The capacity model of contrib/DEPLOYING.md ("N hosts") quotes these diag
# lines, from GALERA_BENCH_SECONDS=20. Nothing is judged on speed here
# (the machine is shared): only that every refresh of the runs succeeded.
BS=${GALERA_BENCH_SECONDS:-3}
# mint N FILE: N refresh tokens, each its own family, written through node 1
# as a login writes them (bench/run does the same on one server).
mint() {
	galera_sql 1 "$(stack_mint_sql "$1" gal@example.com)" >"$2" && [ "$(wc -l <"$2")" -eq "$1" ]
}
# wrk_site S OUT: refreshes against site S for BS seconds, 8 connections.
# Each thread goes on with the tokens its own 200s return once its share
# of the pool is spent (refresh.lua's recycling): a fixed pool without it
# ran dry on an idle machine (1900 refreshes/s), and the 401s of the
# missing tokens showed as failed refreshes.
wrk_site() {
	env WRK_THREADS=2 WRK_POOL="$TAP_TMP/pool$1" \
	    wrk -t2 -c8 -d"${BS}s" --timeout 30s -s "$top_srcdir/t/lib/wrk/refresh.lua" \
	    "https://127.0.0.1:$(cat "$TAP_TMP/site$1/run/https.port")/api/Auth/RefreshToken" >"$2" 2>&1
}
rps() {
	sed -n 's/^Requests\/sec: *//p' "$1"
}
non2xx() {
	n=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$1")
	echo "${n:-0}"
}
pool=$((BS * 600))
for s in 1 2 3; do
	mint "$pool" "$TAP_TMP/pool$s" || bail_out "cannot mint a pool of $pool tokens"
done
wrk_site 1 "$TAP_TMP/wrk.one"
diag "refreshes/s, one node (site 1 -> node 1), 8 connections, ${BS} s: $(rps "$TAP_TMP/wrk.one")"
is "$(non2xx "$TAP_TMP/wrk.one")" 0 "one node: every refresh answered 200"
for s in 1 2 3; do
	mint "$pool" "$TAP_TMP/pool$s" || bail_out "cannot mint a pool of $pool tokens"
done
wpids=
for s in 1 2 3; do
	wrk_site "$s" "$TAP_TMP/wrk.all$s" &
	wpids="$wpids $!"
done
for p in $wpids; do
	wait "$p"
done
total=$(for s in 1 2 3; do rps "$TAP_TMP/wrk.all$s"; done | awk '{ t += $1 } END { printf "%.2f", t }')
diag "refreshes/s, three nodes at once (8 connections each), ${BS} s: $total in all ($(for s in 1 2 3; do rps "$TAP_TMP/wrk.all$s"; done | paste -sd+))"
is "$(for s in 1 2 3; do non2xx "$TAP_TMP/wrk.all$s"; done | awk "{ t += \$1 } END { print t }")" 0 \
    "three nodes: every refresh answered 200"

done_testing
