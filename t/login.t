#!/bin/sh
# POST /api/Auth/Login (SPEC §3) through nginx, the failures: validation
# (the Email and Password rules of Register, ClientId required), an unknown
# or wrongly-cased client, unknown user and wrong password answered alike;
# and what the token carries: roles read from the database at each login,
# the audience of the client used.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

# The access token's claims, as JSON.
claims() {
	b64url_decode "$(printf '%s' "$TOKEN" | cut -d. -f2)"
}

login() {
	anon api POST /api/Auth/Login "$1"
}

bad() {
	login "$2"
	is "$STATUS $BODY" "400 $(problem "$3")" "$1"
}

api_user pranaya@example.com Password@123 || bail_out "register failed"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'pranaya@example.com'")

# --- Success (the rest of the 200 path is in t/auth-flow.t)
api_login pranaya@example.com Password@123
is "$STATUS" 200 "Login: 200"
is "$(json 'keys | join(",")')" "RefreshToken,Token" "Login: exactly Token and RefreshToken"
is "$(claims | jq -c .role)" '["User"]' "role claim: the role given at registration"
is "$(claims | jq -r .aud)" "https://client1.com" "Client1: aud is its ClientURL"

api_login PRANAYA@Example.COM Password@123
is "$STATUS" 200 "the email matches in any case"
is "$(claims | jq -r .sub)" "$uid" "... and names the same user"

# --- Validation: the rules of Register, plus ClientId
REQ_E='"Email":["Email is required."]'
REQ_P='"Password":["Password is required."]'
REQ_C='"ClientId":["ClientId is required."]'
bad "an empty object: every required field, in order" '{}' "{$REQ_E,$REQ_P,$REQ_C}"
is "$(header Content-Type)" "application/problem+json; charset=utf-8" "... as application/problem+json"
bad "ClientId absent" '{"Email":"pranaya@example.com","Password":"Password@123"}' "{$REQ_C}"
bad "ClientId null" '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":null}' "{$REQ_C}"
bad "ClientId empty" '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":""}' "{$REQ_C}"
bad "ClientId blank" '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":"  "}' "{$REQ_C}"
bad "ClientId of no-break spaces" '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":"\u00a0\u00a0"}' "{$REQ_C}"
bad "ClientId a number" '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":1}' \
    '{"ClientId":["The JSON value could not be converted to System.String."]}'
bad "Email null, Password blank" '{"Email":null,"Password":"   ","ClientId":"Client1"}' \
    "{$REQ_E,\"Password\":[\"Password is required.\",\"Password must be at least 6 characters long.\"]}"
bad "Email invalid" '{"Email":"pranaya","Password":"Password@123","ClientId":"Client1"}' \
    '{"Email":["Invalid email address."]}'
bad "Email of 101 characters" "{\"Email\":\"$(rep e 95)@x.com\",\"Password\":\"Password@123\",\"ClientId\":\"Client1\"}" \
    '{"Email":["Email must be less than or equal to 100 characters."]}'
bad "Password of 5 characters" '{"Email":"pranaya@example.com","Password":"Passw","ClientId":"Client1"}' \
    '{"Password":["Password must be at least 6 characters long."]}'
bad "Password of 101 characters" "{\"Email\":\"pranaya@example.com\",\"Password\":\"$(rep p 101)\",\"ClientId\":\"Client1\"}" \
    '{"Password":["Password must be less than or equal to 100 characters."]}'
bad "Firstname is no field of Login: ignored" \
    '{"Firstname":"","Email":"x","Password":"Password@123","ClientId":"Client1"}' '{"Email":["Invalid email address."]}'
login '{"email":"pranaya@example.com","PASSWORD":"Password@123","clientid":"Client1"}'
is "$STATUS" 200 "property names in any case"

# --- Clients: unknown, and compared exactly
login '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":"NoSuchClient"}'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "unknown client: 401 Invalid client credentials."
is "$(header Content-Type)" "application/json; charset=utf-8" "... as application/json"
login '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":"client1"}'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "client1 is not Client1: 401 invalid client"
login '{"Email":"pranaya@example.com","Password":"Password@123","ClientId":"CLIENT1"}'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "CLIENT1 is not Client1 either"
login '{"Email":"nobody@example.com","Password":"Password@123","ClientId":"client1"}'
is "$STATUS $BODY" '401 {"message":"Invalid client credentials."}' "the client is checked before the user"

api_login pranaya@example.com Password@123 Client2
is "$STATUS" 200 "Client2: 200"
is "$(claims | jq -r .aud)" "https://client2.com" "Client2: aud is https://client2.com"
is "$(stack_sql "SELECT c.ClientId FROM RefreshTokens rt JOIN Clients c ON c.Id = rt.ClientId
    WHERE rt.TokenHash = SHA2('$REFRESH', 256)")" Client2 "Client2: its refresh token is stored for Client2"

# --- Unknown user and wrong password: the same answer
login '{"Email":"nobody@example.com","Password":"Password@123","ClientId":"Client1"}'
unknown="$STATUS $BODY $(header Content-Type)"
is "$unknown" '401 {"message":"Invalid credentials."} application/json; charset=utf-8' "unknown user: 401 Invalid credentials."
login '{"Email":"pranaya@example.com","Password":"Password@124","ClientId":"Client1"}'
is "$STATUS $BODY $(header Content-Type)" "$unknown" "wrong password: the very same answer"
login '{"Email":"pranaya@example.com","Password":"password@123","ClientId":"Client1"}'
is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "the password is case-sensitive"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $uid")" 4 \
    "no refresh token was stored for a failed login (4 successes, 4 tokens)"

# --- Roles are read from the database at every login
stack_sql "INSERT INTO UserRoles (UserId, RoleId) SELECT $uid, Id FROM Roles WHERE Name = 'Admin'"
api_login pranaya@example.com Password@123
is "$(claims | jq -c .role)" '["Admin","User"]' "Admin granted in SQL: the next token has it, sorted"
stack_sql "INSERT INTO UserRoles (UserId, RoleId) SELECT $uid, Id FROM Roles WHERE Name = 'Editor'"
api_login pranaya@example.com Password@123
is "$(claims | jq -c .role)" '["Admin","Editor","User"]' "Editor too: three roles, sorted"
stack_sql "DELETE ur FROM UserRoles ur JOIN Roles r ON r.Id = ur.RoleId WHERE ur.UserId = $uid AND r.Name IN ('Admin', 'User')"
api_login pranaya@example.com Password@123
is "$(claims | jq -c .role)" '["Editor"]' "roles removed in SQL are gone from the next token"
stack_sql "DELETE FROM UserRoles WHERE UserId = $uid"
api_login pranaya@example.com Password@123
is "$STATUS $(claims | jq -c '[.role, .sub, .email]')" "200 [[],\"$uid\",\"pranaya@example.com\"]" \
    "no role at all: the user still logs in, with an empty role claim"

done_testing
