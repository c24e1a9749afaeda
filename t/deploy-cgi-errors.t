#!/bin/sh
# Started as plain CGI (environment + stdin, as Apache runs them) with a
# broken configuration or an unreachable database, every program still
# writes a whole CGI answer (a Status line, a JSON Content-Type, a blank
# line, a JSON body) and says why on stderr, instead of dying with nothing
# on stdout (which Apache turns into a bare "500 premature end of headers").
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
tap_tmpdir

# One representative request per program: method, path, body.
requests='login POST /api/Auth/Login {"Email":"a@example.com","Password":"secret1","ClientId":"Client1"}
refresh-token POST /api/Auth/RefreshToken {"RefreshToken":"abc","ClientId":"Client1"}
users POST /api/Users/Register {"Firstname":"A","Email":"a@example.com","Password":"secret1"}
products GET /api/Products/GetAll -
jwks GET /.well-known/jwks.json -'

# cgi CONFIG PROGRAM METHOD PATH BODY: answer in $TAP_TMP/out, stderr in
# $TAP_TMP/err, exit status in $rc.
cgi() {
	if [ "$5" = - ]; then
		env_i JWTAUTH_CONFIG="$1" REQUEST_METHOD="$3" REQUEST_URI="$4" \
		    "$top_builddir/cgi-bin/$2" >"$TAP_TMP/out" 2>"$TAP_TMP/err" </dev/null
	else
		printf '%s' "$5" | env_i JWTAUTH_CONFIG="$1" REQUEST_METHOD="$3" REQUEST_URI="$4" \
		    CONTENT_TYPE=application/json CONTENT_LENGTH="$(printf '%s' "$5" | wc -c | tr -d ' ')" \
		    "$top_builddir/cgi-bin/$2" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
	fi
	rc=$?
}

# answer NAME STATUS-LINE BODY: the whole answer, byte for byte.
answer() {
	printf '%s\r\nContent-Type: application/json; charset=utf-8\r\n\r\n%s' "$2" "$3" >"$TAP_TMP/want"
	if cmp -s "$TAP_TMP/out" "$TAP_TMP/want" && [ "$rc" -eq 0 ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "exit status $rc; got:"
		sed 's/\r/\\r/g; s/^/#   /' "$TAP_TMP/out"
		echo
	fi
}

run_all() {   # run_all CONFIG STATUS BODY STDERR-PATTERN WHAT
	while read -r prog method path body; do
		cgi "$1" "$prog" "$method" "$path" "$body"
		answer "$5: $prog answers $2" "Status: $2" "$3"
		grep -q -- "$4" "$TAP_TMP/err"
		ok $? "$5: $prog logs why on stderr"
	done <"$TAP_TMP/requests"
}
echo "$requests" >"$TAP_TMP/requests"

INTERNAL='{"message":"Internal server error."}'

# A bad line: the file and line number reach stderr.
printf '# jwtauth.conf\ndb_name = jwtauth\ndb_nmae = typo\n' >"$TAP_TMP/bad.conf"
run_all "$TAP_TMP/bad.conf" "500 Internal Server Error" "$INTERNAL" \
    "bad.conf:3: unknown key \"db_nmae\"" "bad line"

# A bad value.
printf 'db_port = 99999\n' >"$TAP_TMP/value.conf"
cgi "$TAP_TMP/value.conf" products GET /api/Products/GetAll -
answer "bad value: 500" "Status: 500 Internal Server Error" "$INTERNAL"
grep -q "value.conf:1:" "$TAP_TMP/err"
ok $? "bad value: file and line on stderr"

# No file at all.
cgi "$TAP_TMP/nosuch.conf" products GET /api/Products/GetAll -
answer "missing config: 500" "Status: 500 Internal Server Error" "$INTERNAL"
grep -q "nosuch.conf: cannot open" "$TAP_TMP/err"
ok $? "missing config: cannot open, on stderr"

# Broken config, a path the program does not serve: its routes still hold.
cgi "$TAP_TMP/bad.conf" products GET /nowhere -
answer "broken config, unknown path: still 404" "Status: 404 Not Found" '{"message":"Not found."}'

# The database unreachable: a socket nobody listens on, and a closed TCP port.
printf 'db_socket = %s/nosuch.sock\nmaster_key_file = %s/master.key\n' "$TAP_TMP" "$TAP_TMP" \
    >"$TAP_TMP/nodb.conf"
run_all "$TAP_TMP/nodb.conf" "503 Service Unavailable" \
    '{"message":"Service temporarily unavailable."}' "cannot connect to MariaDB" "database unreachable"
printf 'db_host = 127.0.0.1\ndb_port = 9\ndb_password = x\ndb_connect_timeout = 2\n' >"$TAP_TMP/tcp.conf"
cgi "$TAP_TMP/tcp.conf" products GET /api/Products/GetAll -
answer "database port closed: 503" "Status: 503 Service Unavailable" \
    '{"message":"Service temporarily unavailable."}'
grep -q "cannot connect to MariaDB" "$TAP_TMP/err"
ok $? "database port closed: logged"
cgi "$TAP_TMP/nodb.conf" jwks GET /health -
printf 'Status: 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n\r\n{"status":"unavailable"}' >"$TAP_TMP/want"
cmp -s "$TAP_TMP/out" "$TAP_TMP/want"
ok $? "database unreachable: /health 503 unavailable"

# oauth2 (SPEC §9): the same whole answers, in RFC 6749 §5.2's shape when
# the program runs; 500 like every program when its config is broken.
form='grant_type=client_credentials&client_id=Svc&client_secret=x'
oauth2_cgi() {
	printf '%s' "$form" | env -i JWTAUTH_CONFIG="$1" REQUEST_METHOD=POST REQUEST_URI=/oauth2/token \
	    CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#form} \
	    "$top_builddir/cgi-bin/oauth2" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
	rc=$?
}
oauth2_cgi "$TAP_TMP/bad.conf"
answer "bad line: oauth2 answers 500" "Status: 500 Internal Server Error" "$INTERNAL"
oauth2_cgi "$TAP_TMP/nodb.conf"
printf 'Status: 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nPragma: no-cache\r\n\r\n{"error":"temporarily_unavailable","error_description":"Service temporarily unavailable."}' >"$TAP_TMP/want"
cmp -s "$TAP_TMP/out" "$TAP_TMP/want" && [ "$rc" -eq 0 ]
ok $? "database unreachable: oauth2 answers 503 temporarily_unavailable"
grep -q "cannot connect to MariaDB" "$TAP_TMP/err"
ok $? "database unreachable: oauth2 logs why on stderr"

done_testing
