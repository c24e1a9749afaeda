#!/bin/sh
# POST /oauth2/introspect (SPEC §9, RFC 7662): confidential clients only;
# a live access token (any client's: resource servers introspect what
# they are sent) or the client's own live refresh token answers
# {"active":true,...} with what the token says; anything else, another
# client's refresh token included, {"active":false} and nothing more.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
RATE_LIMIT=off
api_stack

claims() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f2)"
}
inactive() {
	is "$STATUS:$BODY:$(header Cache-Control)" '200:{"active":false}:no-store' "$1: {\"active\":false} only"
}
PW='grant_type=password&username=ada%40example.com&password=Password%40123'

api_user ada@example.com Password@123 || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'ada@example.com'")
client_new Svc https://svc.example --confidential || bail_out "client add failed"
svc=$SECRET
client_new Rs https://rs.example --confidential || bail_out "client add failed"
rs=$SECRET
"$top_builddir/jwtauthctl" client scopes Svc read write >/dev/null

oauth /oauth2/token "$PW&scope=read" "Svc:$svc"
at=$(json .access_token)
rt=$(json .refresh_token)

# ---- who may ask ------------------------------------------------------------
oauth /oauth2/introspect "token=$at&client_id=Client1"
is "$STATUS:$(oauth_error)" "401:invalid_client" "a public client: 401 invalid_client"
oauth /oauth2/introspect "token=$at"
is "$STATUS:$(oauth_error)" "401:invalid_client" "no client: 401"
oauth /oauth2/introspect "token=$at" "Svc:wrong"
is "$STATUS:$(oauth_error):$(header WWW-Authenticate | cut -c1-5)" "401:invalid_client:Basic" \
    "a wrong secret: 401 with WWW-Authenticate: Basic"
oauth /oauth2/introspect "token=$at&client_id=Client1" "Client1:"
is "$STATUS:$(oauth_error):$(header WWW-Authenticate | cut -c1-5)" "401:invalid_client:Basic" \
    "a public client through Basic: 401 with WWW-Authenticate: Basic"

# ---- access tokens ------------------------------------------------------------
oauth /oauth2/introspect "token=$at" "Svc:$svc"
is "$STATUS:$(header Cache-Control)" "200:no-store" "a live access token: 200, no-store"
is "$(json 'keys_unsorted | join(",")')" "active,sub,client_id,username,scope,token_type,exp,iat,nbf,aud,iss,jti" \
    "  every member of SPEC §9"
is "$(json '[.active, .sub, .client_id, .username, .scope, .token_type, .aud, .iss] | map(tostring) | join("|")')" \
    "true|$uid|Svc|ada@example.com|read|Bearer|https://svc.example|$STACK_URL" "  their values"
is "$(json '[.exp, .iat, .nbf, .jti] | map(tostring) | join("|")')" \
    "$(claims "$at" | jq -r '[.exp, .iat, .nbf, .jti] | map(tostring) | join("|")')" \
    "  exp, iat, nbf and jti are the token's"
oauth /oauth2/introspect "token=$at&token_type_hint=refresh_token&client_id=Rs&client_secret=$rs"
is "$STATUS:$(json .active):$(json .client_id)" "200:true:Svc" \
    "another confidential client (a resource server) sees it live, whatever the hint"
oauth /oauth2/token "grant_type=client_credentials&scope=write" "Svc:$svc"
oauth /oauth2/introspect "token=$(json .access_token)" "Rs:$rs"
is "$(json '[.active, .sub, .client_id, .scope, has("username")] | map(tostring) | join("|")')" \
    "true|Svc|Svc|write|false" "a client_credentials token: sub is the client, no username"
api_login ada@example.com Password@123 || bail_out "cannot log in"
oauth /oauth2/introspect "token=$TOKEN" "Svc:$svc"
is "$(json '[.active, .client_id, has("scope")] | map(tostring) | join("|")')" "true|Client1|false" \
    "a token from /api/Auth/Login: live, client_id Client1, no scope"
tutorial_rt=$REFRESH
oauth /oauth2/introspect "token=${at%??????}AAAAAA" "Svc:$svc"
inactive "an access token with a broken signature"
oauth /oauth2/introspect "token=$(printf '%s' "$at" | cut -d. -f1).$(printf '{"sub":"1","exp":9999999999}' | base64 -w0 | tr '+/' '-_' | tr -d =).$(printf '%s' "$at" | cut -d. -f3)" "Svc:$svc"
inactive "an access token with its payload changed"
oauth /oauth2/introspect "token=a.b.c" "Svc:$svc"
inactive "a.b.c"
# Expired: sign one with the stack's own key for an exp an hour ago is not
# possible from here; a token of a key that no longer exists stands in.
oauth /oauth2/introspect "token=eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im5vbmUifQ.e30.AAAA" "Svc:$svc"
inactive "a token whose kid names no key"

# ---- refresh tokens ------------------------------------------------------------
oauth /oauth2/introspect "token=$rt" "Svc:$svc"
is "$(json 'keys_unsorted | join(",")')" "active,sub,client_id,username,scope,token_type,exp,iat,nbf,aud,iss" \
    "the client's own live refresh token: the members a refresh token has"
is "$(json '[.active, .sub, .client_id, .username, .scope, .token_type, .aud, .iss] | map(tostring) | join("|")')" \
    "true|$uid|Svc|ada@example.com|read|refresh_token|https://svc.example|$STACK_URL" "  their values"
is "$(json '.exp - .iat')" 604800 "  exp - iat: the refresh lifetime"
is "$(json .exp)" "$(stack_sql "SELECT UNIX_TIMESTAMP(ExpiresAt) FROM RefreshTokens WHERE TokenHash = SHA2('$rt', 256)")" \
    "  exp is the row's ExpiresAt"
oauth /oauth2/introspect "token=$rt" "Rs:$rs"
inactive "another client's refresh token"
oauth /oauth2/introspect "token=$tutorial_rt" "Svc:$svc"
inactive "a refresh token of Client1 asked about by Svc"
oauth /oauth2/introspect "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "Svc:$svc"
inactive "an unknown refresh token"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$rt" "Svc:$svc"
new_rt=$(json .refresh_token)
oauth /oauth2/introspect "token=$rt" "Svc:$svc"
inactive "a rotated-away refresh token"
oauth /oauth2/introspect "token=$new_rt" "Svc:$svc"
is "$(json .active)" true "  its successor is live"
stack_sql "UPDATE RefreshTokens SET ExpiresAt = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE TokenHash = SHA2('$new_rt', 256)"
oauth /oauth2/introspect "token=$new_rt" "Svc:$svc"
inactive "an expired refresh token"
oauth /oauth2/token "$PW" "Svc:$svc"
r3=$(json .refresh_token)
oauth /oauth2/revoke "token=$r3" "Svc:$svc"
oauth /oauth2/introspect "token=$r3" "Svc:$svc"
inactive "a revoked refresh token"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = SHA2('$r3', 256) AND IsRevoked = 1")" 1 \
    "introspection changed nothing (the revoked one is still there, revoked)"

done_testing
