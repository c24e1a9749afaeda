#!/bin/sh
# The FastCGI programs live for many requests: none may leak or touch
# memory it does not own, on any path, success or error.
#
#   1. RSS: one worker per program, natively; thousands of requests of
#      every kind through nginx; each worker's RSS after 1000 requests and
#      after 4000 more must not have grown by more than 5 %.
#   2. memcheck: the same programs under valgrind (--leak-check=full,
#      definite and indirect leaks are errors), driven by the same mix, by
#      Add/Update/Delete cycles and by a MariaDB outage (503 and reconnect),
#      then stopped gracefully (multiwatch passes SIGTERM on as SIGUSR1, on
#      which libfcgi ends the accept loop and the program frees everything):
#      every valgrind log must end in "ERROR SUMMARY: 0 errors".
#
# In an AddressSanitizer build (./configure --enable-sanitizers) valgrind
# cannot run the programs: LeakSanitizer checks them at exit instead, and
# step 1 is left out (ASan's quarantine makes RSS meaningless).
#
# Every answer's status is checked against the one its request must get,
# so the load really goes down each path: 200, 201, 204, 400, 401, 403,
# 404, 405, 409, 413, 415, 429, 503.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# refresh_reuse_interval at its longest: the rotated token presented again
# below must be a duplicate (the family kept for the logout that follows)
# even under valgrind on a loaded machine.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
max_body_size = 1024
refresh_reuse_interval = 60"
RATE_LIMIT=off
STACK_WORKERS=1
api_stack

PROGRAMS="login refresh-token users products jwks authz oauth2"
RSS_MAX_GROWTH=5        # per cent
VG=$TAP_TMP/valgrind
mkdir -p "$VG"

if nm "$top_builddir/cgi-bin/login" 2>/dev/null | grep -q '__asan_init'; then
	CHECKER=lsan
else
	CHECKER=valgrind
	# multiwatch execs its program without a PATH search.
	VALGRIND=$(command -v valgrind) || bail_out "valgrind is not installed (apt-get install valgrind)"
fi
diag "leak checker: $CHECKER"

api_user alice@example.com Password@123 || bail_out "cannot register alice"
api_user boss@example.com Password@123 Editor Admin || bail_out "cannot register boss"
api_login boss@example.com Password@123 || bail_out "boss cannot log in"
T_BOSS=$TOKEN
api_login alice@example.com Password@123 || bail_out "alice cannot log in"
T_ALICE=$TOKEN
# Throttle one address for good (login_failure_window: 15 min): 429.
for _i in 1 2 3 4 5 6; do
	anon api POST /api/Auth/Login '{"Email":"victim@example.com","Password":"wrong-password","ClientId":"Client1"}'
done
[ "$STATUS" = 429 ] || bail_out "victim@example.com is not throttled ($STATUS)"

# ---- the request mix -------------------------------------------------------
# One curl config: each block is one request, its write-out names the
# case and the status it must get.
big=$(head -c 2000 /dev/zero | tr '\0' x)
printf '{"Firstname":"%s","Email":"x@example.com","Password":"Password@123"}' "$big" >"$TAP_TMP/big.json"
J=$TAP_TMP/bodies
mkdir -p "$J"
printf '%s' '{"Email":"alice@example.com","Password":"Password@123","ClientId":"Client1"}' >"$J/login-ok"
printf '%s' '{"Email":"alice@example.com","Password":"Password@123","ClientId":"Nope"}' >"$J/login-client"
printf '%s' '{"Email":"victim@example.com","Password":"wrong-password","ClientId":"Client1"}' >"$J/login-victim"
printf '%s' '{"Email":"alice@example.com",' >"$J/broken"
printf '%s' '{"Firstname":"Test","Email":"alice@example.com","Password":"Password@123"}' >"$J/register-taken"
printf '%s' '{"Firstname":"","Email":"not-an-email","Password":"123"}' >"$J/register-invalid"
printf '%s' '{"RefreshToken":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ClientId":"Client1"}' >"$J/refresh-unknown"
printf '%s' '{"ClientId":1}' >"$J/refresh-invalid"
printf '%s' '{"Firstname":"Test"}' >"$J/profile-same"
printf '%s' '{"Email":"boss@example.com"}' >"$J/profile-taken"
printf '%s' '{"Description":"no name"}' >"$J/product-invalid"
printf '%s' '{"Name":"Product B","Description":"Test Product B","Price":20.00}' >"$J/product-b"
# The OAuth 2.0 program (SPEC §9), with a confidential client.
client_new Svc https://svc.example --confidential || bail_out "cannot add a confidential client"
printf 'grant_type=password&username=alice%%40example.com&password=Password%%40123&client_id=Client1' \
    >"$J/token-password"
printf 'grant_type=client_credentials&scope=&client_id=Svc&client_secret=%s' "$SECRET" >"$J/token-cc"
printf 'grant_type=client_credentials&client_id=Svc&client_secret=wrong' >"$J/token-secret"
printf 'grant_type=client_credentials&client_id=Client1' >"$J/token-public"
printf 'grant_type=refresh_token&refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=Client1' \
    >"$J/token-refresh-unknown"
printf 'grant_type=password&grant_type=password' >"$J/token-repeated"
printf 'grant_type=password&username=%%zz' >"$J/token-encoding"
printf 'token=%s&client_id=Svc&client_secret=%s' "$T_ALICE" "$SECRET" >"$J/introspect"
printf 'token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=Svc&client_secret=%s' "$SECRET" \
    >"$J/introspect-refresh"
printf 'token=%s&client_id=Client1' "$T_ALICE" >"$J/introspect-public"
printf 'token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=Client1' >"$J/revoke-unknown"
printf 'token=%s&client_id=Client1' "$T_ALICE" >"$J/revoke-access"
printf 'grant_type=password&pad=%s' "$big" >"$J/token-large"

# block CASE STATUS METHOD PATH [TOKEN [TYPE BODYFILE]]
block() {
	printf 'url = "%s%s"\nrequest = "%s"\ncacert = "%s"\nnoproxy = "*"\nmax-time = 60\nsilent\n' \
	    "$STACK_URL" "$4" "$3" "$STACK_CACERT"
	printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %s %s\\n"\n' "$1" "$2"
	[ -n "${5:-}" ] && printf 'header = "Authorization: Bearer %s"\n' "$5"
	[ -n "${6:-}" ] && printf 'header = "Content-Type: %s"\ndata-binary = "@%s"\n' "$6" "$7"
	printf 'next\n'
}
JSON=application/json
{
	block login-ok 200 POST /api/Auth/Login "" $JSON "$J/login-ok"
	block login-client 401 POST /api/Auth/Login "" $JSON "$J/login-client"
	block login-throttled 429 POST /api/Auth/Login "" $JSON "$J/login-victim"
	block login-method 405 GET /api/Auth/Login
	block login-type 415 POST /api/Auth/Login "" text/plain "$J/login-ok"
	block login-broken 400 POST /api/Auth/Login "" $JSON "$J/broken"
	block register-taken 409 POST /api/Users/Register "" $JSON "$J/register-taken"
	block register-invalid 400 POST /api/Users/Register "" $JSON "$J/register-invalid"
	block register-large 413 POST /api/Users/Register "" $JSON "$TAP_TMP/big.json"
	block refresh-unknown 401 POST /api/Auth/RefreshToken "" $JSON "$J/refresh-unknown"
	block refresh-invalid 400 POST /api/Auth/RefreshToken "" $JSON "$J/refresh-invalid"
	block logout-unknown 401 POST /api/Auth/Logout "$T_ALICE" $JSON "$J/refresh-unknown"
	block logout-anonymous 401 POST /api/Auth/Logout "" $JSON "$J/refresh-unknown"
	block profile 200 GET /api/Users/GetProfile "$T_ALICE"
	block profile-badtoken 401 GET /api/Users/GetProfile "$T_ALICE.x"
	block profile-update 200 PUT /api/Users/UpdateProfile "$T_ALICE" $JSON "$J/profile-same"
	block profile-taken 409 PUT /api/Users/UpdateProfile "$T_ALICE" $JSON "$J/profile-taken"
	block getall 200 GET /api/Products/GetAll
	block getbyid 200 GET /api/Products/GetById/1 "$T_ALICE"
	block getbyid-missing 404 GET /api/Products/GetById/999 "$T_ALICE"
	block getbyid-bad 400 GET /api/Products/GetById/abc "$T_ALICE"
	block add-invalid 400 POST /api/Products/Add "$T_ALICE" $JSON "$J/product-invalid"
	block add-type 415 POST /api/Products/Add "$T_ALICE" text/plain "$J/product-b"
	block update-role 403 PUT /api/Products/Update/2 "$T_ALICE" $JSON "$J/product-b"
	block update 204 PUT /api/Products/Update/2 "$T_BOSS" $JSON "$J/product-b"
	block delete-role 403 DELETE /api/Products/Delete/3 "$T_ALICE"
	block products-path 404 GET /api/Products/Nope
	block products-method 405 DELETE /api/Products/GetAll
	block jwks 200 GET /.well-known/jwks.json
	block jwks-method 405 POST /.well-known/jwks.json "" $JSON "$J/login-ok"
	# The nginx gateway (authz): every answer it gives.
	block protected 200 GET /protected/hello.txt "$T_ALICE"
	block protected-anonymous 401 GET /protected/hello.txt
	block protected-badtoken 401 GET /protected/hello.txt "$T_ALICE.x"
	block protected-role 403 GET /protected/admin/hello.txt "$T_ALICE"
	block protected-admin 200 GET /protected/admin/hello.txt "$T_BOSS"
	# The OAuth 2.0 program: every answer it gives.
	FORM=application/x-www-form-urlencoded
	block token-password 200 POST /oauth2/token "" $FORM "$J/token-password"
	block token-cc 200 POST /oauth2/token "" $FORM "$J/token-cc"
	block token-secret 401 POST /oauth2/token "" $FORM "$J/token-secret"
	block token-public 400 POST /oauth2/token "" $FORM "$J/token-public"
	block token-refresh-unknown 400 POST /oauth2/token "" $FORM "$J/token-refresh-unknown"
	block token-repeated 400 POST /oauth2/token "" $FORM "$J/token-repeated"
	block token-encoding 400 POST /oauth2/token "" $FORM "$J/token-encoding"
	block token-type 415 POST /oauth2/token "" $JSON "$J/login-ok"
	block token-large 413 POST /oauth2/token "" $FORM "$J/token-large"
	block token-method 405 GET /oauth2/token
	block introspect 200 POST /oauth2/introspect "" $FORM "$J/introspect"
	block introspect-refresh 200 POST /oauth2/introspect "" $FORM "$J/introspect-refresh"
	block introspect-public 401 POST /oauth2/introspect "" $FORM "$J/introspect-public"
	block revoke-unknown 200 POST /oauth2/revoke "" $FORM "$J/revoke-unknown"
	block revoke-access 400 POST /oauth2/revoke "" $FORM "$J/revoke-access"
	block metadata 200 GET /.well-known/oauth-authorization-server
} >"$TAP_TMP/batch.conf"
PER_BATCH=$(grep -c '^next$' "$TAP_TMP/batch.conf")

ANSWERS=$TAP_TMP/answers
: >"$ANSWERS"
# drive N: N batches, by two clients at once; every answer is logged.
drive() {
	_half=$((($1 + 1) / 2))
	_clients=
	for _c in 1 2; do
		(
			_n=0
			while [ "$_n" -lt "$_half" ]; do
				curl -K "$TAP_TMP/batch.conf" >>"$ANSWERS.$_c" 2>/dev/null
				_n=$((_n + 1))
			done
		) &
		_clients="$_clients $!"
	done
	wait $_clients
	cat "$ANSWERS.1" "$ANSWERS.2" >>"$ANSWERS" 2>/dev/null
	rm -f "$ANSWERS.1" "$ANSWERS.2"
}
# check_answers NAME: every answer so far got its status; then start afresh.
check_answers() {
	_n=$(wc -l <"$ANSWERS")
	_bad=$(awk '$1 != $3' "$ANSWERS" | sort | uniq -c | sort -rn | head -n 5)
	is "$_bad" "" "$1: all $_n answers have the status their request must get"
	: >"$ANSWERS"
}

pids() {
	pgrep -P "$(cat "$STACK_DIR/run/$1.pid")"
}
rss() {
	ps -o rss= -p "$1" | tr -d ' '
}

# ---- 1. RSS, natively ----------------------------------------------------------
if [ "$CHECKER" = valgrind ]; then
	drive $((1000 / PER_BATCH + 1))
	check_answers "warm-up"
	for prog in $PROGRAMS; do
		eval "PID_$(echo "$prog" | tr - _)=$(pids "$prog")"
		eval "RSS1_$(echo "$prog" | tr - _)=$(rss "$(pids "$prog")")"
	done
	drive $((4000 / PER_BATCH + 1))
	check_answers "load"
	for prog in $PROGRAMS; do
		v=$(echo "$prog" | tr - _)
		eval "pid=\$PID_$v; rss1=\$RSS1_$v"
		is "$(pids "$prog")" "$pid" "$prog: the same worker served all along"
		rss2=$(rss "$pid")
		diag "$prog: RSS ${rss1} KiB after 1000 requests, ${rss2} KiB after 4000 more"
		[ -n "$rss2" ] && [ $((rss2 * 100)) -le $((rss1 * (100 + RSS_MAX_GROWTH))) ]
		ok $? "$prog: RSS grew by at most $RSS_MAX_GROWTH % ($rss1 -> $rss2 KiB)"
	done
else
	diag "AddressSanitizer build: RSS growth is not measured (ASan's quarantine)"
fi

# ---- 2. under the leak checker -------------------------------------------------
stack_programs_stop
for prog in $PROGRAMS; do
	rm -f "$STACK_DIR/run/$prog.sock"
	if [ "$CHECKER" = valgrind ]; then
		set -- "$VALGRIND" --tool=memcheck --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		    --num-callers=30 --log-file="$VG/$prog.%p.log" \
		    "$top_builddir/cgi-bin/$prog"
	else
		set -- "$(command -v env)" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:log_path=$VG/$prog" \
		    "$top_builddir/cgi-bin/$prog"
	fi
	"$SPAWN_FCGI" -n -s "$STACK_DIR/run/$prog.sock" -M 0600 -- \
	    "$MULTIWATCH" -f 1 -- "$@" >>"$STACK_DIR/log/$prog.log" 2>&1 </dev/null &
	echo $! >"$STACK_DIR/run/$prog.pid"
done
# Up when each program answers through nginx (valgrind starts slowly).
_i=0
until anon api GET /.well-known/jwks.json && [ "$STATUS" = 200 ] &&
    anon api GET /api/Products/GetAll && [ "$STATUS" = 200 ]; do
	_i=$((_i + 1))
	[ "$_i" -gt 120 ] && bail_out "the programs under $CHECKER do not answer"
	sleep 0.5
done

drive $((900 / PER_BATCH + 1))
check_answers "$CHECKER"

# Add, read, update, delete: 201 and 204 with fresh rows.
cycles=0
for _i in 1 2 3 4 5 6 7 8 9 10; do
	AUTH=$T_ALICE api POST /api/Products/Add '{"Name":"Temp","Description":"cycle","Price":1.5}'
	[ "$STATUS" = 201 ] || continue
	id=$(json .Id)
	AUTH=$T_ALICE api GET "/api/Products/GetById/$id"
	[ "$STATUS" = 200 ] || continue
	AUTH=$T_BOSS api PUT "/api/Products/Update/$id" '{"Name":"Temp2","Price":2}'
	[ "$STATUS" = 204 ] || continue
	AUTH=$T_BOSS api DELETE "/api/Products/Delete/$id"
	[ "$STATUS" = 204 ] || continue
	cycles=$((cycles + 1))
done
is "$cycles" 10 "$CHECKER: 10 Add/GetById/Update/Delete cycles (201, 200, 204, 204)"
# Refresh and logout that succeed.
api_login alice@example.com Password@123
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
r=$(json .RefreshToken)
is "$STATUS" 200 "$CHECKER: refresh 200"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "$CHECKER: the rotated token again: 401"
AUTH=$T_ALICE api POST /api/Auth/Logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "$CHECKER: logout 200"
AUTH=$T_ALICE api POST /api/Auth/Logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS" 400 "$CHECKER: logout again: 400"
api_login alice@example.com Password@123
AUTH=$T_ALICE api POST /api/Auth/Logout "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":true}"
is "$STATUS" 200 "$CHECKER: logout from all devices 200"
anon api POST /api/Users/Register '{"Firstname":"New","Email":"new@example.com","Password":"Password@123"}'
is "$STATUS" 201 "$CHECKER: register 201"
# OAuth 2.0: a refresh grant and a revocation that succeed.
oauth /oauth2/token "$(cat "$J/token-password")"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$(json .refresh_token)&client_id=Client1"
is "$STATUS" 200 "$CHECKER: oauth2 refresh grant 200"
oauth /oauth2/revoke "token=$(json .refresh_token)&client_id=Client1"
is "$STATUS:$BODY" "200:{}" "$CHECKER: oauth2 revocation 200"

# A MariaDB outage: 503 everywhere, then reconnection. The programs keep
# the password they started with: put it back after stack_mariadb_start
# (which, as of this writing, draws a new one), and the config too.
DB_PW=$(sed -n 's/^db_password = //p' "$JWTAUTH_CONFIG")
cp "$JWTAUTH_CONFIG" "$TAP_TMP/jwtauth.conf.saved"
stack_mariadb_stop "$TAP_TMP"
n503=0
for _i in 1 2 3; do
	for req in "POST /api/Auth/Login $J/login-ok" "POST /api/Auth/RefreshToken $J/refresh-unknown" \
	    "PUT /api/Users/UpdateProfile $J/profile-same" "PUT /api/Products/Update/2 $J/product-b"; do
		set -- $req
		AUTH=$T_BOSS api "$1" "$2" "$(cat "$3")"
		[ "$STATUS" = 503 ] && n503=$((n503 + 1))
	done
	anon api GET /api/Products/GetAll
	[ "$STATUS" = 503 ] && n503=$((n503 + 1))
done
is "$n503" 15 "$CHECKER: MariaDB down: 503 from every program that needs it"
stack_mariadb_start "$TAP_TMP" || bail_out "MariaDB did not start again"
stack_sql "ALTER USER 'jwtauth'@'localhost' IDENTIFIED BY '$DB_PW'"
cp "$TAP_TMP/jwtauth.conf.saved" "$JWTAUTH_CONFIG"
drive 4
check_answers "$CHECKER, MariaDB back"

# Graceful stop: each multiwatch passes SIGTERM on as SIGUSR1 and waits
# for its worker, which frees everything and exits; then the checker
# reports. Valgrind's leak search takes a while: wait up to 60 s.
for prog in $PROGRAMS; do
	kill "$(cat "$STACK_DIR/run/$prog.pid")"
done
for prog in $PROGRAMS; do
	pid=$(cat "$STACK_DIR/run/$prog.pid")
	_i=0
	while kill -0 "$pid" 2>/dev/null && [ "$_i" -lt 600 ]; do
		_i=$((_i + 1)); sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
	ok $? "$prog: stopped gracefully"
	rm -f "$STACK_DIR/run/$prog.pid"
done

for prog in $PROGRAMS; do
	if [ "$CHECKER" = valgrind ]; then
		set -- "$VG/$prog".*.log
		is "$#" 1 "$prog: one valgrind log (one worker, never restarted)"
		log=$1
		grep -q 'HEAP SUMMARY' "$log" && ! grep -q 'Process terminating' "$log"
		ok $? "$prog: exited through its normal end (not killed by a signal)"
		grep -q 'ERROR SUMMARY: 0 errors' "$log"
		ok $? "$prog: valgrind: no memory error, no definite or indirect leak"
		grep -q 'ERROR SUMMARY: 0 errors' "$log" || sed -n '/^==[0-9]*== [^ ]/,$p' "$log" | head -n 60 | sed 's/^/# /'
		diag "$prog: $(grep -E 'definitely lost|indirectly lost|possibly lost|total heap usage' "$log" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
	else
		set -- "$VG/$prog".*
		[ ! -e "$1" ]
		ok $? "$prog: LeakSanitizer/ASan: no report"
		[ -e "$1" ] && head -n 60 "$1" | sed 's/^/# /'
	fi
done

done_testing
