#!/bin/sh
# The systemd units as make install leaves them: `systemd-analyze verify`
# finds nothing to say about any of them (every program's socket and
# service, the target, the maintenance service and timer); they carry the
# socket and sandboxing settings DEPLOYING.md relies on; and the commands
# they run work: a program's ExecStart serving FastCGI on a listening socket
# as its standard input (as StandardInput=socket gives it), and the
# maintenance ExecStart lines against a real database.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"
tap_tmpdir
: "${MAKE:=make}"
command -v systemd-analyze >/dev/null || bail_out "systemd-analyze not found: apt-get install systemd"
command -v cgi-fcgi >/dev/null || bail_out "cgi-fcgi not found: apt-get install libfcgi-bin"

cat >"$TAP_TMP/dirs.mk" <<'EOF'
show-dirs:
	@echo "sbindir='$(sbindir)' libexecdir='$(libexecdir)' pkgdatadir='$(pkgdatadir)' mandir='$(mandir)'"
EOF
eval "$("$MAKE" -s -C "$top_builddir" -f Makefile -f "$TAP_TMP/dirs.mk" show-dirs)"
D=$TAP_TMP/root
"$MAKE" -C "$top_builddir" install DESTDIR="$D" >"$TAP_TMP/install.log" 2>&1 ||
    { sed 's/^/# /' "$TAP_TMP/install.log"; bail_out "make install failed"; }

# verify checks that ExecStart binaries exist and Documentation= man pages
# open: point both into the staged install, changing nothing else.
U=$TAP_TMP/units
mkdir "$U"
for f in "$D$pkgdatadir"/systemd/*; do
	sed -e "s|=$libexecdir/|=$D$libexecdir/|g" -e "s| $libexecdir/| $D$libexecdir/|g" \
	    -e "s|=$sbindir/|=$D$sbindir/|g" "$f" >"$U/${f##*/}"
done
verify() {
	( cd "$U" && MANPATH=$D$mandir SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$@" ) \
	    >"$TAP_TMP/verify.out" 2>&1
	_rc=$?
	if [ "$_rc" -eq 0 ] && [ ! -s "$TAP_TMP/verify.out" ]; then
		ok 0 "systemd-analyze verify $*"
	else
		ok 1 "systemd-analyze verify $*"
		sed 's/^/# /' "$TAP_TMP/verify.out"
	fi
}
for p in login refresh-token users products jwks authz oauth2; do
	verify "./jwtauth@$p.socket" "./jwtauth@$p.service"
done
verify ./jwtauth.target
verify ./jwtauth-maintenance.service ./jwtauth-maintenance.timer

# The check bites: an unknown key and a missing program are reported.
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$U/jwtauth@.service" >"$TAP_TMP/typo@.service"
( cd "$TAP_TMP" && MANPATH=$D$mandir systemd-analyze verify ./typo@x.service ) 2>&1 |
    grep -q "Unknown key 'NoNewPrivilege'"
ok $? "verify reports a misspelt key"
sed "s|$D$sbindir/jwtauthctl|$D$sbindir/nosuch|" "$U/jwtauth-maintenance.service" >"$TAP_TMP/typo.service"
( cd "$TAP_TMP" && MANPATH=$D$mandir systemd-analyze verify ./typo.service ) >/dev/null 2>&1
is "$?" 1 "verify fails on an ExecStart program that does not exist"
# verify checks only multiwatch, the first word of a program's ExecStart:
# check the program it is given, for every instance.
missing=
for p in login refresh-token users products jwks authz oauth2; do
	prog=$(sed -n 's/^ExecStart=.* -- //p' "$U/jwtauth@.service" | sed "s/%i/$p/g")
	[ -x "$prog" ] || missing="$missing $prog"
done
is "$missing" "" "every instance's ExecStart names an installed program"

# The settings the documentation promises.
has() {   # has UNIT LINE...
	_u=$1
	shift
	_missing=
	for _l in "$@"; do
		grep -qxF -- "$_l" "$U/$_u" || _missing="$_missing [$_l]"
	done
	is "$_missing" "" "$_u: $*"
}
has 'jwtauth@.socket' 'ListenStream=/run/jwtauth/%i.sock' 'SocketUser=www-data' \
    'SocketGroup=www-data' 'SocketMode=0660' 'Accept=no'
has 'jwtauth@.service' 'StandardInput=socket' 'StandardOutput=journal' 'User=jwtauth' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
    'CapabilityBoundingSet=' 'Restart=on-failure'
has 'jwtauth@.service' 'ReadOnlyPaths=-'"$(sed -n 's/^ReadOnlyPaths=-//p' "$U/jwtauth@.service" | grep '/jwtauth$')"
has jwtauth-maintenance.service 'User=jwtauth' 'ProtectSystem=strict' 'NoNewPrivileges=yes'
has jwtauth-maintenance.timer 'OnCalendar=daily' 'Persistent=yes'
for p in login refresh-token users products jwks authz oauth2; do
	grep -q "jwtauth@$p.socket" "$U/jwtauth.target" || missing="$missing $p"
done
is "${missing:-}" "" "jwtauth.target wants every program's socket"

# --- What the units run. A database, keys, and a config the programs read.
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
echo "master_key_file = $TAP_TMP/keys/master.key" >>"$JWTAUTH_CONFIG"
"$D$sbindir/jwtauthctl" init >/dev/null || bail_out "jwtauthctl init failed"

# jwtauth@jwks.service's ExecStart, with systemd's substitutions, on a
# listening socket as standard input (spawn-fcgi -n provides it as
# systemd's StandardInput=socket does).
execstart=$(sed -n 's/^ExecStart=//p' "$U/jwtauth@.service" | sed -e 's/%i/jwks/g' \
    -e "s/\${JWTAUTH_WORKERS}/$(sed -n 's/^Environment=JWTAUTH_WORKERS=//p' "$U/jwtauth@.service")/")
diag "ExecStart: $execstart"
spawn-fcgi -n -s "$TAP_TMP/run/jwks.sock" -- $execstart >"$TAP_TMP/jwks.log" 2>&1 </dev/null &
svc=$!
tap_at_exit "kill $svc 2>/dev/null"
i=0
until [ -S "$TAP_TMP/run/jwks.sock" ] || [ "$i" -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
env -i REQUEST_METHOD=GET REQUEST_URI=/health DOCUMENT_URI=/health \
    cgi-fcgi -bind -connect "$TAP_TMP/run/jwks.sock" >"$TAP_TMP/out" 2>&1
is "$(tr -d '\r' <"$TAP_TMP/out" | head -n 1)" "Status: 200 OK" "the service's ExecStart serves FastCGI on fd 0"
is "$(tr -d '\r' <"$TAP_TMP/out" | tail -n 1)" '{"status":"ok"}' "... GET /health: ok"
is "$(pgrep -P "$svc" | wc -l | tr -d ' ')" 2 "... with JWTAUTH_WORKERS (2) workers"
kill "$svc"
i=0
while kill -0 "$svc" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
kill -0 "$svc" 2>/dev/null
is "$?" 1 "... and stops on SIGTERM (what systemctl stop sends)"

# jwtauth-maintenance.service's ExecStart lines, in order.
sed -n 's/^ExecStart=//p' "$U/jwtauth-maintenance.service" >"$TAP_TMP/maint"
is "$(wc -l <"$TAP_TMP/maint" | tr -d ' ')" 2 "maintenance runs two commands"
rc=0
while read -r cmd; do
	$cmd >>"$TAP_TMP/maint.out" 2>&1 </dev/null || rc=1
done <"$TAP_TMP/maint"
is "$rc" 0 "maintenance: both commands succeed"
grep -q '^not rotated: the active key is less than 30 days old$' "$TAP_TMP/maint.out"
ok $? "maintenance: a new key is not rotated"
grep -q '^purged 0 refresh tokens' "$TAP_TMP/maint.out"
ok $? "maintenance: purge ran"
stack_sql "UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 31 DAY WHERE IsActive = 1"
$(head -n 1 "$TAP_TMP/maint") >"$TAP_TMP/maint.out" 2>&1
grep -q '^rotated: new active signing key ' "$TAP_TMP/maint.out"
ok $? "maintenance: a 31-day-old key is rotated"

done_testing
