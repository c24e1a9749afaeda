#!/bin/sh
# POST /oauth2/token (SPEC §9, RFC 6749): the password, refresh_token and
# client_credentials grants, client authentication (client_secret_basic,
# URL-decoded per §2.3.1; client_secret_post; public clients by client_id),
# scopes, and every refusal in RFC 6749 §5.2's shape. The refresh grant is
# the rotation of /api/Auth/RefreshToken: a token from either path
# refreshes on the other, reuse revokes the family, throttling counts
# password grants like logins.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
login_max_failures = 3
refresh_reuse_interval = 0"
# Quicker than nginx's 10 requests a second on /oauth2/token (t/rate-limit.t).
RATE_LIMIT=off
api_stack

claims() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f2)"
}
# The rows a refused request must leave as they were.
state() {
	stack_sql "SELECT CONCAT((SELECT COUNT(*) FROM RefreshTokens), '/',
	    (SELECT COUNT(*) FROM RefreshTokens WHERE IsRevoked = 1), '/',
	    (SELECT IFNULL(SUM(FailedCount), 0) FROM LoginThrottle))"
}
# refused STATUS ERROR NAME: the answer is STATUS with RFC 6749 §5.2's body
# carrying ERROR, not cacheable, and nothing changed in the database.
refused() {
	is "$STATUS:$(oauth_error)" "$1:$2" "$3: $1 $2"
	is "$(header Cache-Control):$(state)" "no-store:$before" "  ... no-store, nothing changed"
}

api_user ada@example.com Password@123 || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'ada@example.com'")
client_new Svc https://svc.example --confidential || bail_out "client add failed"
svc=$SECRET
# A client id with the characters RFC 6749 §2.3.1 makes Basic encode.
client_new 'ops:svc%+' https://ops.example --confidential || bail_out "client add failed"
ops=$SECRET
"$top_builddir/jwtauthctl" client scopes Svc read write >/dev/null
"$top_builddir/jwtauthctl" client scopes Client1 profile >/dev/null
PW='grant_type=password&username=ada%40example.com&password=Password%40123'

# ---- password grant ----------------------------------------------------------
oauth /oauth2/token "$PW&client_id=Client1"
is "$STATUS" 200 "password grant, public client: 200"
is "$(json 'keys | join(",")')" "access_token,expires_in,refresh_token,token_type" \
    "  RFC 6749 §5.1 members, no scope when none was asked for"
is "$(json '.token_type + " " + (.expires_in | tostring)')" "Bearer 3600" "  Bearer, expires_in 3600"
is "$(header Cache-Control) $(header Pragma)" "no-store no-cache" "  Cache-Control no-store, Pragma no-cache"
at=$(json .access_token)
rt=$(json .refresh_token)
is "$(claims "$at" | jq -r '[.sub, .aud, .client_id, .email, (.role | join(",")), has("scope")] | join("|")')" \
    "$uid|https://client1.com|Client1|ada@example.com|User|false" \
    "  the access token: the tutorial's claims and client_id (RFC 9068)"
AUTH=$at api GET /api/Users/GetProfile
is "$STATUS" 200 "  it opens GetProfile"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE TokenHash = SHA2('$rt', 256) AND Scope IS NULL")" 1 \
    "  the refresh token is stored as its hash, with no scope"

api_login ada@example.com Password@123
is "$(claims "$TOKEN" | jq -r .client_id)" Client1 "Login's access tokens carry client_id too"
login_rt=$REFRESH

oauth /oauth2/token "$PW&client_id=Svc&client_secret=$svc&scope=write+read+write"
is "$STATUS:$(json .scope)" "200:write read" "password grant, client_secret_post, scope: granted once each"
is "$(claims "$(json .access_token)" | jq -r '.scope + "|" + .client_id + "|" + .aud')" \
    "write read|Svc|https://svc.example" "  scope, client_id and aud of Svc in the token"
svc_rt=$(json .refresh_token)
is "$(stack_sql "SELECT Scope FROM RefreshTokens WHERE TokenHash = SHA2('$svc_rt', 256)")" "write read" \
    "  the family keeps the scope"

oauth /oauth2/token "$PW" "Svc:$svc"
is "$STATUS" 200 "password grant, client_secret_basic: 200"
oauth /oauth2/token "$PW" "ops%3Asvc%25%2B:$ops"
is "$STATUS:$(claims "$(json .access_token)" | jq -r .client_id)" "200:ops:svc%+" \
    "Basic credentials are form-urlencoded halves (RFC 6749 §2.3.1)"
oauth /oauth2/token "$PW&client_id=Client1" "Client1:"
is "$STATUS" 200 "a public client with an empty Basic secret: 200 (requests-oauthlib sends that)"

# ---- refusals: grant type, client authentication -------------------------------
before=$(state)
oauth /oauth2/token "username=ada%40example.com&password=Password%40123&client_id=Client1"
refused 400 invalid_request "no grant_type"
oauth /oauth2/token "grant_type=authorization_code&code=x&client_id=Client1"
refused 400 unsupported_grant_type "grant_type authorization_code"
oauth /oauth2/token "grant_type=PASSWORD&username=ada%40example.com&password=x&client_id=Client1"
refused 400 unsupported_grant_type "grant_type values compare exactly"
oauth /oauth2/token "$PW"
refused 401 invalid_client "no client at all"
is "$(header WWW-Authenticate)" "" "  no WWW-Authenticate without an Authorization header"
oauth /oauth2/token "$PW&client_id=NoSuch"
refused 401 invalid_client "unknown client_id"
oauth /oauth2/token "$PW&client_id=client1"
refused 401 invalid_client "client ids compare exactly"
oauth /oauth2/token "$PW&client_id=Svc"
refused 401 invalid_client "confidential client without its secret"
oauth /oauth2/token "$PW&client_id=Svc&client_secret=${svc}x"
refused 401 invalid_client "wrong client_secret"
oauth /oauth2/token "$PW&client_id=Svc&client_secret=$ops"
refused 401 invalid_client "another client's secret"
oauth /oauth2/token "$PW&client_id=Client1&client_secret=anything"
refused 401 invalid_client "a public client sending a secret"
oauth /oauth2/token "$PW" "Client1:secret"
refused 401 invalid_client "a public client sending a secret in Basic credentials"
oauth /oauth2/token "$PW" "Svc:wrong"
refused 401 invalid_client "wrong Basic secret"
is "$(header WWW-Authenticate)" 'Basic realm="jwtauth", charset="UTF-8"' \
    "  401 with WWW-Authenticate: Basic (RFC 6749 §5.2)"
oauth /oauth2/token "$PW" "" -H 'Authorization: Basic !!not-base64!!'
refused 401 invalid_client "a Basic header that is not base64"
is "$(header WWW-Authenticate | cut -c1-5)" "Basic" "  with WWW-Authenticate: Basic"
oauth /oauth2/token "$PW" "" -H "Authorization: Basic $(printf 'Svc%s' "$svc" | base64 -w0)"
refused 401 invalid_client "a Basic header without a colon"
oauth /oauth2/token "$PW" "" -H "Authorization: Basic $(printf 'Svc:%s' "$svc" | base64 -w0 | tr -d =)"
refused 401 invalid_client "a Basic header with its padding cut"
oauth /oauth2/token "$PW" "" -H "Authorization: Basic $(printf '%%zz:%s' "$svc" | base64 -w0)"
refused 401 invalid_client "a Basic client id that is not form-urlencoded"
oauth /oauth2/token "$PW" "" -H "Authorization: Bearer $at"
refused 401 invalid_client "a Bearer header at the token endpoint"
oauth /oauth2/token "$PW&client_secret=$svc" "Svc:$svc"
refused 400 invalid_request "Basic and client_secret together (two methods)"
oauth /oauth2/token "$PW&client_id=Client1" "Svc:$svc"
refused 400 invalid_request "Basic for one client, client_id for another"
oauth /oauth2/token "$PW&client_id=Svc" "Svc:$svc"
is "$STATUS" 200 "Basic with the same client_id in the body: 200"
before=$(state)

# ---- refusals: password grant ------------------------------------------------
oauth /oauth2/token "grant_type=password&password=Password%40123&client_id=Client1"
refused 400 invalid_request "password grant without username"
is "$(json .error_description)" "username: Email is required." "  says which"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&client_id=Client1"
refused 400 invalid_request "password grant without password"
oauth /oauth2/token "grant_type=password&username=not-an-email&password=x&client_id=Client1"
refused 400 invalid_request "username that is no e-mail address"
oauth /oauth2/token "$PW&client_id=Svc&client_secret=$svc&scope=admin"
refused 400 invalid_scope "a scope off the client's list"
oauth /oauth2/token "$PW&client_id=Svc&client_secret=$svc&scope=read++write"
refused 400 invalid_scope "a malformed scope (two spaces)"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=Wrong%40123&client_id=Client1"
is "$STATUS:$(oauth_error):$(json .error_description)" "400:invalid_grant:Invalid credentials." \
    "wrong password: 400 invalid_grant"
oauth /oauth2/token "grant_type=password&username=nobody%40example.com&password=Wrong%40123&client_id=Client1"
is "$STATUS:$(oauth_error):$(json .error_description)" "400:invalid_grant:Invalid credentials." \
    "unknown user: the same answer"
is "$(stack_sql "SELECT FailedCount FROM LoginThrottle WHERE Email = 'ada@example.com'")" 1 \
    "  the wrong password counts in Login's throttle"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=Wrong%40123&client_id=Client1"
oauth /oauth2/token "grant_type=password&username=ada%40example.com&password=Wrong%40123&client_id=Client1"
oauth /oauth2/token "$PW&client_id=Client1"
is "$STATUS:$(oauth_error)" "429:temporarily_unavailable" "after 3 failures even the right password: 429"
[ "$(header Retry-After)" -ge 1 ] 2>/dev/null
ok $? "  with Retry-After"
api POST /api/Auth/Login '{"Email":"ada@example.com","Password":"Password@123","ClientId":"Client1"}'
is "$STATUS" 429 "  and Login is throttled too: one count for both paths"
stack_sql "DELETE FROM LoginThrottle"

# ---- refresh grant -----------------------------------------------------------
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$login_rt&client_id=Client1"
is "$STATUS" 200 "a refresh token from /api/Auth/Login refreshes at /oauth2/token"
r1=$(json .refresh_token)
is "$(stack_sql "SELECT CONCAT(o.IsRevoked, o.ReplacedBy = n.Id, o.FamilyId = n.FamilyId)
    FROM RefreshTokens o, RefreshTokens n
    WHERE o.TokenHash = SHA2('$login_rt', 256) AND n.TokenHash = SHA2('$r1', 256)")" 111 \
    "  the same rotation: old revoked, replaced by the new one, same family"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r1\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "a refresh token from /oauth2/token refreshes at /api/Auth/RefreshToken"
r2=$(json .RefreshToken)
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$r2&client_id=Client2"
refused 400 invalid_grant "another client's refresh token"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=Client1"
refused 400 invalid_grant "an unknown refresh token"
oauth /oauth2/token "grant_type=refresh_token&client_id=Client1"
refused 400 invalid_request "no refresh_token"
# Reuse detection (refresh_reuse_interval = 0 here): the whole family goes.
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$login_rt&client_id=Client1"
is "$STATUS:$(oauth_error):$(json .error_description)" "400:invalid_grant:Refresh token has been revoked." \
    "a rotated-away token presented again: invalid_grant"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE FamilyId =
    (SELECT FamilyId FROM RefreshTokens WHERE TokenHash = SHA2('$r2', 256)) AND IsRevoked = 0")" 0 \
    "  reuse: every token of the family is revoked"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$r2&client_id=Client1"
is "$STATUS:$(oauth_error)" "400:invalid_grant" "  the family's newest token is dead too"

# Expired
oauth /oauth2/token "$PW&client_id=Client1"
rx=$(json .refresh_token)
stack_sql "UPDATE RefreshTokens SET ExpiresAt = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE TokenHash = SHA2('$rx', 256)"
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$rx&client_id=Client1"
refused 400 invalid_grant "an expired refresh token"
is "$(json .error_description)" "Refresh token has expired." "  says so"

# A confidential client's refresh needs its secret. The client is judged on
# the row the token's own lookup reads (issue 11), or, when the token is
# unknown or another client's, on its own: a client that fails to
# authenticate hears invalid_client whatever the token, and nothing happens.
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt&client_id=Svc"
refused 401 invalid_client "refresh by a confidential client without its secret"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt" "Svc:${svc}x"
refused 401 invalid_client "refresh by a confidential client with a wrong secret (Basic)"
is "$(header WWW-Authenticate | cut -d' ' -f1)" "Basic" "  with WWW-Authenticate: Basic"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt&client_id=Svc&client_secret=${svc}x"
refused 401 invalid_client "  and with a wrong secret in the form"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "Svc:${svc}x"
refused 401 invalid_client "an unknown refresh token and a wrong secret: invalid_client first"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt" "Nobody:$svc"
refused 401 invalid_client "a client that does not exist, with a live token of another"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt&client_id=Client1&client_secret=$svc"
refused 401 invalid_client "a public client sending a secret, with a confidential client's token"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt" "ops%3Asvc%25%2B:$ops"
refused 400 invalid_grant "another confidential client, authenticated, with Svc's token"
# A rotated-away token of Svc: reuse detection ends the family, but only
# for the client itself; one that cannot authenticate changes nothing.
oauth /oauth2/token "$PW" "Svc:$svc"
reuse_rt=$(json .refresh_token)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$reuse_rt" "Svc:$svc"
reuse_next=$(json .refresh_token)
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$reuse_rt" "Svc:${svc}x"
refused 401 invalid_client "a rotated-away token with a wrong secret: no reuse detection"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$reuse_next" "Svc:$svc"
is "$STATUS" 200 "  the family lives on: its newest token still refreshes"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt" "Svc:$svc"
is "$STATUS" 200 "after all of that, Svc's token refreshes with the right secret"
svc_rt=$(json .refresh_token)
# Scope: narrower is fine, wider is invalid_scope; the family keeps its own.
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt&scope=read+admin" "Svc:$svc"
refused 400 invalid_scope "refresh asking for a scope off the client's list"
oauth /oauth2/token "$PW&scope=read" "Svc:$svc"
read_rt=$(json .refresh_token)
before=$(state)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$read_rt&scope=read+write" "Svc:$svc"
refused 400 invalid_scope "refresh asking for more than the family's scope, though on the client's list"
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt&scope=read" "Svc:$svc"
is "$STATUS:$(json .scope):$(claims "$(json .access_token)" | jq -r .scope)" "200:read:read" \
    "refresh asking for less: that scope, in the answer and the token"
svc_rt=$(json .refresh_token)
is "$(stack_sql "SELECT Scope FROM RefreshTokens WHERE TokenHash = SHA2('$svc_rt', 256)")" "write read" \
    "  the new refresh token keeps the family's scope (RFC 6749 §6)"
"$top_builddir/jwtauthctl" client scopes Svc read >/dev/null
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$svc_rt" "Svc:$svc"
is "$STATUS:$(json .scope)" "200:read" "a scope taken from the client since is dropped at the next refresh"
svc_rt=$(json .refresh_token)
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$svc_rt\",\"ClientId\":\"Svc\"}"
is "$STATUS:$(claims "$(json .Token)" | jq -r .scope)" "200:read" \
    "/api/Auth/RefreshToken keeps the family's scope too"
"$top_builddir/jwtauthctl" client scopes Svc read write >/dev/null

# ---- client_credentials --------------------------------------------------------
oauth /oauth2/token "grant_type=client_credentials&scope=read" "Svc:$svc"
is "$STATUS" 200 "client_credentials, Basic: 200"
is "$(json 'keys | join(",")')" "access_token,expires_in,scope,token_type" "  no refresh token"
is "$(claims "$(json .access_token)" | jq -r '[.sub, .client_id, .aud, .scope, has("role"), has("email")] | join("|")')" \
    "Svc|Svc|https://svc.example|read|false|false" "  sub is the client, no user claims"
cc_at=$(json .access_token)
AUTH=$cc_at api GET /api/Products/GetById/1
is "$STATUS:$(header WWW-Authenticate | sed "s/,.*//")" '401:Bearer error="invalid_token"' \
    "  Products refuses it: its sub is no user"
oauth /oauth2/token "grant_type=client_credentials&client_id=Svc&client_secret=$svc"
is "$STATUS:$(json 'has("scope")')" "200:false" "client_credentials, post, no scope asked: none granted"
before=$(state)
oauth /oauth2/token "grant_type=client_credentials&client_id=Client1"
refused 400 unauthorized_client "client_credentials for a public client"
oauth /oauth2/token "grant_type=client_credentials&scope=profile" "Svc:$svc"
refused 400 invalid_scope "client_credentials with a scope off the list"

# ---- not a POST ----------------------------------------------------------------
api GET /oauth2/token
is "$STATUS:$(header Allow)" "405:POST" "GET /oauth2/token: 405, Allow: POST"

done_testing
