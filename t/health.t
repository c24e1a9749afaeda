#!/bin/sh
# GET /health (served by jwks, exposed by nginx): 200 {"status":"ok"} while
# MariaDB answers, 503 {"status":"unavailable"} while it is stopped, and ok
# again once it is back (the program reconnects by itself).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

api GET /health
is "$STATUS" 200 "database up: 200"
is "$BODY" '{"status":"ok"}' "database up: status ok"
is "$(header Content-Type)" "application/json; charset=utf-8" "JSON"
is "$(header Cache-Control)" "no-store" "never cached"

api GET /HEALTH/
is "$STATUS" 404 "only the exact path /health is routed by nginx"

api POST /health '{}'
is "$STATUS" 405 "POST /health: 405"
is "$(header Allow)" "GET" "... Allow: GET"

# The same program as plain CGI answers it too (shared hosting).
env_i JWTAUTH_CONFIG="$JWTAUTH_CONFIG" REQUEST_METHOD=GET REQUEST_URI=/health \
    "$top_builddir/cgi-bin/jwks" >"$TAP_TMP/cgi" 2>"$TAP_TMP/cgi.err"
is "$(tr -d '\r' <"$TAP_TMP/cgi" | head -n 1)" "Status: 200 OK" "as CGI: Status 200"
is "$(tr -d '\r' <"$TAP_TMP/cgi" | tail -n 1)" '{"status":"ok"}' "as CGI: status ok"

# Stop MariaDB under the running programs.
dbpw=$(sed -n 's/^db_password = //p' "$JWTAUTH_CONFIG")
stack_mariadb_stop "$TAP_TMP"
api GET /health
is "$STATUS" 503 "database stopped: 503"
is "$BODY" '{"status":"unavailable"}' "database stopped: status unavailable"
grep -q 'cannot connect to MariaDB' "$TAP_TMP/log/jwks.log"
ok $? "database stopped: the reason is in the jwks log"

env_i JWTAUTH_CONFIG="$JWTAUTH_CONFIG" REQUEST_METHOD=GET REQUEST_URI=/health \
    "$top_builddir/cgi-bin/jwks" >"$TAP_TMP/cgi" 2>"$TAP_TMP/cgi.err"
is "$(tr -d '\r' <"$TAP_TMP/cgi" | head -n 1)" "Status: 503 Service Unavailable" "as CGI, database stopped: Status 503"
is "$(tr -d '\r' <"$TAP_TMP/cgi" | tail -n 1)" '{"status":"unavailable"}' "as CGI: status unavailable"
grep -q "cannot connect to MariaDB" "$TAP_TMP/cgi.err"
ok $? "as CGI: the reason is on stderr"

# Back up: stack_mariadb_start gives the programs' account a new password,
# so put back the one the running programs hold.
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not restart"
stack_sql "ALTER USER 'jwtauth'@'localhost' IDENTIFIED BY '$dbpw'"
api GET /health
is "$STATUS" 200 "database back: 200 without restarting the program"
is "$BODY" '{"status":"ok"}' "database back: status ok"

done_testing
