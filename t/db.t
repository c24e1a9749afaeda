#!/bin/sh
# lib/db.c against a real MariaDB: a throw-away server for t/unit/db, which
# prints its own TAP.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
# TCP too, for the list of hosts (SPEC §11); a second free port that
# nothing listens on plays a database node that died.
STACK_DB_PORT=$(stack_free_port)
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"
DB_TEST_PORT=$STACK_DB_PORT
DB_TEST_DEAD_PORT=$(stack_free_port)
DB_TEST_PASSWORD=$(cat "$TAP_TMP/mariadb/jwtauth.pw")
export DB_TEST_PORT DB_TEST_DEAD_PORT DB_TEST_PASSWORD
stack_sql "CREATE USER IF NOT EXISTS 'jwtauth'@'127.0.0.1' IDENTIFIED BY '$DB_TEST_PASSWORD';
    GRANT SELECT, INSERT, UPDATE, DELETE ON jwtauth.* TO 'jwtauth'@'127.0.0.1';" ||
    bail_out "cannot create the TCP account"

# The programs' account has no DDL rights (t/sql-schema.t checks that);
# here it may create and drop the unit test's own scratch tables, and
# nothing else.
stack_sql "GRANT CREATE, DROP ON jwtauth.db_test_t TO 'jwtauth'@'localhost';
    GRANT CREATE, DROP ON jwtauth.db_test_lock TO 'jwtauth'@'localhost';" ||
    bail_out "cannot grant the scratch tables"

# Not exec: the EXIT trap must still stop the server.
"$top_builddir/t/unit/db"
