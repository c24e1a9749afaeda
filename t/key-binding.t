#!/bin/sh
# Issue 16, item 1: a writer to the database cannot mint tokens. A key row
# the master key did not make (the attacker's own RSA key under its RFC 7638
# thumbprint, retired just now so that it sits in the grace window, as the
# review inserted it) is never published, a token it signs is 401 (the
# review deleted a product as Admin with one), and each program logs it
# once. Rows the master key made are bound by `jwtauthctl keys bind` and
# `init` (migrate says when some are unbound); rows it did not make are
# refused there too.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack
CTL=$top_builddir/jwtauthctl

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}
unhex() {
	perl -ne 'chomp; print pack("H*", $_)'
}
tohex() {
	od -An -v -tx1 | tr -d ' \n'
}
# The RFC 7638 thumbprint of the RSA key in a PEM file.
thumbprint() {
	_n=$(openssl rsa -in "$1" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' | unhex | b64url)
	printf '{"e":"AQAB","kty":"RSA","n":"%s"}' "$_n" | openssl dgst -sha256 -binary | b64url
}
# admin_token KEYFILE KID: an access token for the Admin, as login makes them.
admin_token() {
	_now=$(date +%s)
	_in="$(printf '{"alg":"RS256","typ":"at+jwt","kid":"%s"}' "$2" | b64url).$(jq -cn \
	    --arg iss "$STACK_URL" --arg sub "$uid" --argjson now "$_now" '{iss: $iss,
	    aud: "https://client1.com", sub: $sub, jti: "0d6f0c1e-2b4a-4c1e-9d7f-3a5b6c7d8e9f",
	    iat: $now, nbf: $now, exp: ($now + 600), email: "admin@example.com", name: "Test",
	    role: ["Admin", "Editor", "User"]}' | b64url)"
	printf '%s.%s' "$_in" "$(printf '%s' "$_in" | openssl dgst -sha256 -sign "$1" -binary | b64url)"
}
jwks_has() {
	anon api GET /.well-known/jwks.json
	[ "$(json "[.keys[] | select(.kid == \"$1\")] | length")" = 1 ]
}
jwks_lacks() {
	! jwks_has "$1"
}
# wait_published KID: until the JWKS publishes KID (every jwks worker has
# re-read the keys since it was added), 20 s at most.
wait_published() {
	_i=0
	until jwks_has "$1" && jwks_has "$1"; do
		_i=$((_i + 1))
		[ "$_i" -gt 200 ] && return 1
		sleep 0.1
	done
}

api_user admin@example.com Password@123 Admin Editor || bail_out "cannot register"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'admin@example.com'")
api_login admin@example.com Password@123 || bail_out "cannot log in"
genuine=$TOKEN
active=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")

# ---- the attack ----------------------------------------------------------------
openssl genrsa -out "$TAP_TMP/evil.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"
ekid=$(thumbprint "$TAP_TMP/evil.pem")
epub=$(openssl pkey -in "$TAP_TMP/evil.pem" -pubout -outform DER 2>/dev/null | tohex)
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt, RetiredAt)
    VALUES ('$ekid', UNHEX('00'), UNHEX('$epub'), 0, UTC_TIMESTAMP() - INTERVAL 1 HOUR,
    UTC_TIMESTAMP())" || bail_out "cannot insert the attacker's key"
# The control, added at the same moment: a key imported with the master key.
openssl genrsa -out "$TAP_TMP/good.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"
gkid=$(thumbprint "$TAP_TMP/good.pem")
"$CTL" keys import "$TAP_TMP/good.pem" >/dev/null
ok $? "jwtauthctl keys import: a retired key made with the master key"
wait_published "$gkid"
ok $? "the imported key is published (every jwks worker re-read the keys)"
jwks_lacks "$ekid"; ok $? "the attacker's key row is not published"

AUTH=$(admin_token "$TAP_TMP/good.pem" "$gkid") api GET /api/Products/GetById/2
is "$STATUS" 200 "a token of the imported key is accepted (control)"
AUTH=$(admin_token "$TAP_TMP/evil.pem" "$ekid") api DELETE /api/Products/Delete/1
is "$STATUS $BODY" '401 {"message":"The signing key is unknown."}' \
    "Products Delete as Admin with the attacker's key: 401"
is "$(stack_sql "SELECT COUNT(*) FROM Products WHERE Id = 1")" 1 "... and product 1 is still there"
AUTH=$(admin_token "$TAP_TMP/evil.pem" "$ekid") api GET /api/Users/GetProfile
is "$STATUS" 401 "GetProfile with the attacker's key: 401"

# The binding of a genuine row copied onto the attacker's row: still refused.
stack_sql "UPDATE SigningKeys SET Binding = (SELECT b FROM (SELECT Binding AS b FROM SigningKeys
    WHERE KeyId = '$active') AS x) WHERE KeyId = '$ekid'"
# Another imported key as the marker that the caches were re-read.
openssl genrsa -out "$TAP_TMP/good2.pem" 2048 2>/dev/null || bail_out "openssl genrsa failed"
"$CTL" keys import "$TAP_TMP/good2.pem" >/dev/null && wait_published "$(thumbprint "$TAP_TMP/good2.pem")"
ok $? "a second imported key is published"
jwks_lacks "$ekid"; ok $? "a genuine row's binding copied onto the attacker's row: not published"
AUTH=$(admin_token "$TAP_TMP/evil.pem" "$ekid") api DELETE /api/Products/Delete/1
is "$STATUS" 401 "... and its token is 401"

# Logged once by each worker process that met it, not at every re-read.
for p in jwks products users; do
	n=$(grep -c "signing key $ekid is not bound to the master key" "$STACK_DIR/log/$p.log")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ]
	ok $? "$p: the row is logged once per worker (2 workers, $n lines), after many re-reads"
done

# ---- jwtauthctl keys bind --------------------------------------------------------
"$CTL" keys bind >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 1 "keys bind with the attacker's row present: exit 1"
grep -q "1 signing key row not made with this master key" "$TAP_TMP/err"
ok $? "... reported on stderr"
jwks_lacks "$ekid"; ok $? "... and the row is still not published"
stack_sql "DELETE FROM SigningKeys WHERE KeyId = '$ekid'"

# An upgrade (migration 006): rows without a binding, until bound.
stack_sql "UPDATE SigningKeys SET Binding = NULL"
"$CTL" keys bind >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "keys bind after the upgrade: exit 0"
is "$(cat "$TAP_TMP/out")" "bound 3 signing keys to the master key
every signing key is bound to the master key" "... binds the three keys the master key made"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE LENGTH(Binding) = 32")" 3 "... in the table"
AUTH=$genuine api GET /api/Users/GetProfile
is "$STATUS" 200 "the genuine token is accepted"
stack_sql "UPDATE SigningKeys SET Binding = NULL WHERE KeyId = '$active'"
"$CTL" init >"$TAP_TMP/out" 2>&1
is "$?" 0 "jwtauthctl init on an unbound key: exit 0"
grep -q "bound 1 signing key to the master key" "$TAP_TMP/out"
ok $? "... binds it"
is "$("$CTL" keys bind)" "every signing key is bound to the master key" "keys bind: nothing left"

# migrate says what is left unbound once version 6 is there.
stack_sql "UPDATE SigningKeys SET Binding = NULL WHERE KeyId = '$active'"
adminpw=$(stack_random_hex 16)
stack_sql "CREATE USER 'jwtauth_admin'@'localhost' IDENTIFIED BY '$adminpw';
    GRANT ALL PRIVILEGES ON jwtauth.* TO 'jwtauth_admin'@'localhost';"
( umask 077; sed -e '/^db_user/d' -e '/^db_password/d' "$JWTAUTH_CONFIG" >"$TAP_TMP/admin.conf" &&
    printf 'db_user = jwtauth_admin\ndb_password = %s\n' "$adminpw" >>"$TAP_TMP/admin.conf" )
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$top_srcdir/sql/migrations" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "migrate with an unbound key: exit 0"
grep -q "^1 signing key is not bound to the master key yet, and not trusted until bound: run jwtauthctl keys bind now$" "$TAP_TMP/out"
ok $? "... says so"
is "$("$CTL" keys bind)" "bound 1 signing key to the master key
every signing key is bound to the master key" "keys bind binds it"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$top_srcdir/sql/migrations" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
grep -q "not bound" "$TAP_TMP/out"
is "$?" 1 "migrate again: nothing left to say"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE Binding IS NULL")" 0 "nothing is left unbound"

AUTH=$genuine api GET /api/Users/GetProfile
is "$STATUS" 200 "the genuine token is still accepted"

done_testing
