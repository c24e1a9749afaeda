#!/bin/sh
# sql/schema.sql and sql/seed.sql: applied to a real MariaDB, re-runnable
# without damage, and enforcing the constraints SPEC §6 relies on.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

is "$(stack_sql 'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "jwtauth" AND ENGINE = "InnoDB"')" 9 \
    "nine InnoDB tables"
is "$(stack_sql 'SELECT COUNT(*) FROM information_schema.TABLES t WHERE TABLE_SCHEMA = "jwtauth" AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = "PRIMARY KEY")')" 0 \
    "every table has a primary key"
is "$(stack_sql 'SELECT GROUP_CONCAT(Name ORDER BY Id) FROM Roles')" "Admin,Editor,User" "roles seeded"
is "$(stack_sql 'SELECT GROUP_CONCAT(CONCAT(ClientId, "=", ClientURL) ORDER BY Id) FROM Clients')" \
    "Client1=https://client1.com,Client2=https://client2.com" "clients seeded"
is "$(stack_sql 'SELECT GROUP_CONCAT(CONCAT_WS("|", Id, Name, Description, Price) ORDER BY Id) FROM Products')" \
    "1|Product A|Test Product A|10.00,2|Product B|Test Product B|20.00,3|Product C|Test Product C|30.00" \
    "products seeded"

# Data an administrator changed, and a product deleted on purpose, survive
# a second application of both files.
stack_sql "UPDATE Clients SET ClientURL = 'https://changed.example' WHERE ClientId = 'Client2';
    DELETE FROM Products WHERE Id = 2;
    INSERT INTO Users (Firstname, Email, Password) VALUES ('A', 'a@example.com', 'x');"
stack_sql_file <"$top_srcdir/sql/schema.sql"; ok $? "schema.sql re-applied"
stack_sql_file <"$top_srcdir/sql/seed.sql"; ok $? "seed.sql re-applied"
is "$(stack_sql "SELECT ClientURL FROM Clients WHERE ClientId = 'Client2'")" "https://changed.example" \
    "re-seeding keeps a changed client"
is "$(stack_sql 'SELECT GROUP_CONCAT(Id ORDER BY Id) FROM Products')" "1,3" "re-seeding keeps a deleted product deleted"
is "$(stack_sql 'SELECT COUNT(*) FROM Users')" 1 "re-applying keeps users"
is "$(stack_sql 'SELECT COUNT(*) FROM Roles')" 3 "roles not duplicated"

# Users.Email is unique regardless of case (SPEC §3 Register: 409).
stack_sql "INSERT INTO Users (Firstname, Email, Password) VALUES ('B', 'A@EXAMPLE.COM', 'x')" 2>/dev/null
ok $((! $?)) "an email differing only in case is refused"

# Price is exact and never negative.
stack_sql "INSERT INTO Products (Name, Price) VALUES ('P', 999.99)"
is "$(stack_sql "SELECT Price FROM Products WHERE Name = 'P'")" "999.99" "DECIMAL keeps 999.99 exact"
stack_sql "INSERT INTO Products (Name, Price) VALUES ('N', -1)" 2>/dev/null
ok $((! $?)) "a negative price is refused"

# Deleting a user cascades to its roles and refresh tokens.
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'a@example.com'")
stack_sql "INSERT INTO UserRoles (UserId, RoleId) VALUES ($uid, 3);
    INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt)
    VALUES (REPEAT('a', 64), $uid, 1, REPEAT('f', 32), UTC_TIMESTAMP() + INTERVAL 1 DAY);
    DELETE FROM Users WHERE Id = $uid;"
is "$(stack_sql "SELECT (SELECT COUNT(*) FROM UserRoles WHERE UserId = $uid) + (SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $uid)")" 0 \
    "deleting a user removes its roles and refresh tokens"

# A token hash is stored once.
stack_sql "INSERT INTO Users (Id, Firstname, Email, Password) VALUES (50, 'C', 'c@example.com', 'x');
    INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt)
    VALUES (REPEAT('b', 64), 50, 1, REPEAT('f', 32), UTC_TIMESTAMP())"
stack_sql "INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt)
    VALUES (REPEAT('b', 64), 50, 2, REPEAT('e', 32), UTC_TIMESTAMP())" 2>/dev/null
ok $((! $?)) "a duplicate refresh-token hash is refused"

# The programs' account cannot change the schema.
pw=$(sed -n 's/^db_password = //p' "$JWTAUTH_CONFIG")
"$MARIADB_CLIENT" --no-defaults -S "$STACK_DB_SOCKET" -ujwtauth -p"$pw" jwtauth \
    -e 'DROP TABLE Products' 2>/dev/null
ok $((! $?)) "the jwtauth account has no DDL rights"

done_testing
