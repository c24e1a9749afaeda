#!/bin/sh
# Forged and broken bearer tokens against GET /api/Users/GetProfile (SPEC
# §2 bearer failures, §4 verification; RFC 8725): every one is 401 with
# WWW-Authenticate: Bearer error="invalid_token", and the genuine token
# still works afterwards.
#
# Tokens with a valid signature but a wrong claim are minted here with
# test-only RSA, EC P-256 and Ed25519 keys added with `jwtauthctl keys
# import` as retired, still published keys, signed with openssl.
# One correct token minted that way is accepted first, so that each
# refusal below is about the one thing that was changed.
#
# t/authz-forged.t runs every case through the nginx gateway instead
# (SPEC §10): BEARER_GATEWAY set, the path is a protected location in front
# of an app that records each request it receives (t/lib/gateway.sh), and
# at the end only the requests accepted here may have reached it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
if [ -n "${BEARER_GATEWAY:-}" ]; then
	. "$top_srcdir/t/lib/gateway.sh"
	gateway_stack
	BEARER_PATH=/echo/profile
else
	api_stack
	BEARER_PATH=/api/Users/GetProfile
fi

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}
b64url_str() {
	printf '%s' "$1" | b64url
}
unhex() {
	perl -ne 'chomp; print pack("H*", $_)'
}
tohex() {
	od -An -v -tx1 | tr -d ' \n'
}
# mint KEYFILE HEADER PAYLOAD [DIGEST]: a compact JWS signed with openssl.
mint() {
	_in="$(b64url_str "$2").$(b64url_str "$3")"
	printf '%s.%s' "$_in" "$(printf '%s' "$_in" | openssl dgst "-${4:-sha256}" -sign "$1" -binary | b64url)"
}
# es256_mint KEYFILE HEADER PAYLOAD: signed with an EC P-256 key, the
# signature as JWS wants it (RFC 7518 §3.4): OpenSSL's DER turned into the
# 64-byte R || S, each INTEGER left-padded to 32 bytes.
es256_mint() {
	_in="$(b64url_str "$2").$(b64url_str "$3")"
	_rs=$(printf '%s' "$_in" | openssl dgst -sha256 -sign "$1" -binary |
	    openssl asn1parse -inform DER | sed -n 's/.*INTEGER *://p' |
	    while read -r _i; do printf '%064s' "$_i" | tr ' ' 0; done)
	printf '%s.%s' "$_in" "$(printf '%s' "$_rs" | unhex | b64url)"
}
# eddsa_mint KEYFILE HEADER PAYLOAD: signed with an Ed25519 key (RFC 8037).
eddsa_mint() {
	_in="$(b64url_str "$2").$(b64url_str "$3")"
	printf '%s' "$_in" >"$TAP_TMP/eddsa.in"
	printf '%s.%s' "$_in" "$(openssl pkeyutl -sign -inkey "$1" -rawin -in "$TAP_TMP/eddsa.in" | b64url)"
}
# alg_refused MINTER KEYFILE ALG KID PAYLOAD WHAT: a token whose header
# names ALG for KID, signed by KEYFILE with MINTER (mint, es256_mint,
# eddsa_mint), is refused: ALG is not the alg of KID's key (RFC 8725 §3.1).
alg_refused() {
	refused "alg $3 on $6" "$($1 "$2" "{\"alg\":\"$3\",\"typ\":\"at+jwt\",\"kid\":\"$4\"}" "$5")" \
	    "The token algorithm is not allowed."
}
# The RFC 7638 thumbprint of the RSA key in a PEM file (private or public).
thumbprint() {
	_n=$(openssl rsa -in "$1" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' | unhex | b64url)
	printf '{"e":"AQAB","kty":"RSA","n":"%s"}' "$_n" | openssl dgst -sha256 -binary | b64url
}

# refused NAME TOKEN [DESCRIPTION]: 401, invalid_token (and, when given,
# the exact error_description and body).
refused() {
	AUTH=$2 api GET "$BEARER_PATH"
	is "$STATUS" 401 "$1: 401"
	_wa=$(header WWW-Authenticate)
	if [ -n "${3:-}" ]; then
		is "$_wa" "Bearer error=\"invalid_token\", error_description=\"$3\"" "  WWW-Authenticate: $3"
		is "$BODY" "{\"message\":\"$3\"}" "  body"
	else
		case $_wa in 'Bearer error="invalid_token"'*) _r=0 ;; *) _r=1 ;; esac
		ok $_r "  WWW-Authenticate: Bearer error=\"invalid_token\""
		[ $_r = 0 ] || diag "got: $_wa"
	fi
}
accepted() {
	AUTH=$2 api GET "$BEARER_PATH"
	[ -z "${BEARER_GATEWAY:-}" ] || printf '%s\n' "$2" >>"$TAP_TMP/accepted"
	is "$STATUS" 200 "$1: 200"
	[ "$STATUS" = 200 ] || diag "$(header WWW-Authenticate)"
}

api_user ivan@example.com Password@123 || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'ivan@example.com'")
api_login ivan@example.com Password@123 || bail_out "cannot log in"
genuine=$TOKEN
accepted "the genuine token" "$genuine"
H=$(printf '%s' "$genuine" | cut -d. -f1)
P=$(printf '%s' "$genuine" | cut -d. -f2)
S=$(printf '%s' "$genuine" | cut -d. -f3)
kid=$(b64url_decode "$H" | jq -r .kid)
payload=$(b64url_decode "$P")

# The server's public key, as PEM, and an attacker's own key.
stack_sql "SELECT HEX(PublicKey) FROM SigningKeys WHERE KeyId = '$kid'" | unhex >"$TAP_TMP/server.der"
openssl pkey -pubin -inform DER -in "$TAP_TMP/server.der" -out "$TAP_TMP/server.pem" 2>/dev/null ||
    bail_out "cannot read the server's public key"
openssl genrsa -out "$TAP_TMP/evil.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"

# ---- the algorithm is pinned -------------------------------------------------
refused "alg none, empty signature" \
    "$(b64url_str "{\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$P."
refused "alg none, no kid, empty signature" "$(b64url_str '{"alg":"none"}').$P."
refused "alg None with the genuine signature" \
    "$(b64url_str "{\"alg\":\"None\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$P.$S"

hs_input="$(b64url_str "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$P"
hexkey=$(tohex <"$TAP_TMP/server.pem")
refused "alg HS256 keyed with the public key PEM" \
    "$hs_input.$(printf '%s' "$hs_input" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | b64url)" \
    "The token algorithm is not allowed."
hexkey=$(tohex <"$TAP_TMP/server.der")
refused "alg HS256 keyed with the public key DER" \
    "$hs_input.$(printf '%s' "$hs_input" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | b64url)"
refused "alg rs256 (lower case) with the genuine signature" \
    "$(b64url_str "{\"alg\":\"rs256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$P.$S"
# RFC 8725 §3.1: the header's alg must be the alg of the key its kid names.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TAP_TMP/evil-ec.pem" 2>/dev/null ||
    bail_out "openssl genpkey EC failed"
openssl genpkey -algorithm ED25519 -out "$TAP_TMP/evil-ed.pem" 2>/dev/null ||
    bail_out "openssl genpkey ED25519 failed"
alg_refused es256_mint "$TAP_TMP/evil-ec.pem" ES256 "$kid" "$payload" "the RSA kid, signed by an EC key"
refused "alg ES256 on the RSA kid, with the genuine RS256 signature" \
    "$(b64url_str "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$P.$S" \
    "The token algorithm is not allowed."
alg_refused eddsa_mint "$TAP_TMP/evil-ed.pem" EdDSA "$kid" "$payload" "the RSA kid, signed by an Ed25519 key"
refused "a foreign RSA key signing under the real kid" \
    "$(mint "$TAP_TMP/evil.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}" "$payload")" \
    "The signature is invalid."

# ---- broken shapes -------------------------------------------------------------
tampered=$(printf '%s' "$payload" | jq -c '.role = ["Admin"]')
refused "payload tampered (role Admin), signature kept" "$H.$(b64url_str "$tampered").$S" \
    "The signature is invalid."
tampered=$(printf '%s' "$payload" | jq -c '.exp += 86400')
refused "payload tampered (exp), signature kept" "$H.$(b64url_str "$tampered").$S" \
    "The signature is invalid."
refused "signature stripped (h.p.)" "$H.$P." "The signature is invalid."
refused "signature stripped (h.p)" "$H.$P" "The token is malformed."
refused "two parts" "$H.$S" "The token is malformed."
refused "four parts" "$genuine.$S" "The token is malformed."
refused "'=' appended (padded base64)" "$genuine=" "The token is malformed."
refused "'==' appended" "$genuine==" "The token is malformed."
refused "padding inside the header part" "$H=.$P.$S" "The token is malformed."
refused "standard base64 alphabet in the signature" \
    "$H.$P.$(printf '%s' "$S" | tr -- '-_' '+/')" "The token is malformed."
refused "the signature one character short" "$H.$P.$(printf '%s' "$S" | sed 's/.$//')"
refused "the signature with its last byte changed" \
    "$H.$P.$(b64url_decode "$S" | tohex | sed 's/..$/00/' | unhex | b64url)" "The signature is invalid."
refused "header not JSON" "$(b64url_str 'not json').$P.$S" "The token is malformed."
refused "empty parts (..)" ".." "The token is malformed."
big=$(head -c 3800 /dev/zero | tr '\0' 'A')
refused "a token of nearly 8 KiB of garbage" "$big.$big.$S" "The token is malformed."
big=$(head -c 8200 /dev/zero | tr '\0' 'A')
refused "a token just over 8 KiB (SPEC §4 limit, checked by the program)" "$H.$big.$S" \
    "The token is malformed."
# 20 KB: more than nginx takes in one header line (large_client_header_buffers),
# so nginx refuses it before any program sees it: over HTTP/1.1 with its
# JSON 400, over HTTP/2 by resetting the stream. Never a 200, never a 5xx.
big=$(head -c 20000 /dev/zero | tr '\0' 'A')
AUTH="$H.$big.$S" api GET "$BEARER_PATH" '' --http1.1
is "$STATUS:$BODY" '400:{"message":"Request header too large."}' \
    "a 20 KB token over HTTP/1.1: nginx's JSON 400"
AUTH="$H.$big.$S" api GET "$BEARER_PATH" 2>/dev/null
case $STATUS in 2*|5*) r=1 ;; *) r=0 ;; esac
ok $r "a 20 KB token over HTTP/2: refused, neither 2xx nor 5xx (got $STATUS)"

# ---- keys that are not ours ------------------------------------------------------
for h in \
    "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\",\"jku\":\"https://evil.example/jwks.json\"}" \
    "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$kid\",\"x5u\":\"https://evil.example/cert.pem\"}"; do
	refused "header with $(printf '%s' "$h" | jq -r 'keys_unsorted[3]'), signed by the attacker" \
	    "$(mint "$TAP_TMP/evil.pem" "$h" "$payload")" "The token algorithm is not allowed."
done
evil_n=$(openssl rsa -in "$TAP_TMP/evil.pem" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' | unhex | b64url)
refused "header with jwk (the attacker's key), signed by it" \
    "$(mint "$TAP_TMP/evil.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"jwk\":{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"$evil_n\"}}" "$payload")" \
    "The token algorithm is not allowed."
refused "kid unknown (the attacker's own thumbprint)" \
    "$(mint "$TAP_TMP/evil.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$(thumbprint "$TAP_TMP/evil.pem")\"}" "$payload")" \
    "The signing key is unknown."
refused "kid ../../etc/passwd" \
    "$(mint "$TAP_TMP/evil.pem" '{"alg":"RS256","typ":"at+jwt","kid":"../../etc/passwd"}' "$payload")" \
    "The signing key is unknown."
refused "kid ' OR 1=1 --" \
    "$(mint "$TAP_TMP/evil.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"' OR 1=1 --\"}" "$payload")" \
    "The signing key is unknown."
refused "no kid" "$(mint "$TAP_TMP/evil.pem" '{"alg":"RS256","typ":"at+jwt"}' "$payload")" \
    "The signing key is unknown."
refused "kid not a string" "$(mint "$TAP_TMP/evil.pem" '{"alg":"RS256","typ":"at+jwt","kid":1}' "$payload")" \
    "The signing key is unknown."

# ---- a published test key: valid signatures, wrong claims ------------------------
openssl genrsa -out "$TAP_TMP/test.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"
tkid=$(thumbprint "$TAP_TMP/test.pem")
# Imported (sealed and bound to the master key, as a key row must be to
# be trusted), then retired a minute ago: published (within
# access_token_lifetime + clock_skew), never chosen to sign.
"$top_builddir/jwtauthctl" keys import "$TAP_TMP/test.pem" >/dev/null &&
    stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 HOUR,
    RetiredAt = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE KeyId = '$tkid'" ||
    bail_out "cannot import the test key"
# Verifiers re-read the keys on an unknown kid at most every
# key_cache_refresh (1 s here): the lookups above were for garbage kids.
sleep 2
TH="{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$tkid\"}"
# claims JQ-EXPRESSION: a correct payload, then changed by the expression
# ($now in it is the time of this call: every token is minted just before
# it is sent, so a slow run cannot carry one across a time limit).
claims() {
	jq -cn --arg iss "$STACK_URL" --arg sub "$uid" --argjson now "$(date +%s)" "{iss: \$iss,
	    aud: \"https://client1.com\", sub: \$sub, jti: \"6f1c0a4e-8d1b-4f53-9a4e-2f0d4c1e9b7a\",
	    iat: \$now, nbf: \$now, exp: (\$now + 600), email: \"ivan@example.com\", name: \"Test\",
	    role: [\"User\"]} | ${1:-.}"
}
tmint() {
	mint "$TAP_TMP/test.pem" "$TH" "$(claims "$1")"
}
anon api GET /.well-known/jwks.json
is "$(json "[.keys[] | select(.kid == \"$tkid\")] | length")" 1 "the test key is published"
accepted "a correct token minted with the test key" "$(tmint .)"

refused "wrong iss" "$(tmint '.iss = "https://evil.example"')" "The issuer is invalid."
refused "iss with a trailing slash" "$(tmint ".iss = \"$STACK_URL/\"")" "The issuer is invalid."
refused "no iss" "$(tmint 'del(.iss)')" "The issuer is invalid."
refused "aud of an unregistered client" "$(tmint '.aud = "https://evil.example"')" "The audience is invalid."
refused "aud of Client1 with another case" "$(tmint '.aud = "https://CLIENT1.com"')" "The audience is invalid."
refused "no aud" "$(tmint 'del(.aud)')" "The audience is invalid."
accepted "aud of Client2's URL" "$(tmint '.aud = "https://client2.com"')"
refused "aud of a client not registered yet" "$(tmint '.aud = "https://client3.example"')" \
    "The audience is invalid."
stack_sql "INSERT INTO Clients (ClientId, Name, ClientURL) VALUES ('Client3', 'Client 3', 'https://client3.example')"
sleep 2         # the audience list is re-read at most every key_cache_refresh
accepted "... once registered (and the cache interval passed)" "$(tmint '.aud = "https://client3.example"')"
refused "aud an array of unregistered URLs" "$(tmint '.aud = ["https://evil.example", "https://evil2.example"]')" \
    "The audience is invalid."
accepted "aud an array holding one registered URL" "$(tmint '.aud = ["https://evil.example", "https://client2.com"]')"
refused "expired an hour ago" "$(tmint '.exp = $now - 3600 | .iat = $now - 7200 | .nbf = $now - 7200')" \
    "The token has expired."
refused "expired 61 s ago (skew 60 s)" "$(tmint '.exp = $now - 61')" "The token has expired."
accepted "expired 20 s ago (within the 60 s skew)" "$(tmint '.exp = $now - 20')"
refused "no exp" "$(tmint 'del(.exp)')" "The token has expired."
refused "exp a string" "$(tmint '.exp = ($now + 600 | tostring)')" "The token has expired."
refused "exp a fraction" "$(tmint '.exp = $now + 600.5')" "The token has expired."
refused "nbf an hour ahead" "$(tmint '.nbf = $now + 3600')" "The token is not yet valid."
refused "iat an hour ahead" "$(tmint '.iat = $now + 3600')" "The token is not yet valid."
accepted "nbf 20 s ahead (within the skew)" "$(tmint '.nbf = $now + 20')"
refused "sub not a number" "$(tmint '.sub = "admin"')" "The token is malformed."
refused "sub a JSON number" "$(tmint ".sub = $uid")" "The token is malformed."
refused "role not strings" "$(tmint '.role = [1]')" "The token is malformed."
refused "the test key's token with alg RS512" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS512\",\"typ\":\"at+jwt\",\"kid\":\"$tkid\"}" "$(claims .)" sha512)" \
    "The token algorithm is not allowed."
refused "the test key's token with crit" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$tkid\",\"crit\":[\"exp\"],\"exp\":1}" "$(claims .)")" \
    "The token algorithm is not allowed."
refused "the test key's token with x5c" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$tkid\",\"x5c\":[]}" "$(claims .)")" \
    "The token algorithm is not allowed."
refused "the test key's token with jwk (its own key)" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$tkid\",\"jwk\":{\"kty\":\"RSA\"}}" "$(claims .)")" \
    "The token algorithm is not allowed."

# RFC 8725 §3.11, RFC 9068 §4: only a JWT typed as an access token is one.
refused "the test key's token with typ JWT" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$tkid\"}" "$(claims .)")" \
    "The token type is not allowed."
refused "the test key's token without typ" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"kid\":\"$tkid\"}" "$(claims .)")" \
    "The token type is not allowed."
refused "the test key's token with typ id_token+jwt" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"id_token+jwt\",\"kid\":\"$tkid\"}" "$(claims .)")" \
    "The token type is not allowed."
accepted "the test key's token with typ application/AT+JWT (case-insensitive, RFC 7515 §4.1.9)" \
    "$(mint "$TAP_TMP/test.pem" "{\"alg\":\"RS256\",\"typ\":\"application/AT+JWT\",\"kid\":\"$tkid\"}" "$(claims .)")"

# ---- EC P-256 and Ed25519 test keys: RFC 8725 §3.1 and the ES256 signature form ----
# Imported like the RSA test key; the kids are computed here, independently. A key's alg is its type's: ES256 for
# the EC key, EdDSA for the Ed25519 key, RS256 for the RSA one, and a
# header naming any other alg for a kid is refused, whoever signed it.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TAP_TMP/test-ec.pem" 2>/dev/null ||
    bail_out "openssl genpkey EC failed"
openssl genpkey -algorithm ED25519 -out "$TAP_TMP/test-ed.pem" 2>/dev/null ||
    bail_out "openssl genpkey ED25519 failed"
# The SubjectPublicKeyInfo ends with the point 04 || x || y (EC) or the
# 32-byte key (Ed25519): RFC 7638 thumbprints over crv, kty, x(, y).
openssl pkey -in "$TAP_TMP/test-ec.pem" -pubout -outform DER >"$TAP_TMP/test-ec.der" 2>/dev/null
openssl pkey -in "$TAP_TMP/test-ed.pem" -pubout -outform DER >"$TAP_TMP/test-ed.der" 2>/dev/null
ec_x=$(tail -c 64 "$TAP_TMP/test-ec.der" | head -c 32 | b64url)
ec_y=$(tail -c 32 "$TAP_TMP/test-ec.der" | b64url)
eckid=$(printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' "$ec_x" "$ec_y" | openssl dgst -sha256 -binary | b64url)
ed_x=$(tail -c 32 "$TAP_TMP/test-ed.der" | b64url)
edkid=$(printf '{"crv":"Ed25519","kty":"OKP","x":"%s"}' "$ed_x" | openssl dgst -sha256 -binary | b64url)
for k in "$eckid test-ec" "$edkid test-ed"; do
	set -- $k
	"$top_builddir/jwtauthctl" keys import "$TAP_TMP/$2.pem" >/dev/null 2>&1 &&
	    stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 HOUR,
	    RetiredAt = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE KeyId = '$1'" ||
	    bail_out "cannot import the $2 key"
done
sleep 2         # unknown kids were looked up above: wait out key_cache_refresh
ECH="{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"$eckid\"}"
EDH="{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"$edkid\"}"
anon api GET /.well-known/jwks.json
is "$(json "[.keys[] | select(.kid == \"$eckid\" or .kid == \"$edkid\") | .kty + \" \" + .alg] | sort | join(\",\")")" \
    "EC ES256,OKP EdDSA" "the EC and Ed25519 test keys are published as EC ES256 and OKP EdDSA"
good_ec=$(es256_mint "$TAP_TMP/test-ec.pem" "$ECH" "$(claims .)")
accepted "an ES256 token of the EC test key" "$good_ec"
accepted "an EdDSA token of the Ed25519 test key" "$(eddsa_mint "$TAP_TMP/test-ed.pem" "$EDH" "$(claims .)")"

c=$(claims .)
alg_refused mint "$TAP_TMP/test.pem" RS256 "$eckid" "$c" "the EC kid, signed by the RSA test key"
alg_refused eddsa_mint "$TAP_TMP/test-ed.pem" EdDSA "$eckid" "$c" "the EC kid, signed by the Ed25519 test key"
alg_refused es256_mint "$TAP_TMP/test-ec.pem" ES256 "$tkid" "$c" "the RSA test kid, signed by the EC test key"
alg_refused es256_mint "$TAP_TMP/test-ec.pem" ES256 "$edkid" "$c" "the Ed25519 kid, signed by the EC test key"
alg_refused mint "$TAP_TMP/test.pem" RS256 "$edkid" "$c" "the Ed25519 kid, signed by the RSA test key"
alg_refused es256_mint "$TAP_TMP/test-ec.pem" ES384 "$eckid" "$c" "the EC kid, signed by the EC test key"

# The ES256 signature is the 64-byte R || S (RFC 7518 §3.4), nothing else.
EH=$(printf '%s' "$good_ec" | cut -d. -f1)
EP=$(printf '%s' "$good_ec" | cut -d. -f2)
rs=$(b64url_decode "$(printf '%s' "$good_ec" | cut -d. -f3)" | tohex)
r=$(printf '%s' "$rs" | cut -c1-64)
s=$(printf '%s' "$rs" | cut -c65-128)
ecsig() {
	printf '%s.%s.%s' "$EH" "$EP" "$(printf '%s' "$1" | unhex | b64url)"
}
# DER: SEQUENCE { INTEGER r, INTEGER s }, each with a 00 when its top bit is set.
der_int() {
	case $1 in [89abcdef]*) printf '022100%s' "$1" ;; *) printf '0220%s' "$1" ;; esac
}
der_body=$(der_int "$r")$(der_int "$s")
der=$(printf '30%02x%s' $((${#der_body} / 2)) "$der_body")
refused "the same ES256 signature in DER form" "$(ecsig "$der")" "The signature is invalid."
refused "ES256 signature one byte short (63)" "$(ecsig "$(printf '%s' "$rs" | cut -c3-)")" \
    "The signature is invalid."
refused "ES256 signature one byte long (65)" "$(ecsig "${rs}00")" "The signature is invalid."
zero=0000000000000000000000000000000000000000000000000000000000000000
n=ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
refused "ES256 R = 0" "$(ecsig "$zero$s")" "The signature is invalid."
refused "ES256 S = 0" "$(ecsig "$r$zero")" "The signature is invalid."
refused "ES256 S = n, the group order" "$(ecsig "$r$n")" "The signature is invalid."
refused "ES256 R and S swapped" "$(ecsig "$s$r")" "The signature is invalid."
# High S: (R, n - S) is valid ECDSA over the same bytes. Accepted, as
# lib/jwt.h explains: it signs the same claims for the same bearer.
twin=$(/usr/bin/python3 -c "import sys; print('%064x' % (int(sys.argv[1], 16) - int(sys.argv[2], 16)))" "$n" "$s")
accepted "the high/low-S twin (R, n - S) of a valid signature" "$(ecsig "$r$twin")"
edtok=$(eddsa_mint "$TAP_TMP/test-ed.pem" "$EDH" "$(claims .)")
edsig=$(b64url_decode "$(printf '%s' "$edtok" | cut -d. -f3)" | tohex)
refused "EdDSA signature one byte short" \
    "$(printf '%s' "$edtok" | cut -d. -f1-2).$(printf '%s' "$edsig" | cut -c3- | unhex | b64url)" \
    "The signature is invalid."

# A key whose row does not match its KeyId is never trusted.
openssl genrsa -out "$TAP_TMP/liar.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"
lpub=$(openssl pkey -in "$TAP_TMP/liar.pem" -pubout -outform DER 2>/dev/null | tohex)
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt, RetiredAt)
    VALUES ('liar-key', UNHEX('00'), UNHEX('$lpub'), 0, UTC_TIMESTAMP() - INTERVAL 1 HOUR,
    UTC_TIMESTAMP() - INTERVAL 1 MINUTE)"
sleep 2
refused "a key inserted under a KeyId that is not its thumbprint" \
    "$(mint "$TAP_TMP/liar.pem" '{"alg":"RS256","typ":"at+jwt","kid":"liar-key"}' "$(claims .)")" \
    "The signing key is unknown."

# ---- the Authorization header itself ------------------------------------------------
anon api GET "$BEARER_PATH"
is "$STATUS" 401 "no Authorization header: 401"
is "$(header WWW-Authenticate)" "Bearer" "  WWW-Authenticate: Bearer (no error, RFC 6750 §3)"
anon api GET "$BEARER_PATH" '' -H "Authorization: Basic aXZhbjpwdw=="
is "$STATUS:$(header WWW-Authenticate)" "401:Bearer" "Basic credentials: 401 Bearer"
anon api GET "$BEARER_PATH" '' -H "Authorization: Bearer"
is "$STATUS" 401 "'Bearer' with no token: 401"
anon api GET "$BEARER_PATH" '' -H "Authorization: Bearer a b"
is "$STATUS" 401 "'Bearer a b': 401"

# ---- after all that ------------------------------------------------------------------
accepted "the genuine token still works" "$genuine"
is "$(json .Email)" "ivan@example.com" "  and names its user"

if [ -n "${BEARER_GATEWAY:-}" ]; then
	# A claim the token lacks leaves its header empty, and the client's
	# own copy still does not pass (nginx sends no header for an empty
	# proxy_set_header).
	t=$(tmint 'del(.email) | del(.role)')
	AUTH=$t api GET "$BEARER_PATH" '' -H "X-Jwtauth-Email: boss@example.com" -H "X-Jwtauth-Roles: Admin"
	printf '%s\n' "$t" >>"$TAP_TMP/accepted"
	is "$STATUS:$(json '.Jwtauth | keys | join(" ")')" "200:x-jwtauth-client x-jwtauth-sub" \
	    "a token without email and roles, and the client sends both headers: the app gets neither"
	sed 's/^[^ ]* Bearer //' "$GATEWAY_ECHO_LOG" >"$TAP_TMP/reached"
	is "$(sort "$TAP_TMP/reached" | cksum)" "$(sort "$TAP_TMP/accepted" | cksum)" \
	    "the app received exactly the accepted requests, no refused one"
fi

done_testing
