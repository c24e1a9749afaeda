#!/bin/sh
# lib/keys.c against a real MariaDB: t/unit/keys does the work (TAP on its
# stdout); this script gives it a throw-away database without any signing
# key, and a master key file made as an administrator would make one.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'

# keys.h: the master key file is the base64 of 32 random bytes, mode 0600.
( umask 077; head -c 32 /dev/urandom | base64 >"$TAP_TMP/master.key" ) ||
    bail_out "cannot write a master key"
STACK_CONF_EXTRA="master_key_file = $TAP_TMP/master.key
key_cache_refresh = 1
jwks_max_age = 0
log_level = error"
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

KEYS_TEST_DIR=$TAP_TMP "$top_builddir/t/unit/keys"
