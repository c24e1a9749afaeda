#!/bin/sh
# jwtauthctl (SPEC §7, doc/jwtauthctl.8): every command against a real
# MariaDB, its exit status (0 ok, 1 failed, 2 usage), its --help, and the
# rows it leaves behind.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

CTL=$top_builddir/jwtauthctl
[ -x "$CTL" ] || bail_out "$CTL is not built"

tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
# The master key lives in a folder init has to create.
MASTER=$TAP_TMP/keys/master.key
STACK_CONF_EXTRA="master_key_file = $MASTER
argon2_opslimit = 1
argon2_memlimit = 8K"
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

# run ARGS...: $out gets stdout, $err stderr, $rc the exit status;
# $events the security event lines (event.h), which stderr also carries.
run() {
	out=$("$CTL" "$@" 2>"$TAP_TMP/stderr")
	rc=$?
	split_stderr
}
# has_event REGEX "name": one of $events matches the extended REGEX.
has_event() {
	printf '%s\n' "$events" | grep -Eq "$1"
	ok $? "$2"
}
EV=' time=[0-9T:Z-]+ event='
split_stderr() {
	err=$(grep -v '^jwtauth\[[0-9]*\] event jwtauthctl: ' "$TAP_TMP/stderr")
	events=$(grep '^jwtauth\[[0-9]*\] event jwtauthctl: ' "$TAP_TMP/stderr")
}
# run_in INPUT ARGS...: the same, with INPUT (one line) on stdin.
run_in() {
	_in=$1
	shift
	out=$(printf '%s\n' "$_in" | "$CTL" "$@" 2>"$TAP_TMP/stderr")
	rc=$?
	split_stderr
}
q() {
	stack_sql "$1"
}

# ---- --help everywhere, without a config or a database -------------------
for cmd in "" "init" "keys" "keys list" "keys rotate" "user" "user add" "user list" \
    "user passwd" "user grant" "user revoke" "client" "client add" "client list" \
    "client secret" "client scopes" \
    "sessions" "sessions revoke" "purge"; do
	# shellcheck disable=SC2086
	out=$(JWTAUTH_CONFIG=/nonexistent "$CTL" $cmd --help 2>/dev/null)
	rc=$?
	is "$rc" 0 "jwtauthctl $cmd --help exits 0"
	case $out in usage:*) r=0 ;; *) r=1 ;; esac
	ok $r "jwtauthctl $cmd --help prints the usage on stdout"
done
run user add --help a@b.c
is "$rc" 0 "--help after arguments still helps"

# ---- usage errors: exit 2, message on stderr -----------------------------
usage() {
	run "$@"
	is "$rc" 2 "usage error: jwtauthctl ${*:-(no arguments)}"
	[ -z "$out" ] && [ -n "$err" ]
	ok $? "  nothing on stdout, a message on stderr"
}
usage
usage bogus
usage keys
usage keys bogus
usage init extra
usage keys list extra
usage keys rotate --if-older-than
usage keys rotate --if-older-than abc
usage keys rotate --if-older-than -1
usage keys rotate --if-older-than 36501
usage keys rotate --bogus
usage user add a@b.c
usage user add a@b.c A B C
usage user passwd
usage user grant a@b.c
usage client add C N
usage sessions revoke
usage sessions revoke --user
usage sessions revoke a@b.c
usage purge --force
usage -c
usage --bogus init

run -c /nonexistent/jwtauth.conf keys list
is "$rc" 1 "an unreadable config fails with 1"

# ---- init -----------------------------------------------------------------
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 0 "no signing key before init"
run init
is "$rc" 0 "init"
[ -f "$MASTER" ]; ok $? "init creates the master key file"
is "$(stat -c %a "$MASTER")" 600 "with mode 0600"
is "$(stat -c %a "$TAP_TMP/keys")" 700 "in a folder of mode 0700"
is "$(q 'SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1')" 1 "init creates one active key"
kid1=$(q 'SELECT KeyId FROM SigningKeys WHERE IsActive = 1')
case $out in *"$kid1"*) r=0 ;; *) r=1 ;; esac
ok $r "init prints the new kid"
cp "$MASTER" "$TAP_TMP/master.before"
run init
is "$rc" 0 "init again"
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 1 "init again adds no key"
cmp -s "$MASTER" "$TAP_TMP/master.before"; ok $? "init again keeps the master key"
case $out in *"active signing key $kid1"*) r=0 ;; *) r=1 ;; esac
ok $r "init again names the active key"

chmod 644 "$MASTER"
run init
is "$rc" 1 "init refuses a world-readable master key"
case $err in *"$MASTER"*) r=0 ;; *) r=1 ;; esac
ok $r "  and names the file"
chmod 600 "$MASTER"

mv "$MASTER" "$TAP_TMP/master.real"
run init
is "$rc" 1 "init with a new master key that does not open the active key fails"
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 1 "  and adds no key"
mv "$TAP_TMP/master.real" "$MASTER"

# ---- keys -----------------------------------------------------------------
run keys list
is "$rc" 0 "keys list"
is "$(printf '%s\n' "$out" | sed -n 1p)" "$(printf 'KID\tALG\tCREATED\tSTATUS\tRETIRED')" "keys list: header"
is "$(printf '%s\n' "$out" | sed -n 2p | cut -f1,2,4,5)" "$(printf '%s\tRS256\tactive\t-' "$kid1")" \
    "keys list: the active key, RS256 (the default signing_alg)"

run keys rotate --if-older-than 30
is "$rc" 0 "keys rotate --if-older-than 30"
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 1 "  a fresh key is not rotated"
run keys rotate
is "$rc" 0 "keys rotate"
has_event "${EV}key_rotate actor=jwtauthctl uid=[0-9]+ kid=[A-Za-z0-9_-]{43} alg=RS256 bits=2048\$" \
    "  event key_rotate with the new kid"
has_event "${EV}ctl actor=jwtauthctl uid=[0-9]+ command=\"keys rotate\" args=\"\" result=ok\$" \
    "  event ctl for the command"
is "$(q 'SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1')" 1 "  one active key"
is "$(q "SELECT IsActive, RetiredAt IS NOT NULL FROM SigningKeys WHERE KeyId = '$kid1'")" \
    "$(printf '0\t1')" "  the old one retired"
kid2=$(q 'SELECT KeyId FROM SigningKeys WHERE IsActive = 1')
run keys list
is "$(printf '%s\n' "$out" | sed -n 3p | cut -f1,4)" "$(printf '%s\tpublished' "$kid1")" \
    "keys list: the retired key is still published"
run keys rotate --if-older-than=0
is "$rc" 0 "keys rotate --if-older-than=0"
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 3 "  rotates whatever the age"
q "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 31 DAY WHERE IsActive = 1"
run keys rotate --if-older-than 30
is "$rc" 0 "keys rotate --if-older-than 30 with a 31-day-old key"
is "$(q 'SELECT COUNT(*) FROM SigningKeys')" 4 "  rotates"

# ---- user add ---------------------------------------------------------------
run_in 'secret-pw' user add alice@example.com Alice Liddell
is "$rc" 0 "user add"
case $out$err$events in *secret-pw*) r=1 ;; *) r=0 ;; esac
ok $r "  the password is not echoed, nor in the events"
has_event "${EV}ctl actor=jwtauthctl uid=[0-9]+ command=\"user add\" args=\"alice@example.com Alice Liddell\" result=ok\$" \
    "  event ctl with the arguments"
case "$(q "SELECT Password FROM Users WHERE Email = 'alice@example.com'")" in
'$argon2id$'*) r=0 ;; *) r=1 ;; esac
ok $r "  the stored password is an Argon2id hash"
is "$(q "SELECT CONCAT_WS('|', Firstname, Lastname) FROM Users WHERE Email = 'alice@example.com'")" \
    "Alice|Liddell" "  names stored"
is "$(q "SELECT GROUP_CONCAT(r.Name) FROM Users u JOIN UserRoles ur ON ur.UserId = u.Id JOIN Roles r ON r.Id = ur.RoleId WHERE u.Email = 'alice@example.com'")" \
    "User" "  with role User"
run_in 'secret-pw' user add bob@example.com Bob
is "$rc" 0 "user add without a last name"
is "$(q "SELECT Lastname IS NULL FROM Users WHERE Email = 'bob@example.com'")" 1 "  Lastname is NULL"

users=$(q 'SELECT COUNT(*) FROM Users')
run_in 'secret-pw' user add ALICE@example.com Alice
is "$rc" 1 "user add with a taken email (any case) fails"
is "$err" "jwtauthctl: Email is already registered." "  with SPEC's message"
run_in 'secret-pw' user add not-an-email Carol
is "$rc" 1 "user add with an invalid email fails"
is "$err" "jwtauthctl: Email: Invalid email address." "  with SPEC's message"
run_in 'short' user add carol@example.com Carol
is "$rc" 1 "user add with a 5-character password fails"
is "$err" "jwtauthctl: Password: Password must be at least 6 characters long." "  with SPEC's message"
run_in '' user add carol@example.com Carol
is "$rc" 1 "user add with an empty password fails"
run user add carol@example.com Carol </dev/null
is "$rc" 1 "user add with no input fails"
run_in "$(printf '%0101d' 0)" user add carol@example.com Carol
is "$rc" 1 "user add with a 101-character password fails"
run_in 'secret-pw' user add carol@example.com "$(printf '%051d' 0)"
is "$rc" 1 "user add with a 51-character first name fails"
is "$err" "jwtauthctl: Firstname: First name must be less than or equal to 50 characters." \
    "  with SPEC's message"
run_in 'x' user add @bad "$(printf '%051d' 0)" "$(printf '%051d' 0)"
is "$(printf '%s\n' "$err" | wc -l)" 4 "every failing rule is reported (email, names, password)"
run_in "$(printf 'pass\377word')" user add carol@example.com Carol
is "$rc" 1 "a password that is not UTF-8 is refused"
is "$(q 'SELECT COUNT(*) FROM Users')" "$users" "no user added by the failures"

# ---- user list ----------------------------------------------------------------
run user list
is "$rc" 0 "user list"
is "$(printf '%s\n' "$out" | sed -n 1p)" "$(printf 'ID\tEMAIL\tFIRSTNAME\tLASTNAME\tROLES')" "user list: header"
is "$(printf '%s\n' "$out" | grep alice@ | cut -f2-5)" \
    "$(printf 'alice@example.com\tAlice\tLiddell\tUser')" "user list: alice"
q "UPDATE Users SET Firstname = CONCAT('Bo', CHAR(27), '[31mb') WHERE Email = 'bob@example.com'"
run user list
is "$(printf '%s\n' "$out" | grep bob@ | cut -f3)" "Bo?[31mb" "user list: control characters are not printed"

# ---- user grant / revoke ----------------------------------------------------
alice=$(q "SELECT Id FROM Users WHERE Email = 'alice@example.com'")
roles() {
	q "SELECT GROUP_CONCAT(r.Name ORDER BY r.Name) FROM UserRoles ur JOIN Roles r ON r.Id = ur.RoleId WHERE ur.UserId = $alice"
}
run user grant alice@example.com Editor
is "$rc" 0 "user grant Editor"
is "$(roles)" "Editor,User" "  UserRoles has Editor"
has_event "${EV}role_grant actor=jwtauthctl uid=[0-9]+ user=alice@example.com role=Editor\$" \
    "  event role_grant"
run user grant alice@example.com editor
is "$rc" 0 "user grant of a role held (any case) succeeds"
is "$(roles)" "Editor,User" "  and changes nothing"
printf '%s\n' "$events" | grep -q 'event=role_grant'
is "$?" 1 "  so no role_grant event"
run user grant alice@example.com Superuser
is "$rc" 1 "user grant of an unknown role fails"
has_event "${EV}ctl .* result=failed\$" "  event ctl with result=failed"
run user grant nobody@example.com Admin
is "$rc" 1 "user grant to an unknown user fails"
run user revoke alice@example.com Editor
is "$rc" 0 "user revoke Editor"
is "$(roles)" "User" "  UserRoles lost Editor"
has_event "${EV}role_revoke actor=jwtauthctl uid=[0-9]+ user=alice@example.com role=Editor\$" \
    "  event role_revoke"
run user revoke alice@example.com Editor
is "$rc" 0 "user revoke of a role not held succeeds"
is "$(roles)" "User" "  and changes nothing"
run user revoke alice@example.com Nope
is "$rc" 1 "user revoke of an unknown role fails"

# ---- refresh tokens for the session tests -------------------------------------
bob=$(q "SELECT Id FROM Users WHERE Email = 'bob@example.com'")
token() { # token HASHCHAR USER FAMILYCHAR EXPIRES-SQL [REVOKED-AT-SQL]
	if [ -n "${5:-}" ]; then
		q "INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt, IsRevoked, RevokedAt)
		    VALUES (REPEAT('$1', 64), $2, 1, REPEAT('$3', 32), $4, 1, $5)"
	else
		q "INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt)
		    VALUES (REPEAT('$1', 64), $2, 1, REPEAT('$3', 32), $4)"
	fi
}
live='UTC_TIMESTAMP() + INTERVAL 1 DAY'
token 1 "$alice" a "$live"
token 2 "$alice" b "$live"
token 3 "$bob" c "$live"

# ---- user passwd ----------------------------------------------------------------
old=$(q "SELECT Password FROM Users WHERE Id = $alice")
run_in 'short' user passwd alice@example.com
is "$rc" 1 "user passwd with a short password fails"
is "$(q "SELECT Password FROM Users WHERE Id = $alice")" "$old" "  the hash is unchanged"
run_in '' user passwd alice@example.com
is "$rc" 1 "user passwd with an empty password fails"
run_in 'another-pw' user passwd nobody@example.com
is "$rc" 1 "user passwd of an unknown user fails"
run_in 'another-pw' user passwd alice@example.com
is "$rc" 0 "user passwd"
has_event "${EV}password_change actor=jwtauthctl uid=[0-9]+ user_id=$alice sessions=revoked\$" \
    "  event password_change"
case $events in *another-pw*) r=1 ;; *) r=0 ;; esac
ok $r "  without the password"
new=$(q "SELECT Password FROM Users WHERE Id = $alice")
[ "$new" != "$old" ]; ok $? "  the hash changed"
case $new in '$argon2id$'*) r=0 ;; *) r=1 ;; esac
ok $r "  to an Argon2id hash"
is "$(q "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $alice AND IsRevoked = 0")" 0 \
    "  every refresh token of the user is revoked (SPEC §3)"
is "$(q "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $bob AND IsRevoked = 0")" 1 \
    "  another user's token is not"

# ---- sessions revoke ------------------------------------------------------------
token 4 "$bob" d "$live"
run sessions revoke --user bob@example.com
is "$rc" 0 "sessions revoke --user"
has_event "${EV}sessions_revoke actor=jwtauthctl uid=[0-9]+ user=bob@example.com user_id=$bob revoked=2\$" \
    "  event sessions_revoke"
is "$(q "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $bob AND IsRevoked = 1 AND RevokedAt IS NOT NULL")" 2 \
    "  sets IsRevoked and RevokedAt on each of the user's tokens"
case $out in *"revoked 2 "*) r=0 ;; *) r=1 ;; esac
ok $r "  and says how many"
run sessions revoke --user=nobody@example.com
is "$rc" 1 "sessions revoke of an unknown user fails"

# ---- client ---------------------------------------------------------------------
run client add Client3 "Client Application 3" https://client3.example
is "$rc" 0 "client add"
is "$(q "SELECT CONCAT_WS('|', Name, ClientURL) FROM Clients WHERE ClientId = 'Client3'")" \
    "Client Application 3|https://client3.example" "  the row"
run client add Client3 Other https://other.example
is "$rc" 1 "client add of a taken client id fails"
run client add Client4 Four ftp://four.example
is "$rc" 1 "client add with a non-http(s) URL fails"
run client add "Client 4" Four https://four.example
is "$rc" 1 "client add with a space in the client id fails"
run client add Client4 Four "https://$(printf '%0500d' 0)"
is "$rc" 1 "client add with a URL over 500 characters fails"
is "$(q 'SELECT COUNT(*) FROM Clients')" 3 "no client added by the failures"
run client list
is "$rc" 0 "client list"
is "$(printf '%s\n' "$out" | sed -n 1p)" "$(printf 'CLIENTID\tNAME\tURL\tTYPE\tSCOPES')" "client list: header"
is "$(printf '%s\n' "$out" | sed -n 4p)" "$(printf 'Client3\tClient Application 3\thttps://client3.example\tpublic\t')" \
    "client list: the new client, public, no scopes"

# SPEC §9: confidential clients, their secrets, scopes.
secret_of() {
	printf '%s\n' "$out" | sed -n 's/^client secret of .* (shown once, keep it safe): //p'
}
run client add Svc Service https://svc.example --confidential
is "$rc" 0 "client add --confidential"
s1=$(secret_of)
printf '%s' "$s1" | grep -Eq '^[A-Za-z0-9_-]{43}$'
ok $? "  prints a secret once: 43 base64url characters (32 bytes)"
is "$(q "SELECT SecretHash FROM Clients WHERE ClientId = 'Svc'")" \
    "$(printf '%s' "$s1" | sha256sum | cut -d' ' -f1)" "  stored as its SHA-256 only"
is "$(q "SELECT COUNT(*) FROM Clients WHERE SecretHash = '$s1' OR Name = '$s1'")" 0 "  never as itself"
is "$(q "SELECT COUNT(*) FROM Clients WHERE ClientId = 'Client3' AND SecretHash IS NULL")" 1 \
    "  a client added without --confidential has no secret"
run client add Svc2 Two https://two.example --confidential
[ "$(secret_of)" != "$s1" ]
ok $? "  each secret is new"
run client secret Svc
is "$rc" 0 "client secret"
s2=$(secret_of)
[ -n "$s2" ] && [ "$s2" != "$s1" ]
ok $? "  prints a new secret"
case $(cat "$TAP_TMP/stderr") in *"$s2"*|"") r=1 ;; *) r=0 ;; esac
ok $r "  and not on stderr, where its security event goes"
has_event "${EV}client_secret_change actor=jwtauthctl uid=[0-9]+ client=Svc\$" "  event client_secret_change"
is "$(q "SELECT SecretHash FROM Clients WHERE ClientId = 'Svc'")" \
    "$(printf '%s' "$s2" | sha256sum | cut -d' ' -f1)" "  which replaces the old one"
run client secret Client3
is "$(q "SELECT SecretHash IS NOT NULL FROM Clients WHERE ClientId = 'Client3'")" 1 \
    "client secret of a public client makes it confidential"
run client secret NoSuch
is "$rc" 1 "client secret of an unknown client fails"
run client scopes Svc read write:all read
is "$rc:$out" "0:scopes of Svc: read write:all" "client scopes: set, each once"
is "$(q "SELECT Scopes FROM Clients WHERE ClientId = 'Svc'")" "read write:all" "  stored space-separated"
run client scopes Svc 'bad"scope'
is "$rc" 1 "client scopes with a quote fails (RFC 6749 §3.3)"
run client scopes Svc 'two words'
is "$rc" 1 "client scopes with a space in a scope fails"
is "$(q "SELECT Scopes FROM Clients WHERE ClientId = 'Svc'")" "read write:all" "  nothing changed by the failures"
run client scopes NoSuch read
is "$rc" 1 "client scopes of an unknown client fails"
run client list
is "$(printf '%s\n' "$out" | grep '^Svc	')" "$(printf 'Svc\tService\thttps://svc.example\tconfidential\tread write:all')" \
    "client list: type and scopes"
run client scopes Svc
is "$rc:$(q "SELECT CONCAT('[', Scopes, ']') FROM Clients WHERE ClientId = 'Svc'")" "0:[]" \
    "client scopes with no scope clears the list"
q "DELETE FROM Clients WHERE ClientId IN ('Svc', 'Svc2')"

# ---- purge ----------------------------------------------------------------------
q 'DELETE FROM RefreshTokens'
past='UTC_TIMESTAMP() - INTERVAL 1 HOUR'
token a "$alice" 1 "$past"                                    # expired, family dead: purged
token b "$alice" 2 "$past"                                    # expired, family alive: kept
token c "$alice" 2 "$live"                                    # live: kept
token d "$alice" 3 "$live" 'UTC_TIMESTAMP() - INTERVAL 2 DAY' # revoked 2 days ago: purged
token e "$alice" 4 "$live" 'UTC_TIMESTAMP()'                  # revoked just now: kept
q "DELETE FROM LoginThrottle;
    INSERT INTO LoginThrottle (Email, FailedCount, WindowStart) VALUES
    ('old@example.com', 3, UTC_TIMESTAMP() - INTERVAL 2 DAY),
    ('new@example.com', 3, UTC_TIMESTAMP())"
run purge
is "$rc" 0 "purge"
is "$(q 'SELECT GROUP_CONCAT(LEFT(TokenHash, 1) ORDER BY TokenHash) FROM RefreshTokens')" "b,c,e" \
    "purge removes the expired and long-revoked tokens of dead families only"
is "$(q 'SELECT GROUP_CONCAT(Email) FROM LoginThrottle')" "new@example.com" \
    "purge removes login-throttle rows whose window ended"
case $out in *"purged 2 refresh tokens and 1 login-throttle row"*) r=0 ;; *) r=1 ;; esac
ok $r "purge says what it removed"
run purge
is "$rc" 0 "purge again"
is "$(q 'SELECT COUNT(*) FROM RefreshTokens')" 3 "  removes nothing more"

# ---- the database is unreachable ---------------------------------------------------
sed 's/^db_password = .*/db_password = wrong/' "$JWTAUTH_CONFIG" >"$TAP_TMP/bad.conf"
run -c "$TAP_TMP/bad.conf" user list
is "$rc" 1 "database unreachable: exit 1"
[ -n "$err" ]; ok $? "  with a message on stderr"
run -c "$TAP_TMP/bad.conf" init
is "$rc" 1 "database unreachable: init fails too"

done_testing
