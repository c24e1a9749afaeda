#!/bin/sh
# An expired refresh token (SPEC §3): 401 "Refresh token has expired.",
# nothing rotated or written; a token both revoked and expired answers as
# revoked (SPEC lists revoked first; lib/session.c checks it first).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

EXPIRED='401:{"message":"Refresh token has expired."}'
REVOKED='401:{"message":"Refresh token has been revoked."}'

refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"${2:-Client1}\"}"
}
# expire TOKEN [SQL-EXPRESSION]: set its ExpiresAt (default: a second ago).
expire() {
	stack_sql "UPDATE RefreshTokens SET ExpiresAt = ${2:-UTC_TIMESTAMP() - INTERVAL 1 SECOND}
	    WHERE TokenHash = SHA2('$1', 256)"
}
row() {
	stack_sql "SELECT CONCAT(IsRevoked, ' ', RevokedAt IS NULL, ' ', ReplacedBy IS NULL)
	    FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}

api_user erin@example.com Password@123 || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'erin@example.com'")

# ---- expired ---------------------------------------------------------------
api_login erin@example.com Password@123 || bail_out "cannot log in"
t=$REFRESH
expire "$t"
rows=$(stack_sql "SELECT COUNT(*) FROM RefreshTokens")
refresh "$t"
is "$STATUS:$BODY" "$EXPIRED" "ExpiresAt a second ago: 401 Refresh token has expired."
is "$(header Content-Type | sed 's/;.*//')" "application/json" "  a JSON body"
is "$(row "$t")" "0 1 1" "  the row is left as it was"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens")" "$rows" "  no new token stored"
refresh "$t"
is "$STATUS:$BODY" "$EXPIRED" "  and again: still expired (not revoked)"
refresh "$t" Client2
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' \
    "  an expired token presented by another client: Invalid refresh token."

expire "$t" "UTC_TIMESTAMP()"
refresh "$t"
is "$STATUS:$BODY" "$EXPIRED" "ExpiresAt exactly now: expired"
expire "$t" "UTC_TIMESTAMP() - INTERVAL 30 DAY"
refresh "$t"
is "$STATUS:$BODY" "$EXPIRED" "ExpiresAt a month ago: expired"
expire "$t" "UTC_TIMESTAMP() + INTERVAL 1 MINUTE"
refresh "$t"
is "$STATUS" 200 "the same token with ExpiresAt a minute ahead: 200"

# ---- revoked beats expired -------------------------------------------------
# Revoked by logout, then expired.
api_login erin@example.com Password@123 || bail_out "cannot log in"
t=$REFRESH
AUTH=$TOKEN api POST /api/Auth/Logout "{\"RefreshToken\":\"$t\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "logout"
expire "$t"
refresh "$t"
is "$STATUS:$BODY" "$REVOKED" "revoked (logout) and expired: the revoked message"

# Revoked in SQL only (IsRevoked = 1), then expired.
api_login erin@example.com Password@123 || bail_out "cannot log in"
t=$REFRESH
stack_sql "UPDATE RefreshTokens SET IsRevoked = 1, RevokedAt = UTC_TIMESTAMP() - INTERVAL 1 HOUR,
    ExpiresAt = UTC_TIMESTAMP() - INTERVAL 1 HOUR WHERE TokenHash = SHA2('$t', 256)"
refresh "$t"
is "$STATUS:$BODY" "$REVOKED" "revoked and expired (set in SQL): the revoked message"

# Rotated, then expired, then presented again: reuse, and the family goes.
api_login erin@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
refresh "$a"
b=$(json .RefreshToken)
stack_sql "UPDATE RefreshTokens SET RevokedAt = RevokedAt - INTERVAL 8 DAY,
    ExpiresAt = UTC_TIMESTAMP() - INTERVAL 1 DAY WHERE TokenHash = SHA2('$a', 256)"
refresh "$a"
is "$STATUS:$BODY" "$REVOKED" "rotated and expired, presented again: the revoked message"
is "$(row "$b" | cut -c1)" 1 "  and it counts as reuse: its successor is revoked"

# An expired token revoked while it sits there: logout answers for the revoked state.
api_login erin@example.com Password@123 || bail_out "cannot log in"
t=$REFRESH
expire "$t"
AUTH=$TOKEN api POST /api/Auth/Logout "{\"RefreshToken\":\"$t\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "logout of an expired (not revoked) token: 200"
refresh "$t"
is "$STATUS:$BODY" "$REVOKED" "  afterwards: the revoked message, not the expired one"

# The user's other sessions did not notice any of this.
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $uid AND IsRevoked = 0
    AND ExpiresAt > UTC_TIMESTAMP()")" 1 "exactly one live token left (the refreshed one)"

done_testing
