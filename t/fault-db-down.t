#!/bin/sh
# MariaDB going away under the running programs (SPEC §2: "Database
# unreachable or failing: 503 {"message":"Service temporarily
# unavailable."}, never a crash, never a half-done write").
#
#   1. MariaDB stopped: every endpoint that needs it answers 503 with the
#      exact body, quickly (the socket is gone), and no worker dies.
#   2. MariaDB started again: the same workers serve again (login,
#      refresh, GetById, every endpoint) without a restart.
#   3. MariaDB frozen (SIGSTOP: the socket accepts, nobody answers): the
#      configured 5 s timeouts end each request in a 503 instead of a hang.
#   4. Thawed: everything works again; nothing was half written.
#
# Each request's time comes from curl's time_total and must stay under
# 60 s: a hang check, not a performance assertion (a request may wait for
# up to four timeouts: the query, the reconnect, the retried query). The
# timeouts are the shipped defaults, not shorter: a query of the phases
# where MariaDB runs must never meet them, however loaded the machine.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# key_cache_refresh = 1: the programs' caches of keys and audiences come
# due during each outage, so what they do when a reload fails is tested.
STACK_CONF_EXTRA="db_connect_timeout = 5
db_read_timeout = 5
db_write_timeout = 5
key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

UNAVAILABLE='{"message":"Service temporarily unavailable."}'
HANG=60
PROGRAMS="login refresh-token users products jwks"

fast() {
	awk -v s="$1" -v max="$HANG" 'BEGIN { exit !(s + 0 < max) }'
}

# expect_503 NAME METHOD PATH [BODY]
expect_503() {
	_name=$1
	shift
	treq "$@"
	is "$STATUS $BODY" "503 $UNAVAILABLE" "$PHASE: $_name answers 503 Service temporarily unavailable."
	fast "$SECS"
	ok $? "$PHASE: $_name answers within $HANG s (took $SECS s)"
}

api_user alice@example.com Password@123 || bail_out "cannot register alice"
api_user boss@example.com Password@123 Editor Admin || bail_out "cannot register boss"
api_login boss@example.com Password@123 || bail_out "boss cannot log in"
T_BOSS=$TOKEN
api_login alice@example.com Password@123 || bail_out "alice cannot log in"
T_ALICE=$TOKEN
T_BEFORE=$TOKEN
R_LOGOUT=$REFRESH
api_login alice@example.com Password@123 || bail_out "alice cannot log in again"
R_REFRESH=$REFRESH
anon api GET /.well-known/jwks.json
JWKS=$BODY
[ "$STATUS" = 200 ] || bail_out "no JWKS"
# Warm every worker's caches (keys, audiences) as a running stack has them.
for _i in 1 2 3 4; do
	AUTH=$T_ALICE api GET /api/Products/GetById/1
	AUTH=$T_ALICE api GET /api/Users/GetProfile
	anon api GET /.well-known/jwks.json
done

PIDS_BEFORE=$(worker_pids "$STACK_DIR" $PROGRAMS)
diag "workers: $PIDS_BEFORE"
ROWS_BEFORE=$(stack_sql "SELECT (SELECT COUNT(*) FROM Users), (SELECT COUNT(*) FROM Products),
    (SELECT COUNT(*) FROM RefreshTokens), (SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 1)")

# Every endpoint that needs the database, each twice (two workers each).
all_endpoints() {
	for _round in 1 2; do
		expect_503 Register POST /api/Users/Register \
		    '{"Firstname":"Carol","Email":"carol@example.com","Password":"Password@123"}'
		expect_503 Login POST /api/Auth/Login \
		    '{"Email":"alice@example.com","Password":"Password@123","ClientId":"Client1"}'
		expect_503 RefreshToken POST /api/Auth/RefreshToken \
		    "{\"RefreshToken\":\"$R_REFRESH\",\"ClientId\":\"Client1\"}"
		AUTH=$T_ALICE expect_503 Logout POST /api/Auth/Logout \
		    "{\"RefreshToken\":\"$R_LOGOUT\",\"ClientId\":\"Client1\"}"
		AUTH=$T_ALICE expect_503 GetProfile GET /api/Users/GetProfile
		AUTH=$T_ALICE expect_503 UpdateProfile PUT /api/Users/UpdateProfile '{"Firstname":"Alicia"}'
		expect_503 GetAll GET /api/Products/GetAll
		AUTH=$T_ALICE expect_503 GetById GET /api/Products/GetById/1
		AUTH=$T_ALICE expect_503 Add POST /api/Products/Add '{"Name":"New","Price":1}'
		AUTH=$T_BOSS expect_503 Update PUT /api/Products/Update/2 '{"Name":"Changed","Price":2}'
		AUTH=$T_BOSS expect_503 Delete DELETE /api/Products/Delete/3
		# The JWKS needs the database only to refresh its cache: the
		# last good key set, or a 503, never anything else.
		anon treq GET /.well-known/jwks.json
		[ "$STATUS $BODY" = "200 $JWKS" ] || [ "$STATUS $BODY" = "503 $UNAVAILABLE" ]
		ok $? "$PHASE: JWKS answers the cached key set or 503 (got $STATUS)"
		fast "$SECS"
		ok $? "$PHASE: JWKS answers within $HANG s (took $SECS s)"
	done
}

# Everything works again, on the same workers.
all_work() {
	AUTH=$T_BEFORE api GET /api/Users/GetProfile
	is "$STATUS" 200 "$PHASE: an access token from before the outage is still good"
	AUTH=$T_BEFORE api GET /api/Products/GetById/3
	is "$STATUS" 200 "$PHASE: ... on every program"
	api_login alice@example.com Password@123
	is "$STATUS" 200 "$PHASE: login 200"
	T_ALICE=$TOKEN
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$R_REFRESH\",\"ClientId\":\"Client1\"}"
	is "$STATUS" 200 "$PHASE: refresh with the token from before the outage 200"
	R_REFRESH=$(json .RefreshToken)
	AUTH=$T_ALICE api GET /api/Products/GetById/1
	is "$STATUS $(json .Name)" "200 Product A" "$PHASE: GetById 200"
	AUTH=$T_ALICE api GET /api/Users/GetProfile
	is "$STATUS $(json .Firstname)" "200 Test" "$PHASE: GetProfile 200, the profile unchanged"
	anon api GET /api/Products/GetAll
	is "$STATUS $(json length)" "200 3" "$PHASE: GetAll 200, no product added or deleted"
	anon api GET /.well-known/jwks.json
	is "$STATUS $BODY" "200 $JWKS" "$PHASE: JWKS 200, the same keys"
	is "$(worker_pids "$STACK_DIR" $PROGRAMS)" "$PIDS_BEFORE" "$PHASE: no worker died or was replaced"
}

# No write half done: the rows are as before, but for what all_work did
# (one login: +1 token; one refresh: +1 token, +1 revoked).
rows_after() {
	stack_sql "SELECT (SELECT COUNT(*) FROM Users), (SELECT COUNT(*) FROM Products),
	    (SELECT COUNT(*) FROM RefreshTokens), (SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 1)"
}
rows_expected() {
	printf '%s\n' "$ROWS_BEFORE" | awk -v n="$1" '{ print $1 "\t" $2 "\t" $3 + 2 * n "\t" $4 + n }'
}

# stack_mariadb_start rewrites the config (without stack_start's issuer
# and master key lines) and, as of this writing, gives the programs'
# account a new password; the programs read theirs at start-up. Put both
# back as they were, as a real restart of MariaDB leaves them (harmless
# once stack.sh keeps the password).
cp "$JWTAUTH_CONFIG" "$TAP_TMP/jwtauth.conf.saved"
DB_PW=$(sed -n 's/^db_password = //p' "$JWTAUTH_CONFIG")
mariadb_restart() {
	stack_mariadb_start "$TAP_TMP" || bail_out "MariaDB did not start again"
	stack_sql "ALTER USER 'jwtauth'@'localhost' IDENTIFIED BY '$DB_PW'" ||
	    bail_out "cannot restore the programs' password"
	cp "$TAP_TMP/jwtauth.conf.saved" "$JWTAUTH_CONFIG"
}

# ---- 1. stopped ----------------------------------------------------------
PHASE=stopped
stack_mariadb_stop "$TAP_TMP"
[ ! -S "$STACK_DB_SOCKET" ]
ok $? "MariaDB is stopped (no socket)"
sleep 1.5       # past key_cache_refresh: every cache is due for a reload
all_endpoints
is "$(worker_pids "$STACK_DIR" $PROGRAMS)" "$PIDS_BEFORE" "$PHASE: no worker died or was replaced"

# ---- 2. started again ----------------------------------------------------
PHASE=restarted
mariadb_restart
sleep 1.5       # past key_cache_refresh: the failed reloads are due again
all_work
is "$(rows_after)" "$(rows_expected 1)" "$PHASE: no write was half done during the outage"

# ---- 3. frozen -----------------------------------------------------------
# The socket is there and connect() succeeds, but nothing answers: only the
# client's connect/read/write timeouts can end the wait.
PHASE=frozen
MARIADB_PID=$(cat "$STACK_DIR/mariadb/mariadbd.pid")
kill -STOP "$MARIADB_PID" || bail_out "cannot freeze MariaDB"
tap_at_exit 'kill -CONT "$MARIADB_PID" 2>/dev/null'
# One endpoint of each program that needs the database (every one of them
# waits for the timeouts, so the whole list would take minutes).
expect_503 Login POST /api/Auth/Login \
    '{"Email":"alice@example.com","Password":"Password@123","ClientId":"Client1"}'
expect_503 RefreshToken POST /api/Auth/RefreshToken \
    "{\"RefreshToken\":\"$R_REFRESH\",\"ClientId\":\"Client1\"}"
AUTH=$T_ALICE expect_503 UpdateProfile PUT /api/Users/UpdateProfile '{"Firstname":"Alicia"}'
AUTH=$T_BOSS expect_503 Update PUT /api/Products/Update/2 '{"Name":"Changed","Price":2}'
expect_503 GetAll GET /api/Products/GetAll
is "$(worker_pids "$STACK_DIR" $PROGRAMS)" "$PIDS_BEFORE" "$PHASE: no worker died or was replaced"

# ---- 4. thawed -----------------------------------------------------------
PHASE=thawed
kill -CONT "$MARIADB_PID"
all_work
# (An UPDATE sent on a live connection just before the freeze sits in the
# server's socket buffer and may still run at the thaw, after its client
# gave up: applied whole or not at all, as any write whose answer is lost.
# Login and refresh begin with reads, so they wrote nothing.)
is "$(rows_after)" "$(rows_expected 2)" "$PHASE: no token or row was added while frozen"

done_testing
