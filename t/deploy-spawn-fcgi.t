#!/bin/sh
# nginx + spawn-fcgi, as DEPLOYING.md does it on Debian, from a staged
# `make install`: the installed jwtauth-spawn starts the installed programs
# (two workers each under multiwatch, as a dedicated user when run as root)
# on sockets with the web server's owner and mode 0660; the installed nginx
# server block routes to them; a killed worker is replaced; stop stops.
# Paths are moved into the test folder (environment variables of
# jwtauth-spawn, sed on the server block's paths), nothing else.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
tap_tmpdir
: "${MAKE:=make}"

cat >"$TAP_TMP/dirs.mk" <<'EOF'
show-dirs:
	@echo "sbindir='$(sbindir)' libexecdir='$(libexecdir)' pkgdatadir='$(pkgdatadir)'"
EOF
eval "$("$MAKE" -s -C "$top_builddir" -f Makefile -f "$TAP_TMP/dirs.mk" show-dirs)"
D=$TAP_TMP/root
"$MAKE" -C "$top_builddir" install DESTDIR="$D" >"$TAP_TMP/install.log" 2>&1 ||
    { sed 's/^/# /' "$TAP_TMP/install.log"; bail_out "make install failed"; }
CTL=$D$sbindir/jwtauthctl
SHARE=$D$pkgdatadir

tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"

# As root, the programs run as an unprivileged user (DEPLOYING.md makes a
# "jwtauth" user; the test borrows nobody) and the sockets belong to nginx's
# www-data. Otherwise everything runs as the invoking user.
if [ "$(id -u)" = 0 ]; then
	prog_user=nobody prog_group=nogroup sock_user=www-data
else
	prog_user=$(id -un) prog_group=$(id -gn) sock_user=$(id -un)
fi
PORT=$(stack_free_port)

# The configuration and master key, as in DEPLOYING.md (under $TAP_TMP/etc).
E=$TAP_TMP/etc
mkdir -p "$E"
install -d -m 0750 -g "$prog_group" "$E/jwtauth"
{
	cat "$JWTAUTH_CONFIG"
	echo "issuer = https://127.0.0.1:$PORT"
	echo "master_key_file = $E/jwtauth/master.key"
} >"$E/jwtauth.conf"
chgrp "$prog_group" "$E/jwtauth.conf" && chmod 0640 "$E/jwtauth.conf"
export JWTAUTH_CONFIG="$E/jwtauth.conf"

# Schema changes with an administrator's account (here MariaDB's root).
sed -e '/^db_user/d' -e '/^db_password/d' "$E/jwtauth.conf" >"$E/jwtauth/admin.conf"
sed -n 's/^password=/db_password = /p' "$STACK_DIR/mariadb/root.cnf" >>"$E/jwtauth/admin.conf"
echo "db_user = root" >>"$E/jwtauth/admin.conf"
chmod 0600 "$E/jwtauth/admin.conf"
# (--dir: the staged install is not where jwtauthctl was built to look.)
"$CTL" -c "$E/jwtauth/admin.conf" migrate --dir "$SHARE/sql/migrations" >"$TAP_TMP/migrate.out" 2>&1
rc=$?
ok $rc "jwtauthctl -c admin.conf migrate (installed migrations)"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$TAP_TMP/migrate.out"
"$CTL" init >/dev/null 2>&1
ok $? "jwtauthctl init"
chown "$prog_user" "$E/jwtauth/master.key"
[ "$(id -u)" = 0 ] && chmod 711 "$TAP_TMP" "$TAP_TMP/run"

# jwtauth-spawn, with the folders moved into the test folder.
export JWTAUTH_DEFAULTS=/dev/null JWTAUTH_LIBEXECDIR="$D$libexecdir/jwtauth" \
    JWTAUTH_RUNDIR="$TAP_TMP/run/jwtauth" JWTAUTH_LOGDIR="$TAP_TMP/log/jwtauth" \
    JWTAUTH_USER=$prog_user JWTAUTH_GROUP=$prog_group \
    JWTAUTH_SOCKET_USER=$sock_user JWTAUTH_SOCKET_GROUP=$(id -gn "$sock_user")
SPAWN=$SHARE/spawn-fcgi/jwtauth-spawn
tap_at_exit '"$SPAWN" stop >/dev/null 2>&1'
"$SPAWN" start >"$TAP_TMP/spawn.out" 2>&1
ok $? "jwtauth-spawn start" || sed 's/^/# /' "$TAP_TMP/spawn.out"
R=$JWTAUTH_RUNDIR
bad=
for p in login refresh-token users products jwks; do
	[ "$(stat -c '%U %a' "$R/$p.sock" 2>/dev/null)" = "$sock_user 660" ] || bad="$bad $p"
done
is "$bad" "" "five sockets, owned by $sock_user, mode 0660"
workers() {   # the worker processes (multiwatch's children) of program $1, "user pid" lines
	pgrep -P "$(cat "$R/$1.pid")" | while read -r _pid; do ps -o user=,pid= -p "$_pid"; done
}
is "$(workers login | wc -l | tr -d ' ')" 2 "login: two workers"
is "$(workers jwks | awk '{ print $1 }' | sort -u)" "$prog_user" "the workers run as $prog_user"
"$SPAWN" status >/dev/null
ok $? "jwtauth-spawn status: running"

# nginx with the installed server block; only its paths and listen moved.
N=$TAP_TMP/nginx
mkdir -p "$N/tmp"
STACK_DIR=$TAP_TMP
stack_tls_cert || bail_out "no TLS certificate"
sed -e "s|/run/jwtauth/|$R/|g" -e "s|/etc/jwtauth/tls/|$TAP_TMP/tls/|g" \
    -e "s|listen 443 ssl|listen 127.0.0.1:$PORT ssl|" -e '/listen \[::\]:443/d' \
    "$SHARE/nginx/jwtauth.conf" >"$N/jwtauth.conf"
# The gateway's snippets, where the server block includes them (beside
# nginx.conf, as in /etc/nginx/snippets/).
mkdir -p "$N/snippets"
for f in jwtauth-gateway.conf jwtauth-protect.conf; do
	sed "s|/run/jwtauth/|$R/|g" "$SHARE/nginx/$f" >"$N/snippets/$f"
done
nuser=
[ "$(id -u)" = 0 ] && nuser="user www-data;"
cat >"$N/nginx.conf" <<EOF
$nuser
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 64; }
http {
	access_log $N/access.log;
	client_body_temp_path $N/tmp/body;
	fastcgi_temp_path $N/tmp/fastcgi;
	proxy_temp_path $N/tmp/proxy;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	include $N/jwtauth.conf;
}
EOF
"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" 2>>"$N/error.log" ||
    { sed 's/^/# /' "$N/error.log"; bail_out "nginx did not start"; }
tap_at_exit 'kill -QUIT "$(cat "$N/nginx.pid")" 2>/dev/null'
STACK_URL=https://127.0.0.1:$PORT
STACK_CACERT=$TAP_TMP/tls/cert.pem
API_HEADERS=$TAP_TMP/headers
API_BODY=$TAP_TMP/body

api GET /health
is "$STATUS $BODY" '200 {"status":"ok"}' "GET /health through nginx: 200 ok"
api GET /api/Products/GetAll
is "$STATUS $(json length)" "200 3" "GetAll: the three products"
api_user grace@example.com Password@123 Editor
api_login grace@example.com Password@123
is "$STATUS" 200 "Register and Login: 200"
AUTH=$TOKEN api PUT /api/Products/Update/1 '{"Name":"Product A2","Price":11}'
is "$STATUS" 204 "Update with role Editor: 204"
AUTH=$TOKEN api GET /api/Products/GetById/1
is "$(json '.Name + " " + (.Price | tostring)')" "Product A2 11" "GetById sees it"

# multiwatch replaces a worker that dies.
victim=$(workers login | awk 'NR == 1 { print $2 }')
kill -9 "$victim"
i=0
while [ "$(workers login | wc -l | tr -d ' ')" -lt 2 ] || workers login | grep -q " $victim\$"; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && break
	sleep 0.1
done
is "$(workers login | grep -vc " $victim\$")" 2 "a killed login worker is replaced"
api_login grace@example.com Password@123
is "$STATUS" 200 "... and login still answers"
grep -q "^jwtauth\[.*\] info login" "$JWTAUTH_LOGDIR/login.log"
ok $? "the programs' log lines reach $JWTAUTH_LOGDIR/login.log"

t0=$(date +%s)
"$SPAWN" stop >/dev/null 2>&1
ok $? "jwtauth-spawn stop"
diag "stop took $(($(date +%s) - t0)) s"
left=$(ls "$R" 2>/dev/null | tr '\n' ' ')
is "$left" "" "... removes the sockets and pid files"
"$SPAWN" status >/dev/null
is "$?" 3 "jwtauth-spawn status after stop: 3"
api GET /health
# (nginx turns the 502 of a dead upstream into the JSON 503 of SPEC §2.)
is "$STATUS $BODY" '503 {"message":"Service temporarily unavailable."}' \
    "programs stopped: nginx answers 503 JSON"

done_testing
