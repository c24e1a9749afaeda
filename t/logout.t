#!/bin/sh
# POST /api/Auth/Logout (SPEC §3): a bearer token is required; the refresh
# token must be the bearer's, on that client; it is revoked once (a second
# time: 400); IsLogoutFromAllDevices revokes every live token of the user
# on every client, and only then.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

PTYPE='{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":'
DONE='200:{"Message":"Logout successful. Refresh token has been revoked."}'
INVALID='401:{"message":"Invalid refresh token."}'

refresh() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$1\",\"ClientId\":\"${2:-Client1}\"}"
}
logout() {
	api POST /api/Auth/Logout "$1"
}
revoked() {
	stack_sql "SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}
live() {
	stack_sql "SELECT COUNT(*) FROM RefreshTokens r JOIN Users u ON u.Id = r.UserId
	    WHERE u.Email = '$1' AND r.IsRevoked = 0"
}

api_user frank@example.com Password@123 || bail_out "cannot register"
api_user grace@example.com Password@123 || bail_out "cannot register"

api_login frank@example.com Password@123 || bail_out "cannot log in"
AUTH=$TOKEN
r=$REFRESH

# ---- bearer required ---------------------------------------------------------
anon logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "no bearer token: 401"
is "$(header WWW-Authenticate)" "Bearer" "  WWW-Authenticate: Bearer"
is "$(revoked "$r")" 0 "  the refresh token is not revoked"
AUTH=garbage.token.here logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "a bad bearer token: 401"
case $(header WWW-Authenticate) in 'Bearer error="invalid_token"'*) v=0 ;; *) v=1 ;; esac
ok $v "  WWW-Authenticate: Bearer error=\"invalid_token\""
is "$(revoked "$r")" 0 "  the refresh token is not revoked"

# ---- validation ----------------------------------------------------------------
logout '{"ClientId":"Client1"}'
is "$STATUS:$BODY" "400:$PTYPE"'{"RefreshToken":["RefreshToken is required."]}}' "no RefreshToken"
logout "{\"RefreshToken\":\"$r\"}"
is "$STATUS:$BODY" "400:$PTYPE"'{"ClientId":["ClientId is required."]}}' "no ClientId"
logout '{}'
is "$STATUS:$BODY" "400:$PTYPE"'{"RefreshToken":["RefreshToken is required."],"ClientId":["ClientId is required."]}}' \
    "empty body: both messages"
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":\"yes\"}"
is "$STATUS:$BODY" "400:$PTYPE"'{"IsLogoutFromAllDevices":["The JSON value could not be converted to System.Boolean."]}}' \
    "IsLogoutFromAllDevices \"yes\": 400"
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":1}"
is "$STATUS" 400 "IsLogoutFromAllDevices 1: 400"
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":null}"
is "$STATUS" 400 "IsLogoutFromAllDevices null: 400"
is "$(revoked "$r")" 0 "after all that the refresh token is still live"

# ---- not this user's, not this client's ----------------------------------------
api_login grace@example.com Password@123 || bail_out "cannot log in"
grace_token=$TOKEN
grace_r=$REFRESH
logout "{\"RefreshToken\":\"$grace_r\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" "$INVALID" "another user's refresh token: 401 Invalid refresh token."
is "$(revoked "$grace_r")" 0 "  that token is untouched"
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client2\"}"
is "$STATUS:$BODY" "$INVALID" "wrong ClientId: 401 Invalid refresh token."
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"NoSuchClient\"}"
is "$STATUS:$BODY" "$INVALID" "unknown ClientId: 401 Invalid refresh token."
logout '{"RefreshToken":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ClientId":"Client1"}'
is "$STATUS:$BODY" "$INVALID" "unknown refresh token: 401 Invalid refresh token."
is "$(revoked "$r")" 0 "the refresh token is still live"

# ---- success --------------------------------------------------------------------
api_login frank@example.com Password@123 || bail_out "cannot log in"
other=$REFRESH          # the same user, another session on the same client
AUTH_KEEP=$AUTH
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" "$DONE" "logout: 200 and the exact message"
is "$(header Content-Type | sed 's/;.*//')" "application/json" "  JSON"
is "$(stack_sql "SELECT CONCAT(IsRevoked, ' ', RevokedAt IS NOT NULL, ' ', ReplacedBy IS NULL)
    FROM RefreshTokens WHERE TokenHash = SHA2('$r', 256)")" "1 1 1" "  revoked in the database, RevokedAt set"
is "$(revoked "$other")$(revoked "$grace_r")" 00 "  absent IsLogoutFromAllDevices: only that one"
refresh "$r"
is "$STATUS:$BODY" '401:{"message":"Refresh token has been revoked."}' "  it no longer refreshes"
logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" '400:{"message":"Refresh token is already revoked."}' "second logout: 400 already revoked"
AUTH=$grace_token logout "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" "$INVALID" "  the same revoked token under another user's bearer: Invalid refresh token."
AUTH=$AUTH_KEEP api GET /api/Users/GetProfile
is "$STATUS" 200 "the access token itself still works (it is not revoked by logout)"

logout "{\"RefreshToken\":\"$other\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":false}"
is "$STATUS:$BODY" "$DONE" "IsLogoutFromAllDevices false: 200"
is "$(revoked "$other")" 1 "  that token revoked"

# A rotated-away token: revoked already.
api_login frank@example.com Password@123 || bail_out "cannot log in"
a=$REFRESH
refresh "$a"
b=$(json .RefreshToken)
logout "{\"RefreshToken\":\"$a\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" '400:{"message":"Refresh token is already revoked."}' "logout with a rotated-away token: 400"
is "$(revoked "$b")" 0 "  its successor is untouched"
logout "{\"RefreshToken\":\"$b\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" "$DONE" "logout with the successor: 200"

# ---- all devices ----------------------------------------------------------------
api_login frank@example.com Password@123 Client1 || bail_out "cannot log in"
d1=$REFRESH
api_login frank@example.com Password@123 Client1 || bail_out "cannot log in"
d2=$REFRESH
api_login frank@example.com Password@123 Client2 || bail_out "cannot log in"
d3=$REFRESH
refresh "$d3" Client2
d3=$(json .RefreshToken)
is "$(live frank@example.com)" 3 "three live sessions: Client1 twice, Client2 once"
is "$(live grace@example.com)" 1 "another user has one"
logout "{\"RefreshToken\":\"$d1\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":true}"
is "$STATUS:$BODY" "$DONE" "IsLogoutFromAllDevices true: 200"
is "$(live frank@example.com)" 0 "  every token of the user is revoked in the database"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens r JOIN Users u ON u.Id = r.UserId
    WHERE u.Email = 'frank@example.com' AND r.RevokedAt IS NULL")" 0 "  all with RevokedAt"
is "$(live grace@example.com)" 1 "  another user's token is untouched"
refresh "$d2" Client1
is "$STATUS:$BODY" '401:{"message":"Refresh token has been revoked."}' "  the other Client1 session no longer refreshes"
refresh "$d3" Client2
is "$STATUS:$BODY" '401:{"message":"Refresh token has been revoked."}' "  the Client2 session no longer refreshes"
refresh "$grace_r"
is "$STATUS" 200 "  the other user still refreshes"
logout "{\"RefreshToken\":\"$d2\",\"ClientId\":\"Client1\",\"IsLogoutFromAllDevices\":true}"
is "$STATUS:$BODY" '400:{"message":"Refresh token is already revoked."}' \
    "all devices again with a revoked token: 400 already revoked"

# A new login after that works as ever.
api_login frank@example.com Password@123 || bail_out "cannot log in"
refresh "$REFRESH"
is "$STATUS" 200 "a new login after logging out everywhere refreshes"

# Case-insensitive property names.
api_login frank@example.com Password@123 || bail_out "cannot log in"
AUTH=$TOKEN logout "{\"refreshtoken\":\"$REFRESH\",\"CLIENTID\":\"Client1\",\"islogoutfromalldevices\":false}"
is "$STATUS:$BODY" "$DONE" "property names match case-insensitively"

done_testing
