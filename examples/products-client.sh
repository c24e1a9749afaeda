#!/bin/sh
# products-client.sh: the tutorial's console client, in POSIX sh with curl
# and jq. It logs in, then calls every Products endpoint in turn:
#
#   Add a product, GetAll, GetById/1, Update/1, Delete/1
#
# printing each status and answer. When the API answers 401 (the access
# token expired, or its signing key was withdrawn), it trades the refresh
# token for a new pair once, keeps the new pair, and retries the request
# once, as the tutorial's client does. Product 1 is gone after the first
# run: to run again, set PRODUCT_ID (to the id the last run added, say).
#
# Settings, from the environment (the defaults suit ./quickstart, which
# creates the demo user below with roles User, Editor and Admin):
#
#   JWTAUTH_URL        https://127.0.0.1:8443
#   CLIENT_ID          Client1
#   JWTAUTH_EMAIL      pranaya@example.com
#   JWTAUTH_PASSWORD   Password@123
#   JWTAUTH_CACERT     CA file for curl --cacert; default: quickstart's
#                      var/tls/cert.pem next to this script, when it exists,
#                      else the system's CAs
#   PRODUCT_ID         1: the product read, updated and deleted
#
# Secrets never appear on a command line, where ps would show them to every
# user of the machine: the password, the tokens and the Authorization header
# reach curl through files in a private temporary directory (mode 0700,
# files 0600, removed at exit), read with `curl -K file` and
# `--data-binary @file`. The tokens themselves go from the server's answer
# to those files through jq without passing through a shell variable.
#
# Exit status: 0 when every step succeeded, 1 otherwise.

set -eu

: "${JWTAUTH_URL:=https://127.0.0.1:8443}"
: "${CLIENT_ID:=Client1}"
: "${JWTAUTH_EMAIL:=pranaya@example.com}"
: "${JWTAUTH_PASSWORD:=Password@123}"
: "${PRODUCT_ID:=1}"
if [ -z "${JWTAUTH_CACERT:-}" ] && [ -f "$(dirname "$0")/../var/tls/cert.pem" ]; then
	JWTAUTH_CACERT=$(dirname "$0")/../var/tls/cert.pem
fi
# jq reads these from its environment (env.X), which only this user can
# read, not from its arguments, which everyone can.
export JWTAUTH_EMAIL JWTAUTH_PASSWORD CLIENT_ID

for tool in curl jq; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool is needed" >&2; exit 1; }
done

# Private scratch space: everything created from here on is 0600/0700.
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/products-client.XXXXXX")
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Options every request shares, in a curl config file.
{
	echo 'silent'
	echo 'show-error'
	echo 'max-time = 30'
	if [ -n "${JWTAUTH_CACERT:-}" ]; then
		printf 'cacert = "%s"\n' "$JWTAUTH_CACERT"
	fi
} >"$work/common.conf"

# request METHOD PATH [BODY-FILE] [AUTH-CONF]
# One HTTP request; sets STATUS, the answer's body is in $work/body.
request() {
	: >"$work/body"
	set -- "$1" "$2" "${3:-}" "${4:-}"
	if ! STATUS=$(curl -K "$work/common.conf" ${4:+-K "$4"} -X "$1" \
	    ${3:+-H 'Content-Type: application/json' --data-binary "@$3"} \
	    -o "$work/body" -w '%{http_code}' "$JWTAUTH_URL$2"); then
		echo "error: no answer from $JWTAUTH_URL$2" >&2
		exit 1
	fi
}

# Keep the tokens of a 200 answer (login or refresh): the refresh request
# to send next time, and the Authorization header as a curl config line.
keep_tokens() {
	jq -e '(.Token | type == "string" and test("^[A-Za-z0-9_.-]+$")) and (.RefreshToken | type == "string")' \
	    "$work/body" >/dev/null || { echo "error: no tokens in the answer" >&2; exit 1; }
	jq -r '"header = \"Authorization: Bearer " + .Token + "\""' "$work/body" >"$work/auth.conf"
	jq '{RefreshToken: .RefreshToken, ClientId: env.CLIENT_ID}' "$work/body" >"$work/refresh.json"
}

# Trade the refresh token for a new pair (POST /api/Auth/RefreshToken).
# The server revokes the old refresh token: only the new one is kept. When
# even that fails, the session is over: log in again.
refresh_tokens() {
	echo "    access token refused (401): refreshing it"
	request POST /api/Auth/RefreshToken "$work/refresh.json"
	if [ "$STATUS" != 200 ]; then
		echo "    $STATUS $(cat "$work/body")"
		echo "error: the token refresh failed" >&2
		exit 1
	fi
	keep_tokens
	echo "    token refreshed; retrying the request"
}

# step TITLE WANT METHOD PATH [BODY-FILE]
# A Products call with the access token; on 401, refresh once and retry
# once. Prints the status and the answer; stops the script unless the
# status is WANT.
step() {
	_title=$1 _want=$2
	shift 2
	echo "==> $_title"
	request "$1" "$2" "${3:-}" "$work/auth.conf"
	if [ "$STATUS" = 401 ]; then
		refresh_tokens
		request "$1" "$2" "${3:-}" "$work/auth.conf"
	fi
	if [ -s "$work/body" ]; then
		echo "    $STATUS $(cat "$work/body")"
	else
		echo "    $STATUS (no body)"
	fi
	if [ "$STATUS" != "$_want" ]; then
		echo "error: $_title: expected $_want, got $STATUS" >&2
		exit 1
	fi
}

# 1. Log in: POST /api/Auth/Login with the password from a file.
echo "==> Login as $JWTAUTH_EMAIL (client $CLIENT_ID)"
jq -n '{Email: env.JWTAUTH_EMAIL, Password: env.JWTAUTH_PASSWORD, ClientId: env.CLIENT_ID}' \
    >"$work/login.json"
request POST /api/Auth/Login "$work/login.json"
rm -f "$work/login.json"
if [ "$STATUS" != 200 ]; then
	echo "    $STATUS $(cat "$work/body")"
	echo "error: login failed" >&2
	exit 1
fi
keep_tokens
echo "    $STATUS logged in: access and refresh token received"

# 2. The Products calls, as the tutorial's client makes them.
cat >"$work/new.json" <<'JSON'
{"Name":"Smartphone","Description":"A high-end smartphone with excellent features.","Price":999.99}
JSON
cat >"$work/update.json" <<'JSON'
{"Name":"Smartphone Pro","Description":"An upgraded smartphone with enhanced features.","Price":1199.99}
JSON

step "Add a product" 201 POST /api/Products/Add "$work/new.json"
step "GetAll" 200 GET /api/Products/GetAll
step "GetById/$PRODUCT_ID" 200 GET "/api/Products/GetById/$PRODUCT_ID"
step "Update/$PRODUCT_ID" 204 PUT "/api/Products/Update/$PRODUCT_ID" "$work/update.json"
step "Delete/$PRODUCT_ID" 204 DELETE "/api/Products/Delete/$PRODUCT_ID"

echo "all steps succeeded"
