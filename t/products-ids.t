#!/bin/sh
# Odd {id}s on GetById, Update and Delete (SPEC §5: "an id that is not a
# positive integer: 400 or 404, never a crash"), through nginx. The rules
# (cgi-bin/products.c): authorization first; then {id} must be an INT as
# ASP.NET binds one (optional '-', decimal digits, within INT's range), else
# 400 with a validation body naming id; an INT naming no product is 404
# "Product with ID {id} not found.". Paths that are not one segment under
# the route are 404 {"message":"Not found."}. A NUL nginx refuses itself.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

invalid() {
	problem "{\"id\":[\"The value '$1' is not valid.\"]}"
}
missing() {
	printf '{"message":"Product with ID %s not found."}' "$1"
}
NOT_FOUND='{"message":"Not found."}'

api_user admin@example.com Password@123 Editor Admin || bail_out "register failed"
api_login admin@example.com Password@123 || bail_out "login failed"
AUTH=$TOKEN

# The products workers now, to show at the end that none died on the way
# (multiwatch would quietly restart one that crashed).
workers() {
	ps -o pid= --ppid "$(cat "$STACK_DIR/run/products.pid")" | tr -d ' ' | sort | tr '\n' ' '
}
before=$(workers)
[ -n "$before" ]
ok $? "the products workers are running"

# get RAW-ID WANT-STATUS WANT-BODY [name]: GetById with the id as written
# in the URL (--path-as-is: curl must not resolve dot segments itself).
get() {
	api GET "/api/Products/GetById/$1" '' --path-as-is
	is "$STATUS $BODY" "$2 $3" "GetById/${4:-$1}: $2"
}

get abc 400 "$(invalid abc)"
is "$(header Content-Type)" "application/problem+json; charset=utf-8" "... as application/problem+json"
get -1 404 "$(missing -1)"
get 0 404 "$(missing 0)"
get -0 404 "$(missing 0)"
get 2147483647 404 "$(missing 2147483647)" "2147483647 (INT max)"
get 2147483648 400 "$(invalid 2147483648)" "2147483648 (INT max + 1)"
get -2147483648 404 "$(missing -2147483648)" "-2147483648 (INT min)"
get -2147483649 400 "$(invalid -2147483649)" "-2147483649 (INT min - 1)"
get 18446744073709551616 400 "$(invalid 18446744073709551616)" "18446744073709551616 (2^64)"
get 1.5 400 "$(invalid 1.5)"
get 1e3 400 "$(invalid 1e3)"
get 0x10 400 "$(invalid 0x10)"
get +1 400 "$(invalid +1)"
get %2B1 400 "$(invalid +1)" "%2B1 (+1 encoded)"
get - 400 "$(invalid -)"
get %20 400 "$(invalid ' ')" "%20 (a space)"
get 1%20 400 "$(invalid '1 ')" "1%20 (a trailing space)"
# Leading zeros are decimal, not octal.
get 001 200 '{"Id":1,"Name":"Product A","Description":"Test Product A","Price":10.00}'
is "$(stack_sql "SELECT COUNT(*) FROM Products WHERE Id = 7")" 0 "there is no product 7"
get 007 404 "$(missing 7)"
get 010 404 "$(missing 10)" "010 (ten, not eight)"

# The segment is echoed, cut to 64 characters, as JSON.
get "$(rep 9 5000)" 400 "$(invalid "$(rep 9 64)")" "a 5000-digit id"
get "$(rep a 5000)" 400 "$(invalid "$(rep a 64)")" "a 5000-letter id"
get "1%22" 400 "$(invalid '1\"')" '1" (a double quote, JSON-escaped)'
get "a'b" 400 "$(invalid "a'b")" "a'b (a single quote)"
get "%5C" 400 "$(invalid '\\')" '\ (a backslash, JSON-escaped)'
get "1;DROP%20TABLE%20Products" 400 "$(invalid '1;DROP TABLE Products')" "SQL in the id"
is "$(stack_sql "SELECT COUNT(*) FROM Products")" 3 "... the table is still there"
get "%3Cscript%3E" 400 "$(invalid '<script>')" "<script>"
# Bytes nginx decoded from %XX that are not UTF-8 must not reach the JSON
# answer raw: each becomes U+FFFD, and a cut never splits a character.
get %C3%A9 400 "$(invalid é)" "%C3%A9 (é)"
get %FF 400 "$(invalid �)" "%FF (not UTF-8, echoed as U+FFFD)"
get %E2%82x 400 "$(invalid ��x)" "%E2%82x (a truncated sequence)"
get "$(rep a 63)%C3%A9%C3%A9" 400 "$(invalid "$(rep a 63)é")" "63 letters then é: the cut keeps é whole"
printf '%s' "$BODY" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && printf '%s' "$BODY" | jq -e . >/dev/null 2>&1
ok $? "... and the answer is valid UTF-8 JSON"

# Not one segment under the route: no route, 404 (nginx resolves dot
# segments, decoded or not, before routing).
get 1/2 404 "$NOT_FOUND"
get ../1 404 "$NOT_FOUND"
get %2e%2e 404 "$NOT_FOUND" "%2e%2e (.. encoded)"
get %2e%2e/1 404 "$NOT_FOUND" "%2e%2e/1"
get "" 404 "$NOT_FOUND" "(empty)"
get %01 404 "$NOT_FOUND" "%01 (a control byte)"

# A NUL: nginx answers 400 itself (its HTML page) and nothing reaches a
# program; only the status is ours to check.
api GET /api/Products/GetById/%00 '' --path-as-is
is "$STATUS" 400 "GetById/%00: nginx's 400"
api GET /api/Products/GetById/1%00 '' --path-as-is
is "$STATUS" 400 "GetById/1%00: nginx's 400"
api GET /api/Products/GetById/1
is "$STATUS" 200 "... GetById/1 still answers afterwards"

# Update and Delete bind {id} the same way.
api PUT /api/Products/Update/abc '{"Name":"n","Price":1}'
is "$STATUS $BODY" "400 $(invalid abc)" "Update/abc: 400"
api PUT /api/Products/Update/2147483648 '{"Name":"n","Price":1}'
is "$STATUS $BODY" "400 $(invalid 2147483648)" "Update/2147483648: 400"
api PUT /api/Products/Update/-1 '{"Name":"n","Price":1}'
is "$STATUS $BODY" "404 $(missing -1)" "Update/-1: 404"
api PUT /api/Products/Update/1.0 '{"Name":"","Price":-1}'
is "$STATUS $BODY" "400 $(invalid 1.0)" "Update/1.0 with a bad body: the id is judged first"
api DELETE /api/Products/Delete/abc
is "$STATUS $BODY" "400 $(invalid abc)" "Delete/abc: 400"
api DELETE /api/Products/Delete/0
is "$STATUS $BODY" "404 $(missing 0)" "Delete/0: 404"
api DELETE /api/Products/Delete/18446744073709551617
is "$STATUS $BODY" "400 $(invalid 18446744073709551617)" "Delete/2^64+1: 400"
is "$(stack_sql "SELECT GROUP_CONCAT(CONCAT_WS('|', Id, Name, Price) ORDER BY Id)
    FROM Products")" "1|Product A|10.00,2|Product B|20.00,3|Product C|30.00" \
    "no odd id changed or removed a product"

# Authorization comes before the id: without a token every id is 401.
anon api GET /api/Products/GetById/abc
is "$STATUS $BODY" '401 {"message":"Unauthorized."}' "GetById/abc without a token: 401"
anon api DELETE /api/Products/Delete/-1
is "$STATUS $BODY" '401 {"message":"Unauthorized."}' "Delete/-1 without a token: 401"

# Still serving, and no worker died on the way.
anon api GET /api/Products/GetAll
is "$STATUS $(json length)" "200 3" "GetAll still answers"
api GET /api/Products/GetById/2
is "$STATUS $(json .Name)" "200 Product B" "GetById/2 still answers"
is "$(workers)" "$before" "the same products workers: none crashed"

done_testing
