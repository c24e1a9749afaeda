#!/bin/sh
# lib/http.c's accept loop as plain CGI (RFC 3875): t/unit/http-echo runs
# once per request with the CGI variables set and the body on stdin, as
# Apache runs it on shared hosting; the exact bytes of each answer (status,
# headers, body) and the exit status are checked.
#
# HTTP_ECHO_WRAP="valgrind -q --leak-check=full --error-exitcode=99" runs
# every request under valgrind.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"

ECHO="$top_builddir/t/unit/http-echo"
[ -x "$ECHO" ] || bail_out "$ECHO not built"
tap_tmpdir

CT='Content-Type: application/json; charset=utf-8\r\n'
PROBLEM='Content-Type: application/problem+json; charset=utf-8\r\n'
PTYPE='{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":'

# cgi BODY VAR=value...: one request with only these variables; the answer
# goes to $TAP_TMP/out and the exit status to $rc.
cgi() {
	body=$1
	shift
	printf '%s' "$body" | env_i "$@" ${HTTP_ECHO_WRAP:-} "$ECHO" >"$TAP_TMP/out" 2>>"$TAP_TMP/err"
	rc=$?
}

# post BODY VAR=value...: POST /echo as JSON with CONTENT_LENGTH from the body
# (a later VAR=value overrides these).
post() {
	body=$1
	shift
	cgi "$body" REQUEST_METHOD=POST DOCUMENT_URI=/echo CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(printf '%s' "$body" | wc -c | tr -d ' ')" "$@"
}

# answer NAME FORMAT: the answer is exactly printf FORMAT (no '%' in it), exit status 0.
answer() {
	printf "$2" >"$TAP_TMP/want"
	if cmp -s "$TAP_TMP/out" "$TAP_TMP/want" && [ "$rc" -eq 0 ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "exit status $rc; got, then want (CR shown as \\r):"
		sed 's/\r/\\r/g; s/^/#   /' "$TAP_TMP/out"
		echo
		sed 's/\r/\\r/g; s/^/#   /' "$TAP_TMP/want"
		echo
	fi
}

BADJSON="Status: 400 Bad Request\r\n$CT\r\n{\"message\":\"The request body is not valid JSON.\"}"

# --- JSON body route
post '{"name":"Zoë"}'
answer "POST /echo: 200, header, UTF-8 kept, length in characters" \
    "Status: 200 OK\r\n${CT}Cache-Control: no-store\r\n\r\n{\"Name\":\"Zoë\",\"Length\":3}"

post '{"Name":"a/b"}' DOCUMENT_URI= REQUEST_URI='/ECHO/?x=1' CONTENT_TYPE='Application/JSON; charset=utf-8'
answer "path from REQUEST_URI without the query, any case, trailing slash; charset parameter" \
    "Status: 200 OK\r\n${CT}Cache-Control: no-store\r\n\r\n{\"Name\":\"a/b\",\"Length\":3}"

post '{"Name":"x"}' CONTENT_TYPE=text/plain
answer "text/plain: 415" \
    "Status: 415 Unsupported Media Type\r\n$CT\r\n{\"message\":\"Unsupported media type: use application/json.\"}"

post '{"Name":"x"}' CONTENT_TYPE=application/jsonx
answer "application/jsonx: 415" \
    "Status: 415 Unsupported Media Type\r\n$CT\r\n{\"message\":\"Unsupported media type: use application/json.\"}"

post '' CONTENT_LENGTH=65537
answer "65537 bytes announced: 413" \
    "Status: 413 Content Too Large\r\n$CT\r\n{\"message\":\"Request body too large.\"}"

post '{"Name":"x"}' CONTENT_LENGTH=100
answer "body shorter than CONTENT_LENGTH: 400" \
    "Status: 400 Bad Request\r\n$CT\r\n{\"message\":\"The request body is incomplete.\"}"

post '{"Name":"x"}' CONTENT_LENGTH=+12
answer "CONTENT_LENGTH with a sign: 400" \
    "Status: 400 Bad Request\r\n$CT\r\n{\"message\":\"Invalid Content-Length.\"}"

cgi '{"Name":"x"}' REQUEST_METHOD=POST DOCUMENT_URI=/echo CONTENT_TYPE=application/json
answer "no CONTENT_LENGTH: empty body, 400" "$BADJSON"

post '{"Name":"x"}garbage'
answer "trailing garbage: 400" "$BADJSON"

post "$(printf '{"Name":"\377"}')"
answer "invalid UTF-8: 400" "$BADJSON"

post '{"Name":"a\u0000b"}'
answer "\\u0000 in a string: 400" "$BADJSON"

deep=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; for (i = 0; i < 10000; i++) printf "]" }')
post "{\"Name\":$deep}"
answer "10000 levels of nesting: 400" "$BADJSON"

post '[1]'
answer "an array: 400" \
    "Status: 400 Bad Request\r\n$CT\r\n{\"message\":\"The request body must be a JSON object.\"}"

post '{"name":"a","NAME":"b"}'
answer "the same name twice in different case: 400" \
    "Status: 400 Bad Request\r\n$CT\r\n{\"message\":\"The request body has the same property name twice.\"}"

post '{}'
answer "missing field: validation problem" \
    "Status: 400 Bad Request\r\n$PROBLEM\r\n$PTYPE{\"Name\":[\"The Name field is required.\"]}}"

post '{"name":5}'
answer "wrong type: validation problem with the System.Text.Json message" \
    "Status: 400 Bad Request\r\n$PROBLEM\r\n$PTYPE{\"Name\":[\"The JSON value could not be converted to System.String.\"]}}"

# --- Routing
cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/echo
answer "GET on a POST route: 405 with Allow" \
    "Status: 405 Method Not Allowed\r\n${CT}Allow: POST\r\n\r\n{\"message\":\"Method not allowed.\"}"

cgi '' REQUEST_METHOD=PUT DOCUMENT_URI=/item/1
answer "PUT /item/1: 405 with every method of the path" \
    "Status: 405 Method Not Allowed\r\n${CT}Allow: GET, DELETE\r\n\r\n{\"message\":\"Method not allowed.\"}"

cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/nope
answer "unknown path: 404" "Status: 404 Not Found\r\n$CT\r\n{\"message\":\"Not found.\"}"

cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/item/1/2
answer "two segments after a prefix route: 404" "Status: 404 Not Found\r\n$CT\r\n{\"message\":\"Not found.\"}"

cgi '' REQUEST_METHOD=GET
answer "no path at all: 404" "Status: 404 Not Found\r\n$CT\r\n{\"message\":\"Not found.\"}"

cgi '' REQUEST_METHOD=DELETE DOCUMENT_URI=/ITEM/7/
answer "DELETE /ITEM/7/: 204" "Status: 204 No Content\r\n\r\n"

# --- Bearer
cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/item/42
answer "no Authorization: 401 Bearer without error (RFC 6750 §3)" \
    "Status: 401 Unauthorized\r\n${CT}WWW-Authenticate: Bearer\r\n\r\n{\"message\":\"Unauthorized.\"}"

cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/item/42 HTTP_AUTHORIZATION='Basic dXNlcjpwYXNz'
answer "Basic credentials: 401 Bearer without error" \
    "Status: 401 Unauthorized\r\n${CT}WWW-Authenticate: Bearer\r\n\r\n{\"message\":\"Unauthorized.\"}"

cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/item/42 QUERY_STRING=a=1 HTTP_AUTHORIZATION='Bearer abc.def'
answer "bearer token: 200 with capture and query" \
    "Status: 200 OK\r\n$CT\r\n{\"Id\":\"42\",\"Query\":\"a=1\",\"TokenLength\":7}"

cgi '' REQUEST_METHOD=GET REQUEST_URI='/item/7?a=1' REDIRECT_HTTP_AUTHORIZATION='bearer xyz'
answer "REDIRECT_HTTP_AUTHORIZATION (Apache CGI)" \
    "Status: 200 OK\r\n$CT\r\n{\"Id\":\"7\",\"Query\":\"\",\"TokenLength\":3}"

cgi '' REQUEST_METHOD=GET DOCUMENT_URI=/item/42 HTTP_AUTHORIZATION='Bearer a b'
answer "malformed bearer: 401 invalid_token" \
    "Status: 401 Unauthorized\r\n${CT}WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"The token is malformed.\"\r\n\r\n{\"message\":\"The token is malformed.\"}"

done_testing
