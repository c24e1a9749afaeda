#!/bin/sh
# GET /.well-known/jwks.json (SPEC §3, §4): exactly the RFC 7517 members
# kty, use, alg, kid, n, e and nothing private; kid is the RFC 7638
# thumbprint of the key, recomputed here with openssl; n is the modulus of
# the key stored in SigningKeys; cacheable; GET only.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1"
api_stack

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}
unhex() {
	perl -ne 'chomp; print pack("H*", $_)'
}

api GET /.well-known/jwks.json
is "$STATUS" 200 "GET: 200"
is "$(header Content-Type | sed 's/;.*//')" "application/json" "Content-Type application/json"
is "$(header Cache-Control)" "public, max-age=300" "Cache-Control: public, max-age=300"
is "$(json 'keys | join(",")')" "keys" "the document has exactly one member, keys"
is "$(json '.keys | length')" 1 "one key after init"
is "$(json '.keys[0] | keys_unsorted | join(",")')" "kty,use,alg,kid,n,e" \
    "members exactly kty, use, alg, kid, n, e, in that order"
is "$(json '.keys[0] | [.kty, .use, .alg, .e] | join(" ")')" "RSA sig RS256 AQAB" \
    "kty RSA, use sig, alg RS256, e AQAB"
is "$(json '[.keys[] | (.d, .p, .q, .dp, .dq, .qi, .oth, .k)] | map(select(. != null)) | length')" 0 \
    "no private member (d, p, q, dp, dq, qi, oth, k)"
printf '%s' "$BODY" | grep -Eq '"(d|p|q|dp|dq|qi)"'
ok $((!$?)) "... not even in the raw text"
is "$(json '[.keys[] | [.n, .e, .kid][] | test("^[A-Za-z0-9_-]+$")] | all')" true \
    "n, e and kid are base64url without padding"

kid=$(json '.keys[0].kid')
n=$(json '.keys[0].n')
e=$(json '.keys[0].e')

# RFC 7638 §3: the members e, kty, n in lexicographic order, no whitespace.
thumb=$(printf '{"e":"%s","kty":"RSA","n":"%s"}' "$e" "$n" | openssl dgst -sha256 -binary | b64url)
is "$kid" "$thumb" "kid is the RFC 7638 thumbprint (computed with openssl)"
is "${#kid}" 43 "kid is 43 characters (SHA-256, base64url)"
is "$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")" "$kid" "kid is the active key's KeyId"

# n is the stored public key's modulus, minimal (no leading zero octet).
stack_sql "SELECT HEX(PublicKey) FROM SigningKeys WHERE IsActive = 1" | unhex >"$TAP_TMP/pub.der"
mod=$(openssl rsa -pubin -inform DER -in "$TAP_TMP/pub.der" -noout -modulus 2>/dev/null | sed 's/^Modulus=//')
nhex=$(b64url_decode "$n" | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F')
[ -n "$mod" ] && [ "$nhex" = "$mod" ]
ok $? "n is the modulus of the stored public key"
is "$(b64url_decode "$n" | wc -c | tr -d ' ')" 256 "n is 256 octets (RSA-2048), no leading zero"
is "$(openssl pkey -pubin -inform DER -in "$TAP_TMP/pub.der" -noout -text 2>/dev/null |
    sed -n 's/^Exponent: \([0-9]*\).*/\1/p')" 65537 "the stored key's exponent is 65537 (AQAB)"

# The private key is not published and not stored in the clear.
is "$(stack_sql "SELECT LOCATE(UNHEX('$(printf '%s' "$mod" | cut -c1-64)'), PrivateKey) FROM SigningKeys WHERE IsActive = 1")" 0 \
    "the stored PrivateKey does not contain the modulus in the clear (it is sealed)"

# ---- methods ---------------------------------------------------------------
api POST /.well-known/jwks.json '{}'
is "$STATUS" 405 "POST: 405"
is "$(header Allow)" "GET" "  Allow: GET"
is "$(header Content-Type | sed 's/;.*//')" "application/json" "  a JSON body"
api PUT /.well-known/jwks.json
is "$STATUS" 405 "PUT: 405"
api DELETE /.well-known/jwks.json
is "$STATUS" 405 "DELETE: 405"
api GET /.well-known/jwks.json?x=1
is "$STATUS" 200 "a query string does not matter"
api GET /.well-known/jwks
is "$STATUS" 404 "a near miss (/.well-known/jwks): 404"

# ---- a retired key stays, in order, with the same shape --------------------
"$top_builddir/jwtauthctl" keys rotate >/dev/null 2>&1
ok $? "jwtauthctl keys rotate"
new=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
# The jwks workers re-read at most every key_cache_refresh (1 s here).
sleep 2
api GET /.well-known/jwks.json
is "$(json '[.keys[].kid] | join(" ")')" "$new $kid" "after rotation: the new active key first, then the old one"
is "$(json '[.keys[] | keys_unsorted | join(",")] | unique | join(" ")')" "kty,use,alg,kid,n,e" \
    "both keys have exactly the six members"
n2=$(json '.keys[0].n')
e2=$(json '.keys[0].e')
is "$(printf '{"e":"%s","kty":"RSA","n":"%s"}' "$e2" "$n2" | openssl dgst -sha256 -binary | b64url)" "$new" \
    "the new key's kid is its thumbprint too"

done_testing
