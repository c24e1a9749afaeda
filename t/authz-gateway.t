#!/bin/sh
# The nginx gateway (SPEC §10, program authz) on the stack's own example:
# /protected/ (any valid token) and /protected/admin/ (role Admin), each a
# static hello.txt. The README's curl lines, exactly; then the answers
# themselves: 401 with RFC 6750's WWW-Authenticate (once) and a JSON body,
# 403 insufficient_scope, 200 only with what the location requires; a role
# the Roles table lacks (403, logged once per worker); the internal
# location unreachable from outside; 503 JSON, never a 200 or an HTML page,
# when authz cannot judge (keys unreadable, authz down).
# t/authz-upstream.t covers a proxied app and PHP, t/authz-forged.t every
# forged token.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
key_cache_refresh = 1"
# One worker per program: what a worker remembers (keys, role names, a
# logged configuration error) is then what the stack remembers.
STACK_WORKERS=1
tap_tmpdir
# A location whose role list holds a typo: a configuration error.
STACK_NGINX_EXTRA="location /typo/ {
	set \$jwtauth_roles \"Admin Admn\";
	include snippets/jwtauth-protect.conf;
	alias $TAP_TMP/www/protected/;
}"
api_stack

# ---- the README's lines, run as they are written ---------------------------
api_user ada@example.com Password@123 || bail_out "cannot register Ada"
api_login ada@example.com Password@123 || bail_out "Ada cannot log in"
api_user pranaya@example.com Password@123 Editor Admin || bail_out "cannot register the demo account"
C="curl -s --cacert $STACK_CACERT -H Content-Type:application/json"
U=$STACK_URL
sed -n '/<!-- t\/authz-gateway.t runs these lines -->/,/<!-- \/t\/authz-gateway.t -->/p' \
    "$top_srcdir/README.md" | sed -e '/^<!--/d' -e 's/^    //' >"$TAP_TMP/readme"
is "$(grep -c '^\$C\|^ADMIN=' "$TAP_TMP/readme")" 5 "the README shows five gateway commands"
cmd=
while IFS= read -r line; do
	case $line in
	'$C '*|'ADMIN='*)
		cmd=$line
		case $line in ADMIN=*) eval "$line"; cmd= ;; esac
		;;
	*)
		got=$(eval "$cmd")
		is "$got" "$line" "README: $cmd"
		cmd=
		;;
	esac
done <"$TAP_TMP/readme"
[ -n "${ADMIN:-}" ] && [ "$ADMIN" != null ]
ok $? "README: the demo account's token"
user=$TOKEN

# ---- the answers, headers included ------------------------------------------
# count NAME: how many header lines NAME the last answer had.
count() {
	tr -d '\r' <"$API_HEADERS" | grep -ci "^$1:"
}
anon api GET /protected/hello.txt
is "$STATUS" 401 "no token: 401"
is "$(header WWW-Authenticate)" "Bearer" "  WWW-Authenticate: Bearer (RFC 6750 §3: no error code)"
is "$(count WWW-Authenticate)" 1 "  once"
is "$(header Content-Type)" "application/json; charset=utf-8" "  a JSON body"
is "$BODY" '{"message":"Unauthorized."}' "  body"

AUTH=not.a.token api GET /protected/hello.txt
is "$STATUS" 401 "a malformed token: 401"
is "$(header WWW-Authenticate)" 'Bearer error="invalid_token", error_description="The token is malformed."' \
    "  WWW-Authenticate: invalid_token and why"
is "$(count WWW-Authenticate)" 1 "  once"
is "$BODY" '{"message":"The token is malformed."}' "  body: the same reason"

anon api GET /protected/hello.txt '' -H "Authorization: Basic YWRhOnB3"
is "$STATUS:$(header WWW-Authenticate)" "401:Bearer" "Basic credentials: 401 Bearer"

AUTH=$user api GET /protected/admin/hello.txt
is "$STATUS" 403 "a valid token without the role: 403"
is "$(header WWW-Authenticate)" 'Bearer error="insufficient_scope"' "  WWW-Authenticate: insufficient_scope"
is "$(count WWW-Authenticate)" 1 "  once"
is "$(header Content-Type)" "application/json; charset=utf-8" "  a JSON body"
is "$BODY" '{"message":"Forbidden."}' "  body"
is "$(header X-Content-Type-Options)" nosniff "  nosniff kept (the 403 location's add_header hides the server's)"
is "$(header Strict-Transport-Security)" max-age=63072000 "  HSTS kept"

AUTH=$ADMIN api GET /protected/admin/hello.txt
is "$STATUS:$BODY" "200:Hello from /protected/admin/: a token with the role Admin reads this." \
    "with the role: 200 and the file"
is "$(header Content-Type)" "text/plain" "  as the location serves it"
AUTH=$user api GET /protected/hello.txt
is "$STATUS" 200 "any valid token: 200 under /protected/"

anon api POST /protected/hello.txt '{}'
is "$STATUS" 401 "POST without a token: 401 too (every method is checked)"
anon api GET /protected/missing.txt
is "$STATUS" 401 "a missing file without a token: 401, not 404 (nothing is told)"
AUTH=$user api GET /protected/missing.txt
is "$STATUS:$BODY" '404:{"message":"Not found."}' "a missing file with a token: the JSON 404"

# ---- the internal location ----------------------------------------------------
AUTH=$ADMIN api GET /_jwtauth/authz
is "$STATUS" 404 "/_jwtauth/authz from outside: 404 (internal)"

# ---- a role that does not exist ---------------------------------------------------
for i in 1 2 3 4 5 6; do
	AUTH=$ADMIN api GET /typo/hello.txt
	s="${s:-}$STATUS "
done
is "$s" "403 403 403 403 403 403 " "a location requiring a role that does not exist: 403, even for Admin"
is "$BODY" '{"message":"Forbidden."}' "  JSON"
is "$(grep -c 'requires role "Admn", which the Roles table does not have' "$TAP_TMP/log/authz.log")" 1 \
    "  logged as a configuration error, once (one worker, six requests)"
anon api GET /typo/hello.txt
is "$STATUS" 401 "  and without a token still 401"

# ---- authz cannot judge -----------------------------------------------------------
# A fresh worker that has verified a token (keys and clients read), then no
# database: a token it can verify still passes where no role is named (no
# database work per request), but the role names cannot be read: 503.
stack_programs_stop
stack_programs_start || bail_out "the programs did not restart"
AUTH=$user api GET /protected/hello.txt
is "$STATUS" 200 "a fresh worker: 200 (keys read)"
stack_mariadb_stop "$TAP_TMP"
AUTH=$ADMIN api GET /protected/hello.txt
is "$STATUS" 200 "database down: a valid token still passes where no role is named"
AUTH=$ADMIN api GET /protected/admin/hello.txt
is "$STATUS:$BODY" '503:{"message":"Service temporarily unavailable."}' \
    "database down, role names never read: 503 JSON, never the file"
sleep 2         # past key_cache_refresh: the failed reads are retried, and fail again
AUTH=$ADMIN api GET /protected/hello.txt
is "$STATUS" 200 "  a while later, the keys read before stay in use"

# Fresh workers (no key read yet) and no database: 503 for a token, JSON.
stack_programs_stop
stack_programs_start || bail_out "the programs did not restart"
AUTH=$user api GET /protected/hello.txt
is "$STATUS:$BODY" '503:{"message":"Service temporarily unavailable."}' \
    "keys unreadable (database down): 503 JSON"
anon api GET /protected/hello.txt
is "$STATUS" 401 "  no token: still 401"
AUTH=not.a.token api GET /protected/hello.txt
is "$STATUS" 401 "  a malformed token: still 401, never a 5xx"
# authz itself down: nginx cannot ask, so nobody passes.
stack_programs_stop
AUTH=$ADMIN api GET /protected/admin/hello.txt
is "$STATUS:$BODY" '503:{"message":"Service temporarily unavailable."}' \
    "authz down: 503 JSON, never the file"

done_testing
