#!/bin/sh
# PUT /api/Users/UpdateProfile (SPEC §3) through nginx: present fields are
# set, absent, null and empty ones left alone (checked in SQL); the rules of
# Register on present fields, with their messages; 409 for another user's
# email in any case, but one's own email in another case is fine; a new
# password revokes every refresh token of the user and only of the user;
# no token, no update; nothing written by any 4xx.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

E=$(printf '\303\251')
OK='200 {"message":"Profile updated successfully."}'

update() {
	api PUT /api/Users/UpdateProfile "$1"
}

# The user's row, password hash included.
row() {
	stack_sql "SELECT CONCAT_WS('|', Firstname, IFNULL(Lastname, 'NULL'), Email, Password) FROM Users WHERE Id = $uid"
}

bad() {
	update "$2"
	is "$STATUS $BODY" "400 $(problem "$3")" "$1"
}

api_user pranaya@example.com Password@123 || bail_out "register pranaya failed"
api_user other@example.com Password@123 || bail_out "register other failed"
uid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'pranaya@example.com'")
oid=$(stack_sql "SELECT Id FROM Users WHERE Email = 'other@example.com'")
api_login pranaya@example.com Password@123 || bail_out "login failed"
AUTH=$TOKEN
hash=$(stack_sql "SELECT Password FROM Users WHERE Id = $uid")

# --- Present fields are set, the others left alone
update '{"Firstname":"Pranaya2"}'
is "$STATUS $BODY" "$OK" "Firstname only: 200"
is "$(header Content-Type)" "application/json; charset=utf-8" "200: application/json"
is "$(row)" "Pranaya2|User|pranaya@example.com|$hash" "only Firstname changed"
update '{"lastname":"Rout2"}'
is "$STATUS $BODY" "$OK" "Lastname only, property name in lower case: 200"
is "$(row)" "Pranaya2|Rout2|pranaya@example.com|$hash" "only Lastname changed"

before=$(row)
update '{}'
is "$STATUS $BODY" "$OK" "an empty object: 200"
is "$(row)" "$before" "... nothing changed"
update '{"Firstname":"","Lastname":"","Email":"","Password":""}'
is "$STATUS $BODY" "$OK" "every field empty: 200"
is "$(row)" "$before" "... nothing changed (empty means unchanged)"
update '{"Firstname":null,"Lastname":null,"Email":null,"Password":null}'
is "$STATUS $BODY" "$OK" "every field null: 200"
is "$(row)" "$before" "... nothing changed (null means unchanged)"

update "{\"Firstname\":\"$(rep "$E" 50)\",\"Lastname\":\"$(rep "$E" 50)\"}"
is "$STATUS $BODY" "$OK" "50 two-byte characters in each name: 200"
is "$(stack_sql "SELECT CONCAT(CHAR_LENGTH(Firstname), ' ', CHAR_LENGTH(Lastname)) FROM Users WHERE Id = $uid")" \
    "50 50" "... stored whole"
update '{"Firstname":"Pranaya","Lastname":"Rout"}'
is "$STATUS" 200 "both names at once: 200"

# --- The rules of Register on present fields
before=$(row)
bad "Firstname blank" '{"Firstname":"   "}' '{"Firstname":["First name is required."]}'
bad "Firstname of 51 characters" "{\"Firstname\":\"$(rep a 51)\"}" \
    '{"Firstname":["First name must be less than or equal to 50 characters."]}'
bad "Lastname of 51 two-byte characters" "{\"Lastname\":\"$(rep "$E" 51)\"}" \
    '{"Lastname":["Last name must be less than or equal to 50 characters."]}'
bad "Email blank" '{"Email":"  "}' '{"Email":["Email is required.","Invalid email address."]}'
bad "Email invalid" '{"Email":"pranaya.example.com"}' '{"Email":["Invalid email address."]}'
bad "Email with two @" '{"Email":"a@b@example.com"}' '{"Email":["Invalid email address."]}'
bad "Email of 101 characters" "{\"Email\":\"$(rep e 95)@x.com\"}" \
    '{"Email":["Email must be less than or equal to 100 characters."]}'
bad "Password blank" '{"Password":"   "}' \
    '{"Password":["Password is required.","Password must be at least 6 characters long."]}'
bad "Password of 5 characters" '{"Password":"12345"}' '{"Password":["Password must be at least 6 characters long."]}'
bad "Password of 101 characters" "{\"Password\":\"$(rep p 101)\"}" \
    '{"Password":["Password must be less than or equal to 100 characters."]}'
bad "every field failing: all listed, a valid one not applied" \
    "{\"Firstname\":\"$(rep a 51)\",\"Lastname\":\"$(rep b 51)\",\"Email\":\"x\",\"Password\":\"12345\"}" \
    '{"Firstname":["First name must be less than or equal to 50 characters."],"Lastname":["Last name must be less than or equal to 50 characters."],"Email":["Invalid email address."],"Password":["Password must be at least 6 characters long."]}'
is "$(header Content-Type)" "application/problem+json; charset=utf-8" "... as application/problem+json"
bad "one bad field, one good: nothing applied" '{"Firstname":"Changed","Password":"12345"}' \
    '{"Password":["Password must be at least 6 characters long."]}'
bad "Email of the wrong type" '{"Email":42,"Firstname":"Changed"}' \
    '{"Email":["The JSON value could not be converted to System.String."]}'
update '{"Firstname":"Changed"'
is "$STATUS $BODY" '400 {"message":"The request body is not valid JSON."}' "malformed JSON: 400"
is "$(row)" "$before" "no 400 changed anything"

# --- Email taken
update '{"Email":"other@example.com","Firstname":"Changed"}'
is "$STATUS $BODY" '409 {"message":"Email is already in use by another account."}' "another user's email: 409"
update '{"Email":"OTHER@Example.com"}'
is "$STATUS $BODY" '409 {"message":"Email is already in use by another account."}' "another user's email in another case: 409"
is "$(row)" "$before" "the 409s changed nothing (not even Firstname)"
update '{"Email":"PRANAYA@example.COM"}'
is "$STATUS $BODY" "$OK" "one's own email in another case: 200"
is "$(stack_sql "SELECT Email FROM Users WHERE Id = $uid")" "PRANAYA@example.COM" "... stored as given"
update '{"Email":"new@example.com"}'
is "$STATUS $BODY" "$OK" "a new email: 200"
api_login new@example.com Password@123
is "$STATUS" 200 "the new email logs in"
is "$(b64url_decode "$(printf '%s' "$TOKEN" | cut -d. -f2)" | jq -r .email)" \
    "new@example.com" "... and is the token's email claim"
api_login pranaya@example.com Password@123
is "$STATUS" 401 "the old email does not"

# --- A new password revokes every refresh token of the user
api_login new@example.com Password@123 Client1 || bail_out "login 1 failed"
r1=$REFRESH
api_login new@example.com Password@123 Client2 || bail_out "login 2 failed"
r2=$REFRESH
api_login other@example.com Password@123 || bail_out "login other failed"
ro=$REFRESH
live() {
	stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $1 AND IsRevoked = 0"
}
[ "$(live "$uid")" -ge 2 ]
ok $? "the user has live refresh tokens"
n=$(live "$uid")
update '{"Firstname":"NoRevoke","Email":"new@example.com"}'
is "$(live "$uid")" "$n" "a name or email change revokes nothing"
update '{"Password":"NewPassword@456"}'
is "$STATUS $BODY" "$OK" "a new password: 200"
is "$(live "$uid")" 0 "every refresh token of the user is revoked ($n were live)"
is "$(stack_sql "SELECT COUNT(*) FROM RefreshTokens WHERE UserId = $uid AND RevokedAt IS NULL")" 0 \
    "... each with RevokedAt set"
is "$(live "$oid")" 1 "the other user's refresh token is untouched"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r1\",\"ClientId\":\"Client1\"}"
is "$STATUS $BODY" '401 {"message":"Refresh token has been revoked."}' "refresh token 1 (Client1): revoked"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$r2\",\"ClientId\":\"Client2\"}"
is "$STATUS $BODY" '401 {"message":"Refresh token has been revoked."}' "refresh token 2 (Client2): revoked"
anon api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$ro\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "the other user's refresh token still refreshes"
api_login new@example.com NewPassword@456
is "$STATUS" 200 "the new password logs in"
api_login new@example.com Password@123
is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "the old password does not"
case $(stack_sql "SELECT Password FROM Users WHERE Id = $uid") in
'$argon2id$'*) ok 0 "the new password is stored as Argon2id" ;;
*) ok 1 "the new password is stored as Argon2id" ;;
esac

# --- No token, bad token
before=$(row)
anon update '{"Firstname":"Anonymous"}'
is "$STATUS $BODY" '401 {"message":"Unauthorized."}' "no token: 401"
is "$(header WWW-Authenticate)" "Bearer" "no token: WWW-Authenticate: Bearer"
AUTH=not.a.token update '{"Firstname":"Anonymous"}'
is "$STATUS $(header WWW-Authenticate)" '401 Bearer error="invalid_token", error_description="The token is malformed."' \
    "a bad token: 401 invalid_token"
is "$(row)" "$before" "neither changed anything"

# --- The user is gone
api_login other@example.com Password@123 || bail_out "login other failed"
stack_sql "DELETE FROM Users WHERE Id = $oid"
AUTH=$TOKEN update '{"Firstname":"Ghost"}'
is "$STATUS $BODY" '404 {"message":"User not found."}' "a deleted user's token: 404 User not found."
is "$(stack_sql "SELECT COUNT(*) FROM Users WHERE Firstname = 'Ghost'")" 0 "... and no user was made"

done_testing
