#!/bin/sh
# SPEC §9 proven with OAuth client libraries nobody here wrote: Python's
# authlib (OAuth2Session) and requests-oauthlib (LegacyApplicationClient,
# BackendApplicationClient, auto-refresh), against the real stack, finding
# every endpoint from the RFC 8414 metadata alone; and the access token
# verified by PyJWT and jwcrypto through the metadata's jwks_uri. The
# checks are in t/oauth2-clients.py, which prints TAP.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# Debian's python3 (the client libraries are Debian packages), whatever
# python3 comes first in PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import authlib, requests_oauthlib, jwt, jwcrypto' 2>/dev/null ||
    bail_out "needs python3-authlib python3-requests-oauthlib python3-jwt python3-jwcrypto"
# Access tokens live 2 s here, so that the clients' own refresh shows;
# the workers re-read the keys each second, so that a rotation shows soon.
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K
access_token_lifetime = 2
key_cache_refresh = 1"
# Quicker than nginx's 10 requests a second on /oauth2/token (t/rate-limit.t).
RATE_LIMIT=off
api_stack

api_user oauth@example.com Password@123 || bail_out "cannot register"
"$top_builddir/jwtauthctl" client add Backend "Backend service" https://backend.example \
    --confidential >"$TAP_TMP/client.out" || bail_out "client add failed"
secret=$(sed -n 's/^client secret of Backend (shown once, keep it safe): //p' "$TAP_TMP/client.out")
"$top_builddir/jwtauthctl" client scopes Backend read write >/dev/null || bail_out "client scopes failed"

( umask 077; jq -n --arg url "$STACK_URL/.well-known/oauth-authorization-server" \
    --arg ca "$STACK_CACERT" --arg secret "$secret" '{metadata_url: $url, cacert: $ca,
    user: "oauth@example.com", password: "Password@123",
    public_client: "Client1", public_client_url: "https://client1.com",
    confidential_client: "Backend", confidential_secret: $secret,
    jwtauthctl: $ctl}' --arg ctl "$top_builddir/jwtauthctl" >"$TAP_TMP/clients.json" )

# No proxy from the environment (the stack is on loopback), and no CA
# bundle either: requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE
# override a session's own verify=, which names the stack's certificate.
env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY \
    -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR \
    "$PYTHON" "$top_srcdir/t/oauth2-clients.py" "$TAP_TMP/clients.json"
