#!/bin/sh
# Issue 16, item 4: the reuse grace must not hide a theft. A copy of a
# rotated refresh token presented within refresh_reuse_interval is taken
# for a duplicate (two tabs refreshing at once) only while the token that
# replaced it is unused. A thief who rotated a stolen token and then used
# its replacement loses the family as soon as the owner presents the old
# token, however soon. The default interval is 2 s (was 5 s).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

REVOKED='401:{"message":"Refresh token has been revoked."}'

refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"Client1\"}"
}
revoked() {
	stack_sql "SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}
# The rotations so far happened N seconds earlier (no sleep).
earlier() {
	stack_sql "UPDATE RefreshTokens SET RevokedAt = RevokedAt - INTERVAL $1 SECOND
	    WHERE RevokedAt IS NOT NULL"
}

api_user erin@example.com Password@123 || bail_out "cannot register"

# ---- the attack: rotate the stolen token, use the new one, before the owner ----
api_login erin@example.com Password@123 || bail_out "cannot log in"
t=$REFRESH                      # the owner's token; the thief has a copy
refresh "$t"
is "$STATUS" 200 "the thief rotates the stolen token"
a1=$(json .RefreshToken)
refresh "$a1"
is "$STATUS" 200 "... and rotates its replacement too (the child is used)"
a2=$(json .RefreshToken)
refresh "$t"
is "$STATUS:$BODY" "$REVOKED" "the owner presents the old token at once: 401 revoked"
is "$(revoked "$a2")" 1 "... and that is reuse: the thief's newest token is revoked"
refresh "$a2"
is "$STATUS:$BODY" "$REVOKED" "the thief's next refresh: 401 revoked"

# ---- two tabs: the duplicate of an unused rotation keeps the family ----------------
api_login erin@example.com Password@123 || bail_out "cannot log in"
u=$REFRESH
refresh "$u"
is "$STATUS" 200 "tab 1 rotates"
u1=$(json .RefreshToken)
refresh "$u"
is "$STATUS:$BODY" "$REVOKED" "tab 2 sends the same token at once: 401 revoked"
is "$(revoked "$u1")" 0 "... a duplicate: tab 1's new token survives"
refresh "$u1"
is "$STATUS" 200 "... and refreshes"
u2=$(json .RefreshToken)

# ---- the child revoked by a logout: reuse too -----------------------------------
api_login erin@example.com Password@123 || bail_out "cannot log in"
v=$REFRESH
refresh "$v"
v1=$(json .RefreshToken)
AUTH=$(json .Token) api POST /api/Auth/Logout "{\"RefreshToken\":\"$v1\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "the new token is logged out"
refresh "$v"
is "$STATUS:$BODY" "$REVOKED" "the old token presented at once after that: 401 revoked"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE RevokedAt IS NULL AND FamilyId =
    (SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$v', 256))")" 0 \
    "... and the family is revoked (reuse)"

# ---- the interval is 2 s by default ----------------------------------------------
refresh "$u2"
is "$STATUS" 200 "rotate once more"
u3=$(json .RefreshToken)
earlier 3
refresh "$u2"
is "$STATUS:$BODY" "$REVOKED" "the old token presented 3 s after its rotation: 401 revoked"
is "$(revoked "$u3")" 1 "... past the 2 s default that is reuse: the family is revoked"

done_testing
