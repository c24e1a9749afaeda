#!/bin/sh
# The README's session end to end, through nginx over TLS: register, login,
# GetProfile, refresh, logout; and the access token checked by a tool that
# is not our code (openssl dgst against the JWKS key).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

api POST /api/Users/Register '{"Firstname":"Pranaya","Lastname":"Rout","Email":"pranaya@example.com","Password":"Password@123"}'
is "$STATUS" 201 "Register: 201"
is "$BODY" '{"message":"User registered successfully."}' "Register: message"

api_login pranaya@example.com Password@123
is "$STATUS" 200 "Login: 200"
is "$(header Cache-Control)" "no-store" "Login: Cache-Control no-store"
is "$(printf '%s' "$REFRESH" | tr -d 'A-Za-z0-9_-' | wc -c)$(printf '%s' "$REFRESH" | wc -c)" "043" \
    "Login: the refresh token is 43 base64url characters"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = SHA2('$REFRESH', 256)")" 1 \
    "Login: the refresh token is stored as its SHA-256"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = '$REFRESH'")" 0 \
    "Login: the refresh token itself is not stored"

# The token's parts, decoded with standard tools.
hdr=$(b64url_decode "$(printf '%s' "$TOKEN" | cut -d. -f1)")
pay=$(b64url_decode "$(printf '%s' "$TOKEN" | cut -d. -f2)")
is "$(printf '%s' "$hdr" | jq -r '.alg + " " + .typ')" "RS256 at+jwt" "token header: alg RS256, typ at+jwt"
is "$(printf '%s' "$pay" | jq -r '.iss')" "$STACK_URL" "claim iss is the configured issuer"
is "$(printf '%s' "$pay" | jq -r '.aud')" "https://client1.com" "claim aud is Client1's URL"
is "$(printf '%s' "$pay" | jq -r '.sub')" "$(stack_sql "SELECT Id FROM Users WHERE Email = 'pranaya@example.com'")" \
    "claim sub is the user id, as a string"
is "$(printf '%s' "$pay" | jq -r '.sub | type')" "string" "sub is a string"
is "$(printf '%s' "$pay" | jq -r '.exp - .iat')" 3600 "the access token lives one hour"
is "$(printf '%s' "$pay" | jq -r '.nbf == .iat')" true "nbf equals iat"
is "$(printf '%s' "$pay" | jq -r '.email + "|" + .name + "|" + (.role | join(","))')" \
    "pranaya@example.com|Pranaya|User" "claims email, name, role"
printf '%s' "$pay" | jq -r .jti | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
ok $? "jti is a random (v4) UUID"

# Independent check: rebuild the RSA key from the JWKS with openssl and
# verify the signature with openssl dgst.
anon api GET /.well-known/jwks.json
is "$STATUS" 200 "JWKS: 200"
is "$(header Cache-Control)" "public, max-age=300" "JWKS: cacheable"
kid=$(printf '%s' "$hdr" | jq -r .kid)
is "$(json "[.keys[] | select(.kid == \"$kid\")] | length")" 1 "the token's kid is published"
is "$(json ".keys[0] | [.kty, .use, .alg, .e] | join(\" \")")" "RSA sig RS256 AQAB" "JWKS key shape"
n_hex=$(b64url_decode "$(json ".keys[] | select(.kid == \"$kid\") | .n")" | od -An -tx1 | tr -d ' \n')
cat >"$TAP_TMP/pub.asn1" <<ASN1
asn1=SEQUENCE:pubkey
[pubkey]
n=INTEGER:0x$n_hex
e=INTEGER:65537
ASN1
openssl asn1parse -genconf "$TAP_TMP/pub.asn1" -out "$TAP_TMP/pub.der" -noout >/dev/null 2>&1 &&
    openssl rsa -RSAPublicKey_in -inform DER -in "$TAP_TMP/pub.der" -pubout -out "$TAP_TMP/pub.pem" 2>/dev/null
ok $? "openssl rebuilds the public key from the JWKS"
printf '%s' "$TOKEN" | cut -d. -f1,2 | tr -d '\n' >"$TAP_TMP/signed"
b64url_decode "$(printf '%s' "$TOKEN" | cut -d. -f3)" >"$TAP_TMP/sig"
openssl dgst -sha256 -verify "$TAP_TMP/pub.pem" -signature "$TAP_TMP/sig" "$TAP_TMP/signed" >/dev/null 2>&1
ok $? "openssl dgst verifies the access token against the JWKS key"

AUTH=$TOKEN api GET /api/Users/GetProfile
is "$STATUS" 200 "GetProfile: 200"
is "$(json '[.Email, .Firstname, .Lastname, (.Roles | join(","))] | join("|")')" \
    "pranaya@example.com|Pranaya|Rout|User" "GetProfile: the user's data"
is "$(json '.Id | type')" number "GetProfile: Id is a number"

old_refresh=$REFRESH
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "RefreshToken: 200"
is "$(header Cache-Control)" "no-store" "RefreshToken: Cache-Control no-store"
REFRESH=$(json .RefreshToken)
TOKEN=$(json .Token)
[ -n "$REFRESH" ] && [ "$REFRESH" != "$old_refresh" ]
ok $? "RefreshToken: a new refresh token"
is "$(stack_sql "SELECT CONCAT(o.IsRevoked, ' ', o.ReplacedBy = n.Id, ' ', o.FamilyId = n.FamilyId)
    FROM RefreshTokens o, RefreshTokens n
    WHERE o.TokenHash = SHA2('$old_refresh', 256) AND n.TokenHash = SHA2('$REFRESH', 256)")" "1 1 1" \
    "rotation: the old token is revoked, replaced by the new one, same family"

AUTH=$TOKEN api POST /api/Auth/Logout "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "Logout: 200"
is "$BODY" '{"Message":"Logout successful. Refresh token has been revoked."}' "Logout: message"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 401 "a logged-out refresh token no longer refreshes"
is "$BODY" '{"message":"Refresh token has been revoked."}' "... Refresh token has been revoked."

done_testing
