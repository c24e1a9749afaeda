#!/bin/sh
# Which access tokens the products program accepts, as far as keys and
# audiences go (SPEC §3 JWKS, §4): a token signed by a key retired within
# its grace (access_token_lifetime + clock_skew) is accepted, past grace it
# is refused; a token whose aud is not the ClientURL of a registered client
# is refused. Tokens for the audience checks are minted here, with openssl,
# by a test-only RSA key imported with jwtauthctl as a retired key (which
# verifies but never signs), so that only aud differs between the token
# refused and the one accepted. key_cache_refresh = 1 makes every program
# re-read keys and clients a second after a change in SQL; the test waits
# for the state it asserts next (eventually, polled with a deadline),
# never for a fixed time.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1
jwks_max_age = 0"
api_stack

GRACE=$((3600 + 60))    # the defaults: access_token_lifetime + clock_skew

b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}
kid_of() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)" | jq -r .kid
}
jwks_kids() {
	anon api GET /.well-known/jwks.json
	json '[.keys[].kid] | sort | join(" ")'
}

# get6 TOKEN: GetById/1 six times with TOKEN, the statuses space-separated.
# Six requests reach every worker of the stack, and a worker remembers a
# token it accepted (lib/jwtcache.h): the cases after a change then show
# that no worker's memory outlives the change.
get6() {
	_s=
	for _i in 1 2 3 4 5 6; do
		AUTH=$1 api GET /api/Products/GetById/1
		_s="$_s${_s:+ }$STATUS"
	done
	printf '%s' "$_s"
}
ALL200="200 200 200 200 200 200"
ALL401="401 401 401 401 401 401"
# States to wait for (with eventually): $GOT keeps what was seen last.
get6_is() {
	GOT=$(get6 "$1")
	[ "$GOT" = "$2" ]
}
get1_is() {
	AUTH=$1 api GET /api/Products/GetById/1
	[ "$STATUS" = "$2" ]
}
jwks_is() {
	GOT=$(jwks_kids)
	[ "$GOT" = "$1" ]
}

api_user admin@example.com Password@123 Editor Admin || bail_out "register failed"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'admin@example.com'")
api_login admin@example.com Password@123 || bail_out "login failed"
T_A=$TOKEN
kid_a=$(kid_of "$T_A")
AUTH=$T_A api GET /api/Products/GetById/1
is "$STATUS" 200 "a fresh token of the active key: 200"

# --- A key retired within grace still verifies.
"$top_builddir/jwtauthctl" keys rotate >"$TAP_TMP/rotate.log" 2>&1
ok $? "jwtauthctl keys rotate"
kid_b=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
is "$(stack_sql "SELECT CONCAT(IsActive, ' ', RetiredAt IS NOT NULL) FROM SigningKeys WHERE KeyId = '$kid_a'")" \
    "0 1" "the token's key is retired"
[ -n "$kid_b" ] && [ "$kid_b" != "$kid_a" ]
ok $? "another key is active"
# Rotation retires the old key a few seconds ahead (it signs until every
# verifier knows the new one, keys.h); make it retired a minute ago, well
# within its grace.
stack_sql "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL 60 SECOND WHERE KeyId = '$kid_a'"
both=$(printf '%s\n' "$kid_a" "$kid_b" | sort | tr '\n' ' ' | sed 's/ $//')
eventually jwks_is "$both"
is "$GOT" "$both" "JWKS publishes both keys"
AUTH=$T_A api GET /api/Products/GetById/1
is "$STATUS" 200 "a token of the retired key, within grace: 200"

# --- A test-only key, imported with jwtauthctl (sealed and bound to the
# master key like every trusted row, keys.h), retired: nothing ever signs
# with it. (Added now so that one wait covers this change and the next.)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TAP_TMP/test.key" 2>/dev/null &&
    openssl pkey -in "$TAP_TMP/test.key" -pubout -outform DER -out "$TAP_TMP/test.der"
ok $? "openssl makes a test RSA key"
n=$(openssl rsa -in "$TAP_TMP/test.key" -noout -modulus | sed 's/^Modulus=//' | xxd -r -p | b64url)
kid_t=$(printf '{"e":"AQAB","kty":"RSA","n":"%s"}' "$n" | openssl dgst -sha256 -binary | b64url)
der=$(od -An -v -tx1 "$TAP_TMP/test.der" | tr -d ' \n')
is "$("$top_builddir/jwtauthctl" keys import "$TAP_TMP/test.key")" \
    "imported signing key $kid_t (retired: verifies, never signs)" "jwtauthctl keys import"
# The same public key under a KeyId that is not its thumbprint.
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt, RetiredAt)
    VALUES ('not-its-thumbprint', 0x00, 0x$der, 0, UTC_TIMESTAMP() - INTERVAL 1 MINUTE, UTC_TIMESTAMP() - INTERVAL 10 SECOND)"

# --- Past grace: refused, and no longer published.
is "$(get6 "$T_A")" "$ALL200" "the retired key's token, six times: accepted (and remembered)"
stack_sql "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL $((GRACE + 1)) SECOND
    WHERE KeyId = '$kid_a'"
eventually get6_is "$T_A" "$ALL401"
is "$GOT" "$ALL401" "past grace: refused by every worker, though each had accepted it"
AUTH=$T_A api GET /api/Products/GetById/1
is "$STATUS $BODY" '401 {"message":"The signing key is unknown."}' "a token of a key retired past grace: 401"
is "$(header WWW-Authenticate)" 'Bearer error="invalid_token", error_description="The signing key is unknown."' \
    "... WWW-Authenticate: invalid_token"
api_login admin@example.com Password@123 || bail_out "login failed"
is "$(kid_of "$TOKEN")" "$kid_b" "a new login is signed by the new key"
AUTH=$TOKEN api GET /api/Products/GetById/1
is "$STATUS" 200 "... and accepted"
is "$(jwks_kids)" "$(printf '%s\n' "$kid_b" "$kid_t" | sort | tr '\n' ' ' | sed 's/ $//')" \
    "JWKS: the new key and the test key; neither the key past grace nor the row whose KeyId is not its thumbprint"

# mint AUD-JSON [ISS] [KID]: a token like the ones login issues, signed by
# the test key. AUD-JSON is the aud claim as JSON (a string or an array).
mint() {
	_now=$(date +%s)
	_h=$(printf '{"alg":"RS256","typ":"at+jwt","kid":"%s"}' "${3:-$kid_t}" | b64url)
	_p=$(jq -cn --argjson aud "$1" --arg iss "${2:-$STACK_URL}" --arg sub "$uid" \
	    --argjson now "$_now" --arg jti "$(cat /proc/sys/kernel/random/uuid)" \
	    '{iss: $iss, aud: $aud, sub: $sub, jti: $jti, iat: $now, nbf: $now, exp: ($now + 600),
	      email: "admin@example.com", name: "Test", role: ["Admin", "Editor", "User"]}' | b64url)
	_s=$(printf '%s.%s' "$_h" "$_p" | openssl dgst -sha256 -sign "$TAP_TMP/test.key" -binary | b64url)
	printf '%s.%s.%s' "$_h" "$_p" "$_s"
}

get1() {
	AUTH=$1 api GET /api/Products/GetById/1
}

# The control: with Client1's URL the minted token is a good token.
get1 "$(mint '"https://client1.com"')"
is "$STATUS $(json .Name)" "200 Product A" "minted token, aud https://client1.com (Client1): 200"
get1 "$(mint '"https://client2.com"')"
is "$STATUS" 200 "minted token, aud https://client2.com (Client2): 200"

# The same token for an audience no client has: refused.
get1 "$(mint '"https://evil.example.com"')"
is "$STATUS $BODY" '401 {"message":"The audience is invalid."}' "aud of no registered client: 401"
is "$(header WWW-Authenticate)" 'Bearer error="invalid_token", error_description="The audience is invalid."' \
    "... WWW-Authenticate: invalid_token"
get1 "$(mint '"https://CLIENT1.com"')"
is "$STATUS $BODY" '401 {"message":"The audience is invalid."}' "aud compared exactly (https://CLIENT1.com): 401"
get1 "$(mint '"https://client1.com/"')"
is "$STATUS $BODY" '401 {"message":"The audience is invalid."}' "aud with a trailing slash: 401"
get1 "$(mint '["https://evil.example.com"]')"
is "$STATUS $BODY" '401 {"message":"The audience is invalid."}' "aud array of unregistered URLs: 401"
get1 "$(mint '["https://evil.example.com","https://client1.com"]')"
is "$STATUS" 200 "aud array holding Client1's URL: 200"

# A client registered after the program started is known a second later.
t_new=$(mint '"https://new.example.com"')
get1 "$t_new"
is "$STATUS" 401 "aud https://new.example.com before its client exists: 401"
stack_sql "INSERT INTO Clients (ClientId, Name, ClientURL) VALUES ('Client3', 'New', 'https://new.example.com')"
eventually get6_is "$t_new" "$ALL200"
is "$GOT" "$ALL200" "... once Client3 is registered with that URL: 200, on every worker (which remember it)"
stack_sql "DELETE FROM Clients WHERE ClientId = 'Client3'"
eventually get6_is "$t_new" "$ALL401"
is "$GOT" "$ALL401" "Client3 deleted: its token is refused by every worker"
get1 "$t_new"
is "$STATUS $BODY" '401 {"message":"The audience is invalid."}' "... as of an unknown audience"

# The minted tokens are checked like any other: iss, signature, kid.
get1 "$(mint '"https://client1.com"' https://evil.example.com)"
is "$STATUS $BODY" '401 {"message":"The issuer is invalid."}' "minted token with another iss: 401"
good=$(mint '"https://client1.com"')
forged=$(printf '%s' "$good" | cut -d. -f1).$(b64url_decode "$(printf '%s' "$good" | cut -d. -f2)" |
    jq -c '.sub = "999"' | tr -d '\n' | b64url).$(printf '%s' "$good" | cut -d. -f3)
get1 "$forged"
is "$STATUS $BODY" '401 {"message":"The signature is invalid."}' "minted token with a changed payload: 401"
get1 "$(mint '"https://client1.com"' "" not-its-thumbprint)"
is "$STATUS $BODY" '401 {"message":"The signing key is unknown."}' \
    "a key row whose KeyId is not its thumbprint is never trusted: 401"

# Past grace, the test key goes the way of the first one.
stack_sql "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL $((GRACE + 1)) SECOND
    WHERE KeyId = '$kid_t'"
eventually get1_is "$good" 401
is "$STATUS $BODY" '401 {"message":"The signing key is unknown."}' "the test key past grace: its token is refused"

done_testing
