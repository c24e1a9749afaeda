#!/bin/sh
# DEPLOYING.md section 3, shared hosting, as written, under a real Apache
# (Debian's apache2, its own ServerRoot here, loopback) and suexec
# (Debian's apache2-suexec-custom), with an ordinary account as a shared
# host sets it up: a user of its own, home folder 0711 under suexec's
# document root, ~/public_html served by a VirtualHost with
# SuexecUserGroup, only what the .htaccess asks of the host (AllowOverride
# FileInfo AuthConfig Options=ExecCGI, mod_rewrite with
# SymLinksIfOwnerMatch, mod_cgi), a database account over TCP. The block
# marked deploy-shared-build runs as root in the sources as `make dist`
# ships them; its jwtauth-cgi.tar.gz is copied to the account; the
# account's block runs in its shell, as it; then "Trying it"'s register,
# login, refresh and GetById. Placeholders (DEPLOYING.md): DBHOST, DBPORT,
# DBNAME, DBUSER, DBPASSWORD, and https://auth.example.com as this
# Apache's http://127.0.0.1:PORT. suexec drops the .htaccess's SetEnv: the
# programs find ~/jwtauth/jwtauth.conf from the account's home
# (jwtauth.conf(5)). Then profile, products, JWKS, health, logout,
# CGIPassAuth, the config refused when others may change it, a broken
# config and the database down.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
. "$top_srcdir/t/lib/docblocks.sh"
. "$top_srcdir/t/lib/deploy.sh"
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
DOC=$top_srcdir/contrib/DEPLOYING.md

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
as_user() {   # as_user COMMAND...: in the account's shell, in its home, as its owner types
	( cd "$H" && runuser -u "$U" -- env -i HOME="$H" USER="$U" LOGNAME="$U" SHELL=/bin/sh \
	    PATH=/usr/local/bin:/usr/bin:/bin "$@" )
}
as_user mkdir -m 0755 public_html || bail_out "cannot make ~/public_html"

# The host's database, reached over TCP as hosts offer it: an empty
# database and an account of its own for this hosting account.
STACK_DB_PORT=$(stack_free_port)
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"
chmod 0711 "$TAP_TMP"   # (the account reads its blocks from here)
DBNAME=${U}_auth
DBPW=$(stack_random_hex 16)
stack_sql "CREATE DATABASE $DBNAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER '$U'@'127.0.0.1' IDENTIFIED BY '$DBPW';
    GRANT ALL ON $DBNAME.* TO '$U'@'127.0.0.1'" || bail_out "cannot create the database account"

# The host's Apache, with suexec.
A=$TAP_TMP/apache
mkdir -p "$A"
PORT=$(stack_free_port)
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

# The build, as root in the sources; its tarball copied to the account.
deploy_sources "$TAP_TMP/src"
cd "$TAP_TMP/src" || bail_out "no sources"
docblocks_run "$DOC" deploy-shared-build
cd "$TAP_TMP" || bail_out "no $TAP_TMP"
as_user sh -c 'cat >jwtauth-cgi.tar.gz' <"$TAP_TMP/src/jwtauth-cgi.tar.gz" ||
    bail_out "cannot copy jwtauth-cgi.tar.gz to the account"

# The account's block, in its shell, with the placeholders filled in.
URL=http://127.0.0.1:$PORT
subst="s|DBHOST|127.0.0.1|g; s|DBPORT|$STACK_DB_PORT|g; s|DBNAME|$DBNAME|g; s|DBUSER|$U|g"
subst="$subst; s|DBPASSWORD|$DBPW|g; s|https://auth\.example\.com|$URL|g"
DOCBLOCKS_AS=as_user docblocks_run "$DOC" deploy-shared 1 1 -- "$subst"
last=$(ls "$top_srcdir/sql/migrations" | sed -n 's/^\([0-9][0-9][0-9]\)-.*\.sql$/\1/p' | sort | tail -n 1)
is "$(stack_sql "SELECT MAX(Version) FROM $DBNAME.SchemaMigrations")" "$(expr "$last" + 0)" \
    "the account's database is at the last migration's version"
is "$(stat -c '%U %a' "$H/jwtauth/master.key")" "$U 600" \
    "jwtauthctl init, as the account, found ~/jwtauth/jwtauth.conf with no JWTAUTH_CONFIG"
is "$(tail -n 1 "$DOCBLOCKS_OUT")" '{"status":"ok"}' "the block's last line: /health answers ok"
# Section 5, from anywhere.
docblocks_run "$DOC" deploy-shared 2 2 -- "$subst"
deploy_tried "$DOCBLOCKS_OUT"

STACK_URL=$URL
STACK_CACERT=/dev/null   # plain HTTP here: the host terminates TLS
API_HEADERS=$TAP_TMP/headers
API_BODY=$TAP_TMP/body

api GET /health
is "$STATUS $BODY" '200 {"status":"ok"}' "GET /health: 200 ok"

api GET /api/Products/GetAll
is "$STATUS" 200 "GetAll: 200"
is "$(header Content-Type)" "application/json; charset=utf-8" "GetAll: Content-Type from the program"
is "$(json '[.[] | .Name] | join(",")')" "Product A,Product B,Product C" "GetAll: the seed products"

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

# The OAuth 2.0 surface (SPEC §9) through the same .htaccess: a password
# grant, a refresh, introspections with Basic client credentials (which
# CGIPassAuth lets through), the metadata.
as_user jwtauth-cgi/jwtauthctl client add Svc Service https://svc.example --confidential \
    >"$TAP_TMP/client.out" 2>&1
svc=$(sed -n 's/^client secret of Svc (shown once, keep it safe): //p' "$TAP_TMP/client.out")
[ -n "$svc" ]
ok $? "jwtauthctl client add --confidential, as the account"
oauth /oauth2/token 'grant_type=password&username=ada%40example.com&password=Password%40123' "Svc:$svc"
is "$STATUS $(header Cache-Control)" "200 no-store" "oauth2 password grant with Basic credentials: 200"
at=$(json .access_token)
rt=$(json .refresh_token)
oauth /oauth2/token "grant_type=refresh_token&refresh_token=$rt&client_id=Svc&client_secret=$svc"
is "$STATUS" 200 "oauth2 refresh grant: 200"
rt2=$(json .refresh_token)
[ -n "$rt2" ] && [ "$rt2" != "$rt" ]
ok $? "  a new refresh token"
oauth /oauth2/introspect "token=$rt2" "Svc:$svc"
is "$STATUS $(json '[.active, .client_id, .username] | map(tostring) | join(" ")')" \
    "200 true Svc ada@example.com" "oauth2 introspection of the new refresh token: live"
oauth /oauth2/introspect "token=$at" "Svc:$svc"
is "$STATUS $(json '.active')" "200 true" "oauth2 introspection of the access token: live"
oauth /oauth2/introspect "token=$rt" "Svc:$svc"
is "$STATUS $BODY" '200 {"active":false}' "oauth2 introspection of the rotated-away token: not live"
oauth /oauth2/introspect "token=$rt2" "Svc:wrong"
is "$STATUS $(oauth_error) $(header WWW-Authenticate | cut -c1-5)" "401 invalid_client Basic" \
    "oauth2 introspection with a wrong secret: 401 invalid_client"
api GET /.well-known/oauth-authorization-server
is "$STATUS $(json .token_endpoint)" "200 $STACK_URL/oauth2/token" "oauth2 metadata: 200, built from the issuer"

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
