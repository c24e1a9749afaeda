#!/bin/sh
# Every forged and broken token of t/bearer-token.t, through the nginx
# gateway (SPEC §10) in front of an app: each gets the same 401 as from the
# API, and the app receives none of them (t/bearer-token.t, BEARER_GATEWAY).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
BEARER_GATEWAY=1 exec /bin/sh "$top_srcdir/t/bearer-token.t"
