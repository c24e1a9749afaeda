#!/bin/sh
# No log holds a secret (STYLE: "secrets ... never logged"): no password a
# client sent, no refresh or access token, no client secret.
#
#   1. A stack of its own at log_level = debug goes through every path that
#      handles one (register, login right and wrong and for nobody,
#      GetProfile with the token, refresh, reuse that revokes a family,
#      logout, the OAuth 2.0 password, refresh and client-credentials
#      grants); then none of its logs holds any of them.
#   2. Every other test of this run left its servers' logs and the secrets
#      it used in t/run/NAME (t/lib/tap.sh, t/lib/api.sh): none of those
#      logs holds any secret of the run. make check runs this test last
#      (Makefile.am), so that every other test's folder is there, and
#      names the run's tests (JWTAUTH_RUN_TESTS): folders left by earlier
#      runs are not this run's. Run by hand, it scans every folder.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="log_level = debug
argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

# ---- 1. every path that handles a secret, at log level debug --------------------
PW='Secret@Passw0rd'
api_user lena@example.com "$PW" || bail_out "cannot register"
api_login lena@example.com "$PW" || bail_out "cannot log in"
first_refresh=$REFRESH
AUTH=$TOKEN api GET /api/Users/GetProfile
is "$STATUS" 200 "GetProfile with the access token"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "refresh"
# The first token presented again, long after its rotation: reuse.
stack_sql "UPDATE RefreshTokens SET RevokedAt = RevokedAt - INTERVAL 1 HOUR WHERE RevokedAt IS NOT NULL"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$first_refresh\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "reuse of the rotated token: 401"
api_login lena@example.com "$PW" || bail_out "cannot log in again"
AUTH=$TOKEN api POST /api/Auth/Logout "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "logout"
anon api POST /api/Auth/Login '{"Email":"lena@example.com","Password":"Wrong@Passw0rd9","ClientId":"Client1"}'
is "$STATUS" 401 "a wrong password: 401"
anon api POST /api/Auth/Login '{"Email":"nobody@example.com","Password":"Nobody@Passw0rd7","ClientId":"Client1"}'
is "$STATUS" 401 "an unknown address: 401"
anon api POST /api/Users/Register \
    '{"Firstname":"Max","Email":"lena@example.com","Password":"Second@Passw0rd5"}'
is "$STATUS" 409 "the address registered again: 409"
anon api POST /api/Auth/Login \
    '{"Email":"lena@example.com","Password":"Secret@Passw0rd","Password":"Other@Passw0rd3","ClientId":"Client1"}'
is "$STATUS" 400 "a body with Password twice: 400"

oauth /oauth2/token "grant_type=password&username=lena%40example.com&password=Secret%40Passw0rd&client_id=Client1"
is "$STATUS" 200 "OAuth 2.0 password grant"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$(json .refresh_token)&client_id=Client1"
is "$STATUS" 200 "OAuth 2.0 refresh grant"
client_new Svc https://svc.example --confidential || bail_out "client add failed"
oauth /oauth2/token "grant_type=client_credentials&client_id=Svc&client_secret=$SECRET"
is "$STATUS" 200 "OAuth 2.0 client credentials, the secret in the body"
oauth /oauth2/token "grant_type=client_credentials" "Svc:$SECRET"
is "$STATUS" 200 "OAuth 2.0 client credentials, Basic"
oauth /oauth2/token "grant_type=client_credentials&client_id=Svc&client_secret=Wrong-Secret-0123456789"
is "$STATUS" 401 "OAuth 2.0 client credentials, a wrong secret: 401"

stack_stop "$TAP_TMP"   # every log written out
grep -q 'reuse' "$TAP_TMP/log/refresh-token.log"
ok $? "the programs' logs are here (refresh-token.log tells of the reuse)"
[ "$(sort -u "$TAP_RUN/secrets" | grep -c .)" -ge 15 ]
ok $? "the secrets this test used are recorded ($(sort -u "$TAP_RUN/secrets" | grep -c .))"

# found SECRETS-FILE FILE...: "file:line: the first 12 characters of the
# secret" for every line of the files holding one.
found() {
	_sf=$1
	shift
	grep -v '^$' "$_sf" | sort -u >"$TAP_TMP/patterns"
	[ -s "$TAP_TMP/patterns" ] && [ $# -gt 0 ] || return 0
	grep -HnoF -f "$TAP_TMP/patterns" "$@" | awk -F: '{ print $1 ":" $2 ": " substr($3, 1, 12) "..." }'
}
hits=$(found "$TAP_RUN/secrets" $(find "$TAP_TMP/log" -type f))
is "$hits" "" "no log of this stack holds any of its secrets (debug level)"

# ---- 2. every other test of the run ----------------------------------------------
RUN=$top_builddir/t/run
: >"$TAP_TMP/all-secrets"
: >"$TAP_TMP/all-logs"
tests=0
if [ -n "${JWTAUTH_RUN_TESTS:-}" ]; then
	dirs=
	for t in $JWTAUTH_RUN_TESTS; do
		case $t in *.t) dirs="$dirs $RUN/$(basename "$t" .t)/" ;; esac
	done
else
	dirs=$(ls -d "$RUN"/*/ 2>/dev/null)
fi
for d in $dirs; do
	d=${d%/}
	[ "$d" = "$TAP_RUN" ] && continue
	[ -d "$d" ] || continue
	tests=$((tests + 1))
	[ -f "$d/secrets" ] && cat "$d/secrets" >>"$TAP_TMP/all-secrets"
	[ -d "$d/logs" ] && find "$d/logs" -type f >>"$TAP_TMP/all-logs"
done
diag "$tests other tests: $(sort -u "$TAP_TMP/all-secrets" | grep -c .) secrets," \
    "$(grep -c . "$TAP_TMP/all-logs") log files"
hits=$(found "$TAP_TMP/all-secrets" $(cat "$TAP_TMP/all-logs"))
is "$(printf '%s' "$hits" | grep -c .)" 0 "no log of this run holds a secret of the run"
printf '%s\n' "$hits" | grep . | sed "s|^$RUN/|# |" | head -n 20

done_testing
