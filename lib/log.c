/*
 * log.c: one line per event on stderr, or to syslog (see log.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024      /* one line, newline included */

static const char *log_progname = "jwtauth";
static int log_level = LOG_LVL_INFO;

static int log_syslog_on;       /* log_syslog() was called */
static int log_syslog_off;      /* log_keep_stderr() was called */

static const char *const log_names[] = { "error", "warn", "info", "debug" };
/* syslog(3) priorities of the levels, in the order of log_names. */
static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static const struct {
	const char *name;
	int facility;
} log_facilities[] = {
	{ "daemon", LOG_DAEMON }, { "authpriv", LOG_AUTHPRIV },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

void
log_init(const char *progname, int level)
{
	if (progname != NULL && *progname != '\0') {
		const char *slash = strrchr(progname, '/');
		log_progname = slash != NULL ? slash + 1 : progname;
	}
	log_set_level(level);
}

void
log_set_level(int level)
{
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_target_parse(const char *name)
{
	if (strcmp(name, "stderr") == 0)
		return LOG_TO_STDERR;
	if (strcmp(name, "syslog") == 0)
		return LOG_TO_SYSLOG;
	return -1;
}

int
log_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (strcmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].facility;
	return -1;
}

void
log_keep_stderr(void)
{
	log_syslog_off = 1;
}

/*
 * The ident is "jwtauth", not the program's name: syslog then writes
 * "jwtauth[PID]: " where stderr lines start with "jwtauth[PID] ", and the
 * rest of the line (level, program, message) is the same on both paths.
 * LOG_NDELAY connects now, before a chroot or a lost /dev/log could stop it.
 */
void
log_syslog(int facility)
{
	if (log_syslog_off)
		return;
	openlog("jwtauth", LOG_PID | LOG_NDELAY, facility);
	log_syslog_on = 1;
}

/*
 * The line is built in one buffer and written with one write(2) (or one
 * syslog(3) call), so that lines of concurrent workers sharing one stderr
 * do not interleave. Control
 * characters in the message are replaced so that one event stays one line.
 * label is the level's name, or "event"; func may be NULL.
 */
static void
log_vemit(int prio, const char *label, const char *func, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n = 0, m;

	/* Where syslog's "jwtauth[PID]: " goes, stderr lines carry their own. */
	if (!log_syslog_on && (n = snprintf(line, sizeof(line), "jwtauth[%ld] ", (long)getpid())) < 0)
		return;
	if (func != NULL)
		m = snprintf(line + n, sizeof(line) - (size_t)n, "%s %s: %s: ", label, log_progname, func);
	else
		m = snprintf(line + n, sizeof(line) - (size_t)n, "%s %s: ", label, log_progname);
	if (m < 0 || (size_t)m >= sizeof(line) - (size_t)n)
		return;
	n += m;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	if ((size_t)m >= sizeof(line) - (size_t)n) {
		/* Truncated: mark it so a reader knows the line was cut. */
		m = (int)(sizeof(line) - (size_t)n - 1);
		memcpy(line + sizeof(line) - 4, "...", 3);
	}
	for (int i = n; i < n + m; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	n += m;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (log_syslog_on) {
		line[n] = '\0';
		syslog(prio, "%s", line);
		return;
	}
	line[n++] = '\n';
	/* Nothing sensible to do if stderr is gone. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void
log_write(int level, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	va_start(ap, fmt);
	log_vemit(log_prio[level], log_names[level], func, fmt, ap);
	va_end(ap);
}

/* Security events are written whatever the level (event.h), as notices. */
void
log_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_NOTICE, "event", NULL, fmt, ap);
	va_end(ap);
}
