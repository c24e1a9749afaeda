#!/bin/sh
# contrib/fail2ban/: Debian's fail2ban-regex, run on the login log of a
# real run, counts exactly the failed and throttled logins, each from the
# address nginx passed (127.0.0.1), never from an address a client wrote
# into a field; the jail passes `fail2ban-client -t`.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"

command -v fail2ban-regex >/dev/null ||
    bail_out "fail2ban-regex not found: apt-get install --no-install-recommends fail2ban"
FILTER=$top_srcdir/contrib/fail2ban/filter.d/jwtauth.conf
JAIL=$top_srcdir/contrib/fail2ban/jail.d/jwtauth.conf
STACK_CONF_EXTRA="login_max_failures = 3
argon2_opslimit = 1
argon2_memlimit = 8K"
STACK_PROGRAMS="login users jwks"
api_stack
LOG=$TAP_TMP/log/login.log

login() {
	anon api POST /api/Auth/Login "{\"Email\":\"$1\",\"Password\":\"$2\",\"ClientId\":\"${3:-Client1}\"}"
	echo "$STATUS"
}
api_user ann@example.com 'Right-pw-1' || bail_out "cannot register"
api_user bea@example.com 'Right-pw-2' || bail_out "cannot register"

# 1 success, then 2 + 2 + 1 + 3 failures and 1 throttled attempt: 9 to count.
is "$(login ann@example.com Right-pw-1)" 200 "a login that succeeds"
is "$(login ann@example.com Wrong-pw-1)$(login ann@example.com Wrong-pw-1)" 401401 "2 wrong passwords"
is "$(login nobody@example.com Wrong-pw-2)$(login client_ip=198.51.100.7@example.com Wrong-pw-2)" 401401 \
    "2 unknown users, one whose address holds 'client_ip=198.51.100.7'"
is "$(login ann@example.com Right-pw-1 NoSuchClient)" 401 "an unknown client"
is "$(login bea@example.com Wrong-pw-3)$(login bea@example.com Wrong-pw-3)$(login bea@example.com Wrong-pw-3)" \
    401401401 "3 wrong passwords for another account"
is "$(login bea@example.com Right-pw-2)" 429 "then that account is throttled"
want=9

# The programs write their log line before answering; wait until all are there.
i=0
until [ "$(grep -c 'event=login_\(failure\|throttled\)' "$LOG")" -ge "$want" ] || [ "$i" -gt 100 ]; do
	i=$((i + 1)); sleep 0.1
done

fail2ban-regex "$LOG" "$FILTER" >"$TAP_TMP/regex.out" 2>&1
ok $? "fail2ban-regex runs the filter on the log"
n=$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' "$TAP_TMP/regex.out")
is "$n" "$want" "  it matches the $want failed and throttled logins, no more"
[ "$n" = "$want" ] || sed 's/^/# /' "$TAP_TMP/regex.out"
fail2ban-regex -o ip "$LOG" "$FILTER" 2>/dev/null | sort | uniq -c | sed 's/^ *//' >"$TAP_TMP/ips"
is "$(cat "$TAP_TMP/ips")" "$want 127.0.0.1" "  each from 127.0.0.1, the address nginx passed"
grep -q 'user="client_ip=198.51.100.7@example.com"' "$LOG"
ok $? "  the address written into the e-mail is quoted in the event"
grep -q 'Right-pw\|Wrong-pw' "$LOG"
is "$?" 1 "  no password in the log"

# README's troubleshooting lines, as written, in a folder where var/ is
# this run's stack and contrib/ the source's.
mkdir -p "$TAP_TMP/readme/var" && ln -s "$TAP_TMP/log" "$TAP_TMP/readme/var/log" &&
    ln -s "$top_srcdir/contrib" "$TAP_TMP/readme/contrib" || bail_out "cannot make the README folder"
sed -n 's/^    \(fail2ban-regex var\/log\/.*\)$/\1/p' "$top_srcdir/README.md" >"$TAP_TMP/readme.cmd"
is "$(wc -l <"$TAP_TMP/readme.cmd")" 1 "README shows one fail2ban-regex line"
( cd "$TAP_TMP/readme" && sh "$TAP_TMP/readme.cmd" ) >"$TAP_TMP/readme.out" 2>&1
is "$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' "$TAP_TMP/readme.out")" "$want" "  it runs, and counts the same"
grep -o "\`grep ' event=' var/log/\*\.log\`" "$top_srcdir/README.md" | tr -d '\`' >"$TAP_TMP/readme.grep"
is "$(wc -l <"$TAP_TMP/readme.grep")" 1 "README shows the grep for every event"
( cd "$TAP_TMP/readme" && sh "$TAP_TMP/readme.grep" ) >"$TAP_TMP/readme.out" 2>&1
is "$(grep -c 'event=login_' "$TAP_TMP/readme.out")" 10 "  it shows the 10 login events of this run"

# The jail, as fail2ban would load it: a copy of the host's configuration
# with ours added and the log path pointed at this run's log.
cp -r /etc/fail2ban "$TAP_TMP/f2b" && cp "$FILTER" "$TAP_TMP/f2b/filter.d/" &&
    cp "$JAIL" "$TAP_TMP/f2b/jail.d/" || bail_out "cannot copy /etc/fail2ban"
# Debian enables the sshd jail, whose log a container may not have.
printf '[sshd]\nenabled = false\n[jwtauth]\nlogpath = %s\n' "$LOG" >"$TAP_TMP/f2b/jail.d/zz-test.local"
fail2ban-client -c "$TAP_TMP/f2b" -t >"$TAP_TMP/t.out" 2>&1
rc=$?
ok $rc "fail2ban-client -t accepts the jail"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$TAP_TMP/t.out"
fail2ban-client -c "$TAP_TMP/f2b" -d 2>/dev/null | grep -q "\['add', 'jwtauth', 'auto'\]"
ok $? "  and it defines the jwtauth jail"

done_testing
