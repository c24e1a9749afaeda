#!/bin/sh
# Refresh-token reuse detection (SPEC §3, lib/session.h): presenting a
# token that was already rotated away answers 401 "Refresh token has been
# revoked." and revokes every token of its family (all descendants of the
# same login), and nothing outside that family. Presented again within a
# few seconds of its rotation it is taken for a duplicate of the rotating
# request (a retry, or a concurrent request served after the commit:
# t/refresh-concurrent.t): 401 revoked, the family kept. The reuse cases
# therefore move RevokedAt back in SQL first, as if time had passed.
# refresh_reuse_interval is its longest, 60 s, so that "at once" holds on
# a machine however loaded, and later() moves far past it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
refresh_reuse_interval = 60"
api_stack

REVOKED='401:{"message":"Refresh token has been revoked."}'

refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"${2:-Client1}\"}"
}
# IsRevoked of a token, from the database.
revoked() {
	stack_sql "SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}
family() {
	stack_sql "SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}
# An hour passes for every revocation so far (no sleep).
later() {
	stack_sql "UPDATE RefreshTokens SET RevokedAt = RevokedAt - INTERVAL 1 HOUR
	    WHERE RevokedAt IS NOT NULL"
}

api_user bob@example.com Password@123 || bail_out "cannot register"
api_user carol@example.com Password@123 || bail_out "cannot register"

# ---- A -> B, then A again ----------------------------------------------------
api_login bob@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
api_login bob@example.com Password@123 || bail_out "cannot log in"
other=$REFRESH                  # another login of the same user: another family
api_login bob@example.com Password@123 Client2 || bail_out "cannot log in"
other2=$REFRESH                 # and one on another client
api_login carol@example.com Password@123 || bail_out "cannot log in"
carol=$REFRESH                  # another user

[ "$(family "$a")" != "$(family "$other")" ]
ok $? "two logins of one user are two families"

refresh "$a"
is "$STATUS" 200 "rotate A -> B: 200"
b=$(json .RefreshToken)
is "$(revoked "$b")" 0 "B is live"

refresh "$a"
is "$STATUS:$BODY" "$REVOKED" "A presented again at once (a duplicate): 401 revoked"
is "$(revoked "$b")" 0 "... and B survives it"

later
refresh "$a"
is "$STATUS:$BODY" "$REVOKED" "A presented again later: 401 Refresh token has been revoked."
is "$(revoked "$b")" 1 "the reuse of A revoked B in the database"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$(family "$a")' AND
    (IsRevoked = 0 OR RevokedAt IS NULL)")" 0 "every token of the family is revoked, with RevokedAt"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$(family "$a")'")" 2 \
    "the reuse added no token to the family"
refresh "$b"
is "$STATUS:$BODY" "$REVOKED" "B, never used, is refused: revoked"
refresh "$a"
is "$STATUS:$BODY" "$REVOKED" "A once more: still revoked"

is "$(revoked "$other")$(revoked "$other2")$(revoked "$carol")" 000 \
    "the user's other logins and another user's token are untouched in the database"
refresh "$other"
is "$STATUS" 200 "the user's other login (same client) still refreshes"
other=$(json .RefreshToken)
refresh "$other2" Client2
is "$STATUS" 200 "the user's login on Client2 still refreshes"
refresh "$carol"
is "$STATUS" 200 "another user's token still refreshes"

# ---- A -> B -> C, reuse of A revokes C ---------------------------------------
api_login bob@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
fam=$(family "$a")
refresh "$a"
b=$(json .RefreshToken)
refresh "$b"
is "$STATUS" 200 "rotate B -> C: 200"
c=$(json .RefreshToken)
is "$(family "$a") $(family "$b") $(family "$c")" "$fam $fam $fam" "A, B and C share one family"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId = '$fam' AND IsRevoked = 0")" 1 \
    "only C is live before the reuse"
later
refresh "$a"
is "$STATUS:$BODY" "$REVOKED" "the grandparent A presented again: 401 revoked"
is "$(revoked "$c")" 1 "reuse of A revoked the grandchild C"
refresh "$c"
is "$STATUS:$BODY" "$REVOKED" "C is refused: revoked"
is "$(revoked "$other")" 0 "the other login's current token is still live"

# ---- reuse of a middle token ---------------------------------------------------
api_login bob@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
refresh "$a"
b=$(json .RefreshToken)
refresh "$b"
c=$(json .RefreshToken)
later
refresh "$b"
is "$STATUS:$BODY" "$REVOKED" "reuse of the middle token B: 401 revoked"
is "$(revoked "$c")" 1 "... and C is revoked"

# ---- reuse presented by the wrong client does nothing ------------------------
api_login bob@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
refresh "$a"
b=$(json .RefreshToken)
later
refresh "$a" Client2
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' \
    "a rotated token presented by another client: Invalid refresh token."
is "$(revoked "$b")" 0 "... and the family is left alone"
refresh "$b"
is "$STATUS" 200 "B still refreshes"

# ---- a logged-out token answers revoked too
api_login bob@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
tok=$TOKEN
refresh "$a"
b=$(json .RefreshToken)
AUTH=$tok api POST /api/Auth/Logout "{\"RefreshToken\":\"$b\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "logout of B"
refresh "$b"
is "$STATUS:$BODY" "$REVOKED" "B after logout: 401 revoked"

done_testing
