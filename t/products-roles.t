#!/bin/sh
# Who may call what on Products (SPEC §5), through nginx: no token, and
# users holding exactly one role each (User, Editor, Admin) or none at all.
# Roles are set in SQL before login, since the token carries the roles the
# user had when it was issued.
#
#                  no token  none  User  Editor  Admin
#   GetAll           200     200   200    200     200
#   GetById/1        401     200   200    200     200
#   Add              401     403   201    201     201
#   Update/{id}      401     403   403    204     204
#   Delete/{id}      401     403   403    403     204
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

UNAUTHORIZED='{"message":"Unauthorized."}'
FORBIDDEN='{"message":"Forbidden."}'

# A user whose roles are exactly the arguments (registration gives User).
user_with_roles() {
	_email=$1
	shift
	api_user "$_email" Password@123 || bail_out "register $_email failed"
	stack_sql "DELETE ur FROM UserRoles ur JOIN Users u ON u.Id = ur.UserId WHERE u.Email = '$_email'"
	for _role in "$@"; do
		stack_sql "INSERT INTO UserRoles (UserId, RoleId)
		    SELECT u.Id, r.Id FROM Users u, Roles r WHERE u.Email = '$_email' AND r.Name = '$_role'"
	done
	is "$(stack_sql "SELECT IFNULL(GROUP_CONCAT(r.Name ORDER BY r.Name), '-') FROM UserRoles ur
	    JOIN Users u ON u.Id = ur.UserId JOIN Roles r ON r.Id = ur.RoleId WHERE u.Email = '$_email'")" \
	    "$(if [ $# -eq 0 ]; then echo -; else echo "$*" | tr ' ' ,; fi)" "$_email holds exactly: ${*:-no role}"
	api_login "$_email" Password@123 || bail_out "login $_email failed"
}

user_with_roles none@example.com;            T_NONE=$TOKEN
user_with_roles user@example.com User;       T_USER=$TOKEN
user_with_roles editor@example.com Editor;   T_EDITOR=$TOKEN
user_with_roles admin@example.com Admin;     T_ADMIN=$TOKEN

count() {
	stack_sql "SELECT COUNT(*) FROM Products"
}
row1() {
	stack_sql "SELECT CONCAT_WS('|', Name, Description, Price) FROM Products WHERE Id = 1"
}

# as TOKEN METHOD PATH [BODY]: one request with that token ("" for none).
as() {
	_tok=$1
	shift
	AUTH=$_tok api "$@"
}

# --- No token: 401 with a bare challenge (RFC 6750 §3: no error code).
anon api GET /api/Products/GetAll
is "$STATUS" 200 "GetAll, no token: 200"
for req in "GET /api/Products/GetById/1" "POST /api/Products/Add" \
    "PUT /api/Products/Update/1" "DELETE /api/Products/Delete/1"; do
	set -- $req
	case $1 in POST|PUT) anon api "$1" "$2" '{"Name":"n","Price":1}' ;; *) anon api "$1" "$2" ;; esac
	is "$STATUS $BODY" "401 $UNAUTHORIZED" "$req, no token: 401"
	is "$(header WWW-Authenticate)" "Bearer" "$req, no token: WWW-Authenticate: Bearer"
done
# A token that is not one: 401 invalid_token, whatever the role needed.
as not-a-jwt DELETE /api/Products/Delete/1
is "$STATUS $BODY" '401 {"message":"The token is malformed."}' "Delete with a malformed token: 401"
is "$(header WWW-Authenticate)" 'Bearer error="invalid_token", error_description="The token is malformed."' \
    "... WWW-Authenticate names invalid_token"
is "$(count) $(row1)" "3 Product A|Test Product A|10.00" "no request without a valid token changed anything"

# --- GetAll and GetById: any valid token, even one without roles.
for who in NONE USER EDITOR ADMIN; do
	eval "tok=\$T_$who"
	as "$tok" GET /api/Products/GetAll
	is "$STATUS" 200 "GetAll as $who: 200"
	as "$tok" GET /api/Products/GetById/1
	is "$STATUS $BODY" '200 {"Id":1,"Name":"Product A","Description":"Test Product A","Price":10.00}' \
	    "GetById/1 as $who: 200"
done

# --- Add: User, Editor or Admin; a user with no role is forbidden.
n=$(count)
as "$T_NONE" POST /api/Products/Add '{"Name":"by none","Price":1}'
is "$STATUS $BODY" "403 $FORBIDDEN" "Add as a user with no role: 403 Forbidden."
is "$(header WWW-Authenticate)" 'Bearer error="insufficient_scope"' "... WWW-Authenticate names insufficient_scope"
is "$(count)" "$n" "... nothing added"
for who in USER EDITOR ADMIN; do
	eval "tok=\$T_$who"
	as "$tok" POST /api/Products/Add "{\"Name\":\"by $who\",\"Price\":1}"
	is "$STATUS" 201 "Add as $who: 201"
	is "$(stack_sql "SELECT COUNT(*) FROM Products WHERE Name = 'by $who'")" 1 "... the row is there"
done
ids=$(stack_sql "SELECT GROUP_CONCAT(Id ORDER BY Id SEPARATOR ' ') FROM Products WHERE Name LIKE 'by %'")
set -- $ids
id_user=$1 id_editor=$2

# --- Update: Editor or Admin.
for who in NONE USER; do
	eval "tok=\$T_$who"
	as "$tok" PUT /api/Products/Update/1 "{\"Name\":\"changed by $who\",\"Price\":2}"
	is "$STATUS $BODY" "403 $FORBIDDEN" "Update as $who: 403 Forbidden."
done
is "$(row1)" "Product A|Test Product A|10.00" "... product 1 unchanged"
as "$T_EDITOR" PUT /api/Products/Update/1 '{"Name":"by EDITOR","Description":"e","Price":2}'
is "$STATUS" 204 "Update as EDITOR: 204"
is "$(row1)" "by EDITOR|e|2.00" "... the row changed"
as "$T_ADMIN" PUT /api/Products/Update/1 '{"Name":"by ADMIN","Description":"a","Price":3}'
is "$STATUS" 204 "Update as ADMIN: 204"
is "$(row1)" "by ADMIN|a|3.00" "... the row changed"

# --- Delete: Admin only.
for who in NONE USER EDITOR; do
	eval "tok=\$T_$who"
	as "$tok" DELETE "/api/Products/Delete/$id_user"
	is "$STATUS $BODY" "403 $FORBIDDEN" "Delete as $who: 403 Forbidden."
done
is "$(stack_sql "SELECT COUNT(*) FROM Products WHERE Id = '$id_user'")" 1 "... the product is still there"
as "$T_ADMIN" DELETE "/api/Products/Delete/$id_user"
is "$STATUS" 204 "Delete as ADMIN: 204"
is "$(stack_sql "SELECT COUNT(*) FROM Products WHERE Id = '$id_user'")" 0 "... the product is gone"

# Authorization comes before the product is looked up: a forbidden caller
# learns nothing about which ids exist.
as "$T_EDITOR" DELETE /api/Products/Delete/999
is "$STATUS $BODY" "403 $FORBIDDEN" "Delete of a missing id as EDITOR: 403, not 404"
as "$T_USER" PUT /api/Products/Update/999 '{"Name":"n","Price":1}'
is "$STATUS $BODY" "403 $FORBIDDEN" "Update of a missing id as USER: 403, not 404"

# The role is the one in the token: granting Admin in the database does not
# help a token issued before, a new login does.
stack_sql "INSERT INTO UserRoles (UserId, RoleId) SELECT u.Id, r.Id FROM Users u, Roles r
    WHERE u.Email = 'editor@example.com' AND r.Name = 'Admin'"
as "$T_EDITOR" DELETE "/api/Products/Delete/$id_editor"
is "$STATUS" 403 "Admin granted after login: the old token still cannot Delete"
api_login editor@example.com Password@123 || bail_out "login failed"
as "$TOKEN" DELETE "/api/Products/Delete/$id_editor"
is "$STATUS" 204 "... a token from a new login can"

done_testing
