# tap.sh: TAP for the shell tests (POSIX sh), and the temporary-directory
# life cycle every test shares.
#
#   . "$top_srcdir/t/lib/tap.sh"
#   tap_tmpdir              -> $TAP_TMP, removed (and its servers stopped) at exit
#   ok COND_EXIT "name"     -> use as: [ "$x" = y ]; ok $? "x is y"
#   is GOT WANT "name"
#   done_testing
#   tap_secret VALUE...     a secret of this run (t/log-secrets.t: no log may hold it)

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

# A test builds its own stack: nothing from a stack that happens to run
# (./quickstart's, or a developer's shell) may leak into it.
unset STACK_DIR STACK_DB_PORT STACK_DB_SOCKET STACK_HTTPS_PORT STACK_URL \
    STACK_CACERT STACK_CONF_EXTRA JWTAUTH_CONFIG

TAP_N=0
TAP_FAILED=0

# Every test leaves its servers' logs and the secrets it used (passwords
# it sent, tokens it received: api.sh records them) in a folder of the
# build tree, t/run/NAME, which t/log-secrets.t scans at the end of the
# run: no log may hold a secret. The folder is the last run's only.
TAP_RUN=$top_builddir/t/run/$(basename "$0" .t)
rm -rf "$TAP_RUN" && mkdir -p "$TAP_RUN" 2>/dev/null || TAP_RUN=

tap_secret() {
	[ -n "$TAP_RUN" ] || return 0
	for _s in "$@"; do
		[ -n "$_s" ] && printf '%s\n' "$_s" >>"$TAP_RUN/secrets"
	done
	return 0
}

# The logs under the test's folder, kept in $TAP_RUN/logs with their paths:
# each log/ folder (stack.sh's), and files named as logs or stderr elsewhere.
tap_keep_logs() {
	[ -n "$TAP_RUN" ] && [ -d "${TAP_TMP:-}" ] || return 0
	( cd "$TAP_TMP" && find . -type f \( -path '*/log/*' -o -name '*.log' -o -name '*.err' \
	    -o -name err -o -name stderr -o -name 'error_log' \) ! -path './mariadb/data/*' \
	    -exec cp --parents {} "$TAP_RUN/logs/" \; ) 2>/dev/null
	return 0
}

ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '# got:  %s\n# want: %s\n' "$1" "$2"
	fi
}

diag() {
	printf '# %s\n' "$*"
}

bail_out() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# Cleanup hooks run at exit, newest first.
TAP_CLEANUP=
tap_at_exit() {
	TAP_CLEANUP="$1; $TAP_CLEANUP"
}
tap_run_cleanup() {
	eval "$TAP_CLEANUP"
	[ -n "$TAP_RUN" ] && mkdir -p "$TAP_RUN/logs" && tap_keep_logs
	[ -n "${TAP_TMP:-}" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$TAP_TMP"
	return 0
}
trap 'tap_run_cleanup' EXIT
# A test killed by a signal must not leave its servers running.
trap 'exit 130' INT TERM HUP PIPE

# env_i VAR=value... COMMAND...: env -i, but keeping the sanitizers'
# options. quickstart's sanitized run sets ASAN_OPTIONS and UBSAN_OPTIONS
# with a log_path where every report becomes a file that fails the run; a
# program started with a cleared environment (as a CGI host starts it)
# would lose them and report to a stderr nobody reads.
env_i() {
	env -i ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} "$@"
}

tap_tmpdir() {
	TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jwtauth-test.XXXXXX") || bail_out "mktemp failed"
}
