# stack.sh: start and stop a private jwtauth stack in one directory.
#
# Sourced (POSIX sh) by the tests, each with its own temporary directory,
# and by ./quickstart with ./var, so that what the tests run is what a user
# runs. Nothing here touches the system's MariaDB or nginx: every server
# gets its own data directory, sockets, logs and pid files under DIR.
#
#   stack_mariadb_start DIR   private mariadbd, database jwtauth with
#                             sql/schema.sql and sql/seed.sql applied, a
#                             jwtauth user, and DIR/jwtauth.conf
#   stack_mariadb_stop DIR
#   stack_sql "SQL"           run SQL as the database's root on jwtauth
#
# Variables read: top_srcdir (default: this file's repository),
# STACK_DB_PORT (listen on 127.0.0.1:PORT too; default socket only),
# STACK_CONF_EXTRA (lines appended to jwtauth.conf), STACK_DB_PORT_VAR and
# STACK_HTTPS_PORT_VAR (the variable a "port taken" message tells to set).
#
# Every start is also a repair: a server or worker pool found dead (a
# zombie counts as dead), or whose orphans still hold its socket or port,
# is started again; one that runs is left alone.
# Variables set: STACK_DIR, STACK_DB_SOCKET, JWTAUTH_CONFIG (exported).

: "${top_srcdir:=$(cd "$(dirname "${STACK_SH:-$0}")/../.." 2>/dev/null && pwd)}"
: "${MARIADBD:=$(command -v mariadbd || echo /usr/sbin/mariadbd)}"
: "${MARIADB_INSTALL_DB:=$(command -v mariadb-install-db || echo /usr/bin/mariadb-install-db)}"
: "${MARIADB_CLIENT:=$(command -v mariadb || echo /usr/bin/mariadb)}"

stack_die() {
	echo "stack.sh: $*" >&2
	return 1
}

# ---- issue 15: is it running? ------------------------------------------------
# A SIGKILLed server stays a zombie for up to ~2 s here (PID 1 reaps orphans
# slowly) and kill -0 succeeds on a zombie (STYLE): a process counts as
# running when /proc/PID/status is there and not Z (or X), and, when NAME
# is given, its name is NAME (a PID reused by another program is not ours).
stack_alive() {
	[ -n "$1" ] || return 1
	_st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null || :)
	case $_st in ''|Z|X) return 1 ;; esac
	[ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# stack_comm PATH: the name a process started from PATH runs under (comm).
stack_comm() {
	basename "$1" | cut -c1-15
}

# stack_pidfile_alive FILE NAME: FILE holds the PID of a running NAME.
stack_pidfile_alive() {
	[ -f "$1" ] && stack_alive "$(cat "$1" 2>/dev/null)" "$2"
}

# stack_orphans FILE: the running processes whose stderr is FILE. The
# workers of a SIGKILLed multiwatch, and the workers of a SIGKILLed nginx
# master, live on as orphans that still hold their socket or port; their
# stderr (a log file in the stack's folder) says they are ours.
stack_orphans() {
	for _fd in $(find /proc/[0-9]*/fd/2 -maxdepth 0 -lname "$1" 2>/dev/null); do
		_p=${_fd#/proc/}
		_p=${_p%%/*}
		if stack_alive "$_p"; then echo "$_p"; fi
	done
	return 0
}

# stack_wait_gone PID... : wait (at most 10 s) until none of them runs.
stack_wait_gone() {
	_i=0
	for _p in "$@"; do
		while stack_alive "$_p"; do
			_i=$((_i + 1))
			[ "$_i" -gt 100 ] && return 1
			sleep 0.1
		done
	done
	return 0
}

# stack_port_user PORT: "name (pid N)" of what listens on 127.0.0.1:PORT
# (or on every address), or "another program" when ss cannot tell; nothing
# when the port is free.
stack_port_user() {
	_l=$(ss -Htlnp "sport = :$1" 2>/dev/null | head -n 1)
	[ -n "$_l" ] || return 0
	_who=$(printf '%s\n' "$_l" | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p')
	echo "${_who:-another program}"
}

# stack_port_taken PORT VAR [LOG]: is PORT held by another program? If
# so, say which port, what holds it and what to set instead (VAR: the
# caller's variable, STACK_DB_PORT_VAR / STACK_HTTPS_PORT_VAR, which
# ./quickstart sets to MARIADB_PORT / HTTPS_PORT). Orphans of ours (LOG:
# their stderr) do not count: stack_nginx_start retires them.
stack_port_taken() {
	# A listener whose holder ss cannot name is usually a process of ours
	# still exiting after a SIGKILL (a big mariadbd takes a moment to tear
	# down): give it up to 3 s to let go before calling the port taken.
	_i=0
	while :; do
		[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ] || return 1
		_pids=$(ss -Htlnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
		[ -z "$_pids" ] && [ $_i -lt 30 ] || break
		_i=$((_i + 1))
		sleep 0.1
	done
	if [ -n "$_pids" ] && [ -n "${3:-}" ]; then
		_ours=$(stack_orphans "$3")
		_foreign=
		for _p in $_pids; do
			case " $(echo $_ours) " in *" $_p "*) ;; *) _foreign=1 ;; esac
		done
		[ -n "$_foreign" ] || return 1
	fi
	_who=$(stack_port_user "$1")
	stack_die "port $1 is already taken by ${_who:-a program that has just let go of it}: set $2 to a free port, e.g. $2=$(stack_free_port)"
	return 0
}
# ---- end issue 15 ------------------------------------------------------------

# Random hex string of $1 bytes, from the kernel's CSPRNG.
stack_random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# Run the mariadb client as the instance's root, on the jwtauth database.
stack_sql() {
	"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" \
	    --default-character-set=utf8mb4 --batch --skip-column-names jwtauth -e "$1"
}

# Same, reading SQL from stdin (for files).
stack_sql_file() {
	"$MARIADB_CLIENT" --defaults-extra-file="$STACK_DIR/mariadb/root.cnf" \
	    --default-character-set=utf8mb4 --batch jwtauth
}

# stack_mint_sql N EMAIL: the SQL that writes N refresh tokens of EMAIL on
# Client1 straight into the database, each its own family, as a login
# writes them (SHA-256 of 32 random bytes in base64url), and prints them:
# minting pools for load tests by logging in would take minutes.
stack_mint_sql() {
	printf '%s' "CREATE TEMPORARY TABLE pool (Token CHAR(43) CHARACTER SET ascii NOT NULL) ENGINE=MEMORY;
	    INSERT INTO pool SELECT REPLACE(REPLACE(TRIM(TRAILING '=' FROM
	        TO_BASE64(RANDOM_BYTES(32))), '+', '-'), '/', '_') FROM seq_1_to_$1;
	    INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt)
	        SELECT SHA2(p.Token, 256), u.Id, c.Id, LOWER(HEX(RANDOM_BYTES(16))),
	        UTC_TIMESTAMP() + INTERVAL 1 DAY
	        FROM pool p, Users u, Clients c WHERE u.Email = '$2' AND c.ClientId = 'Client1';
	    SELECT Token FROM pool;"
}

# Does the instance in $1 (its mariadb/ folder) answer? Before the first
# start, root has no password yet; afterwards root.cnf holds it.
stack_mariadb_ping() {
	[ -S "$STACK_DB_SOCKET" ] || return 1
	if [ -f "$1/root.cnf" ]; then
		"$MARIADB_CLIENT" --defaults-extra-file="$1/root.cnf" -e 'SELECT 1' >/dev/null 2>&1
	else
		"$MARIADB_CLIENT" --no-defaults --socket="$STACK_DB_SOCKET" -uroot \
		    -e 'SELECT 1' >/dev/null 2>&1
	fi
}

stack_mariadb_start() {
	STACK_DIR=$(cd "$1" && pwd) || return 1
	STACK_DB_SOCKET=$STACK_DIR/run/mariadb.sock
	_m=$STACK_DIR/mariadb
	# Private temporary files too: parallel mariadb-install-db runs that
	# share /tmp sometimes trip over each other's temporary tables.
	mkdir -p "$_m/data" "$_m/tmp" "$STACK_DIR/run" "$STACK_DIR/log" || return 1
	chmod 700 "$STACK_DIR" "$_m" || return 1

	# mariadbd refuses to run as root unless told which user to be.
	_user=
	[ "$(id -u)" = 0 ] && _user=--user=root

	if [ ! -d "$_m/data/mysql" ]; then
		"$MARIADB_INSTALL_DB" --no-defaults $_user --datadir="$_m/data" --tmpdir="$_m/tmp" \
		    --auth-root-authentication-method=normal --skip-test-db \
		    --skip-name-resolve >"$STACK_DIR/log/mariadb-install.log" 2>&1 ||
		    { cat "$STACK_DIR/log/mariadb-install.log" >&2; stack_die "mariadb-install-db failed"; return 1; }
	fi

	_net=--skip-networking
	[ -n "${STACK_DB_PORT:-}" ] && _net="--bind-address=127.0.0.1 --port=$STACK_DB_PORT"

	# issue 15: a server that runs but does not answer yet (starting,
	# recovering, or dying after a SIGKILL) is waited for: until it
	# answers, or until it is gone and a new one can start.
	_i=0
	while stack_pidfile_alive "$_m/mariadbd.pid" "$(stack_comm "$MARIADBD")" && ! stack_mariadb_ping "$_m"; do
		_i=$((_i + 1))
		if [ "$_i" -gt 300 ]; then
			stack_die "mariadbd (pid $(cat "$_m/mariadbd.pid")) runs but does not answer within 30 s"
			return 1
		fi
		sleep 0.1
	done
	if stack_pidfile_alive "$_m/mariadbd.pid" "$(stack_comm "$MARIADBD")"; then
		: # already running and answering (quickstart is idempotent)
	else
		rm -f "$_m/mariadbd.pid"
		if [ -n "${STACK_DB_PORT:-}" ] &&
		    stack_port_taken "$STACK_DB_PORT" "${STACK_DB_PORT_VAR:-STACK_DB_PORT}"; then
			return 1
		fi
		# The server settings jwtauth ships (contrib/mariadb/jwtauth.cnf)
		# and nothing else of the host's: durability stays at its
		# defaults on purpose (innodb_flush_log_at_trx_commit=1), so
		# tests and benchmarks see what production sees. Small buffers
		# keep many instances cheap.
		"$MARIADBD" --defaults-file="$top_srcdir/contrib/mariadb/jwtauth.cnf" $_user \
		    --datadir="$_m/data" --tmpdir="$_m/tmp" \
		    --socket="$STACK_DB_SOCKET" $_net \
		    --pid-file="$_m/mariadbd.pid" --log-error="$STACK_DIR/log/mariadb.err" \
		    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		    --max-connections=500 --skip-name-resolve \
		    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		    ${STACK_MARIADB_OPTS:-} >/dev/null 2>&1 &
		_dbpid=$!
		_i=0
		until stack_mariadb_ping "$_m"; do
			_i=$((_i + 1))
			# issue 15: a server that exited (a port taken meanwhile,
			# a bad datadir) fails now, not after 30 s.
			if [ "$_i" -gt 300 ] || ! stack_alive "$_dbpid"; then
				tail -n 20 "$STACK_DIR/log/mariadb.err" >&2
				if stack_alive "$_dbpid"; then
					stack_die "mariadbd did not start within 30 s"
				else
					stack_die "mariadbd exited at start (see its log above)"
				fi
				return 1
			fi
			sleep 0.1
		done
	fi

	# First start: give root a random password, kept in a 0600 client file.
	if [ ! -f "$_m/root.cnf" ]; then
		_rootpw=$(stack_random_hex 16)
		"$MARIADB_CLIENT" --no-defaults --socket="$STACK_DB_SOCKET" -uroot -e \
		    "ALTER USER 'root'@'localhost' IDENTIFIED BY '$_rootpw'" || return 1
		( umask 077; printf '[client]\nuser=root\npassword=%s\nsocket=%s\n' \
		    "$_rootpw" "$STACK_DB_SOCKET" >"$_m/root.cnf" ) || return 1
	fi

	"$MARIADB_CLIENT" --defaults-extra-file="$_m/root.cnf" -e \
	    "CREATE DATABASE IF NOT EXISTS jwtauth CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" ||
	    return 1
	stack_sql_file <"$top_srcdir/sql/schema.sql" || return 1
	stack_sql_file <"$top_srcdir/sql/seed.sql" || return 1
	# Schema changes after schema.sql: each migration is re-runnable and
	# records itself in SchemaMigrations (see sql/migrations/).
	for _f in "$top_srcdir"/sql/migrations/[0-9][0-9][0-9]-*.sql; do
		[ -f "$_f" ] || continue
		stack_sql_file <"$_f" || return 1
	done

	# The programs' account: data rights on jwtauth only, a random
	# password drawn at the instance's first start and kept (0600) beside
	# root's: running programs hold the one they read at start-up, so a
	# restart of MariaDB, or a second ./quickstart, must not change it.
	if [ ! -s "$_m/jwtauth.pw" ]; then
		( umask 077; stack_random_hex 16 >"$_m/jwtauth.pw" ) || return 1
	fi
	_dbpw=$(cat "$_m/jwtauth.pw")
	stack_sql "CREATE USER IF NOT EXISTS 'jwtauth'@'localhost' IDENTIFIED BY '$_dbpw';
	    ALTER USER 'jwtauth'@'localhost' IDENTIFIED BY '$_dbpw';
	    GRANT SELECT, INSERT, UPDATE, DELETE ON jwtauth.* TO 'jwtauth'@'localhost';" ||
	    return 1

	JWTAUTH_CONFIG=$STACK_DIR/jwtauth.conf
	( umask 077; {
		echo "# Written by t/lib/stack.sh; rewritten at every start."
		echo "db_socket = $STACK_DB_SOCKET"
		echo "db_name = jwtauth"
		echo "db_user = jwtauth"
		echo "db_password = $_dbpw"
		if [ -n "${STACK_CONF_EXTRA:-}" ]; then
			printf '%s\n' "$STACK_CONF_EXTRA"
		fi
	} >"$JWTAUTH_CONFIG" ) || return 1
	export JWTAUTH_CONFIG STACK_DIR STACK_DB_SOCKET
}

stack_mariadb_stop() {
	_m=$(cd "$1" 2>/dev/null && pwd)/mariadb || return 0
	[ -f "$_m/mariadbd.pid" ] || return 0
	_pid=$(cat "$_m/mariadbd.pid")
	stack_alive "$_pid" "$(stack_comm "$MARIADBD")" || { rm -f "$_m/mariadbd.pid"; return 0; }
	kill "$_pid" 2>/dev/null || return 0
	_i=0
	while stack_alive "$_pid"; do
		_i=$((_i + 1))
		if [ "$_i" -gt 300 ]; then
			kill -9 "$_pid" 2>/dev/null || :
			break
		fi
		sleep 0.1
	done
	rm -f "$_m/mariadbd.pid"
}

# ---------------------------------------------------------------------------
# The whole stack: MariaDB, signing keys, the FastCGI programs under
# spawn-fcgi + multiwatch, and nginx with TLS.
#
#   stack_start DIR    sets STACK_URL (https://127.0.0.1:PORT), STACK_CACERT
#   stack_stop DIR
#
# Variables read: STACK_HTTPS_PORT (default: a free port), STACK_WORKERS
# (workers per program, default 2), RATE_LIMIT (off: no limit_req),
# STACK_NGINX_SED (one more sed expression for nginx/jwtauth.conf),
# STACK_PROGRAMS (default: every program), STACK_MARIADB_OPTS (more
# mariadbd options, after the stack's own: make bench sizes the buffer
# pool with it).
# ---------------------------------------------------------------------------

: "${top_builddir:=$top_srcdir}"
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
: "${SPAWN_FCGI:=$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}"
: "${MULTIWATCH:=$(command -v multiwatch || echo /usr/bin/multiwatch)}"
STACK_ALL_PROGRAMS="login refresh-token users products jwks authz oauth2"

# A TCP port nobody listens on now (the caller retries if it loses a race).
#
# From 20000 up to the kernel's ephemeral range (32768- by default): a port
# in that range may be taken at any moment as the local end of some other
# test's outgoing connection (curl, a MariaDB client), and a listener then
# fails to bind it. A port in use in any state, not only listening, is
# skipped. (t/lib/galera.sh takes its ports below 20000.)
stack_free_port() {
	_hi=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	case $_hi in ''|*[!0-9]*) _hi=32768 ;; esac
	[ "$_hi" -gt 25000 ] || _hi=40000
	while :; do
		_p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (_hi - 20000) + 20000 ))
		ss -Htan "sport = :$_p" 2>/dev/null | grep -q . || { echo "$_p"; return 0; }
	done
}

stack_tls_cert() {
	_t=$STACK_DIR/tls
	[ -f "$_t/cert.pem" ] && return 0
	mkdir -p "$_t" && chmod 700 "$_t" || return 1
	# ECDSA P-256: the cheapest handshake for the benchmarks, and what a
	# modern certificate authority would issue.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -days 365 -subj "/CN=localhost" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "$_t/key.pem" -out "$_t/cert.pem" >/dev/null 2>&1 ||
	    { stack_die "openssl could not make the TLS certificate"; return 1; }
}

stack_programs_start() {
	for _prog in ${STACK_PROGRAMS:-$STACK_ALL_PROGRAMS}; do
		_bin=$top_builddir/cgi-bin/$_prog
		[ -x "$_bin" ] || { stack_die "$_bin is not built"; return 1; }
		_pidf=$STACK_DIR/run/$_prog.pid
		if stack_pidfile_alive "$_pidf" "$(stack_comm "$MULTIWATCH")"; then
			continue
		fi
		# issue 15: the workers of a SIGKILLed multiwatch still serve
		# the old socket; the new ones take over the path, then the
		# old ones finish what they hold (SIGUSR1: libfcgi's graceful
		# stop) and go.
		_orphans=$(stack_orphans "$STACK_DIR/log/$_prog.log")
		rm -f "$STACK_DIR/run/$_prog.sock"
		# STYLE: spawn-fcgi in fork mode sends the children's stderr to
		# /dev/null; -n keeps it, so the programs' log lines reach
		# log/<program>.log. multiwatch restarts a worker that dies.
		"$SPAWN_FCGI" -n -s "$STACK_DIR/run/$_prog.sock" -M 0600 -- \
		    "$MULTIWATCH" -f "${STACK_WORKERS:-2}" -- "$_bin" \
		    >>"$STACK_DIR/log/$_prog.log" 2>&1 </dev/null &
		echo $! >"$_pidf"
		if [ -n "$_orphans" ]; then
			kill -USR1 $_orphans 2>/dev/null || :
			_old_workers="${_old_workers:-} $_orphans"
		fi
	done
	for _prog in ${STACK_PROGRAMS:-$STACK_ALL_PROGRAMS}; do
		_i=0
		until [ -S "$STACK_DIR/run/$_prog.sock" ]; do
			_i=$((_i + 1))
			[ "$_i" -gt 100 ] && { stack_die "$_prog did not open its socket"; return 1; }
			sleep 0.05
		done
	done
	if [ -n "${_old_workers:-}" ]; then
		# shellcheck disable=SC2086
		stack_wait_gone $_old_workers || kill -9 $_old_workers 2>/dev/null || :
		_old_workers=
	fi
	return 0
}

stack_programs_stop() {
	for _pidf in "$STACK_DIR"/run/*.pid; do
		[ -f "$_pidf" ] || continue
		case $_pidf in */mariadbd.pid|*/nginx.pid) continue ;; esac
		_pid=$(cat "$_pidf")
		# multiwatch passes SIGTERM on as the graceful signal (SIGUSR1,
		# which libfcgi handles) and does not restart the workers.
		if stack_alive "$_pid" "$(stack_comm "$MULTIWATCH")"; then
			kill "$_pid" 2>/dev/null || :
			_i=0
			while stack_alive "$_pid" && [ "$_i" -lt 50 ]; do
				_i=$((_i + 1)); sleep 0.1
			done
			if stack_alive "$_pid"; then kill -9 "$_pid" 2>/dev/null || :; fi
		fi
		rm -f "$_pidf"
	done
	# issue 15: workers left without their multiwatch (SIGKILLed) too.
	for _log in "$STACK_DIR"/log/*.log; do
		case $_log in */nginx-*|*/mariadb*|*/jwtauthctl.log) continue ;; esac
		_o=$(stack_orphans "$_log")
		[ -n "$_o" ] || continue
		# shellcheck disable=SC2086
		kill $_o 2>/dev/null || :
		stack_wait_gone $_o || kill -9 $_o 2>/dev/null || :
	done
	return 0
}

stack_nginx_conf() {
	_n=$STACK_DIR/nginx
	mkdir -p "$_n/tmp" || return 1
	_user=
	# The throw-away stack runs every piece as the invoking user; as root,
	# nginx would otherwise drop to nobody and lose access to the 0700
	# stack folder. A real deployment uses www-data (see README).
	[ "$(id -u)" = 0 ] && _user="user root;"
	_rl='s/^$//'
	[ "${RATE_LIMIT:-on}" = off ] && _rl='/limit_\(req\|conn\)\( \|_zone \)/d'
	_more='s/^$//'
	[ -n "${STACK_NGINX_SED:-}" ] && _more=$STACK_NGINX_SED
	sed -e "s|/run/jwtauth/|$STACK_DIR/run/|g" \
	    -e "s|/etc/jwtauth/tls/|$STACK_DIR/tls/|g" \
	    -e "s|listen 443 ssl|listen 127.0.0.1:$STACK_HTTPS_PORT ssl|" \
	    -e '/listen \[::\]:443/d' \
	    -e "$_rl" -e "$_more" \
	    -e "s|^\tlocation / {|\tinclude $_n/protected.conf;\n&|" \
	    "$top_srcdir/nginx/jwtauth.conf" >"$_n/jwtauth.conf" || return 1
	stack_nginx_gateway || return 1
	cat >"$_n/nginx.conf" <<NGINX
$_user
worker_processes ${STACK_NGINX_WORKERS:-1};
pid $STACK_DIR/run/nginx.pid;
error_log $STACK_DIR/log/nginx-error.log warn;
events { worker_connections 4096; }
http {
	access_log $STACK_DIR/log/nginx-access.log;
	server_tokens off;
	client_body_temp_path $_n/tmp/body;
	fastcgi_temp_path $_n/tmp/fastcgi;
	proxy_temp_path $_n/tmp/proxy;
	uwsgi_temp_path $_n/tmp/uwsgi;
	scgi_temp_path $_n/tmp/scgi;
	include $_n/jwtauth.conf;
${STACK_NGINX_HTTP_EXTRA:-}
}
NGINX
}

# The nginx gateway (SPEC §10): its snippets where nginx/jwtauth.conf
# includes them (snippets/ beside nginx.conf, as /etc/nginx/snippets/),
# and the live example: /protected/ for any valid token, /protected/admin/
# for role Admin, each serving a hello.txt. STACK_NGINX_EXTRA: more lines
# for the server block (the gateway tests' own protected locations);
# STACK_NGINX_HTTP_EXTRA: more for http { } (another server block).
stack_nginx_gateway() {
	mkdir -p "$_n/snippets" "$STACK_DIR/www/protected/admin" || return 1
	for _f in jwtauth-gateway.conf jwtauth-protect.conf; do
		sed "s|/run/jwtauth/|$STACK_DIR/run/|g" "$top_srcdir/nginx/$_f" \
		    >"$_n/snippets/$_f" || return 1
	done
	echo "Hello from /protected/: any valid jwtauth token reads this." \
	    >"$STACK_DIR/www/protected/hello.txt" &&
	echo "Hello from /protected/admin/: a token with the role Admin reads this." \
	    >"$STACK_DIR/www/protected/admin/hello.txt" || return 1
	cat >"$_n/protected.conf" <<NGINX
# Written by t/lib/stack.sh: SPEC §10's example of the gateway.
location /protected/ {
	include snippets/jwtauth-protect.conf;
	root $STACK_DIR/www;
	types { text/plain txt; }
	error_page 404 @not_found;
}
location /protected/admin/ {
	set \$jwtauth_roles Admin;
	include snippets/jwtauth-protect.conf;
	root $STACK_DIR/www;
	types { text/plain txt; }
	error_page 404 @not_found;
}
${STACK_NGINX_EXTRA:-}
NGINX
}

# Start nginx on $STACK_HTTPS_PORT. Return 0, or 1 if it did not start
# (most often: the port was taken meanwhile; stack_start then retries).
stack_nginx_start() {
	_pidf=$STACK_DIR/run/nginx.pid
	if stack_pidfile_alive "$_pidf" "$(stack_comm "$NGINX")"; then
		return 0
	fi
	rm -f "$_pidf"
	# issue 15: the workers of a SIGKILLed master still hold the port;
	# they stop listening and finish their requests (SIGQUIT), then a
	# new master can bind it.
	_o=$(stack_orphans "$STACK_DIR/log/nginx-error.log")
	if [ -n "$_o" ]; then
		# shellcheck disable=SC2086
		kill -QUIT $_o 2>/dev/null || :
		stack_wait_gone $_o || kill -9 $_o 2>/dev/null || :
	fi
	stack_nginx_conf || return 1
	"$NGINX" -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" \
	    -e "$STACK_DIR/log/nginx-error.log" 2>>"$STACK_DIR/log/nginx-error.log" || return 1
	echo "$STACK_HTTPS_PORT" >"$STACK_DIR/run/https.port"
}

stack_nginx_stop() {
	_pidf=$STACK_DIR/run/nginx.pid
	[ -f "$_pidf" ] || return 0
	_pid=$(cat "$_pidf")
	if stack_alive "$_pid" "$(stack_comm "$NGINX")"; then
		kill -QUIT "$_pid" 2>/dev/null || :
		_i=0
		while stack_alive "$_pid" && [ "$_i" -lt 50 ]; do
			_i=$((_i + 1)); sleep 0.1
		done
		if stack_alive "$_pid"; then kill -9 "$_pid" 2>/dev/null || :; fi
	fi
	rm -f "$_pidf"
	# issue 15: workers of a SIGKILLed master.
	_o=$(stack_orphans "$STACK_DIR/log/nginx-error.log")
	if [ -n "$_o" ]; then
		# shellcheck disable=SC2086
		kill -QUIT $_o 2>/dev/null || :
		stack_wait_gone $_o || kill -9 $_o 2>/dev/null || :
	fi
	return 0
}

# curl against the stack: the stack's own CA, no proxy, bounded time.
stack_curl() {
	curl -sS --noproxy '*' --cacert "$STACK_CACERT" --max-time 30 "$@"
}

stack_start() {
	mkdir -p "$1" || return 1
	STACK_DIR=$(cd "$1" && pwd)
	stack_tls_cert || return 1
	# The issuer names the public URL, so nginx's port must be known
	# before the config is written: reuse the last one when restarting.
	if [ -z "${STACK_HTTPS_PORT:-}" ] && [ -f "$STACK_DIR/run/https.port" ]; then
		STACK_HTTPS_PORT=$(cat "$STACK_DIR/run/https.port")
	fi
	_port_fixed=${STACK_HTTPS_PORT:-}
	: "${STACK_HTTPS_PORT:=$(stack_free_port)}"
	# issue 15: a fixed port held by another program fails at once,
	# before anything starts.
	if [ -n "${STACK_DB_PORT:-}" ] &&
	    ! stack_pidfile_alive "$STACK_DIR/mariadb/mariadbd.pid" "$(stack_comm "$MARIADBD")" &&
	    stack_port_taken "$STACK_DB_PORT" "${STACK_DB_PORT_VAR:-STACK_DB_PORT}"; then
		return 1
	fi
	if [ -n "$_port_fixed" ] && ! stack_pidfile_alive "$STACK_DIR/run/nginx.pid" "$(stack_comm "$NGINX")" &&
	    stack_port_taken "$STACK_HTTPS_PORT" "${STACK_HTTPS_PORT_VAR:-STACK_HTTPS_PORT}" \
	    "$STACK_DIR/log/nginx-error.log"; then
		return 1
	fi
	_caller_extra=${STACK_CONF_EXTRA:-}
	STACK_CONF_EXTRA="issuer = https://127.0.0.1:$STACK_HTTPS_PORT
master_key_file = $STACK_DIR/master.key
$_caller_extra"
	stack_mariadb_start "$STACK_DIR"
	_rc=$?
	STACK_CONF_EXTRA=$_caller_extra
	[ "$_rc" -eq 0 ] || return 1
	"$top_builddir/jwtauthctl" init >>"$STACK_DIR/log/jwtauthctl.log" 2>&1 ||
	    { tail -n 5 "$STACK_DIR/log/jwtauthctl.log" >&2; stack_die "jwtauthctl init failed"; return 1; }
	stack_programs_start || return 1
	# A free port can be taken by another test between the choice and
	# nginx's bind. Unless the caller fixed the port, choose another one;
	# the issuer names it, so the programs restart with the new config.
	_try=1
	until stack_nginx_start; do
		if [ -n "$_port_fixed" ] || [ "$_try" -ge 5 ]; then
			tail -n 5 "$STACK_DIR/log/nginx-error.log" >&2
			stack_die "nginx did not start"
			return 1
		fi
		_try=$((_try + 1))
		STACK_HTTPS_PORT=$(stack_free_port)
		sed -i "s|^issuer = .*|issuer = https://127.0.0.1:$STACK_HTTPS_PORT|" "$JWTAUTH_CONFIG" &&
		    stack_programs_stop && stack_programs_start || return 1
	done
	STACK_URL=https://127.0.0.1:$STACK_HTTPS_PORT
	STACK_CACERT=$STACK_DIR/tls/cert.pem
	export STACK_URL STACK_CACERT STACK_HTTPS_PORT
	stack_wait_up || { stack_die "the stack does not answer at $STACK_URL"; return 1; }
}

# Up when the JWKS answers through nginx at $STACK_URL (10 s at most).
stack_wait_up() {
	_i=0
	until stack_curl -o /dev/null -f "$STACK_URL/.well-known/jwks.json" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -gt 100 ] && return 1
		sleep 0.1
	done
	return 0
}

stack_stop() {
	STACK_DIR=$(cd "$1" 2>/dev/null && pwd) || return 0
	stack_nginx_stop
	stack_programs_stop
	stack_mariadb_stop "$STACK_DIR"
}
