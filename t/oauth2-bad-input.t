#!/bin/sh
# Bad input at the OAuth 2.0 endpoints (SPEC §9, issue 11): a wrong or
# missing content type (415), a body over the limit (413, from the program
# and from nginx), malformed form encoding, repeated parameters, a JSON
# body, huge, NUL-carrying or non-UTF-8 values. Each gets RFC 6749 §5.2's
# error body with a 4xx, never a 5xx, and changes nothing. With MariaDB
# down: 503 temporarily_unavailable, and the metadata still served.
# (nginx's rate limit on /oauth2/token is t/rate-limit.t's; it is off here,
# where requests come quicker than 10 a second.)
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# The programs' own body limit (16 KiB) below nginx's 64 KiB, so that both
# answer; above the 8 KiB a form value may have, so that that limit shows.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
max_body_size = 16384"
RATE_LIMIT=off
api_stack

state() {
	stack_sql "SELECT CONCAT((SELECT COUNT(*) FROM RefreshTokens), '/',
	    (SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 1), '/',
	    (SELECT IFNULL(SUM(FailedCount), 0) FROM LoginThrottle), '/',
	    (SELECT COUNT(*) FROM Clients))"
}
# refused STATUS NAME: STATUS, invalid_request in RFC 6749 §5.2's shape,
# JSON, not cacheable, nothing changed.
refused() {
	is "$STATUS:$(oauth_error)" "$1:invalid_request" "$2: $1 invalid_request"
	is "$(header Content-Type | sed 's/;.*//'):$(header Cache-Control):$(state)" \
	    "application/json:no-store:$before" "  ... JSON, no-store, nothing changed"
}
# post PATH CONTENT-TYPE BODY-FILE
post() {
	STATUS=$(stack_curl -H "Content-Type: $2" --data-binary "@$3" \
	    -D "$API_HEADERS" -o "$API_BODY" -w '%{http_code}' "$STACK_URL$1")
	BODY=$(cat "$API_BODY")
}

api_user ada@example.com Password@123 || bail_out "cannot register"
client_new Svc https://svc.example --confidential || bail_out "client add failed"
svc=$SECRET
api_login ada@example.com Password@123 || bail_out "cannot log in"
rt=$REFRESH
before=$(state)
PW='grant_type=password&username=ada%40example.com&password=Password%40123&client_id=Client1'

for path in /oauth2/token /oauth2/revoke /oauth2/introspect; do
	printf '%s' "$PW&token=$rt" >"$TAP_TMP/f"
	post "$path" text/plain "$TAP_TMP/f"
	refused 415 "$path, text/plain"
	is "$(json .error_description)" "Unsupported media type: use application/x-www-form-urlencoded." \
	    "  says which type"
	printf '{"grant_type":"password","username":"ada@example.com","password":"Password@123","client_id":"Client1","token":"%s"}' \
	    "$rt" >"$TAP_TMP/f"
	post "$path" application/json "$TAP_TMP/f"
	refused 415 "$path, a JSON body"
	STATUS=$(stack_curl -X POST -H 'Content-Type:' --data-binary "@$TAP_TMP/f" -D "$API_HEADERS" \
	    -o "$API_BODY" -w '%{http_code}' "$STACK_URL$path")
	BODY=$(cat "$API_BODY")
	refused 415 "$path, no Content-Type"
	# A JSON text labelled as a form is one name of 100 bytes and more.
	post "$path" application/x-www-form-urlencoded "$TAP_TMP/f"
	refused 400 "$path, a JSON text sent as a form"
done

# Over the program's 16 KiB limit (nginx lets up to 64 KiB through).
printf '%s&pad=%s' "$PW" "$(rep xxxxxxxxxx 2000)" >"$TAP_TMP/f"
post /oauth2/token application/x-www-form-urlencoded "$TAP_TMP/f"
refused 413 "a 20 KB form over max_body_size, from the program"
is "$(json .error_description)" "Request body too large." "  says so"
# Over nginx's 64 KiB: nginx answers itself, in the same shape.
printf '%s&pad=%s' "$PW" "$(rep xxxxxxxxxx 7000)" >"$TAP_TMP/f"
post /oauth2/token application/x-www-form-urlencoded "$TAP_TMP/f"
refused 413 "a 70 KB form, from nginx"
post /oauth2/introspect application/x-www-form-urlencoded "$TAP_TMP/f"
refused 413 "a 70 KB form at /oauth2/introspect, from nginx"

# form encoding: oauth PATH FORM
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=Password%4&client_id=Client1"
refused 400 "a %-escape cut short"
oauth /oauth2/token "grant_type=password&username=ada%zzexample.com&password=x&client_id=Client1"
refused 400 "a %-escape that is not hex"
oauth /oauth2/token "$PW&grant_type=password"
refused 400 "grant_type repeated"
is "$(json .error_description)" "Parameter grant_type is repeated." "  names it"
oauth /oauth2/token "$PW&client_id=Client1"
refused 400 "client_id repeated, same value"
oauth /oauth2/token "$PW&scope=a&scope=b"
refused 400 "scope repeated"
oauth /oauth2/revoke "token=$rt&token=$rt&client_id=Client1"
refused 400 "token repeated at /oauth2/revoke"
is "$(stack_sql "SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$rt', 256)")" 0 \
    "  the token is still live"
oauth /oauth2/introspect "token=$rt&token=x" "Svc:$svc"
refused 400 "token repeated at /oauth2/introspect"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=Password%FF123&client_id=Client1"
refused 400 "a password that is not UTF-8 (%FF)"
oauth /oauth2/token "$(printf 'grant_type=password&username=ada%%40example.com&password=Pass\377word&client_id=Client1')"
refused 400 "a raw byte 0xFF in a value"
oauth /oauth2/token "grant_type=password&username=ada%40example.com%00&password=Password%40123&client_id=Client1"
refused 400 "a NUL in a value (%00)"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=$(rep x 8193)&client_id=Client1"
refused 400 "a value of 8193 bytes"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=$(rep x 500)&client_id=Client1"
is "$STATUS:$(oauth_error):$(json .error_description)" \
    "400:invalid_request:password: Password must be less than or equal to 100 characters." \
    "a 500-character password: Login's rule, invalid_request"
is "$(state)" "$before" "  nothing changed (no throttle count)"
oauth /oauth2/token "$(i=0; while [ $i -lt 40 ]; do printf 'p%d=1&' $i; i=$((i + 1)); done)$PW"
refused 400 "40 parameters"
oauth /oauth2/token "$PW&$(rep n 100)=1"
refused 400 "a parameter name of 100 bytes"
oauth /oauth2/revoke "client_id=Client1"
refused 400 "revoke without token"
oauth /oauth2/introspect "" "Svc:$svc"
refused 400 "introspect without token"
oauth /oauth2/token ""
refused 400 "an empty body"

# ---- MariaDB down -------------------------------------------------------------
stack_mariadb_stop "$STACK_DIR"
for path in /oauth2/token /oauth2/revoke /oauth2/introspect; do
	oauth "$path" "$PW&token=$rt"
	is "$STATUS:$BODY" \
	    '503:{"error":"temporarily_unavailable","error_description":"Service temporarily unavailable."}' \
	    "MariaDB down: $path 503 temporarily_unavailable"
done
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$rt" "Svc:$svc"
is "$STATUS:$(oauth_error)" "503:temporarily_unavailable" "MariaDB down: refresh by a confidential client: 503"
anon api GET /.well-known/oauth-authorization-server
is "$STATUS" 200 "MariaDB down: the metadata is still served (it needs no database)"
stack_mariadb_start "$STACK_DIR" >/dev/null || bail_out "MariaDB did not restart"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$rt&client_id=Client1"
is "$STATUS" 200 "MariaDB back: the refresh token still works (nothing half done)"

done_testing
