#!/bin/sh
# Shared hosting: a real Apache (Debian's apache2, its own ServerRoot here,
# loopback) runs the programs as plain CGI through contrib/apache/htaccess
# under suexec (Debian's apache2-suexec-custom), as an ordinary account a
# shared host would set up: a user of its own, home folder 0711 under
# suexec's document root, the programs in ~/public_html/jwtauth/ owned by
# it, the configuration and master key in ~/jwtauth/ (0700). suexec drops
# the .htaccess's SetEnv, so the programs find ~/jwtauth/jwtauth.conf from
# the account's home (jwtauth.conf(5)). Only what the .htaccess asks of the
# host: AllowOverride FileInfo AuthConfig Options=ExecCGI, mod_rewrite (with
# SymLinksIfOwnerMatch, which it needs in .htaccess), mod_env, mod_cgi.
# Register, login, GetProfile, refresh, products, JWKS, health and logout go
# through it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${APACHE_MODULES:=/usr/lib/apache2/modules}"
: "${SUEXEC:=/usr/lib/apache2/suexec}"
: "${SUEXEC_CONF:=/etc/apache2/suexec/www-data}"
[ -x "$APACHE2" ] || bail_out "apache2 not found: apt-get install apache2-bin"
[ -u "$(readlink -f "$SUEXEC")" ] && [ -r "$SUEXEC_CONF" ] ||
    bail_out "no setuid suexec: apt-get install apache2-suexec-custom"
# (suexec logs to the folder Debian's apache2 package makes, or refuses to run.)
[ -d /var/log/apache2 ] || bail_out "no /var/log/apache2 for suexec's log: apt-get install apache2"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP suexec and a new user account need root"; exit 0; }
tap_tmpdir

# suexec-custom runs a VirtualHost's programs only below its document root
# (the first line of its configuration): the account's home goes there, as
# a host lays out its accounts (/var/www/vhosts/..., /home/...).
SUEXEC_ROOT=$(sed -n '1{s/^[[:space:]]*//;s/[[:space:]]*$//;p;}' "$SUEXEC_CONF")
case $SUEXEC_ROOT in /*) ;; *) bail_out "suexec's document root is disabled in $SUEXEC_CONF" ;; esac
U=jwt$(stack_random_hex 4)
useradd -m -b "$SUEXEC_ROOT" -s /bin/sh -K UMASK=022 "$U" >"$TAP_TMP/useradd.log" 2>&1 ||
    { sed 's/^/# /' "$TAP_TMP/useradd.log"; bail_out "useradd $U failed"; }
tap_at_exit 'userdel -r "$U" >/dev/null 2>&1'
H=$(getent passwd "$U" | cut -d: -f6)
chmod 0711 "$H"
as_user() {   # as_user COMMAND...: in the account's shell, as its owner would type it
	( cd "$H" && runuser -u "$U" -- env -i HOME="$H" USER="$U" LOGNAME="$U" SHELL=/bin/sh \
	    PATH=/usr/local/bin:/usr/bin:/bin "$@" )
}

# The host's database, reached over TCP as hosts offer it, with an account
# of its own for this hosting account.
STACK_DB_PORT=$(stack_free_port)
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"
DBPW=$(stack_random_hex 16)
stack_sql "CREATE USER '$U'@'127.0.0.1' IDENTIFIED BY '$DBPW';
    GRANT ALL ON jwtauth.* TO '$U'@'127.0.0.1'" || bail_out "cannot create the database account"

# The host's database gets every SQL file through the mariadb client, as
# DEPLOYING.md pipes them (schema.sql and seed.sql again: they are re-runnable).
cat "$top_srcdir/sql/schema.sql" "$top_srcdir/sql/seed.sql" "$top_srcdir"/sql/migrations/*.sql |
    stack_sql_file >/dev/null
ok $? "schema, seed and migrations piped through the mariadb client"
last=$(ls "$top_srcdir/sql/migrations" | sed -n 's/^\([0-9][0-9][0-9]\)-.*\.sql$/\1/p' | sort | tail -n 1)
is "$(stack_sql "SELECT MAX(Version) FROM SchemaMigrations")" "$(expr "$last" + 0)" \
    "... the database is at the last migration's version"

# The hosting account: ~/jwtauth (private) and ~/public_html (served),
# made by the account itself.
chmod 0711 "$TAP_TMP"
as_user mkdir -p jwtauth public_html/jwtauth && as_user chmod 700 jwtauth ||
    bail_out "cannot make the account's folders"
for p in login refresh-token users products jwks; do
	as_user sh -c "cat >public_html/jwtauth/$p && chmod 755 public_html/jwtauth/$p" \
	    <"$top_builddir/cgi-bin/$p" || bail_out "cgi-bin/$p not built"
done
as_user sh -c 'cat >jwtauthctl && chmod 755 jwtauthctl' <"$top_builddir/jwtauthctl" ||
    bail_out "jwtauthctl not built"
as_user sh -c 'cat >public_html/.htaccess' <"$top_srcdir/contrib/apache/htaccess"

A=$TAP_TMP/apache
mkdir -p "$A"
PORT=$(stack_free_port)
as_user sh -c "umask 077; cat >jwtauth/jwtauth.conf" <<EOF
db_host = 127.0.0.1
db_port = $STACK_DB_PORT
db_name = jwtauth
db_user = $U
db_password = $DBPW
issuer = http://127.0.0.1:$PORT
master_key_file = $H/jwtauth/master.key
EOF
as_user ./jwtauthctl init >"$TAP_TMP/init.out" 2>&1 ||
    { sed 's/^/# /' "$TAP_TMP/init.out"; bail_out "jwtauthctl init failed"; }
is "$(stat -c '%U %a' "$H/jwtauth/master.key")" "$U 600" \
    "jwtauthctl init, as the account, found ~/jwtauth/jwtauth.conf with no JWTAUTH_CONFIG"

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
User www-data
Group www-data
LoadModule mpm_prefork_module $APACHE_MODULES/mod_mpm_prefork.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule rewrite_module $APACHE_MODULES/mod_rewrite.so
LoadModule env_module $APACHE_MODULES/mod_env.so
LoadModule cgi_module $APACHE_MODULES/mod_cgi.so
LoadModule suexec_module $APACHE_MODULES/mod_suexec.so
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 8
<Directory />
	AllowOverride None
	Options None
	Require all denied
</Directory>
<VirtualHost 127.0.0.1:$PORT>
	DocumentRoot "$H/public_html"
	SuexecUserGroup $U $(id -gn "$U")
	<Directory "$H/public_html">
		AllowOverride FileInfo AuthConfig Options=ExecCGI
		# What hosts enable, and mod_rewrite needs in .htaccess.
		Options SymLinksIfOwnerMatch
		Require all granted
	</Directory>
</VirtualHost>
EOF
"$APACHE2" -f "$A/httpd.conf" -k start >"$A/start.log" 2>&1 ||
    { sed 's/^/# /' "$A/start.log" "$A/error.log"; bail_out "apache2 did not start"; }
tap_at_exit '[ -f "$A/httpd.pid" ] && kill "$(cat "$A/httpd.pid")" 2>/dev/null'
grep -q "suEXEC mechanism enabled" "$A/error.log"
ok $? "Apache runs CGI through suexec"

STACK_URL=http://127.0.0.1:$PORT
STACK_CACERT=/dev/null   # plain HTTP here: the host terminates TLS
API_HEADERS=$TAP_TMP/headers
API_BODY=$TAP_TMP/body
i=0
until stack_curl -o /dev/null "$STACK_URL/health" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { sed 's/^/# /' "$A/error.log"; tail -n 5 /var/log/apache2/suexec.log | sed 's/^/# /'
	    bail_out "apache2 does not answer"; }
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

# Under suexec the programs run as the account, and the .htaccess's SetEnv
# never reaches them (suexec passes only its list of safe variables).
grep -q "uid: ([0-9]*/$U) gid: ([0-9]*/$(id -gn "$U")) cmd: jwks" /var/log/apache2/suexec.log
ok $? "suexec ran jwks as $U"
printf 'SetEnv JWTAUTH_CONFIG %s/nowhere.conf\n' "$H" >>"$H/public_html/.htaccess"
api GET /health
is "$STATUS $BODY" '200 {"status":"ok"}' "a SetEnv JWTAUTH_CONFIG in .htaccess is dropped by suexec"

# The account's configuration is refused unless only the account can change it.
chmod g+w "$H/jwtauth/jwtauth.conf"
api GET /api/Products/GetAll
is "$STATUS" 500 "~/jwtauth/jwtauth.conf writable by the group: refused, 500"
grep -q "jwtauth.conf: refused: writable by group or others" "$A/error.log"
ok $? "... and Apache's error log says why"
chmod g-w "$H/jwtauth/jwtauth.conf"
chown root "$H/jwtauth/jwtauth.conf" && chmod 0644 "$H/jwtauth/jwtauth.conf"
api GET /api/Products/GetAll
is "$STATUS" 500 "~/jwtauth/jwtauth.conf owned by another user: refused, 500"
grep -q "jwtauth.conf: refused: owned by uid 0, not by uid $(id -u "$U")" "$A/error.log"
ok $? "... and Apache's error log says why"
chown "$U" "$H/jwtauth/jwtauth.conf" && chmod 0600 "$H/jwtauth/jwtauth.conf"
api GET /api/Products/GetAll
is "$STATUS" 200 "owned by the account again: 200"

# The database down: 503 JSON.
stack_mariadb_stop "$TAP_TMP"
api GET /api/Products/GetAll
is "$STATUS $BODY" '503 {"message":"Service temporarily unavailable."}' "database down: 503 JSON"
api GET /health
is "$STATUS $BODY" '503 {"status":"unavailable"}' "database down: /health 503"

done_testing
