#!/bin/sh
# ES256 and EdDSA signing keys beside RS256 (SPEC §12), end to end: a
# stack configured with signing_alg = ES256 signs with an EC P-256 key
# from `jwtauthctl init` on; `jwtauthctl keys rotate --alg EdDSA` and then
# `--alg RS256` change the alg through the usual hand-over, the tokens of
# every earlier key keep working, and the JWKS publishes the three keys
# side by side. Two independent verifiers, PyJWT and jwcrypto, check the
# ES256 and EdDSA tokens through the JWKS alone, and recompute every kid
# as an RFC 7638 thumbprint.
#
# key_cache_refresh = 1: every cache turns over in a second. The moment a
# new key starts signing is set in SQL, as t/key-rotation.t does (that
# test times the hand-over itself).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="signing_alg = ES256
key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack

CTL=$top_builddir/jwtauthctl
PY=/usr/bin/python3

hdr_of() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)"
}
active() {
	stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1"
}
# The new active key signs at once: its hand-over is over (keys.h).
mature() {
	stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 HOUR WHERE IsActive = 1;
	    UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL 1 SECOND
	    WHERE IsActive = 0 AND RetiredAt > UTC_TIMESTAMP()"
	sleep 2
}
# independent ALG TOKEN: PyJWT and jwcrypto verify TOKEN with the JWKS.
independent() {
	anon api GET /.well-known/jwks.json
	printf '%s' "$BODY" >"$TAP_TMP/jwks.json"
	_out=$("$PY" "$top_srcdir/t/lib/jws-verify.py" "$TAP_TMP/jwks.json" "$2" "$STACK_URL" \
	    https://client1.com "$1" 2>&1)
	_rc=$?
	ok $_rc "PyJWT and jwcrypto verify the $1 token through the JWKS"
	[ $_rc = 0 ] || diag "$_out"
	is "$(printf '%s\n' "$_out" | cut -d' ' -f1-2 | tr '\n' ',')" \
	    "thumbprint ok,pyjwt ok,jwcrypto ok," "  thumbprints, PyJWT, jwcrypto: each ok"
}
profile() {
	AUTH=$1 api GET /api/Users/GetProfile
	is "$STATUS" 200 "$2: GetProfile 200"
	AUTH=$1 api GET /api/Products/GetById/1
	is "$STATUS" 200 "$2: Products GetById 200"
}

api_user ada@example.com Password@123 || bail_out "cannot register"

# ---- ES256 from jwtauthctl init ------------------------------------------------
k1=$(active)
out=$("$CTL" keys list)
is "$(printf '%s\n' "$out" | awk -v k="$k1" '$1 == k { print $2, $5 }')" "ES256 active" \
    "jwtauthctl keys list: the first key is ES256, active"
is "$(printf '%s\n' "$out" | head -n 1 | awk '{ print $1, $2, $3 }')" "KID ALG CREATED" \
    "  the ALG column"
api_login ada@example.com Password@123 || bail_out "cannot log in"
es=$TOKEN
es_refresh=$REFRESH
is "$(hdr_of "$es" | jq -c .)" "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"$k1\"}" \
    "Login: header alg ES256, typ at+jwt, the EC key's kid"
is "$(b64url_decode "$(printf '%s' "$es" | cut -d. -f3)" | wc -c)" 64 \
    "  the signature is the 64-byte R || S, not DER"
anon api GET /.well-known/jwks.json
is "$(json ".keys[] | select(.kid == \"$k1\") | [.kty, .crv, .alg, .use, (.x | length), (.y | length), has(\"d\"), (keys | length)] | map(tostring) | join(\" \")")" \
    "EC P-256 ES256 sig 43 43 false 7" "JWKS: kty EC, crv P-256, alg ES256, use sig, x and y of 32 bytes, no d"
profile "$es" "the ES256 token"
independent ES256 "$es"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$es_refresh\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "RefreshToken with an ES256 key: 200"
is "$(hdr_of "$(json .Token)" | jq -r .alg)" ES256 "  the new access token is ES256"
refresh=$(json .RefreshToken)

# ---- rotate to EdDSA ------------------------------------------------------------
out=$("$CTL" keys rotate --alg EdDSA 2>"$TAP_TMP/err")
is "$?" 0 "jwtauthctl keys rotate --alg EdDSA: exit 0"
k2=$(active)
is "$out" "rotated: new active signing key $k2" "  it says so"
is "$("$CTL" keys list | awk -v k="$k2" '$1 == k { print $2, $5 }')" "EdDSA active" \
    "  keys list: the new key is EdDSA, active"
# Publish-then-sign: until its hand-over is over, the ES256 key still signs.
api_login ada@example.com Password@123
is "$(hdr_of "$TOKEN" | jq -r '.alg + " " + .kid')" "ES256 $k1" \
    "during the hand-over, logins are still signed by the ES256 key"
# The JWKS program re-reads the keys within key_cache_refresh (1 s): wait for it.
i=0
while anon api GET /.well-known/jwks.json &&
    [ "$(json "[.keys[] | select(.kid == \"$k2\")] | length")" != 1 ] && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
is "$(json "[.keys[] | select(.kid == \"$k2\")] | length")" 1 "  while the JWKS already publishes the EdDSA key"
mature
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$refresh\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "RefreshToken after the hand-over: 200"
ed=$(json .Token)
refresh=$(json .RefreshToken)
is "$(hdr_of "$ed" | jq -c .)" "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"$k2\"}" \
    "  signed by the EdDSA key: header alg EdDSA"
is "$(b64url_decode "$(printf '%s' "$ed" | cut -d. -f3)" | wc -c)" 64 "  a 64-byte Ed25519 signature"
anon api GET /.well-known/jwks.json
is "$(json ".keys[] | select(.kid == \"$k2\") | [.kty, .crv, .alg, .use, (.x | length), has(\"y\"), has(\"d\"), (keys | length)] | map(tostring) | join(\" \")")" \
    "OKP Ed25519 EdDSA sig 43 false false 6" "JWKS: kty OKP, crv Ed25519, alg EdDSA, use sig, x of 32 bytes, no y, no d"
is "$(json '[.keys[].kty] | join(" ")')" "OKP EC" "JWKS: the EdDSA key first, the ES256 key still published"
profile "$ed" "the EdDSA token"
profile "$es" "the ES256 token, after the rotation"
independent EdDSA "$ed"
independent ES256 "$es"

# ---- and back to RS256; a wrong --alg ---------------------------------------------
"$CTL" keys rotate --alg es256 >"$TAP_TMP/out" 2>&1
is "$?" 2 "jwtauthctl keys rotate --alg es256: usage error (exit 2)"
grep -q "not one of RS256, ES256, EdDSA" "$TAP_TMP/out"
ok $? "  and says which algs there are"
is "$(active)" "$k2" "  nothing rotated"
"$CTL" keys rotate --alg >"$TAP_TMP/out" 2>&1
is "$?" 2 "jwtauthctl keys rotate --alg (no value): exit 2"
out=$("$CTL" keys rotate --if-older-than 0 --alg RS256 2>"$TAP_TMP/err")
is "$?" 0 "jwtauthctl keys rotate --if-older-than 0 --alg RS256: exit 0"
k3=$(active)
is "$out" "rotated: new active signing key $k3" "  rotated"
mature
api_login ada@example.com Password@123 || bail_out "cannot log in"
rs=$TOKEN
is "$(hdr_of "$rs" | jq -r '.alg + " " + .kid')" "RS256 $k3" "back to RS256: logins signed by the RSA key"
anon api GET /.well-known/jwks.json
is "$(json '[.keys[] | .kty + "/" + .alg] | join(" ")')" "RSA/RS256 OKP/EdDSA EC/ES256" \
    "JWKS: RSA, OKP and EC keys side by side, newest first"
profile "$rs" "the RS256 token"
profile "$ed" "the EdDSA token, two rotations later"
profile "$es" "the ES256 token, two rotations later"
is "$("$CTL" keys list | awk 'NR > 1 { printf "%s ", $2 }')" "RS256 EdDSA ES256 " \
    "keys list: each key with its alg, newest first"

# Every private key is sealed (SPEC §12): none is a DER private key in the column.
for k in "$k1" "$k2" "$k3"; do
	stack_sql "SELECT HEX(PrivateKey) FROM SigningKeys WHERE KeyId = '$k'" |
	    perl -ne 'chomp; print pack("H*", $_)' >"$TAP_TMP/box"
	! openssl pkey -inform DER -in "$TAP_TMP/box" -noout 2>/dev/null
	ok $? "the private key of $(printf '%s' "$k" | cut -c1-8)... is no DER key at rest"
done

done_testing
