#!/bin/sh
# A worker killed under load (SIGKILL: a crash, the OOM killer): multiwatch
# starts a new one on the same socket, the program's other worker goes on
# answering meanwhile, and no request fails but the one the dead worker was
# answering. Both original workers of every program are killed in turn, so
# at the end only replacements serve.
#
# Two clients send a steady stream (login, GetAll, GetById, GetProfile,
# JWKS, and a refresh with an unknown token, 401) through nginx, each a
# curl that keeps its connection; every answer's status is logged and
# checked against the one expected. A worker is single-threaded: it holds
# at most one request when it dies, so at most one request may fail per
# kill (asserted with a margin of one).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
STACK_CONF_EXTRA="argon2_opslimit = 1
argon2_memlimit = 8K"
# One client address sends everything: nginx's per-address limit on login
# would answer 429.
RATE_LIMIT=off
api_stack

PROGRAMS="login refresh-token users products jwks"
DRIVERS="1 2"
MAX_FAILED_PER_KILL=2
STOP=$TAP_TMP/stop

api_user alice@example.com Password@123 || bail_out "cannot register"
api_login alice@example.com Password@123 || bail_out "cannot log in"

workers() {
	pgrep -P "$(cat "$STACK_DIR/run/$1.pid")" | sort -n | tr '\n' ' '
}

# One batch: a curl config of 36 requests. Every option is repeated in
# each block, since --next starts afresh.
printf '%s' '{"Email":"alice@example.com","Password":"Password@123","ClientId":"Client1"}' \
    >"$TAP_TMP/login.json"
printf '%s' '{"RefreshToken":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ClientId":"Client1"}' \
    >"$TAP_TMP/refresh.json"
block() {
	printf 'url = "%s%s"\ncacert = "%s"\nnoproxy = "*"\nmax-time = 30\nsilent\n' \
	    "$STACK_URL" "$1" "$STACK_CACERT"
	printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{url_effective}\\n"\n'
	shift
	for _l in "$@"; do printf '%s\n' "$_l"; done
	printf 'next\n'
}
for _i in 1 2 3 4 5 6; do
	block /api/Auth/Login 'header = "Content-Type: application/json"' \
	    "data-binary = \"@$TAP_TMP/login.json\""
	block /api/Products/GetAll
	block /api/Products/GetById/1 "header = \"Authorization: Bearer $TOKEN\""
	block /api/Users/GetProfile "header = \"Authorization: Bearer $TOKEN\""
	block /.well-known/jwks.json
	block /api/Auth/RefreshToken 'header = "Content-Type: application/json"' \
	    "data-binary = \"@$TAP_TMP/refresh.json\""
done >"$TAP_TMP/batch.conf"

# A client: batches until told to stop (bounded in count too).
driver() {
	_n=0
	while [ ! -e "$STOP" ] && [ "$_n" -lt 2000 ]; do
		curl -K "$TAP_TMP/batch.conf" >>"$1" 2>/dev/null
		_n=$((_n + 1))
	done
}

# "requests failed" in the answers logged, lines $1+1 to $2 of each log.
failed_between() {
	_f=0
	for _d in $DRIVERS; do
		_x=$(sed -n "$(($1 + 1)),$2p" "$TAP_TMP/answers.$_d" | awk '
		    { want = ($2 ~ /RefreshToken$/) ? 401 : 200 }
		    $1 != want { n++; print "# failed: " $0 > "/dev/stderr" }
		    END { print n + 0 }')
		_f=$((_f + _x))
	done
	echo "$_f"
}
# The line count of the shortest answer log.
answered() {
	for _d in $DRIVERS; do
		wc -l <"$TAP_TMP/answers.$_d"
	done | sort -n | head -n 1
}
# Wait until every client has logged $1 more answers than now.
wait_answers() {
	_goal=$(($(answered) + $1))
	_i=0
	while [ "$(answered)" -lt "$_goal" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt 600 ] && return 1
		sleep 0.05
	done
}

DRIVER_PIDS=
for _d in $DRIVERS; do
	: >"$TAP_TMP/answers.$_d"
	driver "$TAP_TMP/answers.$_d" &
	DRIVER_PIDS="$DRIVER_PIDS $!"
done
# (Not a bare wait: the stack's servers are this shell's children too.)
tap_at_exit ': >"$STOP"; wait $DRIVER_PIDS'

wait_answers 72
ok $? "the clients are answered"
mark=$(answered)
is "$(failed_between 0 "$mark")" 0 "before any kill, every request gets its expected status"

kills=0
for prog in $PROGRAMS; do
	original=$(workers "$prog")
	is "$(printf '%s' "$original" | wc -w)" 2 "$prog: two workers"
	for victim in $original; do
		before=$(workers "$prog")
		kill -9 "$victim"
		kills=$((kills + 1))
		_i=0
		while :; do
			now=$(workers "$prog")
			[ "$(printf '%s' "$now" | wc -w)" -eq 2 ] && [ "$now" != "$before" ] && break
			_i=$((_i + 1))
			[ "$_i" -gt 200 ] && break
			sleep 0.05
		done
		case " $now " in
		*" $victim "*) ok 1 "$prog: worker $victim killed and replaced (workers now: $now)" ;;
		*) is "$(printf '%s' "$now" | wc -w)" 2 "$prog: worker $victim killed and replaced (workers now: $now)" ;;
		esac
		# The stream goes on through the new worker.
		wait_answers 72
		ok $? "$prog: the clients are answered after killing $victim"
		next=$(answered)
		n=$(failed_between "$mark" "$next")
		[ "$n" -le "$MAX_FAILED_PER_KILL" ]
		ok $? "$prog: $n request(s) failed around the kill of $victim (at most $MAX_FAILED_PER_KILL)"
		mark=$next
	done
	now=$(workers "$prog")
	left=0
	for victim in $original; do
		case " $now " in *" $victim "*) left=$((left + 1)) ;; esac
	done
	is "$left" 0 "$prog: only replacements serve now ($original-> $now)"
done

# Afterwards, with only replacement workers: every request succeeds.
wait_answers 144
ok $? "the clients are answered by the replacements"
is "$(failed_between "$mark" "$(answered)")" 0 "after the kills, every request gets its expected status"

: >"$STOP"
wait $DRIVER_PIDS
total=$(cat "$TAP_TMP"/answers.* | wc -l)
failed=$(failed_between 0 999999999)
diag "$total requests, $failed failed, $kills workers killed"
[ "$failed" -le "$kills" ]
ok $? "in all, no more requests failed ($failed) than workers were killed ($kills)"

done_testing
