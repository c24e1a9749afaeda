#!/bin/sh
# The README's "Standard OAuth 2.0" lines, run as they are written against
# the real stack: each command's output must be the line(s) the README
# shows under it (standard output: jwtauthctl's security events go to
# stderr), "…" standing for what differs from run to run (tokens,
# secrets, ids, times). Only the stack's address and certificate, and
# jwtauthctl for `./quickstart ctl`, are the test's own.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
RATE_LIMIT=off
api_stack
api_user ada@example.com Password@123 || bail_out "cannot register Ada"

sed -n '/<!-- t\/oauth2-readme.t runs these lines -->/,/<!-- \/t\/oauth2-readme.t -->/p' \
    "$top_srcdir/README.md" | sed -e '/^<!--/d' -e 's/^    //' >"$TAP_TMP/readme"
is "$(grep -c '^\$O \|^\./quickstart ctl ' "$TAP_TMP/readme")" 11 "the README shows eleven OAuth 2.0 commands"

O="curl -s --cacert $STACK_CACERT"
U=$STACK_URL
quickstart() {   # ./quickstart ctl ARGS: jwtauthctl on this stack
	shift
	"$top_builddir/jwtauthctl" "$@"
}
# The README's expected text as a case pattern: glob characters quoted,
# "…" for anything, the README's address for the stack's.
pattern() {
	printf '%s' "$1" | sed -e 's/[][\\*?]/\\&/g' -e 's/…/*/g' -e "s|https://127\.0\.0\.1:8443|$U|g"
}
check() {
	[ -n "$cmd" ] || return 0
	got=$(eval "$(printf '%s' "$cmd" | sed 's|^\./quickstart|quickstart|')" 2>/dev/null)
	# shellcheck disable=SC2254
	case $got in
	$(pattern "$want")) ok 0 "README: $cmd" ;;
	*) ok 1 "README: $cmd"; printf '# got:  %s\n# want: %s\n' "$got" "$want" ;;
	esac
	cmd= want=
}
cmd= want=
while IFS= read -r line; do
	case $line in
	'$O '*|'./quickstart ctl '*)
		check
		cmd=$line
		;;
	[A-Z]'=$('*)
		check
		eval "$(printf '%s' "$line" | sed 's|\./quickstart ctl|quickstart ctl|g')"
		;;
	''|'#'*)
		check
		;;
	*)
		want=${want:+$want
}$line
		;;
	esac
done <"$TAP_TMP/readme"
check
printf '%s' "$S" | grep -Eq '^[A-Za-z0-9_-]{43}$'
ok $? "README: \$S holds the new client secret"

done_testing
