# api.sh: drive the real stack over HTTPS with curl (POSIX sh).
#
#   . "$top_srcdir/t/lib/api.sh"    (loads tap.sh and stack.sh too)
#   api_stack                       start a throw-away stack for this test
#   api_quickstart                  the same through ./quickstart itself ($QS)
#   api POST /api/Auth/Login '{"Email":...}' [extra curl args...]
#       -> $STATUS, $BODY, and the headers in $API_HEADERS (a file)
#   header NAME                     a response header's value
#   json '.Token'                   jq on $BODY (raw output)
#   api_user EMAIL PASSWORD [ROLE...]   register a user (roles added in SQL)
#   api_login EMAIL PASSWORD [CLIENT]   -> $TOKEN, $REFRESH
#   problem '{"Field":["msg"]}'     the SPEC §2 validation body with these errors
#   rep STRING N                    STRING repeated N times
#   b64url_decode TEXT              base64url (no padding) to bytes
#   eventually CMD [ARGS...]        run CMD until it succeeds (at most 20 s)
#   oauth PATH FORM [ID:SECRET]     a form POST (SPEC §9), oauth_error, client_new: see below
#
# Tokens and passwords go to curl through a config on stdin, never on its
# command line, as users of the API should do too.

. "${top_srcdir:?}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

api_stack() {
	# (A test may have made its folder already, to start servers in it.)
	[ -n "${TAP_TMP:-}" ] || tap_tmpdir
	tap_at_exit 'stack_stop "$TAP_TMP"'
	stack_start "$TAP_TMP" >/dev/null || bail_out "the stack did not start"
	API_HEADERS=$TAP_TMP/headers
	API_BODY=$TAP_TMP/body
}

# api_quickstart: run ./quickstart (as $QS) on a folder of this test
# (QUICKSTART_VAR) and two free ports, with the programs under test
# (QUICKSTART_BUILDDIR), never the user's ./var; point the helpers at it
# (STACK_URL, STACK_CACERT, STACK_DIR); `./quickstart stop` at exit.
# quickstart's output is in $TAP_TMP/qs.out. Set RATE_LIMIT or
# STACK_CONF_EXTRA (exported) before, to pass them on.
api_quickstart() {
	QS=$top_srcdir/quickstart
	tap_tmpdir
	API_HEADERS=$TAP_TMP/headers
	API_BODY=$TAP_TMP/body
	QUICKSTART_VAR=$TAP_TMP/var
	QUICKSTART_BUILDDIR=$top_builddir
	HTTPS_PORT=$(stack_free_port)
	MARIADB_PORT=$(stack_free_port)
	while [ "$MARIADB_PORT" = "$HTTPS_PORT" ]; do MARIADB_PORT=$(stack_free_port); done
	export QUICKSTART_VAR QUICKSTART_BUILDDIR HTTPS_PORT MARIADB_PORT
	tap_at_exit '"$QS" stop >/dev/null 2>&1'
	"$QS" >"$TAP_TMP/qs.out" 2>&1 || { sed 's/^/# /' "$TAP_TMP/qs.out"; bail_out "quickstart failed"; }
	STACK_URL=https://127.0.0.1:$HTTPS_PORT
	STACK_CACERT=$QUICKSTART_VAR/tls/cert.pem
	STACK_DIR=$QUICKSTART_VAR
}

# api METHOD PATH [JSON-BODY] [curl args...]
# With a body, Content-Type is application/json (curl would send a second
# -H Content-Type as well, and nginx uses the first: call stack_curl
# directly to send another type).
# $AUTH, when set, is sent as the bearer token.
api() {
	_method=$1 _path=$2
	shift 2
	_body=
	if [ $# -gt 0 ]; then
		_body=$1
		shift
	fi
	{
		[ -n "${AUTH:-}" ] && printf 'header = "Authorization: Bearer %s"\n' "$AUTH"
		:
	} >"$TAP_TMP/curl.conf"
	if [ -n "$_body" ]; then
		printf '%s' "$_body" >"$TAP_TMP/request"
		STATUS=$(stack_curl -K "$TAP_TMP/curl.conf" -X "$_method" \
		    -H 'Content-Type: application/json' --data-binary "@$TAP_TMP/request" \
		    -D "$API_HEADERS" -o "$API_BODY" -w '%{http_code}' "$@" "$STACK_URL$_path")
	else
		STATUS=$(stack_curl -K "$TAP_TMP/curl.conf" -X "$_method" \
		    -D "$API_HEADERS" -o "$API_BODY" -w '%{http_code}' "$@" "$STACK_URL$_path")
	fi
	BODY=$(cat "$API_BODY")
	api_secrets "$_body"
}

# api_secrets REQUEST-BODY: record (tap_secret) the passwords a JSON request
# sent (8 characters or more: shorter ones are too common a string to
# look for in logs) and the tokens its answer holds.
api_secrets() {
	case $1 in
	*[Pp]assword*)
		printf '%s' "$1" | jq -r '.. | objects | to_entries[] |
		    select(.key | test("password"; "i")) | .value | strings |
		    select(length >= 8 and test("^[^\n]+$"))' 2>/dev/null |
		    while IFS= read -r _s; do tap_secret "$_s"; done
		;;
	esac
	case $BODY in
	*[Tt]oken*)
		printf '%s' "$BODY" | jq -r '.. | objects |
		    (.Token?, .RefreshToken?, .access_token?, .refresh_token?) | strings' 2>/dev/null |
		    while IFS= read -r _s; do tap_secret "$_s"; done
		;;
	esac
	return 0
}

# The value of a response header (case-insensitive name), CR stripped.
header() {
	tr -d '\r' <"$API_HEADERS" | sed -n "s/^$1: //Ip" | tail -n 1
}

json() {
	printf '%s' "$BODY" | jq -r "$1" 2>/dev/null
}

# Run a command with no bearer token, keeping $AUTH as it was.
anon() {
	_saved_auth=${AUTH:-}
	AUTH=
	"$@"
	_rc=$?
	AUTH=$_saved_auth
	return $_rc
}

# Register a user through the API, then grant extra roles in SQL.
api_user() {
	_email=$1 _pw=$2
	shift 2
	anon api POST /api/Users/Register \
	    "{\"Firstname\":\"Test\",\"Lastname\":\"User\",\"Email\":\"$_email\",\"Password\":\"$_pw\"}"
	[ "$STATUS" = 201 ] || { diag "register $_email: $STATUS $BODY"; return 1; }
	for _role in "$@"; do
		stack_sql "INSERT IGNORE INTO UserRoles (UserId, RoleId)
		    SELECT u.Id, r.Id FROM Users u, Roles r WHERE u.Email = '$_email' AND r.Name = '$_role'"
	done
}

api_login() {
	anon api POST /api/Auth/Login \
	    "{\"Email\":\"$1\",\"Password\":\"$2\",\"ClientId\":\"${3:-Client1}\"}"
	TOKEN=$(json .Token)
	REFRESH=$(json .RefreshToken)
	[ "$STATUS" = 200 ]
}

# The validation-error body of SPEC §2 with the given errors object.
problem() {
	printf '{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":%s}' "$1"
}

rep() {
	_r= _k=0
	while [ "$_k" -lt "$2" ]; do
		_r=$_r$1
		_k=$((_k + 1))
	done
	printf '%s' "$_r"
}

b64url_decode() {
	_s=$(printf '%s' "$1" | tr '_-' '/+')
	case $(( ${#_s} % 4 )) in 2) _s="$_s==" ;; 3) _s="$_s=" ;; esac
	printf '%s' "$_s" | base64 -d
}

# oauth PATH FORM-BODY [ID:SECRET] [curl args...]: POST an
# application/x-www-form-urlencoded body (SPEC §9), with Basic client
# credentials when the third argument is not empty (given as they go on
# the wire: each half already form-urlencoded). Body and credentials reach
# curl through files, never its command line. -> $STATUS, $BODY, headers.
oauth() {
	_path=$1 _form=$2 _basic=${3:-}
	shift 2
	[ $# -gt 0 ] && shift
	printf '%s' "$_form" >"$TAP_TMP/form"
	{
		[ -n "$_basic" ] && printf 'header = "Authorization: Basic %s"\n' \
		    "$(printf '%s' "$_basic" | base64 -w0)"
		:
	} >"$TAP_TMP/oauth.conf"
	STATUS=$(stack_curl -K "$TAP_TMP/oauth.conf" \
	    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$TAP_TMP/form" \
	    -D "$API_HEADERS" -o "$API_BODY" -w '%{http_code}' "$@" "$STACK_URL$_path")
	BODY=$(cat "$API_BODY")
	api_secrets ''
	case $_basic in
	*:????????????????*) tap_secret "${_basic#*:}" ;;
	esac
	# Client secrets and passwords of 8 characters or more, URL-decoded.
	printf '%s\n' "$_form" | tr '&' '\n' | sed -n 's/^\(client_secret\|password\)=//p' |
	    perl -pe 's/\+/ /g; s/%([0-9A-Fa-f]{2})/chr hex $1/ge' |
	    while IFS= read -r _s; do [ "${#_s}" -ge 8 ] && tap_secret "$_s"; done
	return 0
}

# oauth_error CODE: the RFC 6749 §5.2 error code of $BODY, or "" if $BODY
# is not exactly {"error","error_description"} with a printable ASCII
# description.
oauth_error() {
	printf '%s' "$BODY" | jq -r 'if (keys == ["error", "error_description"]) and
	    (.error_description | test("^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]+$")) then .error else "" end' \
	    2>/dev/null
}

# A client made by jwtauthctl: client_new ID URL [--confidential]
# -> $SECRET (empty for a public client).
client_new() {
	"$top_builddir/jwtauthctl" client add "$1" "$1" "$2" ${3:-} >"$TAP_TMP/client.out" ||
	    return 1
	SECRET=$(sed -n 's/^client secret of .* (shown once, keep it safe): //p' "$TAP_TMP/client.out")
	tap_secret "$SECRET"
}

# eventually CMD [ARGS...]: run CMD until it succeeds, every 0.2 s, for at
# most $WAIT_MAX seconds (20): waiting for an observable state, never for a
# fixed time, so that a loaded machine only makes a test slower. Returns
# CMD's last status; the test then asserts on the state CMD left behind.
eventually() {
	within "${WAIT_MAX:-20}" "$@"
}

# within SECONDS CMD [ARGS...]: eventually, for at most SECONDS.
within() {
	_ev_end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_ev_end" ] && return 1
		sleep 0.2
	done
}

# treq METHOD PATH [BODY]: api, plus $SECS, curl's time_total (the fault
# tests: an answer must come within its timeout, never hang).
treq() {
	_m=$1 _p=$2
	shift 2
	api "$_m" "$_p" "${1:-}" -w '%{http_code} %{time_total}'
	SECS=${STATUS#* }
	STATUS=${STATUS%% *}
}

# worker_pids DIR PROGRAM...: "program:pid pid ... " for each PROGRAM of
# the stack in DIR, the children of its multiwatch: a test compares them
# before and after to show no worker died or was replaced.
worker_pids() {
	_wd=$1
	shift
	for _prog in "$@"; do
		printf '%s:' "$_prog"
		pgrep -P "$(cat "$_wd/run/$_prog.pid")" | sort -n | tr '\n' ' '
	done
}

# series PATH BODY-FILE [CONTENT-TYPE]: $N POSTs of BODY-FILE on one
# connection (the rate-limit tests), one line each in $TAP_TMP/series
# ("<status> <body>"), every header in $TAP_TMP/series.h.
series() {
	_ct=${3:-application/json}
	_k=0
	: >"$TAP_TMP/series.K"
	while [ "$_k" -lt "$N" ]; do
		printf 'url = "%s%s"\n' "$STACK_URL" "$1" >>"$TAP_TMP/series.K"
		_k=$((_k + 1))
	done
	stack_curl -K "$TAP_TMP/series.K" -H "Content-Type: $_ct" \
	    --data-binary "@$2" -D "$TAP_TMP/series.h" -w '\t%{http_code}\n' |
	    awk -F '\t' '{ print $2 " " $1 }' >"$TAP_TMP/series"
}

# series_count PATTERN: lines of the last series matching PATTERN.
series_count() {
	grep -c "$1" "$TAP_TMP/series"
}
