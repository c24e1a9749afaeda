#!/bin/sh
# DEPLOYING.md's Debian package, as written: every block marked
# deploy-package runs, in order, as root, in the folder of the sources as
# `make dist` ships them, on a throw-away copy of this machine
# (t/lib/sandbox.sh): dpkg-buildpackage, lintian (--fail-on error,warning),
# apt-get install of the package, the database, configuration, master key,
# jwtauth-spawn, nginx and cron; then "Trying it"'s register, login,
# refresh and GetById, and "Removing"'s purge. The only change:
# auth.example.com points at 127.0.0.1 (/etc/hosts). Then the package
# itself: the files where DEPLOYING.md says, conffiles, dependencies, units
# neither enabled nor started; and after the purge, what it removed and
# what it kept.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/tap.sh"
. "$top_srcdir/t/lib/sandbox.sh"
sandbox_enter "$0"
. "$top_srcdir/t/lib/docblocks.sh"
. "$top_srcdir/t/lib/deploy.sh"
tap_tmpdir
DOC=$top_srcdir/contrib/DEPLOYING.md

echo "127.0.0.1 auth.example.com" >>/etc/hosts
deploy_sources "$TAP_TMP/src"
cd "$TAP_TMP/src" || bail_out "no sources"
docblocks_run "$DOC" deploy-package
deploy_tried "$DOCBLOCKS_OUT"
deploy_spawned

deb=$(ls "$TAP_TMP"/jwtauth_*.deb 2>/dev/null)
[ -f "$deb" ]
ok $? "jwtauth_<version>_<arch>.deb built beside the sources" || bail_out "no package"
# (lintian --fail-on error,warning ran in the block: no error, no warning.)

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TAP_TMP/files"
missing=
for f in /usr/lib/jwtauth/login /usr/lib/jwtauth/refresh-token /usr/lib/jwtauth/users \
    /usr/lib/jwtauth/products /usr/lib/jwtauth/jwks /usr/lib/jwtauth/authz /usr/lib/jwtauth/oauth2 /usr/sbin/jwtauthctl \
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
zcat /usr/share/man/man8/jwtauth.8.gz | grep -q 'DEPLOYING\.md\.gz' && [ -f /usr/share/doc/jwtauth/DEPLOYING.md.gz ]
ok $? "jwtauth(8) names the DEPLOYING.md.gz the package ships"

mkdir "$TAP_TMP/ctl"
dpkg-deb -e "$deb" "$TAP_TMP/ctl"
is "$(sort "$TAP_TMP/ctl/conffiles" | tr '\n' ' ')" "/etc/jwtauth.conf /etc/nginx/sites-available/jwtauth /etc/nginx/snippets/jwtauth-gateway.conf /etc/nginx/snippets/jwtauth-protect.conf " \
    "conffiles: /etc/jwtauth.conf, the nginx site and the gateway's snippets"
deps=$(dpkg-deb -f "$deb" Depends)
missing=
for d in adduser multiwatch libfcgi0ldbl libmariadb3 libsodium23 libjson-c5 libssl3; do
	case ", $deps," in *", $d"[\ ,]*) ;; *) missing="$missing $d" ;; esac
done
is "$missing" "" "Depends: adduser, multiwatch and the libraries"
case ", $(dpkg-deb -f "$deb" Recommends)," in *", spawn-fcgi,"*) rc=0 ;; *) rc=1 ;; esac
ok $rc "Recommends: spawn-fcgi (for jwtauth-spawn, without systemd)"
# dh_installsystemd's enabling snippet says "new installations run enable";
# its starting and restarting ones call deb-systemd-invoke.
grep -q 'new installations run enable\|deb-systemd-invoke' "$TAP_TMP/ctl/postinst"
is "$?" 1 "the package neither enables nor starts the units"
grep -qx 'ExecStart=/usr/bin/multiwatch -f ${JWTAUTH_WORKERS} -- /usr/lib/jwtauth/%i' \
    /lib/systemd/system/jwtauth@.service
ok $? "jwtauth@.service runs /usr/lib/jwtauth/%i"
/usr/sbin/jwtauthctl migrate --help | grep -q '(default /usr/share/jwtauth/sql/migrations)'
ok $? "the packaged jwtauthctl looks for migrations in /usr/share/jwtauth/sql/migrations"

# Removing: the purge removes what "Removing" lists and keeps the master key.
docblocks_run "$DOC" deploy-purge
left=
for f in /etc/jwtauth.conf /etc/nginx/sites-available/jwtauth /etc/nginx/sites-enabled/jwtauth \
    /etc/nginx/snippets/jwtauth-gateway.conf /etc/nginx/snippets/jwtauth-protect.conf \
    /etc/cron.d/jwtauth /etc/jwtauth/admin.conf /etc/jwtauth/tls /var/log/jwtauth /usr/lib/jwtauth \
    /usr/share/jwtauth; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
is "$left" "" "purge removes the configuration, the nginx site and its link, cron, admin.conf, TLS, logs"
is "$(stat -c '%U %a' /etc/jwtauth/master.key 2>&1)" "jwtauth 600" "purge keeps the master key, and its owner"
nginx -t >/dev/null 2>&1
ok $? "nginx's configuration is still valid"

done_testing
