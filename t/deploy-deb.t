#!/bin/sh
# The Debian package: `dpkg-buildpackage -us -uc -b` on the distributed
# sources builds jwtauth_<version>_<arch>.deb; lintian finds no error and no
# warning in it; it holds the programs, jwtauthctl, man pages, units, the
# nginx site and the SQL where DEPLOYING.md says, with the conffiles, the
# dependencies and the jwtauth system user.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
tap_tmpdir
: "${MAKE:=make}"
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null ||
	    bail_out "$tool not found: apt-get install --no-install-recommends dpkg-dev debhelper lintian"
done

cat >"$TAP_TMP/dirs.mk" <<'EOF'
show-dirs:
	@echo "version='$(PACKAGE_VERSION)'"
EOF
eval "$("$MAKE" -s -C "$top_builddir" -f Makefile -f "$TAP_TMP/dirs.mk" show-dirs)"

# The sources as `make dist` ships them, unpacked.
S=$TAP_TMP/jwtauth-$version
"$MAKE" -C "$top_builddir" distdir distdir="$S" >"$TAP_TMP/distdir.log" 2>&1 ||
    { sed 's/^/# /' "$TAP_TMP/distdir.log"; bail_out "make distdir failed"; }
chmod -R u+w "$S"
# Not make check's jobserver and levels: the package build is a build of its own.
( cd "$S" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b ) \
    >"$TAP_TMP/build.log" 2>&1
rc=$?
ok $rc "dpkg-buildpackage -us -uc -b"
[ "$rc" -eq 0 ] || { tail -n 30 "$TAP_TMP/build.log" | sed 's/^/# /'; bail_out "no package"; }
deb=$(ls "$TAP_TMP"/jwtauth_"$version"_*.deb 2>/dev/null)
[ -f "$deb" ]
ok $? "jwtauth_${version}_<arch>.deb built"

lintian --fail-on error,warning "$deb" >"$TAP_TMP/lintian.out" 2>&1
rc=$?
grep -v '^running with root privileges' "$TAP_TMP/lintian.out" >"$TAP_TMP/lintian.tags"
if [ "$rc" -eq 0 ] && [ ! -s "$TAP_TMP/lintian.tags" ]; then
	ok 0 "lintian: no error, no warning"
else
	ok 1 "lintian: no error, no warning"
	sed 's/^/# /' "$TAP_TMP/lintian.tags"
fi

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TAP_TMP/files"
missing=
for f in /usr/lib/jwtauth/login /usr/lib/jwtauth/refresh-token /usr/lib/jwtauth/users \
    /usr/lib/jwtauth/products /usr/lib/jwtauth/jwks /usr/lib/jwtauth/authz /usr/sbin/jwtauthctl \
    /usr/share/man/man8/jwtauth.8.gz /usr/share/man/man8/jwtauthctl.8.gz \
    /usr/share/man/man5/jwtauth.conf.5.gz \
    /lib/systemd/system/jwtauth@.socket /lib/systemd/system/jwtauth@.service \
    /lib/systemd/system/jwtauth.target /lib/systemd/system/jwtauth-maintenance.service \
    /lib/systemd/system/jwtauth-maintenance.timer \
    /etc/jwtauth.conf /etc/nginx/sites-available/jwtauth \
    /etc/nginx/snippets/jwtauth-gateway.conf /etc/nginx/snippets/jwtauth-protect.conf \
    /usr/share/jwtauth/sql/schema.sql /usr/share/jwtauth/sql/seed.sql \
    /usr/share/jwtauth/sql/migrations/002-email-accent-sensitive.sql \
    /usr/share/jwtauth/spawn-fcgi/jwtauth-spawn /usr/share/jwtauth/apache/htaccess \
    /usr/share/jwtauth/mariadb/jwtauth.cnf \
    /usr/share/jwtauth/nginx/jwtauth.conf /usr/share/doc/jwtauth/DEPLOYING.md.gz; do
	grep -qxF "$f" "$TAP_TMP/files" || missing="$missing $f"
done
is "$missing" "" "the package holds the programs, jwtauthctl, man pages, units, nginx site, SQL, docs"

mkdir "$TAP_TMP/ctl" "$TAP_TMP/x"
dpkg-deb -e "$deb" "$TAP_TMP/ctl" && dpkg-deb -x "$deb" "$TAP_TMP/x"
is "$(sort "$TAP_TMP/ctl/conffiles" | tr '\n' ' ')" "/etc/jwtauth.conf /etc/nginx/sites-available/jwtauth /etc/nginx/snippets/jwtauth-gateway.conf /etc/nginx/snippets/jwtauth-protect.conf " \
    "conffiles: /etc/jwtauth.conf, the nginx site and the gateway's snippets"
deps=$(dpkg-deb -f "$deb" Depends)
missing=
for d in adduser multiwatch libfcgi0ldbl libmariadb3 libsodium23 libjson-c5 libssl3; do
	case ", $deps," in *", $d"[\ ,]*) ;; *) missing="$missing $d" ;; esac
done
is "$missing" "" "Depends: adduser, multiwatch and the libraries"
grep -q 'adduser --system --group .* jwtauth$' "$TAP_TMP/ctl/postinst"
ok $? "postinst makes the jwtauth system user"
# dh_installsystemd's enabling snippet says "new installations run enable";
# its starting and restarting ones call deb-systemd-invoke.
grep -q 'new installations run enable\|deb-systemd-invoke' "$TAP_TMP/ctl/postinst"
is "$?" 1 "the package neither enables nor starts the units"
grep -qx 'ExecStart=/usr/bin/multiwatch -f ${JWTAUTH_WORKERS} -- /usr/lib/jwtauth/%i' \
    "$TAP_TMP/x/lib/systemd/system/jwtauth@.service"
ok $? "jwtauth@.service runs /usr/lib/jwtauth/%i"
"$TAP_TMP/x/usr/sbin/jwtauthctl" migrate --help | grep -q '(default /usr/share/jwtauth/sql/migrations)'
ok $? "the packaged jwtauthctl looks for migrations in /usr/share/jwtauth/sql/migrations"
is "$(stat -c %a "$TAP_TMP/x/etc/jwtauth.conf")" 640 "/etc/jwtauth.conf: mode 0640"

done_testing
