#!/bin/sh
# DEPLOYING.md section 1, nginx and spawn-fcgi from the sources, as
# written: every block marked deploy-spawn-fcgi runs, in order, as root, in
# the folder of the sources as a release unpacks them, on a throw-away copy
# of this machine (t/lib/sandbox.sh), then "Trying it"'s register, login,
# refresh and GetById. The only change: auth.example.com points at
# 127.0.0.1 (/etc/hosts). Then what the blocks promise: the sockets owned
# by www-data with mode 0660, two workers each running as jwtauth, a killed
# worker replaced, the programs' log, the cron line's commands as jwtauth,
# jwtauth-spawn status and stop. Then "Upgrading"'s blocks, which start
# the programs again.
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
docblocks_run "$DOC" deploy-spawn-fcgi
deploy_tried "$DOCBLOCKS_OUT"
deploy_spawned

# "Upgrading", on this installation (stopped by deploy_spawned): nothing to
# migrate or bind, the programs started again.
docblocks_run "$DOC" deploy-upgrade
is "$(curl -s https://auth.example.com/health)" '{"status":"ok"}' "after Upgrading's blocks: /health ok"
# The shipped server block says server_tokens off (issue 16, item 7);
# Debian's nginx.conf leaves it on, so this is the block's doing.
is "$(curl -sI https://auth.example.com/health | tr -d '\r' | sed -n 's/^server: //Ip')" nginx \
    "the shipped server block names no nginx version"
done_testing
