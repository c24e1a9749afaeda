#!/bin/sh
# POST /api/Users/Register (SPEC §3) through nginx: the 201 and what it
# stores (role User, an Argon2id hash), every validation rule with its exact
# message in one problem+json body (SPEC §2), lengths counted in characters
# not bytes, 409 on an email taken in any case, property names in any case,
# a field of the wrong type, and nothing written by any 4xx.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
# Dozens of registrations from one address: nginx's Register limit
# (t/register-limit.t) would answer most of them itself.
RATE_LIMIT=off
export RATE_LIMIT
api_stack

PROBLEM_CT='application/problem+json; charset=utf-8'
JSON_CT='application/json; charset=utf-8'

# The exact problem body of SPEC §2 around an "errors" object.
# rep STRING N: STRING N times.
E=$(printf '\303\251')          # U+00E9, two bytes in UTF-8

users() {
	stack_sql "SELECT CONCAT(COUNT(*), '/', (SELECT COUNT(*) FROM UserRoles)) FROM Users"
}

# reg JSON: register with that body.
reg() {
	api POST /api/Users/Register "$1"
}

# bad NAME JSON ERRORS: a 400 whose body is exactly the problem with ERRORS.
bad() {
	reg "$2"
	is "$STATUS $BODY" "400 $(problem "$3")" "$1"
}

REQ_F='"Firstname":["First name is required."]'
REQ_E='"Email":["Email is required."]'
REQ_P='"Password":["Password is required."]'
LONG_F='"Firstname":["First name must be less than or equal to 50 characters."]'
LONG_L='"Lastname":["Last name must be less than or equal to 50 characters."]'
LONG_E='"Email":["Email must be less than or equal to 100 characters."]'
INV_E='"Email":["Invalid email address."]'
SHORT_P='"Password":["Password must be at least 6 characters long."]'
LONG_P='"Password":["Password must be less than or equal to 100 characters."]'

# --- Success
reg '{"Firstname":"Pranaya","Lastname":"Rout","Email":"pranaya@example.com","Password":"Password@123"}'
is "$STATUS" 201 "Register: 201"
is "$BODY" '{"message":"User registered successfully."}' "Register: exact message"
is "$(header Content-Type)" "$JSON_CT" "Register: Content-Type application/json; charset=utf-8"
is "$(stack_sql "SELECT CONCAT_WS('|', u.Firstname, u.Lastname, u.Email, r.Name)
    FROM Users u JOIN UserRoles ur ON ur.UserId = u.Id JOIN Roles r ON r.Id = ur.RoleId
    WHERE u.Email = 'pranaya@example.com'")" "Pranaya|Rout|pranaya@example.com|User" \
    "the user is stored with exactly one role, User"
is "$(stack_sql "SELECT LEFT(Password, 10) FROM Users WHERE Email = 'pranaya@example.com'")" '$argon2id$' \
    "the password is stored as an Argon2id hash"
is "$(stack_sql "SELECT COUNT(*) FROM Users WHERE Password LIKE '%Password@123%'")" 0 \
    "the password itself is not stored"

reg '{"Firstname":"NoLast","Email":"nolast@example.com","Password":"Password@123"}'
is "$STATUS" 201 "Lastname is optional"
is "$(stack_sql "SELECT Lastname IS NULL FROM Users WHERE Email = 'nolast@example.com'")" 1 \
    "an absent Lastname is stored as NULL"

# Property names in any case (SPEC §2).
reg '{"firstname":"Lower","LASTNAME":"Upper","eMaIl":"mixed@example.com","PASSWORD":"Password@123"}'
is "$STATUS" 201 "property names match case-insensitively"
is "$(stack_sql "SELECT CONCAT_WS('|', Firstname, Lastname) FROM Users WHERE Email = 'mixed@example.com'")" \
    "Lower|Upper" "... and their values are stored"

# Characters, not bytes: 50 two-byte characters are 100 bytes and allowed.
reg "{\"Firstname\":\"$(rep "$E" 50)\",\"Lastname\":\"$(rep "$E" 50)\",\"Email\":\"$(rep "$E" 94)@x.com\",\"Password\":\"$(rep "$E" 100)\"}"
is "$STATUS" 201 "50-character names, a 100-character email and a 100-character password of two-byte characters are accepted"
is "$(stack_sql "SELECT CONCAT(CHAR_LENGTH(Firstname), ' ', CHAR_LENGTH(Lastname), ' ', CHAR_LENGTH(Email))
    FROM Users WHERE Email LIKE '%@x.com'")" "50 50 100" "... and stored whole"
api_login "$(rep "$E" 94)@x.com" "$(rep "$E" 100)"
is "$STATUS" 200 "... and the multi-byte password logs in"
reg "{\"Firstname\":\"A\",\"Email\":\"six@example.com\",\"Password\":\"$(rep "$E" 6)\"}"
is "$STATUS" 201 "a password of 6 two-byte characters (12 bytes) is long enough"

# Fields that are not Register's are ignored: no role or id from the client.
reg '{"Firstname":"Mallory","Email":"mallory@example.com","Password":"Password@123","Roles":["Admin"],"Role":"Admin","Id":1,"UserRoles":[{"RoleId":1}]}'
is "$STATUS" 201 "unknown fields (Roles, Id) are ignored: 201"
is "$(stack_sql "SELECT CONCAT(u.Id <> 1, ' ', GROUP_CONCAT(r.Name)) FROM Users u JOIN UserRoles ur ON ur.UserId = u.Id
    JOIN Roles r ON r.Id = ur.RoleId WHERE u.Email = 'mallory@example.com' GROUP BY u.Id")" "1 User" \
    "... the new user has role User only, and an id of its own"

before=$(users)

# --- Required: absent, null, "", blank
bad "Firstname absent" '{"Email":"a@example.com","Password":"Password@123"}' "{$REQ_F}"
bad "Firstname null" '{"Firstname":null,"Email":"a@example.com","Password":"Password@123"}' "{$REQ_F}"
bad "Firstname empty" '{"Firstname":"","Email":"a@example.com","Password":"Password@123"}' "{$REQ_F}"
bad "Firstname blank" '{"Firstname":"   ","Email":"a@example.com","Password":"Password@123"}' "{$REQ_F}"
bad "Email absent" '{"Firstname":"A","Password":"Password@123"}' "{$REQ_E}"
bad "Email null" '{"Firstname":"A","Email":null,"Password":"Password@123"}' "{$REQ_E}"
# "" and "   " have no '@' either: both rules fail, as with ASP.NET's
# [Required] and [EmailAddress] side by side.
bad "Email empty: required and invalid" '{"Firstname":"A","Email":"","Password":"Password@123"}' \
    '{"Email":["Email is required.","Invalid email address."]}'
bad "Email blank: required and invalid" '{"Firstname":"A","Email":"   ","Password":"Password@123"}' \
    '{"Email":["Email is required.","Invalid email address."]}'
bad "Password absent" '{"Firstname":"A","Email":"a@example.com"}' "{$REQ_P}"
bad "Password null" '{"Firstname":"A","Email":"a@example.com","Password":null}' "{$REQ_P}"
bad "Password empty: required and too short" '{"Firstname":"A","Email":"a@example.com","Password":""}' \
    '{"Password":["Password is required.","Password must be at least 6 characters long."]}'
bad "Password blank: required and too short" '{"Firstname":"A","Email":"a@example.com","Password":"   "}' \
    '{"Password":["Password is required.","Password must be at least 6 characters long."]}'
bad "Lastname null is fine, the rest still checked" '{"Lastname":null}' "{$REQ_F,$REQ_E,$REQ_P}"
bad "an empty object: every required field" '{}' "{$REQ_F,$REQ_E,$REQ_P}"
# White space as .NET's string.IsNullOrWhiteSpace (behind [Required]) knows it:
# form feed, vertical tab, no-break space, ideographic space, line separator.
bad "Firstname of Unicode white space only" \
    '{"Firstname":"\f\u000b\u00a0\u3000\u2028","Email":"a@example.com","Password":"Password@123"}' "{$REQ_F}"
bad "Password of six no-break spaces: required" \
    '{"Firstname":"A","Email":"a@example.com","Password":"\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0"}' "{$REQ_P}"
is "$(header Content-Type)" "$PROBLEM_CT" "validation errors: Content-Type application/problem+json; charset=utf-8"

# --- Lengths, in characters
bad "Firstname of 51 characters" \
    "{\"Firstname\":\"$(rep a 51)\",\"Email\":\"a@example.com\",\"Password\":\"Password@123\"}" "{$LONG_F}"
bad "Firstname of 51 two-byte characters" \
    "{\"Firstname\":\"$(rep "$E" 51)\",\"Email\":\"a@example.com\",\"Password\":\"Password@123\"}" "{$LONG_F}"
bad "Lastname of 51 characters" \
    "{\"Firstname\":\"A\",\"Lastname\":\"$(rep b 51)\",\"Email\":\"a@example.com\",\"Password\":\"Password@123\"}" "{$LONG_L}"
bad "Lastname of 51 two-byte characters" \
    "{\"Firstname\":\"A\",\"Lastname\":\"$(rep "$E" 51)\",\"Email\":\"a@example.com\",\"Password\":\"Password@123\"}" "{$LONG_L}"
bad "Email of 101 characters" \
    "{\"Firstname\":\"A\",\"Email\":\"$(rep c 95)@x.com\",\"Password\":\"Password@123\"}" "{$LONG_E}"
bad "Email of 101 two-byte characters" \
    "{\"Firstname\":\"A\",\"Email\":\"$(rep "$E" 95)@x.com\",\"Password\":\"Password@123\"}" "{$LONG_E}"
bad "Password of 5 characters" \
    '{"Firstname":"A","Email":"a@example.com","Password":"12345"}' "{$SHORT_P}"
bad "Password of 5 two-byte characters (10 bytes)" \
    "{\"Firstname\":\"A\",\"Email\":\"a@example.com\",\"Password\":\"$(rep "$E" 5)\"}" "{$SHORT_P}"
bad "Password of 101 characters" \
    "{\"Firstname\":\"A\",\"Email\":\"a@example.com\",\"Password\":\"$(rep p 101)\"}" "{$LONG_P}"
bad "Password of 101 two-byte characters" \
    "{\"Firstname\":\"A\",\"Email\":\"a@example.com\",\"Password\":\"$(rep "$E" 101)\"}" "{$LONG_P}"

# --- Email format
for e in plainaddress @example.com user@ 'a@b@example.com' 'a\n@example.com' 'a@example.com\r'; do
	# dash's echo would expand the backslashes of the name.
	bad "invalid email: $(printf '%s' "$e" | tr '\\' '|')" "{\"Firstname\":\"A\",\"Email\":\"$e\",\"Password\":\"Password@123\"}" "{$INV_E}"
done
bad "an invalid email of 101 characters: both rules" \
    "{\"Firstname\":\"A\",\"Email\":\"$(rep d 101)\",\"Password\":\"Password@123\"}" \
    '{"Email":["Invalid email address.","Email must be less than or equal to 100 characters."]}'

# --- Every failing field at once, in one body
bad "every field failing: all listed together" \
    "{\"Firstname\":\"\",\"Lastname\":\"$(rep b 51)\",\"Email\":\"nope\",\"Password\":\"12345\"}" \
    "{$REQ_F,$LONG_L,$INV_E,$SHORT_P}"
is "$(header Content-Type)" "$PROBLEM_CT" "... as application/problem+json"

# --- Wrong types (SPEC §2: 400), listed with the other fields' errors
bad "Email as a number" '{"Firstname":"A","Email":123,"Password":"Password@123"}' \
    '{"Email":["The JSON value could not be converted to System.String."]}'
bad "Email as a number, Password missing: both listed" '{"Firstname":"A","Email":123}' \
    "{\"Email\":[\"The JSON value could not be converted to System.String.\"],$REQ_P}"
bad "Firstname as an object, Password as an array" \
    '{"Firstname":{"a":1},"Email":"a@example.com","Password":["Password@123"]}' \
    '{"Firstname":["The JSON value could not be converted to System.String."],"Password":["The JSON value could not be converted to System.String."]}'
bad "Lastname as true" '{"Firstname":"A","Lastname":true,"Email":"a@example.com","Password":"Password@123"}' \
    '{"Lastname":["The JSON value could not be converted to System.String."]}'

# --- Not JSON at all
reg '{"Firstname":"A","Email":"a@example.com","Password":"Password@123"'
is "$STATUS $BODY" '400 {"message":"The request body is not valid JSON."}' "malformed JSON: 400 message"
reg '["Firstname"]'
is "$STATUS $BODY" '400 {"message":"The request body must be a JSON object."}' "an array: 400 message"

# --- Taken
reg '{"Firstname":"Other","Email":"pranaya@example.com","Password":"Password@123"}'
is "$STATUS $BODY" '409 {"message":"Email is already registered."}' "the same email again: 409"
is "$(header Content-Type)" "$JSON_CT" "409: Content-Type application/json; charset=utf-8"
reg '{"Firstname":"Other","Email":"PRANAYA@Example.COM","Password":"Password@123"}'
is "$STATUS $BODY" '409 {"message":"Email is already registered."}' "the same email in another case: 409"

is "$(users)" "$before" "no 4xx wrote a user or a role"

# --- Distinct addresses stay distinct: case is ignored (SPEC §6), accents
# are not (the tutorial's SQL Server collation, *_CI_AS, is accent-sensitive).
# Users.Email is utf8mb4_uca1400_as_ci for this; utf8mb4_unicode_ci (the
# first schema's) folded accents too and failed these three.
E_UP=$(printf '\303\211')       # U+00C9
reg '{"Firstname":"Jose","Email":"jose@example.com","Password":"Password@123"}'
is "$STATUS" 201 "jose@example.com registers"
reg "{\"Firstname\":\"Jos$E\",\"Email\":\"jos$E@example.com\",\"Password\":\"Password@456\"}"
is "$STATUS $BODY" '201 {"message":"User registered successfully."}' \
    "jos${E}@example.com is another address: 201, not 409"
api_login "JOS$E_UP@example.com" Password@123
is "$STATUS" 401 "JOS${E_UP}@example.com does not log in to jose@example.com"
api_login "JOS$E_UP@example.com" Password@456
is "$STATUS" 200 "... it is jos${E}@example.com in another case"
is "$(stack_sql "SELECT CONCAT(Firstname, '|', LEFT(Password, 10)) FROM Users WHERE Email = 'pranaya@example.com'")" \
    'Pranaya|$argon2id$' "the 409s left the first account as it was"

done_testing
