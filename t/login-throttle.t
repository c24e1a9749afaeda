#!/bin/sh
# Login throttling per account (SPEC §3 Login: 429 with Retry-After),
# with login_max_failures = 3 and login_failure_window = 60: the attempt
# after three failures is refused even with the right password, an unknown
# email is throttled the same way (no enumeration), the count lives in
# MariaDB (LoginThrottle), a success resets it, and the window ends (moved
# into the past in SQL rather than waited for: a loaded machine must not
# turn a short real window into a flaky test).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
WINDOW=60
STACK_CONF_EXTRA="login_max_failures = 3
login_failure_window = $WINDOW"
api_stack

THROTTLED='{"message":"Too many failed login attempts. Try again later."}'

login() {
	anon api POST /api/Auth/Login "{\"Email\":\"$1\",\"Password\":\"$2\",\"ClientId\":\"Client1\"}"
}

failures() {
	stack_sql "SELECT FailedCount FROM LoginThrottle WHERE Email = '$1'"
}

api_user a@example.com Password@123 || bail_out "register a failed"
api_user b@example.com Password@123 || bail_out "register b failed"

# --- Three failures, then 429 even with the right password
for i in 1 2 3; do
	login a@example.com Wrong@123
	is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "a: wrong password $i: 401"
done
is "$(failures a@example.com)" 3 "a: LoginThrottle counts 3 failures"
login a@example.com Password@123
is "$STATUS" 429 "a: 4th attempt, right password: 429"
is "$BODY" "$THROTTLED" "a: 429 message"
is "$(header Content-Type)" "application/json; charset=utf-8" "a: 429 is application/json"
ra=$(header Retry-After)
case $ra in
''|*[!0-9]*) ok 1 "a: Retry-After is a positive integer ($ra)" ;;
*) [ "$ra" -ge 1 ] && [ "$ra" -le "$WINDOW" ]; ok $? "a: Retry-After is a positive integer at most the window ($ra)" ;;
esac
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens")" 0 "a: the refused login issued no token"
login A@EXAMPLE.COM Password@123
is "$STATUS $BODY" "429 $THROTTLED" "a: the same account in another case is throttled too"

# --- An unknown email is throttled the same way
for i in 1 2 3; do
	login nobody@example.com Wrong@123
	is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "unknown email, attempt $i: 401"
done
login nobody@example.com Wrong@123
is "$STATUS $BODY" "429 $THROTTLED" "unknown email, 4th attempt: the same 429"
[ -n "$(header Retry-After)" ]
ok $? "unknown email: Retry-After too"

# --- A success before the limit resets the count
login b@example.com Wrong@123
login b@example.com Wrong@123
is "$(failures b@example.com)" 2 "b: 2 failures counted"
login b@example.com Password@123
is "$STATUS" 200 "b: the right password before the limit: 200"
is "$(stack_sql "SELECT COUNT(*) FROM LoginThrottle WHERE Email = 'b@example.com'")" 0 \
    "b: the success removed the LoginThrottle row"
login b@example.com Wrong@123
login b@example.com Wrong@123
is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "b: 2 more failures: still 401, not 429"
login b@example.com Password@123
is "$STATUS" 200 "b: and the right password still works"

# --- The window ends
stack_sql "UPDATE LoginThrottle SET WindowStart = WindowStart - INTERVAL $((WINDOW + 1)) SECOND"
login a@example.com Password@123
is "$STATUS" 200 "a: after the window, the right password: 200"
is "$(stack_sql "SELECT COUNT(*) FROM LoginThrottle WHERE Email = 'a@example.com'")" 0 \
    "a: the count is reset (LoginThrottle row gone)"
login nobody@example.com Wrong@123
is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "unknown email after the window: 401 again"
is "$(failures nobody@example.com)" 1 "unknown email: a new window counts from 1"

done_testing
