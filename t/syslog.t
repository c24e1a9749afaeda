#!/bin/sh
# log_target = syslog (jwtauth.conf(5)): a program's security events and
# log lines reach the syslog socket, with the facility of log_facility and
# the priority of the line (<PRI>), in the same one-line format as on
# stderr, never with the password; jwtauthctl still writes to stderr; and
# contrib/fail2ban's filter counts the events in the lines a syslog daemon
# would write from them.
#
# glibc's syslog(3) always writes to /dev/log: the programs run in a
# private mount namespace (unshare --mount) where /dev/log is a socket of
# t/lib/syslog-recv.py in this test's folder. Where the host has no
# /dev/log, /dev in the namespace is a tmpfs with the host's entries bound
# into it, so that the host's /dev is never written to.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/stack.sh"

command -v unshare >/dev/null || bail_out "unshare not found (util-linux)"
command -v python3 >/dev/null || bail_out "python3 not found"
command -v fail2ban-regex >/dev/null ||
    bail_out "fail2ban-regex not found: apt-get install --no-install-recommends fail2ban"
tap_tmpdir
unshare --mount true 2>"$TAP_TMP/unshare.err" ||
    bail_out "unshare --mount is not usable: $(cat "$TAP_TMP/unshare.err")"
tap_at_exit 'stack_mariadb_stop "$TAP_TMP"'
STACK_CONF_EXTRA="master_key_file = $TAP_TMP/master.key
log_target = syslog
log_facility = authpriv
argon2_opslimit = 1
argon2_memlimit = 8K"
stack_mariadb_start "$TAP_TMP" >/dev/null || bail_out "MariaDB did not start"
"$top_builddir/jwtauthctl" init >"$TAP_TMP/init.out" 2>&1 || bail_out "jwtauthctl init failed"

OUT=$TAP_TMP/syslog.out
python3 "$top_srcdir/t/lib/syslog-recv.py" "$TAP_TMP/devlog" "$OUT" &
recv=$!
tap_at_exit "kill $recv 2>/dev/null"
i=0
until [ -S "$TAP_TMP/devlog" ] || [ "$i" -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
[ -S "$TAP_TMP/devlog" ] || bail_out "the syslog receiver did not bind its socket"

# in_ns VAR=value... COMMAND...: run COMMAND with only these variables (and
# PATH, env_i), in a mount namespace whose /dev/log is ours.
in_ns() {
	env_i PATH="$PATH" T="$TAP_TMP" unshare --mount --propagation private sh -c '
		set -e
		if [ ! -e /dev/log ]; then
			mkdir -p "$T/olddev"
			mount --bind /dev "$T/olddev"
			mount -t tmpfs -o mode=755 jwtauth-dev /dev
			for f in "$T"/olddev/* "$T"/olddev/.[!.]*; do
				[ -e "$f" ] || [ -L "$f" ] || continue
				n=/dev/${f##*/}
				if [ -L "$f" ]; then cp -P "$f" "$n"
				elif [ -d "$f" ]; then mkdir "$n"; mount --bind "$f" "$n"
				else : >"$n"; mount --bind "$f" "$n"; fi
			done
			: >/dev/log
		fi
		mount --bind "$T/devlog" /dev/log
		exec env -u T "$@"' in_ns "$@"
}

# login BODY: POST /api/Auth/Login to the login program as CGI, from 192.0.2.7.
login() {
	in_ns JWTAUTH_CONFIG="$JWTAUTH_CONFIG" REQUEST_METHOD=POST \
	    DOCUMENT_URI=/api/Auth/Login CONTENT_TYPE=application/json REMOTE_ADDR=192.0.2.7 \
	    CONTENT_LENGTH="$(printf '%s' "$1" | wc -c | tr -d ' ')" \
	    "$top_builddir/cgi-bin/login" >"$TAP_TMP/answer" 2>"$TAP_TMP/login.err" <<-END
	$1
	END
}

login '{"Email":"eve@example.com","Password":"Wrong-pw-5678","ClientId":"Client1"}'
ok $? "login runs as CGI in the namespace"
grep -q '^Status: 401' "$TAP_TMP/answer"
ok $? "  it answers 401 to an unknown user"
[ -s "$TAP_TMP/answer" ] || sed 's/^/# /' "$TAP_TMP/login.err"
is "$(grep -c . "$TAP_TMP/login.err")" 0 "  and writes nothing to stderr"

# authpriv (10) * 8 + notice (5) = 85.
ev='<85>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} jwtauth\[[0-9]+\]: event login: time=[0-9T:Z-]+ event=login_failure client_ip=192\.0\.2\.7 user=eve@example\.com client=Client1 reason=unknown_user$'
i=0
until grep -Eq "$ev" "$OUT" 2>/dev/null || [ "$i" -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
grep -Eq "$ev" "$OUT"
ok $? "the login_failure event arrives at /dev/log: authpriv.notice, ident jwtauth[PID], stderr's fields"
[ "$i" -le 100 ] || sed 's/^/# /' "$OUT"
grep -q 'Wrong-pw' "$OUT"
is $? 1 "  no password in what syslog got"

# jwtauthctl keeps writing to stderr whatever log_target says.
n=$(grep -c . "$OUT")
in_ns JWTAUTH_CONFIG="$JWTAUTH_CONFIG" "$top_builddir/jwtauthctl" keys list >/dev/null 2>"$TAP_TMP/ctl.err"
ok $? "jwtauthctl keys list runs in the namespace"
grep -Eq '^jwtauth\[[0-9]+\] event jwtauthctl: .* event=ctl ' "$TAP_TMP/ctl.err"
ok $? "  its event goes to stderr"
is "$(grep -c . "$OUT")" "$n" "  and nothing of it to syslog"

# What rsyslog writes from these datagrams, in its two usual formats; the
# fail2ban filter counts the one login failure in each.
sed -n 's/^<[0-9]*>\([A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\}\) /\1 host /p' "$OUT" >"$TAP_TMP/auth.log"
sed -n 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} /2026-12-03T15:00:00.123456+00:00 host /p' "$OUT" \
    >"$TAP_TMP/auth-rfc3339.log"
for f in auth.log auth-rfc3339.log; do
	fail2ban-regex "$TAP_TMP/$f" "$top_srcdir/contrib/fail2ban/filter.d/jwtauth.conf" >"$TAP_TMP/regex.out" 2>&1
	n=$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' "$TAP_TMP/regex.out")
	is "$n" 1 "fail2ban's filter matches the login failure in a syslog file ($f)"
	[ "$n" = 1 ] || { sed 's/^/# /' "$TAP_TMP/$f"; sed 's/^/# /' "$TAP_TMP/regex.out"; }
	is "$(fail2ban-regex -o ip "$TAP_TMP/$f" "$top_srcdir/contrib/fail2ban/filter.d/jwtauth.conf" 2>/dev/null)" \
	    192.0.2.7 "  from the address the program got"
done

done_testing
