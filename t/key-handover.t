#!/bin/sh
# Issue 16, item 3: the key hand-over covers the JWKS cache lifetime. The
# JWKS says Cache-Control max-age=jwks_max_age (300 by default); after
# `jwtauthctl keys rotate` the old key goes on signing until the new one is
# jwks_max_age + key_cache_refresh + 2 s old, so that a resource server
# honouring the header has the new key before it meets a token of it. One
# setting drives both. `keys rotate --now` skips the hand-over (emergency).
#
# The moments are moved in SQL ("as if N seconds had passed"); the only
# waits are for the signers' key cache (key_cache_refresh = 1) to turn over.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1
argon2_opslimit = 1
argon2_memlimit = 8K"
api_stack
CTL=$top_builddir/jwtauthctl

kid_of() {
	b64url_decode "$(printf '%s' "$1" | cut -d. -f1)" | jq -r .kid
}
active() {
	stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1"
}
handover() {
	stack_sql "SELECT TIMESTAMPDIFF(SECOND, n.CreatedAt, o.RetiredAt) FROM SigningKeys o, SigningKeys n
	    WHERE o.KeyId = '$1' AND n.KeyId = '$2'"
}
# The kids of four logins (both login workers answer), space-separated.
login_kids() {
	_k=
	for _i in 1 2 3 4; do
		api_login ida@example.com Password@123 || return 1
		_k="$_k${_k:+ }$(kid_of "$TOKEN")"
	done
	printf '%s' "$_k"
}
# wait_signing KID: until four logins in a row are signed by KID, 20 s at most.
wait_signing() {
	_i=0
	until [ "$(login_kids)" = "$1 $1 $1 $1" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 40 ] && return 1
		sleep 0.5
	done
}

anon api GET /.well-known/jwks.json
is "$(header Cache-Control)" "public, max-age=300" "JWKS: max-age=300, the default jwks_max_age"

api_user ida@example.com Password@123 || bail_out "cannot register"
k1=$(active)
"$CTL" keys rotate >/dev/null 2>&1
ok $? "jwtauthctl keys rotate"
k2=$(active)
is "$(handover "$k1" "$k2")" 303 \
    "the old key's RetiredAt is the new key's CreatedAt + jwks_max_age (300) + key_cache_refresh (1) + 2 s"

# As if 10 s had passed: long past key_cache_refresh + 2 s, far from 303 s.
stack_sql "UPDATE SigningKeys SET CreatedAt = CreatedAt - INTERVAL 10 SECOND WHERE KeyId = '$k2';
    UPDATE SigningKeys SET RetiredAt = RetiredAt - INTERVAL 10 SECOND WHERE KeyId = '$k1'"
sleep 2         # the signers' key cache turns over (key_cache_refresh = 1)
is "$(login_kids)" "$k1 $k1 $k1 $k1" "10 s after the rotation the old key still signs"
anon api GET /.well-known/jwks.json
is "$(json '[.keys[].kid] | join(" ")')" "$k2 $k1" "while the JWKS already publishes the new key"

# As if the hand-over had passed.
stack_sql "UPDATE SigningKeys SET CreatedAt = CreatedAt - INTERVAL 300 SECOND WHERE KeyId = '$k2';
    UPDATE SigningKeys SET RetiredAt = RetiredAt - INTERVAL 300 SECOND WHERE KeyId = '$k1'"
wait_signing "$k2"
ok $? "once jwks_max_age + key_cache_refresh + 2 s have passed, the new key signs"

# ---- --now: no hand-over ----------------------------------------------------------
"$CTL" keys rotate --now >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "keys rotate --now: exit 0"
k3=$(active)
is "$(cat "$TAP_TMP/out")" "rotated now, without hand-over: new active signing key $k3" "... says so"
grep -q "verifiers that cached the JWKS (up to 300 s) or the keys (up to 1 s) refuse tokens of the new key" \
    "$TAP_TMP/err"
ok $? "... and warns that cached verifiers refuse the new key's tokens"
is "$(handover "$k2" "$k3")" 0 "... the old key stops signing at the rotation"
wait_signing "$k3"
ok $? "... and the new key signs as soon as the signers re-read the keys"
"$CTL" keys rotate --now --if-older-than 1 >/dev/null 2>&1
is "$?" 2 "--now with --if-older-than: usage error"

# ---- one setting: the same jwks_max_age sets the Cache-Control and the hand-over ----
( umask 077; cp "$JWTAUTH_CONFIG" "$TAP_TMP/alt.conf" && echo "jwks_max_age = 60" >>"$TAP_TMP/alt.conf" )
"$CTL" -c "$TAP_TMP/alt.conf" keys rotate >/dev/null 2>&1
ok $? "keys rotate with jwks_max_age = 60"
is "$(handover "$k3" "$(active)")" 63 "... hands over after 60 + 1 + 2 s"

done_testing
