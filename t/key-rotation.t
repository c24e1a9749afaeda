#!/bin/sh
# Signing-key rotation end to end (SPEC §3 JWKS, §4, §6; lib/keys.h):
# `jwtauthctl keys rotate` under a running stack; signers keep the old key
# until the new one is key_cache_refresh + 2 s old; then new logins get
# the new kid while the old tokens keep working, and the JWKS lists both;
# once the old key is retired longer than access_token_lifetime +
# clock_skew it leaves the JWKS and its tokens are refused. Also
# --if-older-than, and 503 without an active key.
#
# key_cache_refresh = 1 so that every cache turns over in a second; after
# each change the test waits for the state it asserts (eventually: polled,
# with a deadline), never for a fixed time, and the moments of the
# hand-over are set in SQL. One worker per program, so that what one
# request sees is what that program sees.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# jwks_max_age = 0: the hand-over is then key_cache_refresh + 2 s
# (t/key-handover.t checks it with the default JWKS cache lifetime).
STACK_CONF_EXTRA="key_cache_refresh = 1
jwks_max_age = 0
argon2_opslimit = 1
argon2_memlimit = 8K"
STACK_WORKERS=1
api_stack

CTL=$top_builddir/jwtauthctl
GRACE=$((3600 + 60))            # access_token_lifetime + clock_skew (defaults)

kid_of() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)" | jq -r .kid
}
active() {
	stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1"
}
# The JWKS's kids, in order, into $KIDS ($BODY keeps the document).
jwks() {
	anon api GET /.well-known/jwks.json
	KIDS=$(json '[.keys[].kid] | join(" ")')
}
profile() {
	AUTH=$1 api GET /api/Users/GetProfile
}
# States to wait for (with eventually).
signs_with() {
	api_login hank@example.com Password@123 && [ "$(kid_of "$TOKEN")" = "$1" ]
}
jwks_is() {
	jwks
	[ "$KIDS" = "$1" ]
}
profile_is() {
	profile "$1"
	[ "$STATUS" = "$2" ]
}
login_is() {
	anon api POST /api/Auth/Login '{"Email":"hank@example.com","Password":"Password@123","ClientId":"Client1"}'
	[ "$STATUS" = "$1" ]
}

api_user hank@example.com Password@123 || bail_out "cannot register"
api_login hank@example.com Password@123 || bail_out "cannot log in"
t1=$TOKEN
k1=$(kid_of "$t1")
is "$k1" "$(active)" "the first token is signed by the active key K1"
profile "$t1"
is "$STATUS" 200 "T1 works"

# ---- rotate ------------------------------------------------------------------
out=$("$CTL" keys rotate 2>"$TAP_TMP/err")
is "$?" 0 "jwtauthctl keys rotate: exit 0"
k2=$(active)
[ -n "$k2" ] && [ "$k2" != "$k1" ]
ok $? "a new active key K2"
is "$out" "rotated: new active signing key $k2" "  it says so"
is "$(stack_sql "SELECT CONCAT(IsActive, ' ', RetiredAt IS NOT NULL) FROM SigningKeys WHERE KeyId = '$k1'")" \
    "0 1" "K1 is retired (IsActive 0, RetiredAt set)"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1")" 1 "exactly one active key"

# K1 goes on signing until its RetiredAt, K2's CreatedAt + key_cache_refresh
# + 2 s, and K2 signs only from then on (lib/keys.h).
is "$(stack_sql "SELECT TIMESTAMPDIFF(SECOND, n.CreatedAt, o.RetiredAt) FROM SigningKeys o, SigningKeys n
    WHERE o.KeyId = '$k1' AND n.KeyId = '$k2'")" 3 "K1's RetiredAt is K2's CreatedAt + key_cache_refresh + 2 s"
# Hold that moment an hour ahead, so that "just rotated" holds however
# slow this machine is.
stack_sql "UPDATE SigningKeys SET CreatedAt = CreatedAt + INTERVAL 1 HOUR WHERE KeyId = '$k2';
    UPDATE SigningKeys SET RetiredAt = RetiredAt + INTERVAL 1 HOUR WHERE KeyId = '$k1'"
eventually jwks_is "$k2 $k1"
is "$KIDS" "$k2 $k1" "the JWKS lists K2 (active, first) and K1"
# Past key_cache_refresh (the JWKS program has reloaded, so has any): K1 still signs.
api_login hank@example.com Password@123 || bail_out "cannot log in"
is "$(kid_of "$TOKEN")" "$k1" "just after the rotation the signer keeps K1"
profile "$TOKEN"
is "$STATUS" 200 "  and that token works"

# The hand-over is past.
stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 10 SECOND WHERE KeyId = '$k2';
    UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL 7 SECOND WHERE KeyId = '$k1'"
eventually signs_with "$k2"
t2=$TOKEN
is "$(kid_of "$t2")" "$k2" "a new login gets a token signed by K2"
eventually profile_is "$t2" 200
is "$STATUS" 200 "T2 (K2) works on GetProfile"
profile "$t1"
is "$STATUS" 200 "T1 (K1, retired within grace) still works"
jwks
is "$KIDS" "$k2 $k1" "JWKS: two keys, the active one first"
is "$(json '.keys | length')" 2 "  exactly two"

# ---- K1 near the end of its grace: still published ----------------------------
stack_sql "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL $((GRACE - 30)) SECOND WHERE KeyId = '$k1'"
# Nothing to wait for: before and after a reload, K1 is published.
jwks
is "$KIDS" "$k2 $k1" "K1 retired grace - 30 s ago: still in the JWKS"
profile "$t1"
is "$STATUS" 200 "  and T1 still works"

# ---- K1 past its grace: gone ---------------------------------------------------
stack_sql "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL $((GRACE + 1)) SECOND WHERE KeyId = '$k1'"
eventually jwks_is "$k2"
is "$KIDS" "$k2" "K1 retired grace + 1 s ago: gone from the JWKS"
eventually profile_is "$t1" 401
is "$STATUS" 401 "T1 is refused: 401"
is "$(header WWW-Authenticate)" 'Bearer error="invalid_token", error_description="The signing key is unknown."' \
    "  WWW-Authenticate: invalid_token, the signing key is unknown"
is "$BODY" '{"message":"The signing key is unknown."}' "  body"
profile "$t2"
is "$STATUS" 200 "T2 still works"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE KeyId = '$k1'")" 1 "K1's row is kept (only unpublished)"

# ---- --if-older-than -------------------------------------------------------------
out=$("$CTL" keys rotate --if-older-than 30 2>"$TAP_TMP/err")
is "$?" 0 "keys rotate --if-older-than 30 on a fresh key: exit 0"
is "$out" "not rotated: the active key is less than 30 days old" "  not rotated, and it says so"
is "$(active)" "$k2" "  K2 is still the active key"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys")" 2 "  no key added"
stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 31 DAY WHERE KeyId = '$k2'"
out=$("$CTL" keys rotate --if-older-than 30 2>"$TAP_TMP/err")
is "$?" 0 "keys rotate --if-older-than 30 on a 31-day-old key: exit 0"
k3=$(active)
[ -n "$k3" ] && [ "$k3" != "$k2" ] && [ "$k3" != "$k1" ]
ok $? "  a new active key K3"
is "$out" "rotated: new active signing key $k3" "  and it says so"
out=$("$CTL" keys rotate --if-older-than 30 2>"$TAP_TMP/err")
is "$(active)" "$k3" "  run again at once: no second rotation"

# ---- no active key ----------------------------------------------------------------
api_login hank@example.com Password@123 || bail_out "cannot log in"
r=$REFRESH
# No active key, and no retired key still within its hand-over.
stack_sql "UPDATE SigningKeys SET IsActive = 0;
    UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() WHERE RetiredAt > UTC_TIMESTAMP()"
eventually login_is 503
is "$STATUS:$BODY" '503:{"message":"No active signing key available."}' "no active key: login 503"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
is "$STATUS:$BODY" '503:{"message":"No active signing key available."}' "no active key: refresh 503"
is "$(stack_sql "SELECT CONCAT(IsRevoked, ' ', ReplacedBy IS NULL) FROM RefreshTokens
    WHERE TokenHash = SHA2('$r', 256)")" "0 1" "  the refresh token was not spent"
anon api GET /.well-known/jwks.json
is "$STATUS" 200 "the JWKS still answers"

"$CTL" keys rotate >/dev/null 2>&1
is "$?" 0 "keys rotate with no active key: exit 0"
k4=$(active)
# A refresh that answers 503 spends nothing (checked above): ask until the key is seen.
refresh_is() {
	anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r\",\"ClientId\":\"Client1\"}"
	[ "$STATUS" = "$1" ]
}
eventually refresh_is 200
is "$STATUS" 200 "with a key again: the same refresh token now works"
is "$(kid_of "$(json .Token)")" "$k4" "  signed by the new key"
profile "$(json .Token)"
is "$STATUS" 200 "  and the token works"

done_testing
