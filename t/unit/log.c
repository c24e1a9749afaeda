/*
 * t/unit/log.c: one line per event on stderr (lib/log.h): level filter,
 * line format, control characters replaced, long messages cut.
 *
 * stderr is moved onto a pipe (dup2) for the whole test; TAP goes to
 * stdout as usual.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../capture.h"
#include "../tap.h"

#define LOG_LINE_MAX 1024   /* log.c's buffer, newline included */

static void
test_parse_and_levels(void)
{
	is_int(log_level_parse("error"), LOG_LVL_ERROR, "parse error");
	is_int(log_level_parse("warn"), LOG_LVL_WARN, "parse warn");
	is_int(log_level_parse("info"), LOG_LVL_INFO, "parse info");
	is_int(log_level_parse("debug"), LOG_LVL_DEBUG, "parse debug");
	is_int(log_level_parse("INFO"), -1, "parse is case-sensitive");
	is_int(log_level_parse("warning"), -1, "parse warning");
	is_int(log_level_parse(""), -1, "parse empty");

	log_set_level(-5);
	is_int(log_get_level(), LOG_LVL_ERROR, "set_level clamps below");
	log_set_level(99);
	is_int(log_get_level(), LOG_LVL_DEBUG, "set_level clamps above");
}

static void
test_filter_and_format(void)
{
	char want[256];
	long pid = (long)getpid();

	log_init("/usr/lib/cgi-bin/login", LOG_LVL_WARN);
	is_int(log_get_level(), LOG_LVL_WARN, "log_init sets the level");
	drain();

	log_debug("debug %d", 1);
	log_info("info %d", 2);
	is_str(drain(), "", "info and debug filtered at warn");

	log_warn("warn %d", 3);
	snprintf(want, sizeof(want), "jwtauth[%ld] warn login: test_filter_and_format: warn 3\n", pid);
	is_str(drain(), want, "warn line: format, basename of the program");

	log_err("err %s", "x");
	snprintf(want, sizeof(want), "jwtauth[%ld] error login: test_filter_and_format: err x\n", pid);
	is_str(drain(), want, "error line at warn");

	log_set_level(LOG_LVL_ERROR);
	log_warn("hidden");
	is_str(drain(), "", "warn filtered at error");

	log_set_level(LOG_LVL_DEBUG);
	log_debug("d");
	snprintf(want, sizeof(want), "jwtauth[%ld] debug login: test_filter_and_format: d\n", pid);
	is_str(drain(), want, "debug line at debug");

	log_write(-3, "f", "neg");
	snprintf(want, sizeof(want), "jwtauth[%ld] error login: f: neg\n", pid);
	is_str(drain(), want, "a level below error is written as error");

	log_warn("a");
	log_warn("b");
	drain();
	is_int(count_newlines(cap_got, cap_len), 2, "two events, two lines");

	log_init(NULL, LOG_LVL_INFO);
	log_info("kept");
	snprintf(want, sizeof(want), "jwtauth[%ld] info login: test_filter_and_format: kept\n", pid);
	is_str(drain(), want, "log_init(NULL) keeps the program name");

	log_init("t-log", LOG_LVL_INFO);
	log_info("%s", "");
	snprintf(want, sizeof(want), "jwtauth[%ld] info t-log: test_filter_and_format: \n", pid);
	is_str(drain(), want, "empty message");
}

static void
test_control_chars(void)
{
	char want[256];
	long pid = (long)getpid();

	log_info("a\nb\rc\td\x1b[31me\x7f" "f\x01g \xc3\xa9");
	snprintf(want, sizeof(want),
	    "jwtauth[%ld] info t-log: test_control_chars: a?b?c?d?[31me?f?g \xc3\xa9\n", pid);
	is_str(drain(), want, "control characters replaced, UTF-8 kept");
	is_int(count_newlines(cap_got, cap_len), 1, "a message with newlines is one line");

	log_info("%s", "forged\njwtauth[1] error login: x: injected");
	drain();
	is_int(count_newlines(cap_got, cap_len), 1, "no line injection through the message");
}

static void
test_long(void)
{
	char msg[5000];
	char head[128];
	size_t n;

	snprintf(head, sizeof(head), "jwtauth[%ld] info t-log: test_long: ", (long)getpid());
	n = strlen(head);

	/* Far too long: cut to the buffer, marked with "...", one line. */
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_info("%s", msg);
	drain();
	is_int((long long)cap_len, LOG_LINE_MAX, "long message: line cut to %d bytes", LOG_LINE_MAX);
	is_int(count_newlines(cap_got, cap_len), 1, "long message: one line");
	ok(cap_len >= 4 && memcmp(cap_got + cap_len - 4, "...\n", 4) == 0, "long message: ends with ...");
	ok(strncmp(cap_got, head, n) == 0, "long message: header intact");

	/* Exactly the most that fits: whole, no marker. */
	memset(msg, 'y', LOG_LINE_MAX - 1 - n);
	msg[LOG_LINE_MAX - 1 - n] = '\0';
	log_info("%s", msg);
	drain();
	is_int((long long)cap_len, LOG_LINE_MAX, "message that just fits: %d bytes", LOG_LINE_MAX);
	ok(cap_len >= 4 && memcmp(cap_got + cap_len - 4, "yyy\n", 4) == 0, "message that just fits: not marked");

	/* One byte more: cut and marked. */
	memset(msg, 'z', LOG_LINE_MAX - n);
	msg[LOG_LINE_MAX - n] = '\0';
	log_info("%s", msg);
	drain();
	is_int((long long)cap_len, LOG_LINE_MAX, "one byte too long: %d bytes", LOG_LINE_MAX);
	ok(cap_len >= 4 && memcmp(cap_got + cap_len - 4, "...\n", 4) == 0, "one byte too long: marked");
	is_int(count_newlines(cap_got, cap_len), 1, "one byte too long: one line");

	/* Control characters in a long message are replaced too. */
	memset(msg, '\n', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_info("%s", msg);
	drain();
	is_int(count_newlines(cap_got, cap_len), 1, "long message of newlines: one line");
}

int
main(void)
{
	int saved = dup(STDERR_FILENO);

	if (saved < 0 || capture_start() != 0) {
		printf("Bail out! cannot capture stderr: %s\n", strerror(errno));
		return 1;
	}
	test_parse_and_levels();
	test_filter_and_format();
	test_control_chars();
	test_long();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(cap_fd);
	return done_testing();
}
