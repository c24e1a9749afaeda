#!/bin/sh
# POST /api/Auth/RefreshToken (SPEC §3, §4): a rotation answers new tokens,
# not cacheable; the body is validated; a token unknown or issued to another
# client is refused (and stays usable by its own client); the new access
# token carries the roles as they are in the database at refresh; the new
# refresh token gets a full lifetime; the database holds only hashes.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

PTYPE='{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":'

# The payload of an access token, as JSON.
claims() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f2)"
}
refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"${2:-Client1}\"}"
}

api_user alice@example.com Password@123 || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'alice@example.com'")
api_login alice@example.com Password@123 || bail_out "cannot log in"
r0=$REFRESH

# ---- success -------------------------------------------------------------
refresh "$r0"
is "$STATUS" 200 "refresh: 200"
is "$(header Cache-Control)" "no-store" "refresh: Cache-Control no-store"
is "$(header Content-Type | sed 's/;.*//')" "application/json" "refresh: JSON"
is "$(json 'keys | join(",")')" "RefreshToken,Token" "refresh: exactly Token and RefreshToken"
r1=$(json .RefreshToken)
t1_r1=$r1
t1=$(json .Token)
printf '%s' "$r1" | grep -Eq '^[A-Za-z0-9_-]{43}$'
ok $? "the new refresh token is 43 base64url characters"
[ "$r1" != "$r0" ]
ok $? "the new refresh token differs from the old one"
is "$(claims "$t1" | jq -r '[.sub, .aud, (.role | join(","))] | join("|")')" \
    "$uid|https://client1.com|User" "the new access token: sub, aud, role"
AUTH=$t1 api GET /api/Users/GetProfile
is "$STATUS" 200 "the new access token works"
refresh "$r0"
is "$STATUS:$BODY" '401:{"message":"Refresh token has been revoked."}' "the old refresh token is spent"
# (that was a reuse: the family of r0 and r1 is revoked now; a new login)
api_login alice@example.com Password@123 || bail_out "cannot log in"
r1=$REFRESH

# ---- validation ------------------------------------------------------------
anon api POST /api/Auth/RefreshToken '{"ClientId":"Client1"}'
is "$STATUS" 400 "no RefreshToken: 400"
is "$(header Content-Type | sed 's/;.*//')" "application/problem+json" "  problem+json"
is "$BODY" "$PTYPE"'{"RefreshToken":["RefreshToken is required."]}}' "  RefreshToken is required."
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r1\"}"
is "$STATUS:$BODY" "400:$PTYPE"'{"ClientId":["ClientId is required."]}}' "no ClientId: ClientId is required."
anon api POST /api/Auth/RefreshToken '{"RefreshToken":"","ClientId":" "}'
is "$STATUS:$BODY" "400:$PTYPE"'{"RefreshToken":["RefreshToken is required."],"ClientId":["ClientId is required."]}}' \
    "both empty: both messages"
anon api POST /api/Auth/RefreshToken '{}'
is "$STATUS:$(json '.errors | keys | join(",")')" "400:ClientId,RefreshToken" "empty object: both fields"
anon api POST /api/Auth/RefreshToken "{\"refreshtoken\":\"$r1\",\"CLIENTID\":\"Client1\"}"
is "$STATUS" 200 "property names match case-insensitively"
r1=$(json .RefreshToken)
anon api POST /api/Auth/RefreshToken '{"RefreshToken":1,"ClientId":"Client1"}'
is "$STATUS" 400 "RefreshToken of the wrong type: 400"

# ---- unknown token, another client ---------------------------------------
refresh "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' "unknown token: 401 Invalid refresh token."
refresh "not a token at all"
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' "garbage token: 401 Invalid refresh token."

api_login alice@example.com Password@123 || bail_out "cannot log in"
r2=$REFRESH
refresh "$r2" Client2
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' "token of Client1 presented by Client2: 401"
refresh "$r2" client1
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' "client ids compare exactly (client1)"
refresh "$r2" NoSuchClient
is "$STATUS:$BODY" '401:{"message":"Invalid refresh token."}' "unknown client: 401 Invalid refresh token."
is "$(stack_sql "SELECT CONCAT(IsRevoked, ' ', ReplacedBy IS NULL) FROM RefreshTokens
    WHERE TokenHash = SHA2('$r2', 256)")" "0 1" "  the token is untouched in the database"
refresh "$r2" Client1
is "$STATUS" 200 "  and still works with Client1"
r3=$(json .RefreshToken)

# ---- roles are read at refresh --------------------------------------------
stack_sql "INSERT INTO UserRoles (UserId, RoleId) SELECT $uid, Id FROM Roles WHERE Name = 'Editor'"
refresh "$r3"
is "$STATUS" 200 "refresh after granting Editor in SQL: 200"
r4=$(json .RefreshToken)
is "$(claims "$(json .Token)" | jq -c .role)" '["Editor","User"]' "the new access token has the role granted since login"
stack_sql "DELETE ur FROM UserRoles ur JOIN Roles r ON r.Id = ur.RoleId WHERE ur.UserId = $uid AND r.Name = 'User'"
refresh "$r4"
is "$(claims "$(json .Token)" | jq -c .role)" '["Editor"]' "... and loses a role removed since"
r5=$(json .RefreshToken)
# SPEC §4: roles in a stable order, by name, whatever order the rows come
# in: a role made after the others (a higher Id) that sorts first.
stack_sql "INSERT INTO Roles (Name) VALUES ('Auditor');
    INSERT INTO UserRoles (UserId, RoleId) SELECT $uid, Id FROM Roles WHERE Name = 'Auditor'"
refresh "$r5"
is "$(claims "$(json .Token)" | jq -c .role)" '["Auditor","Editor"]' "roles come sorted by name"
r5=$(json .RefreshToken)

# ---- lifetime and storage ---------------------------------------------------
is "$(stack_sql "SELECT ABS(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP() + INTERVAL 7 DAY, ExpiresAt)) <= 300
    FROM RefreshTokens WHERE TokenHash = SHA2('$r5', 256)")" 1 \
    "the new refresh token expires 7 days from now"
stack_sql "UPDATE RefreshTokens SET ExpiresAt = UTC_TIMESTAMP() + INTERVAL 1 HOUR WHERE TokenHash = SHA2('$r5', 256)"
refresh "$r5"
r6=$(json .RefreshToken)
is "$(stack_sql "SELECT ABS(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP() + INTERVAL 7 DAY, ExpiresAt)) <= 300
    FROM RefreshTokens WHERE TokenHash = SHA2('$r6', 256)")" 1 \
    "a token close to expiry is renewed for 7 full days"
is "$(stack_sql "SELECT CONCAT(o.IsRevoked, ' ', o.RevokedAt IS NOT NULL, ' ', o.ReplacedBy = n.Id, ' ',
    o.FamilyId = n.FamilyId, ' ', o.UserId = n.UserId, ' ', o.ClientId = n.ClientId)
    FROM RefreshTokens o, RefreshTokens n
    WHERE o.TokenHash = SHA2('$r5', 256) AND n.TokenHash = SHA2('$r6', 256)")" "1 1 1 1 1 1" \
    "rotation row: old revoked, RevokedAt set, ReplacedBy the new one, same family, user, client"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash NOT REGEXP '^[0-9a-f]{64}\$'")" 0 \
    "every stored TokenHash is 64 lowercase hex digits"
found=0
for r in "$r0" "$t1_r1" "$r1" "$r2" "$r3" "$r4" "$r5" "$r6"; do
	n=$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = '$r' OR FamilyId = '$r'")
	[ "$n" = 0 ] || found=1
	n=$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = SHA2('$r', 256)")
	[ "$n" = 1 ] || found=1
done
is "$found" 0 "no token is stored as itself, every one as its SHA-256"

done_testing
