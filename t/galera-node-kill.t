#!/bin/sh
# SPEC §11: a Galera node SIGKILLed under a mixed load (logins, refreshes,
# GetById against every site), on a real three-node cluster:
# - sites 1 and 3 keep answering (after Galera's eviction stall);
# - site 2, whose only database is the dead node, answers 503 at once,
#   never hangs;
# - site 4 lists node 2 then node 3 in db_host: its workers move to node 3
#   without a restart and keep answering 200;
# - node 2 restarts the way mysqld_safe does (--wsrep-recover, then
#   --wsrep_start_position), rejoins by IST, and site 2 serves again;
# - afterwards no refresh token answered with 200 is missing from the
#   database, and no family has two live tokens.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
. "$top_srcdir/t/lib/galera.sh"

galera_test_cluster
L=$TAP_TMP/load
mkdir -p "$L"
pids=
tap_at_exit 'touch "$L/stop"; for p in $pids; do wait "$p"; done'
# db_read_timeout above Galera's eviction stall (evs.suspect_timeout, 5 s by
# default, plus the view change): a write that waits it out must not be
# cut off by the client (contrib/DEPLOYING.md, "N hosts").
GALERA_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
db_connect_timeout = 2
db_read_timeout = 15
db_write_timeout = 15"
RATE_LIMIT=off
STACK_WORKERS=2
export RATE_LIMIT STACK_WORKERS
galera_site "$TAP_TMP/site1" "127.0.0.1:$GALERA_PORT1" || bail_out "site 1 did not start"
galera_site "$TAP_TMP/site2" "127.0.0.1:$GALERA_PORT2" || bail_out "site 2 did not start"
galera_site "$TAP_TMP/site3" "127.0.0.1:$GALERA_PORT3" || bail_out "site 3 did not start"
galera_site "$TAP_TMP/site4" "127.0.0.1:$GALERA_PORT2, 127.0.0.1:$GALERA_PORT3" ||
    bail_out "site 4 did not start"

for s in 1 2 3 4; do
	galera_on "$TAP_TMP/site$s"
	anon api POST /api/Users/Register \
	    "{\"Firstname\":\"Load\",\"Email\":\"load$s@example.com\",\"Password\":\"Password@123\"}"
	[ "$STATUS" = 201 ] || bail_out "register on site $s: $STATUS $BODY"
done

# load S: until $L/stop exists, against site S: a login every tenth round,
# a refresh and a GetById every round. Writes "op status seconds" lines to
# $L/S.log, and every refresh token answered with 200 to $L/S.tokens (the
# current one of each chain to $L/S.live). A refresh that did not answer
# 200 or 401 may or may not have rotated: the chain starts anew.
load() {
	_s=$1
	_url=https://127.0.0.1:$(cat "$TAP_TMP/site$_s/run/https.port")
	_ca=$TAP_TMP/site$_s/tls/cert.pem
	_n=0 _tok= _at=
	while [ ! -e "$L/stop" ]; do
		_n=$((_n + 1))
		if [ -z "$_tok" ] || [ $((_n % 10)) -eq 0 ]; then
			printf '{"Email":"load%s@example.com","Password":"Password@123","ClientId":"Client1"}' \
			    "$_s" >"$L/$_s.req"
			_out=$(curl -sS --noproxy '*' --cacert "$_ca" --max-time 30 -X POST \
			    -H 'Content-Type: application/json' --data-binary "@$L/$_s.req" \
			    -o "$L/$_s.body" -w '%{http_code} %{time_total}' "$_url/api/Auth/Login" 2>/dev/null)
			echo "login $_out" >>"$L/$_s.log"
			if [ "${_out%% *}" = 200 ]; then
				[ -n "$_tok" ] && echo "$_tok" >>"$L/$_s.live"
				_tok=$(jq -r .RefreshToken <"$L/$_s.body")
				_at=$(jq -r .Token <"$L/$_s.body")
				echo "$_tok" >>"$L/$_s.tokens"
			fi
		fi
		if [ -n "$_tok" ]; then
			printf '{"RefreshToken":"%s","ClientId":"Client1"}' "$_tok" >"$L/$_s.req"
			_out=$(curl -sS --noproxy '*' --cacert "$_ca" --max-time 30 -X POST \
			    -H 'Content-Type: application/json' --data-binary "@$L/$_s.req" \
			    -o "$L/$_s.body" -w '%{http_code} %{time_total}' "$_url/api/Auth/RefreshToken" 2>/dev/null)
			echo "refresh $_out" >>"$L/$_s.log"
			case ${_out%% *} in
			200)
				_tok=$(jq -r .RefreshToken <"$L/$_s.body")
				_at=$(jq -r .Token <"$L/$_s.body")
				echo "$_tok" >>"$L/$_s.tokens"
				;;
			*)
				_tok=
				;;
			esac
		fi
		if [ -n "$_at" ]; then
			printf 'header = "Authorization: Bearer %s"\n' "$_at" >"$L/$_s.auth"
			_out=$(curl -sS --noproxy '*' --cacert "$_ca" --max-time 30 -K "$L/$_s.auth" \
			    -o /dev/null -w '%{http_code} %{time_total}' "$_url/api/Products/GetById/1" 2>/dev/null)
			echo "get $_out" >>"$L/$_s.log"
		fi
	done
	[ -n "$_tok" ] && echo "$_tok" >>"$L/$_s.live"
	return 0
}

# count S OP STATUS [FROM-LINE]: answers of that kind in S's log (after line FROM).
count() {
	tail -n +"${4:-1}" "$L/$1.log" 2>/dev/null | grep -c "^$2 $3 "
}
lines() {
	wc -l <"$L/$1.log" 2>/dev/null || echo 0
}

for s in 1 2 3 4; do
	load "$s" &
	pids="$pids $!"
done
warm() {
	for _s in 1 2 3 4; do
		[ "$(count "$_s" refresh 200)" -ge 3 ] || return 1
	done
}
within 60 warm
ok $? "load running on all four sites"

# ---- node 2 dies ---------------------------------------------------------------
for s in 1 2 3 4; do
	eval "from$s=\$(( \$(lines $s) + 1 ))"
done
killed_at=$(date +%s)
galera_kill 2
galera_alive "$(galera_pid 2)"
ok $([ $? -ne 0 ]; echo $?) "node 2 SIGKILLed"

after_kill() {
	for _s in 1 3 4; do
		eval "_f=\$from$_s"
		[ "$(count "$_s" refresh 200 "$_f")" -ge 5 ] || return 1
	done
	[ "$(count 2 '[a-z]*' 503 "$from2")" -ge 3 ]
}
within 90 after_kill
ok $? "sites 1, 3 and 4 go on rotating, site 2 answers 503"
diag "first answers after the kill took up to $(for s in 1 3; do eval "f=\$from$s"; tail -n +"$f" "$L/$s.log" | head -n 3; done | cut -d' ' -f3 | sort -n | tail -n 1) s (Galera's eviction stall)"
is "$(galera_status 1 wsrep_cluster_size)" 2 "nodes 1 and 3 form the cluster now"

galera_on "$TAP_TMP/site2"
t0=$(date +%s)
anon api GET /api/Products/GetAll
t1=$(date +%s)
is "$STATUS $BODY" '503 {"message":"Service temporarily unavailable."}' \
    "site 2 (node 2 only) answers 503"
ok $([ $((t1 - t0)) -le 5 ]; echo $?) "at once, no hang ($((t1 - t0)) s)"
galera_on "$TAP_TMP/site4"
anon api GET /api/Products/GetAll
is "$STATUS" 200 "site 4 (node 2, then node 3) answers through node 3, not restarted"
grep -q 'connected to database host 2 of 2 (was host 1)' "$TAP_TMP/site4/log/"*.log
ok $? "its workers logged the move to the second host"

# ---- node 2 comes back by IST -------------------------------------------------
before=$(wc -l <"$GALERA_DIR/node2/error.log")
galera_recover 2 >"$TAP_TMP/recover.log" 2>&1
ok $? "node 2 recovered its position ($GALERA_RECOVERED) and is Synced again"
tail -n +"$((before + 1))" "$GALERA_DIR/node2/error.log" >"$TAP_TMP/rejoin.log"
grep -q 'rsync IST completed' "$TAP_TMP/rejoin.log" && ! grep -q 'rsync SST completed' "$TAP_TMP/rejoin.log"
ok $? "it rejoined by IST, with no full state transfer (error.log)"
is "$(galera_status 1 wsrep_cluster_size)" 3 "three nodes again"
from2=$(( $(lines 2) + 1 ))
back() {
	[ "$(count 2 refresh 200 "$from2")" -ge 3 ]
}
within 60 back
ok $? "site 2 rotates again, its workers never restarted"

touch "$L/stop"
for p in $pids; do
	wait "$p"
done

# ---- what the load saw, and what the database says -----------------------------
for s in 1 3; do
	eval "f=\$from$s"
	is "$(tail -n +"$f" "$L/$s.log" | grep -vc ' \(200\|201\|204\) ')" 0 \
	    "site $s answered every request after the kill with success"
	tail -n +"$f" "$L/$s.log" | grep -v ' \(200\|201\|204\) ' | head -n 3 | while read -r l; do diag "site $s: $l"; done
done
is "$(count 2 '[a-z]*' 000)" 0 "site 2 never left a request unanswered (curl timeout)"
is "$(cat "$L"/*.log | grep -c ' \(502\|504\) ')" 0 "no 502/504 anywhere: every error was the program's 503"
total=0
for s in 1 2 3 4; do
	total=$((total + $(count "$s" refresh 200)))
done
diag "refreshes answered 200 over the run: $total"

# Every token answered with 200 is in the database: rotated since (by a
# later 200) or live. Hashes computed here, compared through node 3.
cat "$L"/*.tokens | while read -r t; do
	printf '%s' "$t" | sha256sum | cut -d' ' -f1
done | sort -u >"$L/hashes"
n=$(wc -l <"$L/hashes")
{
	echo "SET SESSION wsrep_sync_wait = 1;"
	echo "CREATE TEMPORARY TABLE seen (h CHAR(64) PRIMARY KEY) ENGINE=InnoDB;"
	sed "s/.*/INSERT INTO seen VALUES ('&');/" "$L/hashes"
	echo "SELECT COUNT(*) FROM seen JOIN RefreshTokens rt ON rt.TokenHash = seen.h;"
} >"$L/check.sql"
found=$(galera_sql_file 3 <"$L/check.sql" 2>&1)
is "$found" "$n" "all $n refresh tokens answered with 200 are in the database"
cat "$L"/*.live | while read -r t; do
	printf '%s' "$t" | sha256sum | cut -d' ' -f1
done | sort -u >"$L/live"
nl=$(wc -l <"$L/live")
is "$(galera_sql 3 "SET SESSION wsrep_sync_wait = 1;
    SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 0 AND TokenHash IN ($(sed "s/.*/'&'/" "$L/live" | paste -sd,))")" \
    "$nl" "the $nl tokens each chain ended with are live"
is "$(galera_sql 3 "SET SESSION wsrep_sync_wait = 1;
    SELECT COUNT(*) FROM (SELECT FamilyId FROM RefreshTokens WHERE IsRevoked = 0
    GROUP BY FamilyId HAVING COUNT(*) > 1) x")" 0 "no family has two live tokens"

done_testing
