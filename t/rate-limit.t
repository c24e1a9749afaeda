#!/bin/sh
# nginx's per-address limit on login, refresh and /oauth2/token (SPEC §8,
# §9): a quick series
# from one address gets its burst of at least 20 through, then 429 with a
# JSON body, never nginx's default 503; other paths are not limited; and a
# stack started with RATE_LIMIT=off has no limit at all.
#
# No timing is asserted: only that the first 20 pass and that a series of
# 60 sent as fast as one connection allows meets the limit. The logins use
# an unknown ClientId, so that no Argon2 work slows the series down.
#
# The shipped rates (10 r/s) would let a series through whole if each
# request took over 100 ms, as on a loaded machine: the shipped values are
# checked in the file, and the stack runs with a rate of 1 r/m (the burst
# as shipped), which no machine is slow enough to keep up with.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

for zone in login refresh token; do
	grep -q "^limit_req_zone \$binary_remote_addr zone=jwtauth_$zone:10m rate=10r/s;\$" \
	    "$top_srcdir/nginx/jwtauth.conf"
	ok $? "nginx/jwtauth.conf: $zone limited to 10 r/s per address"
	grep -q "^[[:space:]]*limit_req zone=jwtauth_$zone burst=20 nodelay;\$" "$top_srcdir/nginx/jwtauth.conf"
	ok $? "nginx/jwtauth.conf: $zone with a burst of 20, not delayed"
done

STACK_NGINX_SED='s|^\(limit_req_zone .*\) rate=10r/s;$|\1 rate=1r/m;|'
api_stack
for zone in login refresh token; do
	grep -q "zone=jwtauth_$zone:10m rate=1r/m;\$" "$STACK_DIR/nginx/jwtauth.conf"
	ok $? "the test stack limits $zone to 1 r/m"
done

N=60
printf '{"Email":"a@example.com","Password":"Password@123","ClientId":"NoSuchClient"}' >"$TAP_TMP/login"
printf '{"RefreshToken":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ClientId":"Client1"}' >"$TAP_TMP/refresh"
# SPEC §9: /oauth2/token is limited like Login (an unknown client: no Argon2 work).
printf 'grant_type=client_credentials&client_id=NoSuch' >"$TAP_TMP/token"


# --- Login
series /api/Auth/Login "$TAP_TMP/login"
is "$(wc -l <"$TAP_TMP/series" | tr -d ' ')" "$N" "login: $N answers"
head -n 20 "$TAP_TMP/series" | grep -v '^401 {"message":"Invalid client credentials."}$' >/dev/null
ok $((! $?)) "login: the first 20 pass the limit (401 from the program)"
limited=$(series_count '^429 ')
[ "$limited" -gt 0 ]
ok $? "login: later ones are refused with 429 ($limited of $N)"
is "$(series_count '^429 {"message":"Too many requests."}$')" "$limited" "login: every 429 has the JSON body"
is "$(series_count '^401 {"message":"Invalid client credentials."}$')" "$((N - limited))" \
    "login: every other answer is the program's 401"
is "$(series_count '^5')" 0 "login: never a 5xx (no 503)"
is "$(tr -d '\r' <"$TAP_TMP/series.h" | grep -ic '^retry-after: 1$')" "$limited" \
    "login: every 429 has Retry-After: 1"
tr -d '\r' <"$TAP_TMP/series.h" | grep -i '^content-type:' | sort -u >"$TAP_TMP/ct"
is "$(cat "$TAP_TMP/ct")" "content-type: application/json; charset=utf-8" \
    "login: every answer, 429 included, is application/json; charset=utf-8"
# The 429s came from nginx: the program saw only the others.
is "$(grep -c '"POST /api/Auth/Login HTTP/[0-9.]*" 429 ' "$STACK_DIR/log/nginx-access.log")" "$limited" \
    "login: nginx logged the 429s"

# --- Refresh has a limit of its own
series /api/Auth/RefreshToken "$TAP_TMP/refresh"
head -n 20 "$TAP_TMP/series" | grep -v '^401 {"message":"Invalid refresh token."}$' >/dev/null
ok $((! $?)) "refresh: the first 20 pass its own limit, though login's is spent"
limited=$(series_count '^429 ')
[ "$limited" -gt 0 ]
ok $? "refresh: later ones get 429 ($limited of $N)"
is "$(series_count '^429 {"message":"Too many requests."}$')" "$limited" "refresh: every 429 has the JSON body"
is "$(series_count '^5')" 0 "refresh: never a 5xx"

# --- The OAuth 2.0 token endpoint has one too, in RFC 6749's error shape
series /oauth2/token "$TAP_TMP/token" application/x-www-form-urlencoded
head -n 20 "$TAP_TMP/series" | grep -v '^401 {"error":"invalid_client",' >/dev/null
ok $((! $?)) "/oauth2/token: the first 20 pass its own limit"
limited=$(series_count '^429 ')
[ "$limited" -gt 0 ]
ok $? "/oauth2/token: later ones get 429 ($limited of $N)"
is "$(series_count '^429 {"error":"temporarily_unavailable","error_description":"Too many requests."}$')" \
    "$limited" "/oauth2/token: every 429 is RFC 6749 §5.2 JSON"
is "$(series_count '^5')" 0 "/oauth2/token: never a 5xx"

# --- Other paths are not limited
printf '{}' >"$TAP_TMP/empty"
# (Register is limited too since issue 16: t/register-limit.t.)
series /api/Users/UpdateProfile "$TAP_TMP/empty"
is "$(series_count '^405 ')" "$N" "UpdateProfile: $N quick requests, none limited"

# --- RATE_LIMIT=off
stack_stop "$TAP_TMP"
RATE_LIMIT=off stack_start "$TAP_TMP" >/dev/null || bail_out "the stack did not restart"
grep -q '^[[:space:]]*limit_req zone' "$STACK_DIR/nginx/jwtauth.conf"
ok $((! $?)) "RATE_LIMIT=off: no location applies one"
series /api/Auth/Login "$TAP_TMP/login"
is "$(series_count '^401 {"message":"Invalid client credentials."}$')" "$N" "RATE_LIMIT=off: $N logins, none limited"
series /api/Auth/RefreshToken "$TAP_TMP/refresh"
is "$(series_count '^401 {"message":"Invalid refresh token."}$')" "$N" "RATE_LIMIT=off: $N refreshes, none limited"
series /oauth2/token "$TAP_TMP/token" application/x-www-form-urlencoded
is "$(series_count '^401 {"error":"invalid_client",')" "$N" "RATE_LIMIT=off: $N token requests, none limited"

done_testing
