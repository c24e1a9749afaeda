#!/bin/sh
# The nginx gateway (SPEC §10) in front of real apps, in a server block of
# their own made of contrib/DEPLOYING.md's nginx lines: a static folder, an app behind
# proxy_pass (t/lib/gateway-echo.py, which says what it received) that
# requires role Editor or Admin and Client1's tokens, and PHP under
# Debian's php-fpm. A refused request never reaches the app; one that
# passes brings the bearer's identity, and headers a client sends under
# the same names never arrive. Key rotations (to ES256, then EdDSA) break
# none of it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
. "$top_srcdir/t/lib/gateway.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
gateway_stack

CTL=$top_builddir/jwtauthctl
api_user uma@example.com Password@123 || bail_out "cannot register Uma"
api_user ed@example.com Password@123 Editor || bail_out "cannot register Ed"
uma_id=$(stack_sql "SELECT Id FROM Users WHERE Email = 'uma@example.com'")
ed_id=$(stack_sql "SELECT Id FROM Users WHERE Email = 'ed@example.com'")
api_login uma@example.com Password@123 || bail_out "Uma cannot log in"
uma=$TOKEN
api_login ed@example.com Password@123 || bail_out "Ed cannot log in"
ed=$TOKEN
api_login ed@example.com Password@123 Client2 || bail_out "Ed cannot log in with Client2"
ed2=$TOKEN

# reached: how many requests the echo app has received so far.
reached() {
	wc -l <"$GATEWAY_ECHO_LOG" | tr -d ' '
}

# ---- a static folder ------------------------------------------------------------
anon app GET /docs/index.txt
is "$STATUS:$(header WWW-Authenticate)" "401:Bearer" "static folder, no token: 401 Bearer"
is "$(header Content-Type):$BODY" 'application/json; charset=utf-8:{"message":"Unauthorized."}' \
    "  JSON, though the server block types .txt as text/plain (mime.types)"
AUTH=$uma app GET /docs/index.txt
is "$STATUS:$BODY" "200:the docs" "static folder, any valid token: 200"

# ---- a proxied app: Editor or Admin, Client1 ---------------------------------------
n0=$(reached)
anon app GET /app/hello
is "$STATUS:$BODY" '401:{"message":"Unauthorized."}' "app, no token: 401 JSON"
AUTH=garbage app GET /app/hello
is "$STATUS:$(header WWW-Authenticate)" \
    '401:Bearer error="invalid_token", error_description="The token is malformed."' \
    "app, a bad token: 401 invalid_token"
AUTH=$uma app GET /app/hello
is "$STATUS:$(header WWW-Authenticate)" '403:Bearer error="insufficient_scope"' \
    "app, a valid token without the role (User): 403 insufficient_scope"
is "$(header Content-Type):$BODY" 'application/json; charset=utf-8:{"message":"Forbidden."}' "  JSON"
AUTH=$ed2 app GET /app/hello
is "$STATUS:$BODY" '401:{"message":"The audience is invalid."}' \
    "app, the role but a token of Client2: 401, the audience"
is "$(reached)" "$n0" "none of those reached the app"

AUTH=$ed app GET /app/hello
is "$STATUS" 200 "app, Editor with Client1's token: 200 from the app"
is "$(json .Path)" "/app/hello" "  the app served the request"
is "$(json '[.Sub, .Email, .Roles, .Client] | join(" ")')" \
    "$ed_id ed@example.com Editor,User Client1" \
    "  X-Jwtauth-Sub, -Email, -Roles, -Client: the bearer's identity"
is "$(json '.Authorization' | cut -c1-7)" "Bearer " "  the Authorization header passes on too"
is "$(reached)" "$((n0 + 1))" "  one request reached the app"

# Spoofed identity headers, sent in every spelling nginx accepts.
# (999 and 998 name no user of this test.)
AUTH=$ed app GET /app/spoof '' -H "X-Jwtauth-Sub: 999" -H "X-Jwtauth-Roles: Admin" \
    -H "x-jwtauth-email: boss@example.com" -H "X-JWTAUTH-CLIENT: evil" \
    -H "X_Jwtauth_Sub: 999" -H "X-Jwtauth-Sub: 998"
is "$STATUS" 200 "app, Editor sending X-Jwtauth-* of their own: 200"
is "$(json '[.Sub, .Email, .Roles, .Client] | join(" ")')" \
    "$ed_id ed@example.com Editor,User Client1" "  the app sees authz's values"
is "$(json '.Jwtauth | to_entries | map("\(.key)=\(.value | join("|"))") | sort | join(" ")')" \
    "x-jwtauth-client=Client1 x-jwtauth-email=ed@example.com x-jwtauth-roles=Editor,User x-jwtauth-sub=$ed_id" \
    "  and nothing else: one value each, no underscore variant"
n1=$(reached)
AUTH=$uma app GET /app/spoof '' -H "X-Jwtauth-Roles: Admin" -H "X-Jwtauth-Sub: $ed_id"
is "$STATUS" 403 "app, a User claiming X-Jwtauth-Roles: Admin: still 403"
anon app GET /app/spoof '' -H "X-Jwtauth-Sub: $ed_id" -H "X-Jwtauth-Roles: Admin"
is "$STATUS" 401 "app, no token but identity headers: 401"
AUTH=$ed app GET /app/twice '' -H "Authorization: Bearer garbage"
is "$STATUS" 400 "app, two Authorization headers (a valid token and garbage): nginx's 400"
anon app GET /app/twice '' -H "Authorization: Bearer $ed" -H "Authorization: Bearer $ed"
is "$STATUS" 400 "app, the same valid token twice: 400 too (a header of one value, RFC 9110 §11.6.2)"
is "$(reached)" "$n1" "  none of these reached the app"
printf 'header = "Authorization: bearer %s"\n' "$ed" >"$TAP_TMP/lower.conf"
anon app GET /app/lower '' -K "$TAP_TMP/lower.conf"
is "$STATUS" 200 "app, the scheme in lower case (bearer): 200, as the API takes it (RFC 6750 §2.1)"

# ---- PHP-FPM -----------------------------------------------------------------------
anon app GET /whoami.php
is "$STATUS:$BODY" '401:{"message":"Unauthorized."}' "PHP, no token: 401 JSON, the script never ran"
AUTH=not.a.jwt app GET /whoami.php
is "$STATUS" 401 "PHP, a bad token: 401"
AUTH=$uma app GET /whoami.php '' -H "X-Jwtauth-Sub: 999" -H "X-Jwtauth-Roles: Admin" \
    -H "X-Jwtauth-Email: boss@example.com" -H "X-Jwtauth-Client: evil"
is "$STATUS" 200 "PHP, any valid token: 200 from the script"
is "$(json '[.Sub, .Email, .Roles, .Client] | join(" ")')" \
    "$uma_id uma@example.com User Client1" "  \$_SERVER has the identity, not the spoofed one"
is "$(json '.Jwtauth | keys | join(" ")')" \
    "HTTP_X_JWTAUTH_CLIENT HTTP_X_JWTAUTH_EMAIL HTTP_X_JWTAUTH_ROLES HTTP_X_JWTAUTH_SUB" \
    "  and no other variable naming jwtauth"

# ---- key rotation --------------------------------------------------------------------
# Rotate to an ES256 key, then to an EdDSA one (SPEC §12), each making the
# new key sign at once (--now; verifiers load an unknown kid within
# key_cache_refresh, 1 s here): the first token and one of each new key
# all pass, through both authz workers.
alg_kid() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)" | jq -r '.alg + " " + .kid'
}
tokens=$ed
for alg in ES256 EdDSA; do
	"$CTL" keys rotate --now --alg "$alg" >/dev/null 2>&1
	ok $? "jwtauthctl keys rotate --now --alg $alg"
	k=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
	sleep 2         # every cache turns over within key_cache_refresh
	api_login ed@example.com Password@123 || bail_out "Ed cannot log in after the rotation to $alg"
	is "$(alg_kid "$TOKEN")" "$alg $k" "  a new login is signed by the new $alg key"
	tokens="$tokens $TOKEN"
done
s=
for t in $tokens; do
	for i in 1 2 3 4; do
		AUTH=$t app GET /app/after-rotation
		s="$s$STATUS "
	done
done
is "$s" "200 200 200 200 200 200 200 200 200 200 200 200 " \
    "after the rotations the RS256, ES256 and EdDSA tokens all pass"

done_testing
