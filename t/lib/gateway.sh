# gateway.sh: the apps behind the nginx gateway (SPEC §10) in the tests,
# started in $TAP_TMP and stopped at exit. Sourced after api.sh.
#
#   gateway_echo_start   t/lib/gateway-echo.py on a free loopback port:
#                        GATEWAY_ECHO_PORT, GATEWAY_ECHO_LOG (one line per
#                        request that reached it)
#   gateway_php_start    Debian's php-fpm on $TAP_TMP/php/php.sock with its
#                        own minimal config: GATEWAY_PHP_SOCK
#   gateway_locations    contrib/DEPLOYING.md's gateway lines (static
#                        folder, proxied app, PHP-FPM) with their paths
#                        moved here
#   gateway_stack        all of that, then api_stack; GATEWAY_URL is the
#                        app's server block
#   app METHOD PATH ...  api against GATEWAY_URL

: "${PHP_FPM:=$(command -v php-fpm8.2 || ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)}"

# Wait (10 s at most) until something listens on TCP port $1.
gateway_wait_port() {
	_i=0
	until ss -Htln "sport = :$1" 2>/dev/null | grep -q .; do
		_i=$((_i + 1))
		[ "$_i" -gt 200 ] && return 1
		sleep 0.05
	done
}

gateway_echo_start() {
	# What the app received, Authorization included (nginx hands the
	# token on to the app, as it should): not a log of a server of ours,
	# so not named like one for t/log-secrets.t's scan.
	GATEWAY_ECHO_LOG=$TAP_TMP/echo.requests
	: >"$GATEWAY_ECHO_LOG"
	for _try in 1 2 3 4 5; do
		GATEWAY_ECHO_PORT=$(stack_free_port)
		python3 "$top_srcdir/t/lib/gateway-echo.py" "$GATEWAY_ECHO_PORT" "$GATEWAY_ECHO_LOG" \
		    2>>"$TAP_TMP/echo.err" &
		_echo_pid=$!
		tap_at_exit "kill $_echo_pid 2>/dev/null"
		# A port taken meanwhile: the server exits, try another.
		gateway_wait_port "$GATEWAY_ECHO_PORT" && kill -0 "$_echo_pid" 2>/dev/null && return 0
		kill "$_echo_pid" 2>/dev/null
	done
	return 1
}

gateway_php_start() {
	[ -x "$PHP_FPM" ] || { diag "no php-fpm (Debian package php-fpm)"; return 1; }
	_d=$TAP_TMP/php
	mkdir -p "$_d" || return 1
	GATEWAY_PHP_SOCK=$_d/php.sock
	# As root, php-fpm wants -R and a pool user; otherwise it runs as the
	# invoking user whatever the pool says.
	_root=
	_user=
	if [ "$(id -u)" = 0 ]; then
		_root=-R
		_user="user = root"
	fi
	cat >"$_d/php-fpm.conf" <<PHP
[global]
pid = $_d/php-fpm.pid
error_log = $_d/php-fpm.log
daemonize = no
[app]
$_user
listen = $GATEWAY_PHP_SOCK
listen.mode = 0600
pm = static
pm.max_children = 2
PHP
	"$PHP_FPM" -n $_root -y "$_d/php-fpm.conf" >>"$_d/php-fpm.log" 2>&1 &
	_php_pid=$!
	tap_at_exit "kill $_php_pid 2>/dev/null"
	_i=0
	until [ -S "$GATEWAY_PHP_SOCK" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 200 ] && { sed 's/^/# /' "$_d/php-fpm.log"; return 1; }
		sleep 0.05
	done
}

# The nginx lines of contrib/DEPLOYING.md's gateway section, between its
# "gateway-locations" markers, as written, with the paths of this test.
gateway_locations() {
	sed -n '/<!-- gateway-locations -->/,/<!-- \/gateway-locations -->/p' \
	    "$top_srcdir/contrib/DEPLOYING.md" |
	    sed -e '/^<!--/d' -e 's/^    //' \
	    -e "s|/var/www/app|$TAP_TMP/www|g" \
	    -e "s|127.0.0.1:8080|127.0.0.1:$GATEWAY_ECHO_PORT|g" \
	    -e "s|/run/php/php8.2-fpm.sock|$GATEWAY_PHP_SOCK|g"
}

# app METHOD PATH ...: api against the app's server block (GATEWAY_URL).
app() {
	_saved_url=$STACK_URL
	STACK_URL=$GATEWAY_URL
	api "$@"
	_rc=$?
	STACK_URL=$_saved_url
	return $_rc
}

# The test stack with the echo app and PHP-FPM behind two server blocks:
# the jwtauth one, with /echo/ (the echo app for any valid token, no role,
# any client), and an app's own, GATEWAY_URL, made of DEPLOYING.md's lines
# as written (the gateway included once, a static folder, a proxied app,
# PHP), over TLS with the stack's certificate.
gateway_stack() {
	tap_tmpdir
	gateway_echo_start || bail_out "the echo app did not start"
	gateway_php_start || bail_out "php-fpm did not start"
	mkdir -p "$TAP_TMP/www/docs" "$TAP_TMP/nginx/snippets" || bail_out "mkdir"
	echo "the docs" >"$TAP_TMP/www/docs/index.txt"
	cat >"$TAP_TMP/www/whoami.php" <<'PHP'
<?php
// What PHP received from the gateway: the identity, and every server
// variable naming jwtauth (a client-sent copy would show here).
header('Content-Type: application/json');
$seen = [];
foreach ($_SERVER as $k => $v)
	if (stripos($k, 'JWTAUTH') !== false)
		$seen[$k] = $v;
echo json_encode([
	'Sub' => $_SERVER['HTTP_X_JWTAUTH_SUB'] ?? null,
	'Email' => $_SERVER['HTTP_X_JWTAUTH_EMAIL'] ?? null,
	'Roles' => $_SERVER['HTTP_X_JWTAUTH_ROLES'] ?? null,
	'Client' => $_SERVER['HTTP_X_JWTAUTH_CLIENT'] ?? null,
	'Jwtauth' => $seen,
]);
PHP
	# Debian's PHP snippet, as /etc/nginx/snippets/ holds it, beside ours.
	cp /etc/nginx/snippets/fastcgi-php.conf "$TAP_TMP/nginx/snippets/" &&
	    cp /etc/nginx/fastcgi.conf "$TAP_TMP/nginx/" || bail_out "no Debian nginx snippets"
	_app_port=$(stack_free_port)
	GATEWAY_URL=https://127.0.0.1:$_app_port
	STACK_NGINX_EXTRA="location /echo/ {
	include snippets/jwtauth-protect.conf;
	proxy_pass http://127.0.0.1:$GATEWAY_ECHO_PORT;
}"
	# The types Debian's nginx.conf includes for every server.
	STACK_NGINX_HTTP_EXTRA="server {
	include /etc/nginx/mime.types;
	listen 127.0.0.1:$_app_port ssl;
	ssl_certificate $TAP_TMP/tls/cert.pem;
	ssl_certificate_key $TAP_TMP/tls/key.pem;
$(gateway_locations)
}"
	api_stack
}
