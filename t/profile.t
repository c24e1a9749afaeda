#!/bin/sh
# GET /api/Users/GetProfile (SPEC §3) through nginx: the exact 200 body
# (Lastname null when absent, roles as they are now in the database), the
# RFC 6750 answers of SPEC §2 (no token, another scheme, a malformed,
# tampered, unsigned or unknown-key token), and 404 for a deleted user.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

b64url_encode() {
	base64 -w0 | tr '/+' '_-' | tr -d '='
}

profile() {
	api GET /api/Users/GetProfile "" "$@"
}

# invalid NAME WHY: a 401 invalid_token answer with WHY in header and body.
invalid() {
	is "$STATUS" 401 "$1: 401"
	is "$(header WWW-Authenticate)" "Bearer error=\"invalid_token\", error_description=\"$2\"" \
	    "$1: WWW-Authenticate names invalid_token and why"
	is "$BODY" "{\"message\":\"$2\"}" "$1: the body says the same"
}

api_user pranaya@example.com Password@123 || bail_out "register pranaya failed"
anon api POST /api/Users/Register '{"Firstname":"Solo","Email":"solo@example.com","Password":"Password@123"}'
[ "$STATUS" = 201 ] || bail_out "register solo failed"
pid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'pranaya@example.com'")
sid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'solo@example.com'")

# --- 200
api_login pranaya@example.com Password@123 || bail_out "login failed"
pranaya=$TOKEN
AUTH=$TOKEN profile
is "$STATUS" 200 "GetProfile: 200"
is "$BODY" "{\"Id\":$pid,\"Email\":\"pranaya@example.com\",\"Firstname\":\"Test\",\"Lastname\":\"User\",\"Roles\":[\"User\"]}" \
    "GetProfile: the exact body"
is "$(header Content-Type)" "application/json; charset=utf-8" "GetProfile: application/json"

printf 'header = "Authorization: bearer %s"\n' "$TOKEN" >"$TAP_TMP/lower.conf"
anon profile -K "$TAP_TMP/lower.conf"
is "$STATUS" 200 "the scheme name is case-insensitive (bearer)"

stack_sql "INSERT INTO UserRoles (UserId, RoleId) SELECT $pid, Id FROM Roles WHERE Name IN ('Editor', 'Admin')"
AUTH=$TOKEN profile
is "$(json '.Roles | tostring')" '["Admin","Editor","User"]' "roles as they are now in the database, sorted, not as in the token"

api_login solo@example.com Password@123 || bail_out "login solo failed"
solo=$TOKEN
AUTH=$solo profile
is "$BODY" "{\"Id\":$sid,\"Email\":\"solo@example.com\",\"Firstname\":\"Solo\",\"Lastname\":null,\"Roles\":[\"User\"]}" \
    "no Lastname: \"Lastname\":null"

# --- No credentials (RFC 6750 §3: no error code)
anon profile
is "$STATUS $BODY" '401 {"message":"Unauthorized."}' "no token: 401"
is "$(header WWW-Authenticate)" "Bearer" "no token: WWW-Authenticate: Bearer exactly"
anon profile -H 'Authorization: Basic cHJhbmF5YUBleGFtcGxlLmNvbTpQYXNzd29yZEAxMjM='
is "$STATUS $BODY" '401 {"message":"Unauthorized."}' "Basic credentials: 401"
is "$(header WWW-Authenticate)" "Bearer" "Basic credentials: WWW-Authenticate: Bearer exactly"
anon profile -H 'Authorization:'
is "$STATUS $(header WWW-Authenticate)" "401 Bearer" "an empty Authorization: as no credentials"

# --- Bad tokens
AUTH=garbage profile
invalid "a garbage token" "The token is malformed."
anon profile -H 'Authorization: Bearer'
invalid "Bearer without a token" "The token is malformed."
anon profile -H 'Authorization: Bearer a b'
invalid "Bearer with two words" "The token is malformed."

h=$(printf '%s' "$pranaya" | cut -d. -f1)
p=$(printf '%s' "$pranaya" | cut -d. -f2)
s=$(printf '%s' "$pranaya" | cut -d. -f3)

# The payload changed to name another user, the signature kept.
p2=$(b64url_decode "$p" | jq -c ".sub = \"$sid\"" | tr -d '\n' | b64url_encode)
AUTH=$h.$p2.$s profile
invalid "a tampered payload (sub changed)" "The signature is invalid."
# One character of the signature changed.
case $s in A*) s2=B${s#?} ;; *) s2=A${s#?} ;; esac
AUTH=$h.$p.$s2 profile
invalid "a tampered signature" "The signature is invalid."
# alg none, unsigned (RFC 8725 §3.1).
hn=$(b64url_decode "$h" | jq -c '.alg = "none"' | tr -d '\n' | b64url_encode)
AUTH=$hn.$p.$s profile
invalid "alg none, signature kept" "The token algorithm is not allowed."
AUTH=$hn.$p. profile
is "$STATUS" 401 "alg none without a signature: 401"
hk=$(b64url_decode "$h" | jq -c '.kid = "unknown-key"' | tr -d '\n' | b64url_encode)
AUTH=$hk.$p.$s profile
invalid "a kid that names no key" "The signing key is unknown."

# --- The user is gone
stack_sql "DELETE FROM Users WHERE Id = $sid"
AUTH=$solo profile
is "$STATUS $BODY" '404 {"message":"User not found."}' "a deleted user's valid token: 404 User not found."
is "$(header Content-Type)" "application/json; charset=utf-8" "404: application/json"

done_testing
