#!/bin/sh
# jwtauthctl migrate: applies the missing sql/migrations in order, records
# each in SchemaMigrations, applies nothing the second time, upgrades a
# database made from an older schema.sql to exactly what schema.sql plus the
# migrations make today; it needs an account with DDL rights (the programs'
# account is refused), and a failing migration is not recorded.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

CTL=$top_builddir/jwtauthctl
MIGRATIONS=$top_srcdir/sql/migrations
[ -x "$CTL" ] || bail_out "$CTL not built"
tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

# The numbers of the migrations present (numbers are reserved ahead, so
# there may be gaps while work lands), and 1 for schema.sql.
present=$(ls "$MIGRATIONS" | sed -n 's/^\([0-9][0-9][0-9]\)-[a-z0-9-]*\.sql$/\1/p' | sort)
last=$(echo "$present" | tail -n 1)
last=$(expr "$last" + 0)
[ "$last" -ge 2 ] || bail_out "no migration in $MIGRATIONS"
all_versions=$(echo 1 $(for v in $present; do expr "$v" + 0; done))

# The administrator's config: an account with DDL rights on the database,
# as the documentation asks (the programs' own has data rights only).
adminpw=$(stack_random_hex 16)
stack_sql "CREATE USER 'jwtauth_admin'@'localhost' IDENTIFIED BY '$adminpw';
    GRANT ALL PRIVILEGES ON jwtauth.* TO 'jwtauth_admin'@'localhost';
    GRANT ALL PRIVILEGES ON jwtauth_fresh.* TO 'jwtauth_admin'@'localhost';"
admin_conf() {
	( umask 077; printf 'db_socket = %s\ndb_name = %s\ndb_user = jwtauth_admin\ndb_password = %s\n' \
	    "$STACK_DB_SOCKET" "$1" "$adminpw" >"$2" )
}
admin_conf jwtauth "$TAP_TMP/admin.conf"

versions() {
	stack_sql "SELECT GROUP_CONCAT(Version ORDER BY Version SEPARATOR ' ') FROM ${1:-jwtauth}.SchemaMigrations"
}

# --- Make the database what the first schema.sql made: version 1 only,
# accent-insensitive e-mail columns, the one-column UserId index.
# (The one-column index first: the foreign key on UserId needs one of them.)
stack_sql "CREATE INDEX IF NOT EXISTS IX_RefreshTokens_UserId ON RefreshTokens (UserId);
    DROP INDEX IF EXISTS IX_RefreshTokens_UserId_IsRevoked ON RefreshTokens;
    ALTER TABLE Users MODIFY Email VARCHAR(100) COLLATE utf8mb4_unicode_ci NOT NULL;
    ALTER TABLE LoginThrottle MODIFY Email VARCHAR(100) COLLATE utf8mb4_unicode_ci NOT NULL;
    DROP INDEX IF EXISTS UX_SigningKeys_ActiveFlag ON SigningKeys;
    ALTER TABLE SigningKeys DROP COLUMN IF EXISTS ActiveFlag;
    ALTER TABLE Clients DROP COLUMN IF EXISTS SecretHash, DROP COLUMN IF EXISTS Scopes;
    ALTER TABLE RefreshTokens DROP COLUMN IF EXISTS Scope;
    DELETE FROM SchemaMigrations WHERE Version > 1;" || bail_out "cannot set up the old schema"
# What a race of two `jwtauthctl init` could leave before 007: two active keys.
stack_sql "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive) VALUES
    ('old-a', 'x', 'x', 1), ('old-b', 'x', 'x', 1)" || bail_out "cannot insert two active keys"
is "$(versions)" 1 "old database: version 1"
stack_sql "INSERT INTO Users (Firstname, Email, Password) VALUES ('Jose', 'jose@example.com', 'x')"
stack_sql "INSERT INTO Users (Firstname, Email, Password) VALUES ('José', 'josé@example.com', 'x')" 2>/dev/null
is "$?" 1 "old database: josé@ collides with jose@ (accent-insensitive)"

# --- The programs' account may not change the schema.
"$CTL" migrate --dir "$MIGRATIONS" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 1 "migrate with the programs' account (no DDL rights): exit 1"
grep -q 'command denied' "$TAP_TMP/err" && grep -q 'CREATE, ALTER, INDEX and DROP rights' "$TAP_TMP/err"
ok $? "... MariaDB's refusal and what migrate needs are on stderr"
is "$(versions)" 1 "... nothing recorded"

# --- With the admin account.
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$MIGRATIONS" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "migrate -c admin.conf: exit 0"
is "$(sed -n 's/^applied //p' "$TAP_TMP/out" | cut -c1-3 | tr '\n' ' ' | sed 's/ $//')" \
    "$(echo $present)" "every migration applied, in order"
is "$(tail -n 1 "$TAP_TMP/out")" "schema version $last" "... reports the version reached"
! grep -v '^jwtauth\[[0-9]*\] event jwtauthctl: ' "$TAP_TMP/err"
ok $? "... nothing on stderr but its security events"
is "$(versions)" "$all_versions" "SchemaMigrations holds every version"
stack_sql "INSERT INTO Users (Firstname, Email, Password) VALUES ('José', 'josé@example.com', 'x')"
ok $? "002: josé@ and jose@ are two addresses now"
stack_sql "INSERT INTO Users (Firstname, Email, Password) VALUES ('Jose', 'JOSE@example.com', 'x')" 2>/dev/null
is "$?" 1 "002: ... and JOSE@ is still jose@"
is "$(stack_sql "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = 'jwtauth' AND TABLE_NAME = 'RefreshTokens' AND INDEX_NAME = 'IX_RefreshTokens_UserId_IsRevoked'")" \
    "UserId,IsRevoked" "003: index on RefreshTokens (UserId, IsRevoked)"
is "$(stack_sql "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'jwtauth'
    AND INDEX_NAME = 'IX_RefreshTokens_UserId'")" 0 "003: the one-column index is gone"
stack_sql "EXPLAIN UPDATE RefreshTokens SET IsRevoked = 1 WHERE UserId = 1 AND IsRevoked = 0" |
    grep -q IX_RefreshTokens_UserId_IsRevoked
ok $? "003: logout-all's UPDATE can use it"
is "$(stack_sql "SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, '.', COLUMN_NAME) ORDER BY TABLE_NAME, COLUMN_NAME)
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'jwtauth'
    AND COLUMN_NAME IN ('SecretHash', 'Scopes', 'Scope')")" \
    "Clients.Scopes,Clients.SecretHash,RefreshTokens.Scope" "005: the OAuth 2.0 client and scope columns"
is "$(stack_sql "SELECT CONCAT(COUNT(*), ' ', SUM(SecretHash IS NULL), ' ', SUM(Scopes = '')) FROM Clients")" \
    "2 2 2" "005: the clients there were stay public, with no scopes"
is "$(stack_sql "SELECT GROUP_CONCAT(CONCAT(KeyId, ':', IsActive, ':', RetiredAt IS NOT NULL) ORDER BY Id)
    FROM SigningKeys")" "old-a:0:1,old-b:1:0" "007: of two active keys the newest stays active, the other retires"
stack_sql "UPDATE SigningKeys SET IsActive = 1 WHERE KeyId = 'old-a'" 2>/dev/null
is "$?" 1 "007: a second active key is refused"
stack_sql "DELETE FROM SigningKeys WHERE KeyId IN ('old-a', 'old-b')"

# --- Twice: nothing to do.
stack_sql "SELECT GROUP_CONCAT(AppliedAt ORDER BY Version) FROM SchemaMigrations" >"$TAP_TMP/at1"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$MIGRATIONS" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "second run: exit 0"
is "$(cat "$TAP_TMP/out")" "schema version $last: up to date" "second run: nothing applied"
stack_sql "SELECT GROUP_CONCAT(AppliedAt ORDER BY Version) FROM SchemaMigrations" >"$TAP_TMP/at2"
cmp -s "$TAP_TMP/at1" "$TAP_TMP/at2"
ok $? "second run: SchemaMigrations unchanged"

# --- The upgraded database equals a new one: schema.sql + migrate.
stack_sql "CREATE DATABASE jwtauth_fresh CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" jwtauth_fresh \
    <"$top_srcdir/sql/schema.sql" || bail_out "schema.sql failed on jwtauth_fresh"
admin_conf jwtauth_fresh "$TAP_TMP/fresh.conf"
"$CTL" -c "$TAP_TMP/fresh.conf" migrate --dir "$MIGRATIONS" >/dev/null 2>"$TAP_TMP/err"
is "$?" 0 "new database: schema.sql then migrate: exit 0"
is "$(versions jwtauth_fresh)" "$all_versions" "new database: every version recorded"
tables() {
	for t in $(stack_sql "SELECT TABLE_NAME FROM information_schema.TABLES
	    WHERE TABLE_SCHEMA = '$1' ORDER BY TABLE_NAME"); do
		"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" --batch \
		    --skip-column-names --raw "$1" -e "SHOW CREATE TABLE \`$t\`" |
		    sed 's/ AUTO_INCREMENT=[0-9]*//'
	done
}
tables jwtauth >"$TAP_TMP/old.sql"
tables jwtauth_fresh >"$TAP_TMP/new.sql"
if cmp -s "$TAP_TMP/old.sql" "$TAP_TMP/new.sql" && [ -s "$TAP_TMP/new.sql" ]; then
	ok 0 "the upgraded database has exactly the tables of a new one"
else
	ok 1 "the upgraded database has exactly the tables of a new one"
	diff "$TAP_TMP/old.sql" "$TAP_TMP/new.sql" | sed 's/^/# /'
fi

# --- Each file also works with the mariadb client, twice, recording itself.
stack_sql "DROP DATABASE jwtauth_fresh; CREATE DATABASE jwtauth_fresh"
"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" jwtauth_fresh \
    <"$top_srcdir/sql/schema.sql"
rc=0
for f in "$MIGRATIONS"/[0-9][0-9][0-9]-*.sql "$MIGRATIONS"/[0-9][0-9][0-9]-*.sql; do
	"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" jwtauth_fresh <"$f" || rc=1
done
is "$rc" 0 "every migration runs twice with the mariadb client"
is "$(versions jwtauth_fresh)" "$all_versions" "... and records its own version"

# --- A database made before SchemaMigrations existed counts as version 1.
stack_sql "DROP TABLE SchemaMigrations"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$MIGRATIONS" >"$TAP_TMP/out" 2>&1
is "$?" 0 "no SchemaMigrations table: exit 0"
is "$(versions)" "$all_versions" "... SchemaMigrations made, every migration run again and recorded"

# --- Order, failure, and names, with a folder of test migrations.
mkdir "$TAP_TMP/m"
cp "$MIGRATIONS"/*.sql "$TAP_TMP/m/"
n1=$(printf '%03d' $((last + 1)))
n2=$(printf '%03d' $((last + 2)))
n3=$(printf '%03d' $((last + 3)))
printf -- '-- a table\nCREATE TABLE IF NOT EXISTS MigTest (\n\tId INT NOT NULL,\n\tPRIMARY KEY (Id)\n);\n' \
    >"$TAP_TMP/m/$n2-make-table.sql"
printf 'INSERT INTO MigTest (Id)\n  -- a comment; inside\n  VALUES (7);\n' >"$TAP_TMP/m/$n3-fill-table.sql"
printf 'SELECT 1;\n' >"$TAP_TMP/m/notes.txt"
printf 'SELECT 1;\n' >"$TAP_TMP/m/$n1-Bad_Name.sql"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/m" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 0 "test migrations: exit 0"
is "$(sed -n 's/^applied //p' "$TAP_TMP/out" | tr '\n' ' ')" "$n2-make-table $n3-fill-table " \
    "applied in numeric order; other names ignored"
is "$(stack_sql "SELECT Id FROM MigTest")" 7 "multi-line statements and comment lines"

printf 'CREATE TABLE IF NOT EXISTS MigTest2 (Id INT NOT NULL PRIMARY KEY);\nTHIS IS NOT SQL;\n' \
    >"$TAP_TMP/m/$(printf '%03d' $((last + 4)))-broken.sql"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/m" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 1 "a failing migration: exit 1"
grep -q -- "-broken.sql:2: the statement failed" "$TAP_TMP/err"
ok $? "... the file and line of the failing statement on stderr"
is "$(stack_sql "SELECT COUNT(*) FROM SchemaMigrations WHERE Version = $((last + 4))")" 0 \
    "... not recorded"
printf 'CREATE TABLE IF NOT EXISTS MigTest2 (Id INT NOT NULL PRIMARY KEY);\nDO 1;\n' \
    >"$TAP_TMP/m/$(printf '%03d' $((last + 4)))-broken.sql"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/m" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?.$(sed -n 's/^applied //p' "$TAP_TMP/out")" "0.$(printf '%03d' $((last + 4)))-broken" \
    "fixed, it is run again from its start and recorded"

printf 'DO 1;\nDO 2\n' >"$TAP_TMP/m/$(printf '%03d' $((last + 5)))-no-end.sql"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/m" >/dev/null 2>"$TAP_TMP/err"
is "$?" 1 "a statement without ';' at the end: exit 1"
grep -q "no-end.sql:2: the last statement does not end with ';'" "$TAP_TMP/err"
ok $? "... said so, with the line"
rm "$TAP_TMP/m/"*-no-end.sql

cp "$TAP_TMP/m/$n2-make-table.sql" "$TAP_TMP/m/$n2-same-number.sql"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/m" >/dev/null 2>"$TAP_TMP/err"
is "$?" 1 "two migrations with one number: exit 1"
rm "$TAP_TMP/m/$n2-same-number.sql"

"$CTL" -c "$TAP_TMP/admin.conf" migrate --dir "$TAP_TMP/nowhere" >/dev/null 2>"$TAP_TMP/err"
is "$?" 1 "a missing folder: exit 1"
"$CTL" -c "$TAP_TMP/admin.conf" migrate --bogus >/dev/null 2>&1
is "$?" 2 "an unknown option: exit 2"

stack_sql "CREATE DATABASE jwtauth_empty"
stack_sql "GRANT ALL PRIVILEGES ON jwtauth_empty.* TO 'jwtauth_admin'@'localhost'"
admin_conf jwtauth_empty "$TAP_TMP/empty.conf"
"$CTL" -c "$TAP_TMP/empty.conf" migrate --dir "$MIGRATIONS" >/dev/null 2>"$TAP_TMP/err"
is "$?" 1 "an empty database: exit 1"
grep -q "apply schema.sql first" "$TAP_TMP/err"
ok $? "... apply schema.sql first"

done_testing
