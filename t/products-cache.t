#!/bin/sh
# The Products reads are answered from MariaDB's query cache
# (contrib/mariadb/jwtauth.cnf: query_cache_type = DEMAND; SELECT SQL_CACHE
# in lib/product.c), and a cached answer never outlives a write: after an
# Add, an Update or a Delete committed through one worker, every worker's
# next read shows it. Each read below is made six times, so that both
# workers of the stack serve it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

qc() {      # qc NAME: the server's Qcache_NAME counter
	stack_sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
	    WHERE VARIABLE_NAME = 'QCACHE_$1'"
}
# read6 PATH: the distinct answers of six GETs, one per line ("STATUS BODY").
read6() {
	for _i in 1 2 3 4 5 6; do
		api GET "$1"
		printf '%s %s\n' "$STATUS" "$BODY"
	done | sort -u
}

is "$(stack_sql "SELECT @@query_cache_type, @@query_cache_size")" "DEMAND	4194304" \
    "the stack's MariaDB runs the shipped settings: query cache on demand, 4 MiB"

api_user admin@example.com Password@123 Editor Admin || bail_out "register failed"
api_login admin@example.com Password@123 || bail_out "login failed"
AUTH=$TOKEN

A='200 {"Id":1,"Name":"Product A","Description":"Test Product A","Price":10.00}'
is "$(read6 /api/Products/GetById/1)" "$A" "GetById/1 six times: the seed row each time"
h0=$(qc HITS)
is "$(read6 /api/Products/GetById/1)" "$A" "... and six times more"
h1=$(qc HITS)
[ "$((h1 - h0))" -ge 6 ]
ok $? "those six reads were query-cache hits (Qcache_hits +$((h1 - h0)))"
api GET /api/Products/GetAll
all0=$BODY
h0=$(qc HITS)
api GET /api/Products/GetAll
h1=$(qc HITS)
is "$((h1 - h0))" 1 "GetAll a second time: a query-cache hit"

# Other reads never ask for the cache: logging in and reading the profile
# add nothing to it.
n0=$(qc QUERIES_IN_CACHE)
api_login admin@example.com Password@123 || bail_out "login failed"
AUTH=$TOKEN
api GET /api/Users/GetProfile
is "$STATUS" 200 "GetProfile: 200"
is "$(qc QUERIES_IN_CACHE)" "$n0" "login and profile reads are not cached"

# --- Update through one worker: every worker's next read is the new row.
api PUT /api/Products/Update/1 '{"Name":"Product A2","Description":"Changed","Price":11.50}'
is "$STATUS" 204 "Update/1: 204"
is "$(read6 /api/Products/GetById/1)" '200 {"Id":1,"Name":"Product A2","Description":"Changed","Price":11.50}' \
    "after Update: the new row on every read"
api GET /api/Products/GetAll
case $BODY in
*'{"Id":1,"Name":"Product A2","Description":"Changed","Price":11.50}'*) [ "$BODY" != "$all0" ] ;;
*) false ;;
esac
ok $? "after Update: GetAll shows the new row"

# --- Add: a new id, absent until then, is found at once everywhere.
is "$(read6 /api/Products/GetById/4)" '404 {"message":"Product with ID 4 not found."}' "GetById/4 before Add: 404"
api POST /api/Products/Add '{"Name":"New","Price":1.00}'
is "$STATUS $(json .Id)" "201 4" "Add: 201, Id 4"
is "$(read6 /api/Products/GetById/4)" '200 {"Id":4,"Name":"New","Description":null,"Price":1.00}' \
    "after Add: found on every read"

# --- Delete: gone at once everywhere.
api DELETE /api/Products/Delete/4
is "$STATUS" 204 "Delete/4: 204"
is "$(read6 /api/Products/GetById/4)" '404 {"message":"Product with ID 4 not found."}' "after Delete: 404 on every read"

# --- A write from outside the programs (SQL) invalidates as well.
stack_sql "UPDATE Products SET Price = 12.00 WHERE Id = 1"
is "$(read6 /api/Products/GetById/1)" '200 {"Id":1,"Name":"Product A2","Description":"Changed","Price":12.00}' \
    "after an UPDATE in SQL: the new price on every read"

done_testing
