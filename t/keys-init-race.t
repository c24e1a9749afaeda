#!/bin/sh
# Two `jwtauthctl init` at the same moment on an empty database (and no
# master key file yet) leave exactly one master key and one active signing
# key, which that master key opens; and the schema itself refuses a second
# active key (migration 007, UX_SigningKeys_ActiveFlag).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

CTL=$top_builddir/jwtauthctl
[ -x "$CTL" ] || bail_out "$CTL not built"
tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
STACK_CONF_EXTRA="master_key_file = $TAP_TMP/master.key"
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

ROUNDS=${ROUNDS:-3}
RACERS=3
bad_active= bad_exit= bad_open= bad_kid=
r=1
while [ "$r" -le "$ROUNDS" ]; do
	stack_sql "DELETE FROM SigningKeys" || bail_out "cannot empty SigningKeys"
	rm -f "$TAP_TMP/master.key"
	i=1
	while [ "$i" -le "$RACERS" ]; do
		"$CTL" init >"$TAP_TMP/out.$i" 2>"$TAP_TMP/err.$i" &
		eval "pid$i=\$!"
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$RACERS" ]; do
		eval "wait \$pid$i" || { bad_exit="$bad_exit $r"; sed 's/^/# /' "$TAP_TMP/err.$i"; }
		i=$((i + 1))
	done
	n=$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1")
	[ "$n" = 1 ] || bad_active="$bad_active $r:$n"
	kid=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
	# Every racer names the one active key, as created or as found.
	for f in "$TAP_TMP"/out.*; do
		grep -q "signing key $kid\$" "$f" || bad_kid="$bad_kid $r"
	done
	"$CTL" init >"$TAP_TMP/out" 2>&1 && grep -q "^active signing key $kid\$" "$TAP_TMP/out" ||
	    { bad_open="$bad_open $r"; sed 's/^/# /' "$TAP_TMP/out"; }
	r=$((r + 1))
done
is "$bad_exit" "" "$ROUNDS rounds of $RACERS concurrent inits: every one exits 0"
is "$bad_active" "" "... exactly one active key after each round"
is "$bad_kid" "" "... every racer reports that key"
is "$bad_open" "" "... and the master key left on disk opens it"
is "$(ls "$TAP_TMP" | grep -c '^master\.key\.new')" 0 "no temporary master key file left behind"

# The schema alone: a second active row is refused, any number of retired ones are fine.
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive) VALUES ('x1', 'x', 'x', 1)" 2>"$TAP_TMP/err"
is "$?" 1 "INSERT of a second active key: refused"
grep -q 'UX_SigningKeys_ActiveFlag' "$TAP_TMP/err"; ok $? "... by UX_SigningKeys_ActiveFlag"
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive) VALUES
    ('x2', 'x', 'x', 0), ('x3', 'x', 'x', 0)"
ok $? "two more inactive keys: accepted"
stack_sql "UPDATE SigningKeys SET IsActive = 1 WHERE KeyId = 'x2'" 2>/dev/null
is "$?" 1 "UPDATE making a retired key active beside the active one: refused"
is "$(stack_sql "SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1")" 1 "still one active key"

done_testing
