#!/bin/sh
# The HTTP failures of SPEC §2 through the real nginx and programs: unknown
# paths (404), wrong methods (405 with Allow), media types (415), body size
# (413, nginx's own answer, and a body of exactly the limit accepted), every
# kind of bad JSON (400, never 5xx, the programs still answering after),
# paths in any case; and every answer is JSON with its charset.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# Dozens of registrations from one address: nginx's Register limit
# (t/register-limit.t) would answer most of them itself.
RATE_LIMIT=off
export RATE_LIMIT
api_stack

JSON_CT='application/json; charset=utf-8'
PROBLEM_CT='application/problem+json; charset=utf-8'
INVALID='{"message":"The request body is not valid JSON."}'
NOT_OBJECT='{"message":"The request body must be a JSON object."}'
DUPLICATE='{"message":"The request body has the same property name twice."}'
LOGIN_OK_SHAPE='{"Email":"a@example.com","Password":"Password@123","ClientId":"NoSuchClient"}'
BAD_CT=                         # answers whose Content-Type was not JSON
SERVER_ERRORS=                  # answers with a 5xx

# After every request: remember a non-JSON Content-Type or a 5xx.
check_answer() {
	_ct=$(header Content-Type)
	case $_ct in
	"$JSON_CT"|"$PROBLEM_CT") ;;
	*) BAD_CT="$BAD_CT [$1: $STATUS '$_ct']" ;;
	esac
	case $STATUS in 5*) SERVER_ERRORS="$SERVER_ERRORS [$1: $STATUS]" ;; esac
}

# send NAME METHOD PATH FILE [curl args...]: the body from FILE (none if
# FILE is -), with exactly the Content-Type the curl args give (none
# otherwise). t/lib/api.sh's api() always adds application/json, and curl
# then sends both.
send() {
	_name=$1 _m=$2 _p=$3 _f=$4
	shift 4
	if [ "$_f" = - ]; then
		STATUS=$(stack_curl -X "$_m" -D "$API_HEADERS" -o "$API_BODY" -w '%{http_code}' \
		    "$@" "$STACK_URL$_p")
	else
		STATUS=$(stack_curl -X "$_m" --data-binary "@$_f" -D "$API_HEADERS" -o "$API_BODY" \
		    -w '%{http_code}' "$@" "$STACK_URL$_p")
	fi
	BODY=$(cat "$API_BODY")
	check_answer "$_name"
}

# json_post NAME PATH FILE: POST FILE as application/json.
json_post() {
	send "$1" POST "$2" "$3" -H 'Content-Type: application/json'
}

# bad_json NAME PRINTF-FORMAT WANT-BODY: the body made by printf, posted to
# Login and to Register, answers 400 WANT-BODY from both.
bad_json() {
	printf "$2" >"$TAP_TMP/req"
	json_post "$1" /api/Auth/Login "$TAP_TMP/req"
	is "$STATUS $BODY" "400 $3" "$1: 400 (login)"
	json_post "$1" /api/Users/Register "$TAP_TMP/req"
	is "$STATUS $BODY" "400 $3" "$1: 400 (users)"
}

# --- 404: unknown paths never reach a program
for p in /nope /api /api/Auth /api/Auth/Login/extra /api/Users/Delete /index.html; do
	send "GET $p" GET "$p" -
	is "$STATUS $BODY" '404 {"message":"Not found."}' "GET $p: 404 Not found."
done
is "$(header Content-Type)" "$JSON_CT" "nginx's 404 is application/json; charset=utf-8"
# A NUL in the path: nginx refuses the request line itself (its own 400
# page: see nginx/jwtauth.conf), and no program ever sees it.
STATUS=$(stack_curl -o /dev/null -w '%{http_code}' "$STACK_URL/api/Auth/Login%00")
is "$STATUS" 400 "GET /api/Auth/Login%00: 400 from nginx"
send "POST /nope" POST /nope - -H 'Content-Type: application/json' -d '{}'
is "$STATUS $BODY" '404 {"message":"Not found."}' "POST /nope: 404"

# --- 405 with Allow
m405() {
	send "$1 $2" "$1" "$2" -
	is "$STATUS $BODY" '405 {"message":"Method not allowed."}' "$1 $2: 405"
	is "$(header Allow)" "$3" "$1 $2: Allow: $3"
}
m405 GET /api/Auth/Login POST
m405 PUT /api/Auth/Login POST
m405 DELETE /api/Users/GetProfile GET
m405 POST /api/Users/GetProfile GET
m405 GET /api/Users/Register POST
m405 POST /api/Users/UpdateProfile PUT
m405 OPTIONS /api/Auth/RefreshToken POST
m405 GET /api/Auth/Logout POST
is "$(header Content-Type)" "$JSON_CT" "405 is application/json"

# --- 415: the body must be application/json
printf '%s' "$LOGIN_OK_SHAPE" >"$TAP_TMP/login"
UNSUPPORTED='{"message":"Unsupported media type: use application/json."}'
send "text/plain" POST /api/Auth/Login "$TAP_TMP/login" -H 'Content-Type: text/plain'
is "$STATUS $BODY" "415 $UNSUPPORTED" "Content-Type text/plain: 415"
send "form" POST /api/Users/Register "$TAP_TMP/login" -H 'Content-Type: application/x-www-form-urlencoded'
is "$STATUS $BODY" "415 $UNSUPPORTED" "Content-Type application/x-www-form-urlencoded: 415"
send "json-patch" POST /api/Auth/Login "$TAP_TMP/login" -H 'Content-Type: application/json-patch+json'
is "$STATUS $BODY" "415 $UNSUPPORTED" "Content-Type application/json-patch+json: 415"
send "no Content-Type" POST /api/Auth/Login "$TAP_TMP/login" -H 'Content-Type:'
is "$STATUS $BODY" "415 $UNSUPPORTED" "no Content-Type: 415"
send "charset" POST /api/Auth/Login "$TAP_TMP/login" -H 'Content-Type: application/json; charset=utf-8'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "application/json; charset=utf-8 is accepted"
send "upper case" POST /api/Auth/Login "$TAP_TMP/login" -H 'Content-Type: Application/JSON'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "Application/JSON is accepted"

# --- 413: over 64 KiB is refused by nginx; exactly 64 KiB is not
# {"Email":"a@example.com","Password":"Password@123","ClientId":"NoSuchClient"} padded with spaces.
pad_to() {
	{
		printf '%s' "$LOGIN_OK_SHAPE"
		head -c $(($1 - ${#LOGIN_OK_SHAPE})) /dev/zero | tr '\0' ' '
	} >"$TAP_TMP/big"
}
pad_to 65537
json_post "65537 bytes" /api/Auth/Login "$TAP_TMP/big"
is "$STATUS $BODY" '413 {"message":"Request body too large."}' "65537 bytes: 413 Request body too large."
is "$(header Content-Type)" "$JSON_CT" "413 is application/json; charset=utf-8"
pad_to 1048576
json_post "1 MiB" /api/Users/Register "$TAP_TMP/big"
is "$STATUS $BODY" '413 {"message":"Request body too large."}' "1 MiB to Register: 413"
pad_to 65536
[ "$(wc -c <"$TAP_TMP/big")" -eq 65536 ]
ok $? "the limit body is 65536 bytes"
json_post "65536 bytes" /api/Auth/Login "$TAP_TMP/big"
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "exactly 64 KiB: read and answered by the program"

# --- 400: not JSON, not an object, not strict
bad_json "empty body" '' "$INVALID"
bad_json "truncated" '{"Email":' "$INVALID"
bad_json "trailing garbage" '{"Email":"a@example.com"} x' "$INVALID"
bad_json "two objects" '{}{}' "$INVALID"
bad_json "a trailing comma" '{"Email":"a@example.com",}' "$INVALID"
bad_json "single quotes" "{'Email':'a@example.com'}" "$INVALID"
bad_json "NaN" '{"Price":NaN}' "$INVALID"
bad_json "a comment" '{/* c */}' "$INVALID"
bad_json "a raw newline in a string" '{"Email":"a\n@example.com"}' "$INVALID"
bad_json "invalid UTF-8 (\\\\377)" '{"Email":"\377@example.com"}' "$INVALID"
bad_json "overlong UTF-8 (\\\\300\\\\257)" '{"Email":"\300\257@example.com"}' "$INVALID"
bad_json "a UTF-8 surrogate (\\\\355\\\\240\\\\200)" '{"Email":"\355\240\200@example.com"}' "$INVALID"
bad_json "invalid UTF-8 in a name" '{"\377":1}' "$INVALID"
bad_json "\\\\u0000 in a value" '{"Email":"a\\u0000@example.com","Password":"Password@123","ClientId":"Client1"}' "$INVALID"
bad_json "\\\\u0000 in a name" '{"Email\\u0000x":"a@example.com"}' "$INVALID"
bad_json "a JSON array" '[{"Email":"a@example.com"}]' "$NOT_OBJECT"
bad_json "a JSON string" '"a@example.com"' "$NOT_OBJECT"
bad_json "a JSON number" '42' "$NOT_OBJECT"
bad_json "null" 'null' "$NOT_OBJECT"
bad_json "the same name twice (json-c would keep the last)" '{"Email":"a@example.com","Email":"b@example.com","Password":"Password@123","ClientId":"Client1","Firstname":"A"}' "$DUPLICATE"
bad_json "names equal but for case" '{"Email":"a@example.com","EMAIL":"b@example.com","Password":"Password@123","ClientId":"Client1","Firstname":"A"}' "$DUPLICATE"
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; for (i = 0; i < 10000; i++) printf "]" }' >"$TAP_TMP/deep"
json_post "10000 arrays" /api/Auth/Login "$TAP_TMP/deep"
is "$STATUS $BODY" "400 $INVALID" "10000 nested arrays: 400"
awk 'BEGIN { printf "{\"Email\":"; for (i = 0; i < 10000; i++) printf "{\"a\":"; printf "1";
    for (i = 0; i <= 10000; i++) printf "}" }' >"$TAP_TMP/deep"
json_post "10000 objects" /api/Users/Register "$TAP_TMP/deep"
is "$STATUS $BODY" "400 $INVALID" "10000 nested objects in a field: 400"

# A name repeated exactly is refused (issue 16): System.Text.Json and
# json-c keep the last one, so {"Email":"a","Email":"b"} logged in as b.
printf '{"Email":"a@example.com","Password":"Password@123","ClientId":"Client1","ClientId":"NoSuchClient"}' >"$TAP_TMP/req"
json_post "exact repeat" /api/Auth/Login "$TAP_TMP/req"
is "$STATUS $BODY" "400 $DUPLICATE" "a name repeated exactly: 400, not the last value"

# --- Oversized bearer tokens (SPEC §4: at most 8 KiB)
big=$(head -c 8300 /dev/zero | tr '\0' a)
AUTH=$big api GET /api/Users/GetProfile
check_answer "8300-byte token, HTTP/2"
is "$STATUS $BODY" '401 {"message":"The token is malformed."}' "a token over 8 KiB (HTTP/2): the program refuses it, 401"
AUTH=$big api GET /api/Users/GetProfile "" --http1.1
check_answer "8300-byte token, HTTP/1.1"
is "$STATUS $BODY" '400 {"message":"Request header too large."}' \
    "a token over 8 KiB (HTTP/1.1): nginx's header limit, answered as JSON"

# --- The programs still answer, paths in any case
api POST /api/users/register '{"Firstname":"After","Email":"after@example.com","Password":"Password@123"}'
check_answer "register after"
is "$STATUS" 201 "after all that, /api/users/register (lower case) registers"
api POST /API/AUTH/LOGIN '{"Email":"after@example.com","Password":"Password@123","ClientId":"Client1"}'
check_answer "login after"
is "$STATUS" 200 "/API/AUTH/LOGIN (upper case) logs in"
TOKEN=$(json .Token)
AUTH=$TOKEN api GET /api/USERS/getprofile
check_answer "profile after"
is "$STATUS $(json .Email)" "200 after@example.com" "/api/USERS/getprofile answers"
api POST /api/auth/refreshtoken "{\"RefreshToken\":\"x\",\"ClientId\":\"Client1\"}"
check_answer "refresh after"
is "$STATUS $BODY" '401 {"message":"Invalid refresh token."}' "/api/auth/refreshtoken answers"

is "$SERVER_ERRORS" "" "no answer above was a 5xx"
is "$BAD_CT" "" "every answer above was application/json or application/problem+json, with charset=utf-8"
sed -n 's/.*" \([0-9][0-9][0-9]\) [0-9]* "[^"]*" "[^"]*"$/\1/p' "$STACK_DIR/log/nginx-access.log" >"$TAP_TMP/statuses"
[ "$(wc -l <"$TAP_TMP/statuses")" -gt 50 ] && ! grep -q '^5' "$TAP_TMP/statuses"
ok $? "nginx's access log has no 5xx either ($(wc -l <"$TAP_TMP/statuses") requests)"

done_testing
