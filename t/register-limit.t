#!/bin/sh
# Issue 16, items 2 and 7: Register runs Argon2id on every call, so nginx
# limits it per address like Login (a burst of 10 for people, then 429
# with a JSON body), and takes at most one Register at a time from all
# addresses together, so that a flood from many addresses cannot hold the
# users program's workers that GetProfile and UpdateProfile need. nginx's
# own answers keep HSTS and nosniff and name no version (server_tokens off).
#
# No timing is asserted: a quick series from one address meets the rate
# limit, and concurrent registrations from many loopback addresses meet
# the concurrency limit.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

N=16
# Not valid (no Firstname, no Password): the program answers 400 at once.
printf '{"Email":"x@example.com"}' >"$TAP_TMP/bad"

hcount() {
	tr -d '\r' <"$TAP_TMP/series.h" | grep -ic "$1"
}

# ---- one address: the rate limit ---------------------------------------------------
series /api/Users/Register "$TAP_TMP/bad"
is "$(wc -l <"$TAP_TMP/series" | tr -d ' ')" "$N" "register: $N answers"
head -n 10 "$TAP_TMP/series" | grep -v '^400 ' >/dev/null
ok $((! $?)) "register: the first 10 pass the limit (400 from the program)"
limited=$(series_count '^429 ')
[ "$limited" -gt 0 ]
ok $? "register: later ones are refused with 429 ($limited of $N)"
is "$(series_count '^429 {"message":"Too many requests."}$')" "$limited" "register: every 429 has the JSON body"
is "$(series_count '^5')" 0 "register: never a 5xx"
is "$(hcount '^retry-after: 1$')" "$limited" "register: every 429 has Retry-After: 1"
is "$(hcount '^strict-transport-security: max-age=63072000$')" "$N" \
    "every answer, 429 included, has Strict-Transport-Security"
is "$(hcount '^x-content-type-options: nosniff$')" "$N" \
    "every answer, 429 included, has X-Content-Type-Options: nosniff"
is "$(tr -d '\r' <"$TAP_TMP/series.h" | grep -i '^server:' | tr 'A-Z' 'a-z' | sort -u)" "server: nginx" \
    "the Server header names no version (server_tokens off)"
# GetProfile is not limited by Register's zone.
anon api GET /api/Users/GetProfile
is "$STATUS" 401 "GetProfile from the same address still reaches the program"
anon api GET /nothing/here
case $BODY in *nginx/*) r=1 ;; *) r=0 ;; esac
ok $r "nginx's own pages name no version either"

# ---- many addresses at once: one Register at a time ------------------------------------
# Loopback addresses other than 127.0.0.1 are local on Linux: each curl
# comes from its own, so the per-address limit lets every one through.
i=0
pids=
while [ "$i" -lt 8 ]; do
	i=$((i + 1))
	printf '{"Firstname":"F","Email":"flood%d@example.com","Password":"Password@123"}' "$i" >"$TAP_TMP/reg$i"
	stack_curl --interface "127.0.0.$((20 + i))" -X POST -H 'Content-Type: application/json' \
	    --data-binary "@$TAP_TMP/reg$i" -o "$TAP_TMP/reg$i.body" -w '%{http_code}' \
	    "$STACK_URL/api/Users/Register" >"$TAP_TMP/reg$i.status" 2>/dev/null &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done
cat "$TAP_TMP"/reg[0-9].status | tr -d '\n' | fold -w 3 | sort | uniq -c | sed 's/^ */# /'
created=$(cat "$TAP_TMP"/reg[0-9].status | tr -d '\n' | fold -w 3 | grep -c '^201$')
refused=$(cat "$TAP_TMP"/reg[0-9].status | tr -d '\n' | fold -w 3 | grep -c '^429$')
[ "$created" -ge 1 ]
ok $? "8 registrations at once from 8 addresses: some are served ($created)"
[ "$refused" -ge 1 ]
ok $? "... and the ones that would run beside another are refused with 429 ($refused)"
is "$((created + refused))" 8 "... nothing else (no 5xx)"
is "$(stack_sql "SELECT COUNT(*) FROM Users WHERE Email LIKE 'flood%'")" "$created" \
    "... the users table holds exactly the ones served"

done_testing
