#!/bin/sh
# GET /.well-known/oauth-authorization-server (SPEC §9, RFC 8414): the
# issuer, every endpoint (each URL built from the issuer, and each one
# answering through nginx), jwks_uri, grant types, client authentication
# methods and signing algorithms; cacheable; GET only. The oauth2 paths
# route as the tutorial's do: any case, one trailing slash.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

M=/.well-known/oauth-authorization-server
anon api GET $M
is "$STATUS:$(header Content-Type | sed 's/;.*//')" "200:application/json" "metadata: 200 JSON"
is "$(header Cache-Control)" "public, max-age=300" "  cacheable, as the JWKS"
is "$(json .issuer)" "$STACK_URL" "  issuer: the configured one"
is "$(json '[.token_endpoint, .revocation_endpoint, .introspection_endpoint, .jwks_uri] | join(" ")')" \
    "$STACK_URL/oauth2/token $STACK_URL/oauth2/revoke $STACK_URL/oauth2/introspect $STACK_URL/.well-known/jwks.json" \
    "  the endpoints and jwks_uri, under the issuer"
is "$(json '.grant_types_supported | join(" ")')" "password refresh_token client_credentials" \
    "  grant types"
is "$(json '.token_endpoint_auth_methods_supported | join(" ")')" \
    "client_secret_basic client_secret_post none" "  token endpoint: Basic, post, public clients"
is "$(json '.revocation_endpoint_auth_methods_supported | join(" ")')" \
    "client_secret_basic client_secret_post none" "  revocation: the same"
is "$(json '.introspection_endpoint_auth_methods_supported | join(" ")')" \
    "client_secret_basic client_secret_post" "  introspection: confidential clients only"
is "$(json '.response_types_supported | length')" 0 "  no response type (no authorization endpoint)"
is "$(json 'has("authorization_endpoint")')" false "  and no authorization_endpoint"
kid_alg=$(anon api GET /.well-known/jwks.json >/dev/null; json '[.keys[].alg] | unique | join(" ")')
anon api GET $M
json '.access_token_signing_alg_values_supported[]' >"$TAP_TMP/algs"
missing=0
for a in $kid_alg; do grep -qx "$a" "$TAP_TMP/algs" || missing=1; done
is "$missing" 0 "  the signing algs cover every published key's ($kid_alg)"

# Every URL it names answers, through nginx, as that endpoint.
tok=$(json .token_endpoint)
rev=$(json .revocation_endpoint)
intro=$(json .introspection_endpoint)
jwks=$(json .jwks_uri)
for u in "$tok" "$rev" "$intro"; do
	printf 'x' >"$TAP_TMP/form"
	s=$(stack_curl -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$TAP_TMP/form" \
	    -o "$API_BODY" -w '%{http_code}' "$u")
	BODY=$(cat "$API_BODY")
	case $s:$(oauth_error) in 40[01]:invalid_request|40[01]:invalid_client) r=0 ;; *) r=1 ;; esac
	ok $r "$u answers an OAuth 2.0 error ($s $(oauth_error))"
done
is "$(stack_curl -o /dev/null -w '%{http_code}' "$jwks")" 200 "$jwks answers 200"

# Routing.
api POST $M
is "$STATUS:$(header Allow)" "405:GET" "POST to the metadata: 405, Allow: GET"
oauth /OAuth2/Token ""
is "$STATUS:$(oauth_error)" "400:invalid_request" "/OAuth2/Token: any case routes"
oauth /oauth2/token/ ""
is "$STATUS:$(oauth_error)" "400:invalid_request" "/oauth2/token/: one trailing slash"
oauth /oauth2/authorize ""
is "$STATUS:$BODY" '404:{"message":"Not found."}' "/oauth2/authorize: 404 (no such endpoint)"

# Built from the issuer, whatever it is: one with a trailing slash and a
# path gives no double slash. Only the oauth2 program reads it again.
sed -i "s|^issuer = .*|issuer = $STACK_URL/auth/|" "$JWTAUTH_CONFIG"
kill "$(cat "$STACK_DIR/run/oauth2.pid")"
rm -f "$STACK_DIR/run/oauth2.pid"
STACK_PROGRAMS=oauth2 stack_programs_start || bail_out "oauth2 did not restart"
anon api GET $M
is "$(json '.issuer + " " + .token_endpoint + " " + .jwks_uri')" \
    "$STACK_URL/auth/ $STACK_URL/auth/oauth2/token $STACK_URL/auth/.well-known/jwks.json" \
    "an issuer with a path and a trailing slash: every URL built from it, no double slash"

done_testing
