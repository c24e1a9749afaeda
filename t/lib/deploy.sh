# deploy.sh: what the doc-driven deploy tests share (POSIX sh): the
# sources as a release unpacks them, and the checks after DEPLOYING.md's
# blocks ran.
#
#   deploy_sources DIR        `make distdir` into DIR (builds in it use
#                             MAKEFLAGS=-j2, not make check's jobserver,
#                             and dpkg-buildpackage two jobs)
#   deploy_tried FILE         FILE is "Trying it"'s output: registered, and
#                             GetById/2 answered with the refreshed token
#   deploy_spawned            section 1's programs under jwtauth-spawn and
#                             nginx on this (sandboxed) machine
: "${MAKE:=make}"

deploy_sources() {
	"$MAKE" -C "$top_builddir" distdir distdir="$1" >"$TAP_TMP/distdir.log" 2>&1 ||
	    { sed 's/^/# /' "$TAP_TMP/distdir.log"; bail_out "make distdir failed"; }
	chmod -R u+w "$1"
	unset MFLAGS MAKELEVEL
	MAKEFLAGS=-j2
	DEB_BUILD_OPTIONS=parallel=2
	export MAKEFLAGS DEB_BUILD_OPTIONS
}

deploy_tried() {
	is "$(sed -n 1p "$1")" '{"message":"User registered successfully."}' \
	    "Trying it: Register answers 201's message"
	is "$(sed -n 2p "$1" | jq -r '.Name' 2>/dev/null)" "Product B" \
	    "Trying it: GetById/2 with the refreshed access token: Product B"
}

# The worker processes (multiwatch's children) of program $1, "user pid" lines.
deploy_workers() {
	pgrep -P "$(cat "/run/jwtauth/$1.pid")" | while read -r _pid; do ps -o user=,pid= -p "$_pid"; done
}

deploy_spawned() {
	_spawn=/usr/share/jwtauth/spawn-fcgi/jwtauth-spawn
	_bad=
	for _p in login refresh-token users products jwks authz oauth2; do
		[ "$(stat -c '%U %a' "/run/jwtauth/$_p.sock" 2>/dev/null)" = "www-data 660" ] ||
		    _bad="$_bad $_p"
	done
	is "$_bad" "" "the programs' sockets in /run/jwtauth, owned by www-data, mode 0660"
	is "$(deploy_workers login | wc -l | tr -d ' ')" 2 "login: two workers"
	is "$(deploy_workers jwks | awk '{ print $1 }' | sort -u)" jwtauth "the workers run as jwtauth"

	# multiwatch replaces a worker that dies.
	_victim=$(deploy_workers login | awk 'NR == 1 { print $2 }')
	kill -9 "$_victim"
	_i=0
	while [ "$(deploy_workers login | wc -l | tr -d ' ')" -lt 2 ] ||
	    deploy_workers login | grep -q " $_victim\$"; do
		_i=$((_i + 1))
		[ "$_i" -gt 100 ] && break
		sleep 0.1
	done
	is "$(deploy_workers login | grep -vc " $_victim\$")" 2 "a killed login worker is replaced"
	is "$(curl -s https://auth.example.com/health)" '{"status":"ok"}' "... and /health answers"
	grep -q "^jwtauth\[.*\] info login" /var/log/jwtauth/login.log
	ok $? "the programs' log lines reach /var/log/jwtauth/login.log"

	# The cron line's commands work as the user cron runs them as.
	_cmd=$(sed -n 's/^17 3 \* \* \* jwtauth //p' /etc/cron.d/jwtauth)
	[ -n "$_cmd" ] && runuser -u jwtauth -- sh -c "$_cmd" >"$TAP_TMP/cron.out" 2>&1
	ok $? "the daily cron line's commands (rotate, purge) run as jwtauth" ||
	    sed 's/^/# /' "$TAP_TMP/cron.out"

	"$_spawn" status >/dev/null
	ok $? "jwtauth-spawn status: running"
	"$_spawn" stop >/dev/null 2>&1
	ok $? "jwtauth-spawn stop"
	is "$(ls /run/jwtauth 2>/dev/null | tr '\n' ' ')" "" "... removes the sockets and pid files"
	"$_spawn" status >/dev/null
	is "$?" 3 "jwtauth-spawn status after stop: 3"
	# (nginx turns the 502 of a dead upstream into the JSON 503 of SPEC §2.)
	is "$(curl -s https://auth.example.com/health)" '{"message":"Service temporarily unavailable."}' \
	    "programs stopped: nginx answers 503 JSON"
}
