#!/bin/sh
# POST /oauth2/revoke (SPEC §9, RFC 7009): a refresh token is revoked with
# its whole family, by the client it was issued to; an unknown token, one
# already revoked, or another client's (left alone) get 200 all the same;
# a live access token gets 400 unsupported_token_type; token_type_hint is
# only a hint; the client authenticates as at the token endpoint.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
RATE_LIMIT=off
api_stack

live() {
	stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 0"
}
revoked() {
	stack_sql "SELECT IsRevoked FROM RefreshTokens WHERE TokenHash = SHA2('$1', 256)"
}
PW='grant_type=password&username=ada%40example.com&password=Password%40123'

api_user ada@example.com Password@123 || bail_out "cannot register"
client_new Svc https://svc.example --confidential || bail_out "client add failed"
svc=$SECRET

# A family of three (login, two rotations) and a second family.
api_login ada@example.com Password@123 || bail_out "cannot log in"
f1=$REFRESH
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$f1\",\"ClientId\":\"Client1\"}"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$(json .RefreshToken)&client_id=Client1"
f3=$(json .refresh_token)
api_login ada@example.com Password@123 || bail_out "cannot log in"
other=$REFRESH
is "$(live)" 2 "two live tokens: the family's newest and another login's"

oauth /oauth2/revoke "token=$f3&token_type_hint=refresh_token&client_id=Client1"
is "$STATUS:$BODY" "200:{}" "revoke a refresh token: 200"
is "$(header Cache-Control)" "no-store" "  not cacheable"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId =
    (SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$f3', 256)) AND IsRevoked = 0")" 0 \
    "  its whole family is revoked"
is "$(revoked "$other"):$(live)" "0:1" "  another family of the same user is not"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$f3\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" '401:{"message":"Refresh token has been revoked."}' \
    "  /api/Auth/RefreshToken refuses it: revoked"
oauth /oauth2/revoke "token=$f3&client_id=Client1"
is "$STATUS:$BODY" "200:{}" "revoking it again: 200"

oauth /oauth2/revoke "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=Client1"
is "$STATUS:$BODY" "200:{}" "an unknown token: 200 (RFC 7009 §2.2)"
oauth /oauth2/revoke "token=not+a+token+at+all&client_id=Client1"
is "$STATUS:$BODY" "200:{}" "garbage: 200"
oauth /oauth2/revoke "token=$other&client_id=Client2"
is "$STATUS:$BODY" "200:{}" "another client's refresh token: 200"
is "$(revoked "$other")" 0 "  and left alone"
oauth /oauth2/revoke "token=$other&token_type_hint=access_token&client_id=Client1"
is "$STATUS:$(revoked "$other")" "200:1" "a refresh token with token_type_hint=access_token: revoked all the same"

# Confidential clients authenticate, either way.
oauth /oauth2/token "$PW" "Svc:$svc"
s1=$(json .refresh_token)
s_at=$(json .access_token)
oauth /oauth2/revoke "token=$s1&client_id=Svc"
is "$STATUS:$(oauth_error):$(revoked "$s1")" "401:invalid_client:0" \
    "a confidential client without its secret: 401 invalid_client, nothing revoked"
oauth /oauth2/revoke "token=$s1" "Svc:nope"
is "$STATUS:$(oauth_error):$(header WWW-Authenticate | cut -c1-5):$(revoked "$s1")" \
    "401:invalid_client:Basic:0" "a wrong Basic secret: 401, WWW-Authenticate Basic, nothing revoked"
oauth /oauth2/revoke "token=$s1&client_id=Client1&client_secret=x"
is "$STATUS:$(oauth_error)" "401:invalid_client" "a public client sending a secret: 401"
oauth /oauth2/revoke "token=$s1"
is "$STATUS:$(oauth_error)" "401:invalid_client" "no client: 401"
oauth /oauth2/revoke "token=$s1&client_id=Svc&client_secret=$svc"
is "$STATUS:$(revoked "$s1")" "200:1" "client_secret_post: revoked"
oauth /oauth2/token "$PW" "Svc:$svc"
s2=$(json .refresh_token)
oauth /oauth2/revoke "token=$s2" "Svc:$svc"
is "$STATUS:$(revoked "$s2")" "200:1" "client_secret_basic: revoked"

# Access tokens are not revocable (SPEC §9).
oauth /oauth2/revoke "token=$s_at" "Svc:$svc"
is "$STATUS:$(oauth_error)" "400:unsupported_token_type" "a live access token: 400 unsupported_token_type"
oauth /oauth2/revoke "token=$s_at&token_type_hint=refresh_token" "Svc:$svc"
is "$STATUS:$(oauth_error)" "400:unsupported_token_type" "  whatever the hint says"
api_login ada@example.com Password@123 || bail_out "cannot log in"
oauth /oauth2/revoke "token=$TOKEN&client_id=Client2"
is "$STATUS:$(oauth_error)" "400:unsupported_token_type" "  another client's access token too"
oauth /oauth2/revoke "token=${s_at%??????}AAAAAA" "Svc:$svc"
is "$STATUS:$BODY" "200:{}" "an access token with a broken signature: invalid, so 200"
oauth /oauth2/revoke "token=a.b.c" "Svc:$svc"
is "$STATUS:$BODY" "200:{}" "three dotted parts of nothing: 200"

done_testing
