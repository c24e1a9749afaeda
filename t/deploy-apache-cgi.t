#!/bin/sh
# Shared hosting: a real Apache (Debian's apache2, its own ServerRoot here,
# loopback) runs the programs as plain CGI through contrib/apache/htaccess,
# laid out as DEPLOYING.md says (programs in public_html/jwtauth/, the
# config and master key outside the web root), with only what the
# .htaccess asks of the host: AllowOverride FileInfo AuthConfig
# Options=ExecCGI, mod_rewrite (with SymLinksIfOwnerMatch or FollowSymLinks,
# which it needs in .htaccess), mod_env, mod_cgi. Register, login,
# GetProfile, refresh, products, JWKS, health and logout go through it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${APACHE_MODULES:=/usr/lib/apache2/modules}"
[ -x "$APACHE2" ] || bail_out "apache2 not found: apt-get install apache2-bin"
tap_tmpdir
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

# The host's database gets every SQL file through the mariadb client, as
# DEPLOYING.md pipes them (schema.sql and seed.sql again: they are re-runnable).
cat "$top_srcdir/sql/schema.sql" "$top_srcdir/sql/seed.sql" "$top_srcdir"/sql/migrations/*.sql |
    stack_sql_file >/dev/null
ok $? "schema, seed and migrations piped through the mariadb client"
last=$(ls "$top_srcdir/sql/migrations" | sed -n 's/^\([0-9][0-9][0-9]\)-.*\.sql$/\1/p' | sort | tail -n 1)
is "$(stack_sql "SELECT MAX(Version) FROM SchemaMigrations")" "$(expr "$last" + 0)" \
    "... the database is at the last migration's version"

# The hosting account: ~/jwtauth (private) and ~/public_html (served).
H=$TAP_TMP/home
mkdir -p "$H/jwtauth" "$H/public_html/jwtauth"
chmod 700 "$H/jwtauth"
for p in login refresh-token users products jwks; do
	cp "$top_builddir/cgi-bin/$p" "$H/public_html/jwtauth/$p" || bail_out "cgi-bin/$p not built"
done
sed "s|^SetEnv JWTAUTH_CONFIG .*|SetEnv JWTAUTH_CONFIG $H/jwtauth/jwtauth.conf|" \
    "$top_srcdir/contrib/apache/htaccess" >"$H/public_html/.htaccess"
is "$(diff "$top_srcdir/contrib/apache/htaccess" "$H/public_html/.htaccess" | grep -c '^>')" 1 \
    ".htaccess: only the SetEnv JWTAUTH_CONFIG line edited"

A=$TAP_TMP/apache
mkdir -p "$A"
PORT=$(stack_free_port)
( umask 077; cp "$JWTAUTH_CONFIG" "$H/jwtauth/jwtauth.conf" &&
  printf 'issuer = http://127.0.0.1:%s\nmaster_key_file = %s\n' "$PORT" "$H/jwtauth/master.key" \
    >>"$H/jwtauth/jwtauth.conf" )
JWTAUTH_CONFIG=$H/jwtauth/jwtauth.conf "$top_builddir/jwtauthctl" init >/dev/null ||
    bail_out "jwtauthctl init failed"

# As root, Apache runs its children (and so the CGI programs) as www-data,
# as a host runs them as the account: give that user the account's files
# and a way through the test folder to them and to MariaDB's socket.
run_as=
if [ "$(id -u)" = 0 ]; then
	run_as="User www-data
Group www-data"
	chown -R www-data:www-data "$H"
	chmod 711 "$TAP_TMP" "$TAP_TMP/run"
fi

cat >"$A/httpd.conf" <<EOF
ServerRoot "$A"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$A/httpd.pid"
DefaultRuntimeDir "$A"
Mutex file:$A default
ErrorLog "$A/error.log"
LogLevel warn
LogFormat "%h \"%r\" %>s %b" short
CustomLog "$A/access.log" short
$run_as
LoadModule mpm_prefork_module $APACHE_MODULES/mod_mpm_prefork.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule rewrite_module $APACHE_MODULES/mod_rewrite.so
LoadModule env_module $APACHE_MODULES/mod_env.so
LoadModule cgi_module $APACHE_MODULES/mod_cgi.so
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 8
DocumentRoot "$H/public_html"
<Directory />
	AllowOverride None
	Options None
	Require all denied
</Directory>
<Directory "$H/public_html">
	AllowOverride FileInfo AuthConfig Options=ExecCGI
	# What hosts enable, and mod_rewrite needs in .htaccess.
	Options SymLinksIfOwnerMatch
	Require all granted
</Directory>
EOF
"$APACHE2" -f "$A/httpd.conf" -k start >"$A/start.log" 2>&1 ||
    { sed 's/^/# /' "$A/start.log" "$A/error.log"; bail_out "apache2 did not start"; }
tap_at_exit '[ -f "$A/httpd.pid" ] && kill "$(cat "$A/httpd.pid")" 2>/dev/null'

STACK_URL=http://127.0.0.1:$PORT
STACK_CACERT=/dev/null   # plain HTTP here: the host terminates TLS
API_HEADERS=$TAP_TMP/headers
API_BODY=$TAP_TMP/body
i=0
until stack_curl -o /dev/null "$STACK_URL/health" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { sed 's/^/# /' "$A/error.log"; bail_out "apache2 does not answer"; }
	sleep 0.1
done

api GET /health
is "$STATUS $BODY" '200 {"status":"ok"}' "GET /health: 200 ok"

api GET /api/Products/GetAll
is "$STATUS" 200 "GetAll: 200"
is "$(header Content-Type)" "application/json; charset=utf-8" "GetAll: Content-Type from the program"
is "$(json '[.[] | .Name] | join(",")')" "Product A,Product B,Product C" "GetAll: the seed products"

api POST /api/Users/Register '{"Firstname":"Ada","Lastname":"Lovelace","Email":"ada@example.com","Password":"Password@123"}'
is "$STATUS $BODY" '201 {"message":"User registered successfully."}' "Register: 201"

api_login ada@example.com Password@123
is "$STATUS" 200 "Login: 200"
is "$(header Cache-Control)" "no-store" "Login: Cache-Control no-store"
[ -n "$TOKEN" ] && [ -n "$REFRESH" ]
ok $? "Login: a token and a refresh token"

AUTH=$TOKEN api GET /api/Users/GetProfile
is "$STATUS" 200 "GetProfile with the bearer token: 200 (CGIPassAuth passes Authorization)"
is "$(json '.Email + " " + (.Roles | join(","))')" "ada@example.com User" "GetProfile: the user"

old=$REFRESH
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS" 200 "RefreshToken: 200"
TOKEN=$(json .Token)
REFRESH=$(json .RefreshToken)
[ -n "$REFRESH" ] && [ "$REFRESH" != "$old" ]
ok $? "RefreshToken: a new refresh token"
api POST /api/Auth/RefreshToken "{\"RefreshToken\":\"$old\",\"ClientId\":\"Client1\"}"
is "$STATUS $BODY" '401 {"message":"Refresh token has been revoked."}' "the old refresh token is revoked"
api_login ada@example.com Password@123

AUTH=$TOKEN api GET /api/Products/GetById/2
is "$STATUS $(json .Name)" "200 Product B" "GetById/2 with the token: 200"
AUTH=$TOKEN api GET /api/products/getbyid/3/
is "$STATUS $(json .Name)" "200 Product C" "paths match case-insensitively, trailing slash"
api GET /api/Products/GetById/2
is "$STATUS" 401 "GetById without a token: 401"
is "$(header WWW-Authenticate)" "Bearer" "... WWW-Authenticate: Bearer"
AUTH=$TOKEN api GET /api/Products/GetById/99
is "$STATUS $BODY" '404 {"message":"Product with ID 99 not found."}' "GetById/99: 404 from the program"
AUTH=$TOKEN api POST /api/Products/Add '{"Name":"Widget","Price":1.5}'
is "$STATUS $(header Location)" "201 /api/Products/GetById/4" "Add with role User: 201 and Location"

api GET /.well-known/jwks.json
is "$STATUS $(header Cache-Control)" "200 public, max-age=300" "JWKS: 200, cacheable"
kid=$(printf '%s' "$TOKEN" | cut -d. -f1 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid)
is "$(json "[.keys[] | select(.kid == \"$kid\")] | length")" 1 "JWKS: the token's kid is published"

AUTH=$TOKEN api POST /api/Auth/Logout "{\"RefreshToken\":\"$REFRESH\",\"ClientId\":\"Client1\"}"
is "$STATUS $BODY" '200 {"Message":"Logout successful. Refresh token has been revoked."}' "Logout: 200"

api GET /api/Auth/Login
is "$STATUS $(header Allow)" "405 POST" "GET on Login: 405 from the program"
api GET /nowhere
is "$STATUS" 404 "a path jwtauth does not serve: 404"

# The .htaccess line that passes Authorization matters.
sed -i 's/^CGIPassAuth On$/# CGIPassAuth On/' "$H/public_html/.htaccess"
api_login ada@example.com Password@123
AUTH=$TOKEN api GET /api/Users/GetProfile
is "$STATUS" 401 "without CGIPassAuth On, Apache withholds the token: 401"
sed -i 's/^# CGIPassAuth On$/CGIPassAuth On/' "$H/public_html/.htaccess"
AUTH=$TOKEN api GET /api/Users/GetProfile
is "$STATUS" 200 "with it back: 200"

# A broken config: every request answers 500 JSON and the reason reaches
# Apache's error log (the program's stderr).
cp "$H/jwtauth/jwtauth.conf" "$TAP_TMP/good.conf"
echo "db_prot = 1" >>"$H/jwtauth/jwtauth.conf"
api GET /api/Products/GetAll
is "$STATUS $BODY" '500 {"message":"Internal server error."}' "broken config: 500 JSON"
grep -q "jwtauth.conf:.*db_prot" "$A/error.log"
ok $? "broken config: the file, line and key are in Apache's error log"
cp "$TAP_TMP/good.conf" "$H/jwtauth/jwtauth.conf"

# The database down: 503 JSON.
stack_mariadb_stop "$TAP_TMP"
api GET /api/Products/GetAll
is "$STATUS $BODY" '503 {"message":"Service temporarily unavailable."}' "database down: 503 JSON"
api GET /health
is "$STATUS $BODY" '503 {"status":"unavailable"}' "database down: /health 503"

done_testing
