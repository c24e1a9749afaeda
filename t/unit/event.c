/*
 * t/unit/event.c: security events (lib/event.h): the logfmt line, its
 * origin field, quoting that keeps one event on one line and keeps a
 * client-chosen value from faking a field, whole-field truncation, and
 * events written whatever the log level.
 *
 * stderr is moved onto a pipe (dup2) for the whole test; TAP goes to
 * stdout as usual.
 */
#include "config.h"

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "../capture.h"
#include "../tap.h"

/* Does the whole captured line match the POSIX extended regex re? */
static int
matches(const char *re)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&r, cap_got, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

#define PREFIX "^jwtauth\\[[0-9]+\\] event t-event: time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "

static void
test_format(void)
{
	char n[EVENT_NUM_LEN];

	event_client("192.0.2.7");
	event_log("login_failure", "user", "a@example.com", "client", "Client1",
	    "reason", "bad_password", (char *)NULL);
	drain();
	ok(matches(PREFIX "event=login_failure client_ip=192\\.0\\.2\\.7 user=a@example\\.com"
	    " client=Client1 reason=bad_password\n$"), "login_failure line: %s", cap_got);
	is_int((long long)count_newlines(cap_got, cap_len), 1, "one line");

	event_log("logout_all", "user_id", event_num(n, 42), "revoked", NULL, (char *)NULL);
	drain();
	ok(matches(" event=logout_all client_ip=192\\.0\\.2\\.7 user_id=42 revoked=-\n$"),
	    "numbers and NULL values: %s", cap_got);

	event_client(NULL);
	event_log("login_success", (char *)NULL);
	drain();
	ok(matches(" event=login_success client_ip=-\n$"), "no client address: client_ip=-: %s", cap_got);

	event_client("2001:db8::1");
	event_log("login_success", (char *)NULL);
	drain();
	ok(matches(" client_ip=2001:db8::1\n$"), "IPv6 address bare: %s", cap_got);
	event_client(NULL);
}

static void
test_quoting(void)
{
	event_client("192.0.2.7");
	event_log("login_failure", "user", "x client_ip=198.51.100.9", (char *)NULL);
	drain();
	ok(matches(" event=login_failure client_ip=192\\.0\\.2\\.7 user=\"x client_ip=198\\.51\\.100\\.9\"\n$"),
	    "a value that looks like a field is quoted, after the origin: %s", cap_got);

	event_log("e", "a", "", "b", "say \"hi\"", "c", "back\\slash", (char *)NULL);
	drain();
	ok(matches(" a=\"\" b=\"say \\\\\"hi\\\\\"\" c=\"back\\\\\\\\slash\"\n$"),
	    "empty, quote, backslash: %s", cap_got);

	event_log("e", "a", "l1\nl2\r\tz\x01\x7f", (char *)NULL);
	drain();
	is_int((long long)count_newlines(cap_got, cap_len), 1, "newline in a value: still one line");
	ok(matches(" a=\"l1\\\\nl2\\\\r\\\\tz\\\\x01\\\\x7f\"\n$"), "control characters escaped: %s", cap_got);

	event_log("e", "a", "caf\xc3\xa9", (char *)NULL);
	drain();
	ok(matches(" a=\"caf\xc3\xa9\"\n$"), "UTF-8 kept, quoted: %s", cap_got);
	event_client(NULL);
}

static void
test_truncation(void)
{
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	event_client("192.0.2.7");
	event_log("login_failure", "user", big, "client", "Client1", (char *)NULL);
	drain();
	ok(matches(" event=login_failure client_ip=192\\.0\\.2\\.7 truncated=1\n$"),
	    "a field too long is left out whole, the line says so: %.120s", cap_got);
	is_int((long long)count_newlines(cap_got, cap_len), 1, "truncated: one line");

	/* A field that fits after one that did not is left out too: fields keep their order. */
	big[700] = '\0';
	event_log("e", "a", big, "b", big, "c", "short", (char *)NULL);
	drain();
	ok(strstr(cap_got, " a=xxx") != NULL && strstr(cap_got, " b=") == NULL &&
	    strstr(cap_got, " c=") == NULL && strstr(cap_got, " truncated=1\n") != NULL,
	    "later fields dropped after the first that does not fit");
	event_client(NULL);
}

static void
test_levels_and_actor(void)
{
	char want[64];

	log_set_level(LOG_LVL_ERROR);
	event_log("key_rotate", "kid", "abc", (char *)NULL);
	drain();
	ok(matches(" event=key_rotate client_ip=- kid=abc\n$"), "written at log level error: %s", cap_got);
	log_set_level(LOG_LVL_INFO);

	event_actor("jwtauthctl");
	event_client("192.0.2.7");  /* the CLI serves no request: ignored */
	event_log("role_grant", "user", "a@example.com", "role", "Admin", (char *)NULL);
	drain();
	snprintf(want, sizeof(want), " actor=jwtauthctl uid=%ld user=", (long)getuid());
	ok(matches(" event=role_grant actor=jwtauthctl uid=[0-9]+ user=a@example\\.com role=Admin\n$") &&
	    strstr(cap_got, want) != NULL && strstr(cap_got, "client_ip") == NULL,
	    "CLI origin: actor and uid, no client_ip: %s", cap_got);
}

int
main(void)
{
	if (capture_start() != 0) {
		printf("Bail out! cannot capture stderr\n");
		return 1;
	}
	log_init("t-event", LOG_LVL_INFO);
	test_format();
	test_quoting();
	test_truncation();
	test_levels_and_actor();
	return done_testing();
}
