#!/bin/sh
# Security events (lib/event.h, jwtauth(8) SECURITY EVENTS) written by the
# programs of a real stack: one logfmt line each, with the address nginx
# passed: login_success, login_failure, login_throttled (login.log),
# refresh_reuse, logout_all (refresh-token.log), password_change
# (users.log), client_auth_failure and the password grant's login events
# (oauth2.log); and never a password, a refresh token, an access token or
# a client secret in any log of the run. jwtauthctl's events:
# t/jwtauthctl.t.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="login_max_failures = 2
argon2_opslimit = 1
argon2_memlimit = 8K"
STACK_PROGRAMS="login refresh-token users jwks oauth2"
api_stack
L=$TAP_TMP/log
PRE='^jwtauth\[[0-9]+\] event [a-z0-9-]+: time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z event='

# event LOG REGEX "name": a line of LOG matches PRE + REGEX (waiting for it
# a little: a worker writes its line as it answers).
event() {
	i=0
	until grep -Eq "$PRE$2\$" "$1" 2>/dev/null || [ "$i" -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
	grep -Eq "$PRE$2\$" "$1"
	ok $? "$3"
	[ "$i" -le 50 ] || grep ' event ' "$1" | sed 's/^/# /'
}

api_user dan@example.com 'Dan-pw-1234' || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'dan@example.com'")
secrets='Dan-pw-1234 Wrong-pw-5678 Dan-pw-new-9'

# ---- logins ---------------------------------------------------------------------------
api_login dan@example.com Dan-pw-1234 || bail_out "cannot log in"
secrets="$secrets $TOKEN $REFRESH"
event "$L/login.log" "login_success client_ip=127\.0\.0\.1 user=dan@example\.com client=Client1 user_id=$uid" \
    "login_success: address, user, client, user_id"
anon api POST /api/Auth/Login '{"Email":"dan@example.com","Password":"Wrong-pw-5678","ClientId":"Client1"}'
event "$L/login.log" "login_failure client_ip=127\.0\.0\.1 user=dan@example\.com client=Client1 reason=bad_password" \
    "login_failure reason=bad_password"
anon api POST /api/Auth/Login '{"Email":"eve@example.com","Password":"Wrong-pw-5678","ClientId":"Client1"}'
event "$L/login.log" "login_failure client_ip=127\.0\.0\.1 user=eve@example\.com client=Client1 reason=unknown_user" \
    "login_failure reason=unknown_user"
anon api POST /api/Auth/Login '{"Email":"dan@example.com","Password":"Wrong-pw-5678","ClientId":"Nope"}'
event "$L/login.log" "login_failure client_ip=127\.0\.0\.1 user=dan@example\.com client=Nope reason=unknown_client" \
    "login_failure reason=unknown_client"
anon api POST /api/Auth/Login '{"Email":"dan@example.com","Password":"Wrong-pw-5678","ClientId":"Client1"}'
anon api POST /api/Auth/Login '{"Email":"dan@example.com","Password":"Dan-pw-1234","ClientId":"Client1"}'
is "$STATUS" 429 "(the account is throttled now)"
event "$L/login.log" "login_throttled client_ip=127\.0\.0\.1 user=dan@example\.com client=Client1 retry_after=[0-9]+" \
    "login_throttled with retry_after"
stack_sql "DELETE FROM LoginThrottle"

# ---- refresh reuse ---------------------------------------------------------------------
api_login dan@example.com Dan-pw-1234 || bail_out "cannot log in"
a=$REFRESH
secrets="$secrets $TOKEN $a"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$a\",\"ClientId\":\"Client1\"}"
secrets="$secrets $(json .Token) $(json .RefreshToken)"
fam=$(stack_sql "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$a', 256)")
# Past the duplicate interval (lib/session.h): a reuse, not a retry.
stack_sql "UPDATE RefreshTokens SET RevokedAt = RevokedAt - INTERVAL 1 MINUTE WHERE RevokedAt IS NOT NULL"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$a\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "(a rotated-away token presented again)"
event "$L/refresh-token.log" "refresh_reuse client_ip=127\.0\.0\.1 user_id=$uid client=Client1 family=$fam family_revoked=yes" \
    "refresh_reuse: user_id, client, family, family revoked"

# ---- logout from all devices -----------------------------------------------------------
api_login dan@example.com Dan-pw-1234 || bail_out "cannot log in"
secrets="$secrets $TOKEN $REFRESH"
AUTH=$TOKEN api POST /api/Auth/Logout \
    "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":true}"
is "$STATUS" 200 "(logout from all devices)"
event "$L/refresh-token.log" "logout_all client_ip=127\.0\.0\.1 user_id=$uid client=Client1" "logout_all"

# ---- password change --------------------------------------------------------------------
api_login dan@example.com Dan-pw-1234 || bail_out "cannot log in"
secrets="$secrets $TOKEN $REFRESH"
AUTH=$TOKEN api PUT /api/Users/UpdateProfile '{"Password":"Dan-pw-new-9"}'
is "$STATUS" 200 "(password changed through UpdateProfile)"
event "$L/users.log" "password_change client_ip=127\.0\.0\.1 user_id=$uid sessions=revoked" "password_change"
AUTH=$TOKEN api PUT /api/Users/UpdateProfile '{"Firstname":"Daniel"}'
grep -c 'event=password_change' "$L/users.log" >"$TAP_TMP/n"
is "$(cat "$TAP_TMP/n")" 1 "a profile change without a password: no password_change"

# ---- OAuth 2.0 (SPEC §9): client authentication, the password grant -----------------------
"$top_builddir/jwtauthctl" client add Backend "Backend service" https://backend.example \
    --confidential >"$TAP_TMP/client.out" 2>/dev/null || bail_out "client add failed"
csecret=$(sed -n 's/^client secret of Backend (shown once, keep it safe): //p' "$TAP_TMP/client.out")
secrets="$secrets $csecret Wrong-secret-42"
token_form() {
	stack_curl -o /dev/null -w '%{http_code}' -X POST "$STACK_URL/oauth2/token" "$@"
}
is "$(token_form -d grant_type=client_credentials -d client_id=Backend -d client_secret=Wrong-secret-42)" \
    401 "(a wrong client secret)"
event "$L/oauth2.log" "client_auth_failure client_ip=127\.0\.0\.1 client=Backend header=no reason=\"[^\"]+\"" \
    "client_auth_failure: client, how it was sent, why"
is "$(token_form -d grant_type=password -d username=dan@example.com -d password=Wrong-pw-5678 -d client_id=Client1)" \
    400 "(the password grant with a wrong password)"
event "$L/oauth2.log" "login_failure client_ip=127\.0\.0\.1 user=dan@example\.com client=Client1 reason=bad_password" \
    "the password grant's failure is a login_failure too"

# ---- nothing secret anywhere --------------------------------------------------------------
leaks=
for s in $secrets; do
	grep -rqF -- "$s" "$L" && leaks="$leaks ${s%"${s#????????}"}..."
done
is "$leaks" "" "no password, access token, refresh token or client secret of this run in any log"
grep -h ' event ' "$L"/*.log | awk '{ if (length($0) > 1024) bad = 1 } END { exit bad }'
ok $? "every event line fits log.c's line"

done_testing
