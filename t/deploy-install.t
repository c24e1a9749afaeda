#!/bin/sh
# make install DESTDIR=...: the layout jwtauth(8) and DEPLOYING.md promise,
# with the paths configure chose; the installed files are the sources (or
# are made from them with the install paths filled in); a config already in
# $(sysconfdir) is never replaced; make uninstall removes everything but an
# edited config.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
tap_tmpdir
: "${MAKE:=make}"

# The directories as the build's Makefile has them.
cat >"$TAP_TMP/dirs.mk" <<'EOF'
show-dirs:
	@echo "prefix='$(prefix)' sbindir='$(sbindir)' libexecdir='$(libexecdir)' sysconfdir='$(sysconfdir)' pkgdatadir='$(pkgdatadir)' mandir='$(mandir)' docdir='$(docdir)'"
EOF
eval "$("$MAKE" -s -C "$top_builddir" -f Makefile -f "$TAP_TMP/dirs.mk" show-dirs)"
[ -n "$prefix" ] && [ -n "$libexecdir" ] || bail_out "cannot read the install directories"
diag "prefix $prefix"

D=$TAP_TMP/root
install_to() {
	"$MAKE" -C "$top_builddir" install DESTDIR="$D" >"$TAP_TMP/install.log" 2>&1
}
install_to
ok $? "make install DESTDIR=... succeeds" || sed 's/^/# /' "$TAP_TMP/install.log"

missing=
for p in login refresh-token users products jwks authz oauth2; do
	[ -x "$D$libexecdir/jwtauth/$p" ] || missing="$missing $p"
done
is "$missing" "" "every program in \$(libexecdir)/jwtauth"
[ -x "$D$sbindir/jwtauthctl" ]
ok $? "jwtauthctl in \$(sbindir)"

same() {   # same INSTALLED SOURCE: the installed file is the source
	cmp -s "$D$1" "$top_srcdir/$2"
	ok $? "$2 installed as ${1#$prefix/}"
}
same "$pkgdatadir/sql/schema.sql" sql/schema.sql
same "$pkgdatadir/sql/seed.sql" sql/seed.sql
for f in "$top_srcdir"/sql/migrations/[0-9][0-9][0-9]-*.sql; do
	same "$pkgdatadir/sql/migrations/${f##*/}" "sql/migrations/${f##*/}"
done
same "$pkgdatadir/nginx/jwtauth.conf" nginx/jwtauth.conf
same "$pkgdatadir/nginx/jwtauth-gateway.conf" nginx/jwtauth-gateway.conf
same "$pkgdatadir/nginx/jwtauth-protect.conf" nginx/jwtauth-protect.conf
same "$pkgdatadir/jwtauth.conf.sample" doc/jwtauth.conf.sample
same "$pkgdatadir/apache/htaccess" contrib/apache/htaccess
same "$pkgdatadir/mariadb/jwtauth.cnf" contrib/mariadb/jwtauth.cnf
same "$pkgdatadir/fail2ban/filter.d/jwtauth.conf" contrib/fail2ban/filter.d/jwtauth.conf
same "$pkgdatadir/fail2ban/jail.d/jwtauth.conf" contrib/fail2ban/jail.d/jwtauth.conf
same "$pkgdatadir/examples/products-client.sh" examples/products-client.sh
same "$docdir/DEPLOYING.md" contrib/DEPLOYING.md
same "$mandir/man5/jwtauth.conf.5" doc/jwtauth.conf.5
same "$mandir/man8/jwtauthctl.8" doc/jwtauthctl.8
same "$mandir/man8/jwtauth.8" doc/jwtauth.8
out=$(mandoc -Tlint -Wwarning "$D$mandir/man5/jwtauth.conf.5" "$D$mandir/man8/jwtauthctl.8" \
    "$D$mandir/man8/jwtauth.8" 2>&1)
is "$out" "" "the man pages are mandoc -Tlint clean"

# The sample config in $(sysconfdir), for the administrator to edit.
cmp -s "$D$sysconfdir/jwtauth.conf" "$top_srcdir/doc/jwtauth.conf.sample"
ok $? "\$(sysconfdir)/jwtauth.conf is the sample"
is "$(stat -c %a "$D$sysconfdir/jwtauth.conf")" 640 "... mode 0640 (it will hold db_password)"

# Files made from .in templates name the installed paths.
units=$D$pkgdatadir/systemd
for u in jwtauth@.socket jwtauth@.service jwtauth.target jwtauth-maintenance.service \
    jwtauth-maintenance.timer; do
	[ -f "$units/$u" ] || missing="$missing $u"
done
is "$missing" "" "the systemd units in \$(pkgdatadir)/systemd"
grep -l '@[a-zA-Z_]*@' "$units"/* "$D$pkgdatadir/spawn-fcgi/jwtauth-spawn" >"$TAP_TMP/left"
is "$(cat "$TAP_TMP/left")" "" "no @variable@ left unsubstituted"
grep -qx "ExecStart=/usr/bin/multiwatch -f \${JWTAUTH_WORKERS} -- $libexecdir/jwtauth/%i" "$units/jwtauth@.service"
ok $? "jwtauth@.service runs \$(libexecdir)/jwtauth/%i under multiwatch"
grep -qx "ExecStart=$sbindir/jwtauthctl purge" "$units/jwtauth-maintenance.service"
ok $? "jwtauth-maintenance.service runs \$(sbindir)/jwtauthctl"
spawn=$D$pkgdatadir/spawn-fcgi/jwtauth-spawn
[ -x "$spawn" ] && sh -n "$spawn" && grep -q "JWTAUTH_LIBEXECDIR:=$libexecdir/jwtauth}" "$spawn"
ok $? "jwtauth-spawn: executable, valid sh, runs \$(libexecdir)/jwtauth"

# The installed binaries work from where they are: jwtauthctl looks for the
# migrations where make install put them, and a program answers as CGI.
"$D$sbindir/jwtauthctl" migrate --help | grep -q "(default $pkgdatadir/sql/migrations)"
ok $? "jwtauthctl migrate defaults to \$(pkgdatadir)/sql/migrations"
printf 'db_nonsense = 1\n' >"$TAP_TMP/bad.conf"
env_i JWTAUTH_CONFIG="$TAP_TMP/bad.conf" REQUEST_METHOD=GET REQUEST_URI=/.well-known/jwks.json \
    "$D$libexecdir/jwtauth/jwks" 2>/dev/null | tr -d '\r' | head -n 1 >"$TAP_TMP/status"
is "$(cat "$TAP_TMP/status")" "Status: 500 Internal Server Error" "the installed jwks runs as CGI"

# An existing config is kept.
printf '# mine\n' >>"$D$sysconfdir/jwtauth.conf"
cp "$D$sysconfdir/jwtauth.conf" "$TAP_TMP/mine.conf"
install_to
ok $? "make install again"
cmp -s "$D$sysconfdir/jwtauth.conf" "$TAP_TMP/mine.conf"
ok $? "... keeps the edited \$(sysconfdir)/jwtauth.conf"

"$MAKE" -C "$top_builddir" uninstall DESTDIR="$D" >"$TAP_TMP/uninstall.log" 2>&1
ok $? "make uninstall"
is "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" ".${sysconfdir#"$D"}/jwtauth.conf " \
    "... leaves only the edited config"
rm -f "$D$sysconfdir/jwtauth.conf"
install_to && "$MAKE" -C "$top_builddir" uninstall DESTDIR="$D" >"$TAP_TMP/uninstall.log" 2>&1
is "$(cd "$D" && find . -type f | wc -l | tr -d ' ')" 0 "install then uninstall leaves no file"
is "$(cd "$D" && find . -type d -name '*jwtauth*' | sort | tr '\n' ' ')" "" \
    "... and no folder of jwtauth's (\$(libexecdir)/jwtauth, \$(pkgdatadir), \$(docdir))"

done_testing
