#!/bin/sh
# examples/products-client.sh against the real stack, with the demo user
# ./quickstart creates: every step's output, what it did to the Products
# table (an audit trigger records each write, in order), and that no secret
# ever was on a command line. Then the refresh path, made to run for real:
# right after the script logs in, an administrator withdraws the signing
# key of its access token (a new key, the old one retired past its grace,
# as after a key compromise). The next Products call gets 401; the script
# must refresh (the refresh token does not depend on signing keys), keep the
# new pair and retry once, and the retried request must succeed.
#
# curl and jq reach the script through wrappers first in PATH that record
# their arguments, and run the key withdrawal once the login answered.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="key_cache_refresh = 1"
api_stack

SCRIPT=$top_srcdir/examples/products-client.sh
GRACE=$((3600 + 60))    # the defaults: access_token_lifetime + clock_skew

# --- The demo user, as ./quickstart's demo_user makes it.
printf 'Password@123\n' | "$top_builddir/jwtauthctl" user add pranaya@example.com Pranaya Rout >/dev/null &&
    "$top_builddir/jwtauthctl" user grant pranaya@example.com Editor >/dev/null &&
    "$top_builddir/jwtauthctl" user grant pranaya@example.com Admin >/dev/null
ok $? "jwtauthctl: demo user with roles User, Editor, Admin"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'pranaya@example.com'")

# Every write to Products, in order (the triggers run as root, their definer).
stack_sql "CREATE TABLE ProductAudit (Seq INT AUTO_INCREMENT PRIMARY KEY, Op VARCHAR(6),
        Id INT, Name VARCHAR(100), Price DECIMAL(18,2));
    CREATE TRIGGER ProductAuditI AFTER INSERT ON Products FOR EACH ROW
        INSERT INTO ProductAudit (Op, Id, Name, Price) VALUES ('INSERT', NEW.Id, NEW.Name, NEW.Price);
    CREATE TRIGGER ProductAuditU AFTER UPDATE ON Products FOR EACH ROW
        INSERT INTO ProductAudit (Op, Id, Name, Price) VALUES ('UPDATE', NEW.Id, NEW.Name, NEW.Price);
    CREATE TRIGGER ProductAuditD AFTER DELETE ON Products FOR EACH ROW
        INSERT INTO ProductAudit (Op, Id) VALUES ('DELETE', OLD.Id);" || bail_out "cannot create the audit"
audit() {
	stack_sql "SELECT GROUP_CONCAT(CONCAT_WS(' ', Op, Id, Name, Price) ORDER BY Seq SEPARATOR ', ')
	    FROM ProductAudit WHERE Seq > $1"
}

# --- Wrappers: log argv (one line per call) and, after a successful login,
# run $TAP_TMP/hook once. They also note the mode of the script's private
# directory and of the files in it, as curl sees them.
mkdir -p "$TAP_TMP/bin" "$TAP_TMP/tmp" || bail_out "mkdir"
for tool in curl jq; do
	cat >"$TAP_TMP/bin/$tool" <<EOF
#!/bin/sh
printf '%s\n' "$tool \$*" >>"$TAP_TMP/argv.log"
EOF
done
cat >>"$TAP_TMP/bin/curl" <<EOF
for a; do
	case \$a in $TAP_TMP/tmp/*/common.conf)
		stat -c '%a %n' "\${a%/*}" "\${a%/*}"/* >>"$TAP_TMP/modes.log" ;;
	esac
done
"$(command -v curl)" "\$@"
rc=\$?
case "\$*" in
*/api/Auth/Login*)
	if [ -x "$TAP_TMP/hook" ]; then
		mv "$TAP_TMP/hook" "$TAP_TMP/hook.ran" && "$TAP_TMP/hook.ran" >>"$TAP_TMP/hook.log" 2>&1
	fi ;;
esac
exit \$rc
EOF
printf 'exec "%s" "$@"\n' "$(command -v jq)" >>"$TAP_TMP/bin/jq"
chmod +x "$TAP_TMP/bin/curl" "$TAP_TMP/bin/jq"

run_client() {
	PATH=$TAP_TMP/bin:$PATH TMPDIR=$TAP_TMP/tmp NO_PROXY='*' no_proxy='*' \
	    JWTAUTH_URL=$STACK_URL JWTAUTH_CACERT=$STACK_CACERT \
	    sh "$SCRIPT" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
}

# --- Run 1: everything succeeds at the first try.
run_client
is "$?" 0 "run 1: exit status 0"
is "$(cat "$TAP_TMP/err")" "" "run 1: nothing on stderr"
ADD='{"Id":4,"Name":"Smartphone","Description":"A high-end smartphone with excellent features.","Price":999.99}'
SEED='{"Id":1,"Name":"Product A","Description":"Test Product A","Price":10.00},{"Id":2,"Name":"Product B","Description":"Test Product B","Price":20.00},{"Id":3,"Name":"Product C","Description":"Test Product C","Price":30.00}'
want="==> Login as pranaya@example.com (client Client1)
    200 logged in: access and refresh token received
==> Add a product
    201 $ADD
==> GetAll
    200 [$SEED,$ADD]
==> GetById/1
    200 {\"Id\":1,\"Name\":\"Product A\",\"Description\":\"Test Product A\",\"Price\":10.00}
==> Update/1
    204 (no body)
==> Delete/1
    204 (no body)
all steps succeeded"
is "$(cat "$TAP_TMP/out")" "$want" "run 1: each step's status and answer"
is "$(audit 0)" "INSERT 4 Smartphone 999.99, UPDATE 1 Smartphone Pro 1199.99, DELETE 1" \
    "run 1: the product was added, then product 1 updated, then deleted"
is "$(stack_sql "SELECT CONCAT_WS('|', Name, Description, Price) FROM Products WHERE Id = 4")" \
    "Smartphone|A high-end smartphone with excellent features.|999.99" "run 1: the new product is stored"
is "$(stack_sql "SELECT CONCAT(COUNT(*), ' ', SUM(IsRevoked)) FROM RefreshTokens WHERE UserId = $uid")" "1 0" \
    "run 1: one login, no refresh"
is "$(grep -c '/api/Auth/RefreshToken' "$TAP_TMP/argv.log")" 0 "run 1: RefreshToken was not called"

# Nothing secret on a command line; the private files were 0700/0600.
grep -q 'Password@123' "$TAP_TMP/argv.log"
ok $((!$?)) "run 1: the password was on no command line"
grep -Eq 'Bearer [A-Za-z0-9]|eyJ|[A-Za-z0-9_-]{43}' "$TAP_TMP/argv.log"
ok $((!$?)) "run 1: no Authorization header, access or refresh token on a command line"
[ -s "$TAP_TMP/modes.log" ] && ! grep -Ev '^(700 [^ ]*/products-client\.[^/ ]*|600 [^ ]*/products-client\.[^/ ]*/[^/ ]*)$' "$TAP_TMP/modes.log"
ok $? "run 1: the private directory was 0700, its files 0600"
is "$(ls -A "$TAP_TMP/tmp")" "" "run 1: the private directory is removed at exit"

# --- Run 2: the access token is refused once; refresh, retry, success.
# Product 1 comes back so that run 2 has it to read, update and delete.
stack_sql "INSERT INTO Products (Id, Name, Description, Price) VALUES (1, 'Product A', 'Test Product A', 10.00)"
seq=$(stack_sql "SELECT MAX(Seq) FROM ProductAudit")
old_kid=$(stack_sql "SELECT KeyId FROM SigningKeys WHERE IsActive = 1")
cat >"$TAP_TMP/hook" <<EOF
#!/bin/sh
# After the login answered: a new signing key, the old one retired past
# its grace; then wait until every program has re-read its key cache.
set -e
"$top_builddir/jwtauthctl" keys rotate
"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" jwtauth -e \\
    "UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL $((GRACE + 1)) SECOND WHERE KeyId = '$old_kid'"
sleep 2
EOF
chmod +x "$TAP_TMP/hook"
: >"$TAP_TMP/argv.log"
run_client
rc=$?
is "$rc" 0 "run 2: exit status 0"
is "$(cat "$TAP_TMP/err")" "" "run 2: nothing on stderr"
[ -f "$TAP_TMP/hook.ran" ] && [ ! -f "$TAP_TMP/hook" ]
ok $? "run 2: the key was withdrawn after the login"
ADD5='{"Id":5,"Name":"Smartphone","Description":"A high-end smartphone with excellent features.","Price":999.99}'
want="==> Login as pranaya@example.com (client Client1)
    200 logged in: access and refresh token received
==> Add a product
    access token refused (401): refreshing it
    token refreshed; retrying the request
    201 $ADD5
==> GetAll
    200 [{\"Id\":1,\"Name\":\"Product A\",\"Description\":\"Test Product A\",\"Price\":10.00},{\"Id\":2,\"Name\":\"Product B\",\"Description\":\"Test Product B\",\"Price\":20.00},{\"Id\":3,\"Name\":\"Product C\",\"Description\":\"Test Product C\",\"Price\":30.00},$ADD,$ADD5]
==> GetById/1
    200 {\"Id\":1,\"Name\":\"Product A\",\"Description\":\"Test Product A\",\"Price\":10.00}
==> Update/1
    204 (no body)
==> Delete/1
    204 (no body)
all steps succeeded"
is "$(cat "$TAP_TMP/out")" "$want" "run 2: Add got 401, one refresh, the retried Add got 201, the rest went through"
is "$(grep -c '/api/Products/Add' "$TAP_TMP/argv.log") $(grep -c '/api/Auth/RefreshToken' "$TAP_TMP/argv.log")" \
    "2 1" "run 2: Add sent twice, RefreshToken once"
is "$(audit "$seq")" "INSERT 5 Smartphone 999.99, UPDATE 1 Smartphone Pro 1199.99, DELETE 1" \
    "run 2: the refused Add wrote nothing, the retried one added once; product 1 updated, then deleted"
# Run 2's login token was rotated away exactly once, to the token it kept.
is "$(stack_sql "SELECT CONCAT(COUNT(*), ' ', SUM(IsRevoked), ' ', SUM(ReplacedBy IS NOT NULL))
    FROM RefreshTokens WHERE UserId = $uid")" "3 1 1" \
    "run 2: the refresh token was rotated once (run 1's, run 2's revoked and replaced, the new one)"
grep -q 'Password@123' "$TAP_TMP/argv.log"
ok $((!$?)) "run 2: the password was on no command line"
grep -Eq 'Bearer [A-Za-z0-9]|eyJ|[A-Za-z0-9_-]{43}' "$TAP_TMP/argv.log"
ok $((!$?)) "run 2: no access or refresh token on a command line"
is "$(ls -A "$TAP_TMP/tmp")" "" "run 2: the private directory is removed at exit"

# --- A failing step stops the script with status 1: product 1 is gone now.
run_client
is "$?" 1 "run 3: product 1 is gone: exit status 1"
is "$(tail -n 2 "$TAP_TMP/out")" "==> GetById/1
    404 {\"message\":\"Product with ID 1 not found.\"}" "run 3: it stops at GetById/1, printing the 404"
is "$(cat "$TAP_TMP/err")" "error: GetById/1: expected 200, got 404" "run 3: and says why on stderr"

done_testing
