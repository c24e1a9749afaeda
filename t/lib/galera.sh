# galera.sh: a private three-node MariaDB Galera cluster on 127.0.0.1
# (POSIX sh), for the t/galera-*.t tests. The recipe and its pitfalls were
# measured on the test machines (research notes, summarised in
# contrib/DEPLOYING.md "N hosts").
#
#   galera_start DIR        three nodes under DIR/galera, joined one at a
#                           time; database jwtauth with sql/ applied and an
#                           account jwtauth@127.0.0.1 (password in
#                           $GALERA_DBPW). Sets GALERA_PORT1..3 (SQL ports).
#   galera_stop             every node by PID: SIGTERM, one node at a time
#                           (two leaving nodes wait for each other), SIGKILL
#                           of its process group after GALERA_STOP_TIMEOUT
#   galera_sql I "SQL"      run SQL on node I as the database's root
#                           (unix socket), database jwtauth
#   galera_sql_file I       the same, SQL from stdin
#   galera_kill I           SIGKILL node I (a crash: grastate seqno -1)
#   galera_recover I        restart a crashed node I the way mysqld_safe
#                           does: --wsrep-recover, then
#                           --wsrep_start_position, so that it rejoins by
#                           IST rather than a full copy; waits for Synced
#   galera_alive PID        0 if PID runs and is no zombie (kill -0 is
#                           not enough: PID 1 reaps slowly here)
#
# Every server runs as the mysql user when started by root (rsync SST
# fails as root: its daemon drops to nobody), with its own tmpdir (install
# runs and servers sharing /tmp delete each other's temporary tables). No
# pkill, no killall: only the PIDs started here are ever signalled.
#
# Variables read: top_srcdir, GALERA_EXTRA_OPTS (appended to
# wsrep_provider_options), GALERA_STOP_TIMEOUT (default 20 s).

: "${MARIADBD:=$(command -v mariadbd || echo /usr/sbin/mariadbd)}"
: "${MARIADB_INSTALL_DB:=$(command -v mariadb-install-db || echo /usr/bin/mariadb-install-db)}"
: "${MARIADB_CLIENT:=$(command -v mariadb || echo /usr/bin/mariadb)}"

# The node settings and the restart after a crash are those documented in
# contrib/DEPLOYING.md ("N hosts"): its blocks are read from there.
. "$top_srcdir/t/lib/docblocks.sh"
GALERA_DOC=$top_srcdir/contrib/DEPLOYING.md

galera_die() {
	echo "galera.sh: $*" >&2
	return 1
}

galera_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# The PID of node $1: the pid-file, or the launch PID while a joiner has
# none yet (during its state transfer); with neither (the folder was
# removed under a running test), the process whose command line names
# this node's own my.cnf.
galera_pid() {
	_gd=$GALERA_DIR/node$1
	if [ -s "$_gd/mariadbd.pid" ]; then
		cat "$_gd/mariadbd.pid"
	elif [ -s "$_gd/launch.pid" ]; then
		cat "$_gd/launch.pid"
	else
		galera_find "--defaults-file=$_gd/my.cnf"
	fi
}

# The first PID whose command line holds the exact text $1.
galera_find() {
	for _gf in /proc/[0-9]*/cmdline; do
		{ tr '\0' ' ' <"$_gf"; } 2>/dev/null | grep -qF -- "$1" || continue
		_gf=${_gf#/proc/}
		echo "${_gf%/cmdline}"
		return 0
	done
	return 1
}

galera_sql() {
	"$MARIADB_CLIENT" --no-defaults -u"$(id -un)" -S "$GALERA_DIR/node$1/mariadbd.sock" \
	    --default-character-set=utf8mb4 --batch --skip-column-names jwtauth -e "$2"
}

# Same, reading SQL from stdin.
galera_sql_file() {
	"$MARIADB_CLIENT" --no-defaults -u"$(id -un)" -S "$GALERA_DIR/node$1/mariadbd.sock" \
	    --default-character-set=utf8mb4 --batch --skip-column-names jwtauth
}

# A status variable of node $1 ("" if it does not answer).
galera_status() {
	"$MARIADB_CLIENT" --no-defaults -u"$(id -un)" -S "$GALERA_DIR/node$1/mariadbd.sock" \
	    --batch --skip-column-names -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null |
	    cut -f2
}

# Wait until node $1 is Synced and ready, at most $2 seconds (default 90).
galera_wait_synced() {
	_gi=0
	_glimit=$(( ${2:-90} * 10 ))
	while :; do
		if [ "$(galera_status "$1" wsrep_local_state_comment)" = Synced ] &&
		    [ "$(galera_status "$1" wsrep_ready)" = ON ]; then
			return 0
		fi
		if ! galera_alive "$(galera_pid "$1")"; then
			tail -n 30 "$GALERA_DIR/node$1/error.log" >&2
			galera_die "node$1 died while starting"
			return 1
		fi
		_gi=$((_gi + 1))
		if [ "$_gi" -gt "$_glimit" ]; then
			tail -n 30 "$GALERA_DIR/node$1/error.log" >&2
			galera_die "node$1 not Synced within ${2:-90} s"
			return 1
		fi
		sleep 0.1
	done
}

# Launch node $1 with extra mariadbd options; the PID is the process group
# (setsid), so that a SIGKILL also takes the SST helpers (rsync, socat).
galera_launch() {
	_gn=$1
	shift
	rm -f "$GALERA_DIR/node$_gn/mariadbd.pid"
	# --defaults-file must come first; the SST scripts read it too. From
	# a subshell, so that the server is no job of the caller's shell (which
	# would report its SIGKILL); setsid execs, so $! is the server.
	( setsid "$MARIADBD" --defaults-file="$GALERA_DIR/node$_gn/my.cnf" "$@" \
	    </dev/null >>"$GALERA_DIR/node$_gn/stdout.log" 2>&1 &
	echo $! >"$GALERA_DIR/node$_gn/launch.pid" )
}

# Twelve free ports: node i uses BASE+10i (SQL), +1 (group communication),
# +2 (IST), +3 (SST). Below the kernel's ephemeral range (32768-) and
# stack_free_port's (20000-), which would otherwise take them meanwhile.
galera_ports() {
	while :; do
		_gb=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 990 * 10 + 10000 ))
		_gbusy=
		for _gi in 1 2 3; do
			for _go in 0 1 2 3; do
				ss -Htln "sport = :$((_gb + 10 * _gi + _go))" 2>/dev/null | grep -q . &&
				    _gbusy=1
			done
		done
		[ -z "$_gbusy" ] && { echo "$_gb"; return 0; }
	done
}

galera_write_cnf() {
	_gn=$1
	_gd=$GALERA_DIR/node$_gn
	_gp=$((GALERA_BASE + 10 * _gn))
	_gcnfuser=
	[ "$(id -u)" = 0 ] && _gcnfuser="user=mysql"
	_gopts="gmcast.listen_addr=tcp://127.0.0.1:$((_gp + 1));ist.recv_addr=127.0.0.1:$((_gp + 2));gcache.size=32M"
	[ -n "${GALERA_EXTRA_OPTS:-}" ] && _gopts="$_gopts;$GALERA_EXTRA_OPTS"
	_gline=$(grep -n '^```ini galera-node' "$GALERA_DOC" | cut -d: -f1)
	[ -n "$_gline" ] || { galera_die "no galera-node block in $GALERA_DOC"; return 1; }
	{
		echo "# jwtauth's own server settings (contrib/mariadb/jwtauth.cnf), the"
		echo "# node settings of contrib/DEPLOYING.md, then this node's own."
		echo "!include $GALERA_DIR/jwtauth.cnf"
		echo
		docblocks_get "$GALERA_DOC" "$_gline" | sed \
		    -e 's/^bind-address = 0\.0\.0\.0$/bind-address = 127.0.0.1/' \
		    -e "s|gcomm://db1.example.org,db2.example.org,db3.example.org|gcomm://127.0.0.1:$((GALERA_BASE + 11)),127.0.0.1:$((GALERA_BASE + 21)),127.0.0.1:$((GALERA_BASE + 31))|" \
		    -e "s/^wsrep_node_name = db1$/wsrep_node_name = node$_gn/" \
		    -e "s/^wsrep_node_address = db1.example.org$/wsrep_node_address = 127.0.0.1:$((_gp + 1))/"
		echo
	} >"$_gd/my.cnf" || return 1
	cat >>"$_gd/my.cnf" <<EOF
[mariadbd]
$_gcnfuser
datadir=$_gd/data
socket=$_gd/mariadbd.sock
pid-file=$_gd/mariadbd.pid
tmpdir=$_gd/tmp
log-error=$_gd/error.log
port=$_gp
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=32M
innodb_log_file_size=16M
max_connections=300
performance_schema=OFF
wsrep_node_incoming_address=127.0.0.1:$_gp
wsrep_sst_receive_address=127.0.0.1:$((_gp + 3))
wsrep_provider_options="$_gopts"
EOF
}

# A port can still be taken between the check and the bind (the machine is
# shared): the whole start is tried again on other ports, three times.
galera_start() {
	for _gtry in 1 2 3; do
		galera_start_once "$1" && return 0
		echo "galera.sh: start $_gtry failed, trying other ports" >&2
		galera_stop
		rm -rf "$GALERA_DIR"
	done
	return 1
}

galera_start_once() {
	GALERA_DIR=$(cd "$1" && pwd)/galera || return 1
	mkdir -p "$GALERA_DIR" || return 1
	# The servers run as mysql: they must traverse the path to their data.
	chmod 755 "$GALERA_DIR" && chmod o+x "$1" || return 1
	GALERA_BASE=$(galera_ports)
	cp "$top_srcdir/contrib/mariadb/jwtauth.cnf" "$GALERA_DIR/jwtauth.cnf" || return 1
	chmod 644 "$GALERA_DIR/jwtauth.cnf"
	_guser=
	[ "$(id -u)" = 0 ] && _guser=--user=mysql
	for _gn in 1 2 3; do
		mkdir -p "$GALERA_DIR/node$_gn/data" "$GALERA_DIR/node$_gn/tmp" || return 1
		galera_write_cnf "$_gn" || return 1
		[ -n "$_guser" ] && { chown -R mysql: "$GALERA_DIR/node$_gn" || return 1; }
	done
	# Every node initialised (in parallel, each with its own tmpdir): a
	# joiner with a system schema needs no full copy of it.
	_gpids=
	for _gn in 1 2 3; do
		"$MARIADB_INSTALL_DB" --no-defaults --datadir="$GALERA_DIR/node$_gn/data" \
		    --tmpdir="$GALERA_DIR/node$_gn/tmp" $_guser --skip-test-db \
		    --skip-name-resolve --auth-root-authentication-method=socket \
		    >"$GALERA_DIR/node$_gn/install.log" 2>&1 &
		_gpids="$_gpids $!"
	done
	_gfail=
	for _gp in $_gpids; do
		wait "$_gp" || _gfail=1
	done
	[ -z "$_gfail" ] || { cat "$GALERA_DIR"/node*/install.log >&2; galera_die "mariadb-install-db failed"; return 1; }
	GALERA_PORT1=$((GALERA_BASE + 10))
	GALERA_PORT2=$((GALERA_BASE + 20))
	GALERA_PORT3=$((GALERA_BASE + 30))
	export GALERA_DIR GALERA_BASE GALERA_PORT1 GALERA_PORT2 GALERA_PORT3

	# Bootstrap node 1, then join the others one at a time (parallel
	# joins are slower: the second waits for the first's handshake).
	galera_launch 1 --wsrep-new-cluster
	galera_wait_synced 1 || return 1
	for _gn in 2 3; do
		galera_launch "$_gn"
		galera_wait_synced "$_gn" || return 1
	done
	[ "$(galera_status 1 wsrep_cluster_size)" = 3 ] ||
	    { galera_die "cluster size is not 3"; return 1; }

	# The schema, through node 1: DDL and accounts replicate.
	"$MARIADB_CLIENT" --no-defaults -u"$(id -un)" -S "$GALERA_DIR/node1/mariadbd.sock" \
	    -e "CREATE DATABASE IF NOT EXISTS jwtauth CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" || return 1
	for _gf in "$top_srcdir/sql/schema.sql" "$top_srcdir/sql/seed.sql" \
	    "$top_srcdir"/sql/migrations/[0-9][0-9][0-9]-*.sql; do
		[ -f "$_gf" ] || continue
		"$MARIADB_CLIENT" --no-defaults -u"$(id -un)" -S "$GALERA_DIR/node1/mariadbd.sock" \
		    --default-character-set=utf8mb4 --batch jwtauth <"$_gf" ||
		    { galera_die "$_gf failed on node1"; return 1; }
	done
	GALERA_DBPW=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	export GALERA_DBPW
	galera_sql 1 "CREATE USER 'jwtauth'@'127.0.0.1' IDENTIFIED BY '$GALERA_DBPW';
	    GRANT SELECT, INSERT, UPDATE, DELETE ON jwtauth.* TO 'jwtauth'@'127.0.0.1';" ||
	    return 1
}

# Signal node $1 with $2 and wait up to $3 s for it to be gone.
galera_signal_wait() {
	_gpid=$(galera_pid "$1")
	galera_alive "$_gpid" || return 0
	# Only our own server: its command line names our my.cnf.
	{ tr '\0' ' ' <"/proc/$_gpid/cmdline"; } 2>/dev/null |
	    grep -q -- "--defaults-file=$GALERA_DIR/node$1/my.cnf" || return 0
	kill "-$2" "$_gpid" 2>/dev/null || :
	_gi=0
	while galera_alive "$_gpid"; do
		_gi=$((_gi + 1))
		[ "$_gi" -gt $(( $3 * 10 )) ] && return 1
		sleep 0.1
	done
	return 0
}

galera_kill() {
	_gpid=$(galera_pid "$1")
	galera_signal_wait "$1" KILL 10
	# The process group too (SST helpers, if any).
	[ -n "$_gpid" ] && kill -KILL -- "-$_gpid" 2>/dev/null
	return 0
}

# The galera-recover block of DEPLOYING.md, with this node's my.cnf and data
# folder; it ends in exec mariadbd, so its PID is the server's.
galera_recover() {
	_gd=$GALERA_DIR/node$1
	_gline=$(docblocks_list "$GALERA_DOC" galera-recover | head -n 1)
	[ -n "$_gline" ] || { galera_die "no galera-recover block in $GALERA_DOC"; return 1; }
	docblocks_get "$GALERA_DOC" "$_gline" | sed \
	    -e "s|/etc/mysql/my.cnf|$_gd/my.cnf|g" -e "s|/var/lib/mysql/|$_gd/data/|g" \
	    >"$_gd/recover.sh" || return 1
	rm -f "$_gd/mariadbd.pid"
	: >"$_gd/recover.out"
	( setsid sh -eu "$_gd/recover.sh" </dev/null >"$_gd/recover.out" 2>&1 &
	echo $! >"$_gd/launch.pid" )
	galera_wait_synced "$1" || { cat "$_gd/recover.out" >&2; return 1; }
	GALERA_RECOVERED=$(sed -n 's/^recovered position //p' "$_gd/recover.out")
}

galera_stop() {
	[ -n "${GALERA_DIR:-}" ] || return 0
	for _gn in 3 2 1; do
		_gpid=$(galera_pid "$_gn")
		if ! galera_signal_wait "$_gn" TERM "${GALERA_STOP_TIMEOUT:-20}"; then
			# A joiner in SST ignores SIGTERM: the whole group goes.
			kill -KILL -- "-$_gpid" 2>/dev/null
			galera_signal_wait "$_gn" KILL 10 || :
		fi
	done
	return 0
}

# ---------------------------------------------------------------------------
# Program sets ("sites"): the FastCGI programs and nginx of t/lib/stack.sh,
# each with its own folder, port and jwtauth.conf, all sharing one master
# key file and one issuer, as the hosts of one deployment do.
#
#   galera_site DIR HOSTS   start a site in DIR whose db_host is HOSTS
#                           (for example 127.0.0.1:$GALERA_PORT2)
#   galera_on DIR           point api()/stack_curl at that site
#   galera_site_stop DIR
#
# Variables read: GALERA_ISSUER, GALERA_MASTER_KEY, GALERA_CONF_EXTRA
# (more jwtauth.conf lines), STACK_PROGRAMS, STACK_WORKERS.
# Needs t/lib/stack.sh.
# ---------------------------------------------------------------------------

galera_site_conf() {
	( umask 077; {
		echo "# Written by t/lib/galera.sh."
		echo "db_host = $2"
		echo "db_name = jwtauth"
		echo "db_user = jwtauth"
		echo "db_password = $GALERA_DBPW"
		echo "issuer = $GALERA_ISSUER"
		echo "master_key_file = $GALERA_MASTER_KEY"
		if [ -n "${GALERA_CONF_EXTRA:-}" ]; then
			printf '%s\n' "$GALERA_CONF_EXTRA"
		fi
	} >"$1/jwtauth.conf" ) || return 1
}

galera_on() {
	STACK_DIR=$1
	JWTAUTH_CONFIG=$1/jwtauth.conf
	STACK_HTTPS_PORT=$(cat "$1/run/https.port" 2>/dev/null)
	STACK_URL=https://127.0.0.1:$STACK_HTTPS_PORT
	STACK_CACERT=$1/tls/cert.pem
	export STACK_DIR JWTAUTH_CONFIG STACK_HTTPS_PORT STACK_URL STACK_CACERT
}

galera_site() {
	mkdir -p "$1/run" "$1/log" && chmod 700 "$1" || return 1
	STACK_DIR=$(cd "$1" && pwd)
	stack_tls_cert || return 1
	galera_site_conf "$STACK_DIR" "$2" || return 1
	JWTAUTH_CONFIG=$STACK_DIR/jwtauth.conf
	export JWTAUTH_CONFIG
	# The first site makes the master key and the first signing key.
	if [ ! -s "$GALERA_MASTER_KEY" ]; then
		"$top_builddir/jwtauthctl" init >>"$STACK_DIR/log/jwtauthctl.log" 2>&1 ||
		    { tail -n 5 "$STACK_DIR/log/jwtauthctl.log" >&2; galera_die "jwtauthctl init failed"; return 1; }
	fi
	stack_programs_start || return 1
	_gtry=0
	while :; do
		STACK_HTTPS_PORT=$(stack_free_port)
		stack_nginx_start && break
		_gtry=$((_gtry + 1))
		[ "$_gtry" -lt 5 ] || { galera_die "nginx did not start"; return 1; }
	done
	galera_on "$STACK_DIR"
	stack_wait_up || { galera_die "site $1 does not answer"; return 1; }
}

# For the tests (tap.sh and api.sh loaded): a temporary folder with the
# cluster in it, stopped at exit with every site under it; the sites'
# shared issuer and master key; api()'s files.
galera_test_cluster() {
	tap_tmpdir
	tap_at_exit 'galera_stop'
	tap_at_exit 'for _gs in 1 2 3 4; do galera_site_stop "$TAP_TMP/site$_gs"; done'
	galera_start "$TAP_TMP" >"$TAP_TMP/galera-start.log" 2>&1 ||
	    { cat "$TAP_TMP/galera-start.log"; bail_out "the Galera cluster did not start"; }
	GALERA_ISSUER=https://auth.galera.test
	GALERA_MASTER_KEY=$TAP_TMP/master.key
	API_HEADERS=$TAP_TMP/headers
	API_BODY=$TAP_TMP/body
}

galera_site_stop() {
	if [ ! -d "$1/run" ]; then
		# The folder went under a running test: its nginx is found by
		# the prefix only it was started with, its programs' multiwatch
		# by the config only they were given.
		_gpid=$(galera_find "nginx -p $1/nginx ") && kill -QUIT "$_gpid" 2>/dev/null
		for _ge in /proc/[0-9]*/environ; do
			{ tr '\0' '\n' <"$_ge"; } 2>/dev/null | grep -qxF "JWTAUTH_CONFIG=$1/jwtauth.conf" || continue
			_gpid=${_ge#/proc/}
			_gpid=${_gpid%/environ}
			{ tr '\0' ' ' <"/proc/$_gpid/cmdline"; } 2>/dev/null | grep -q '^[^ ]*multiwatch ' &&
			    kill -TERM "$_gpid" 2>/dev/null
		done
		return 0
	fi
	STACK_DIR=$(cd "$1" && pwd)
	stack_nginx_stop
	stack_programs_stop
}
