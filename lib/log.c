/*
 * log.c: one line per event on stderr (see log.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024      /* one line, newline included */

static const char *log_progname = "jwtauth";
static int log_level = LOG_LVL_INFO;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

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

/*
 * The line is built in one buffer and written with one write(2), so that
 * lines of concurrent workers sharing one stderr do not interleave. Control
 * characters in the message are replaced so that one event stays one line.
 * label is the level's name, or "event"; func may be NULL.
 */
static void
log_vemit(const char *label, const char *func, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n, m;

	if (func != NULL)
		n = snprintf(line, sizeof(line), "jwtauth[%ld] %s %s: %s: ",
		    (long)getpid(), label, log_progname, func);
	else
		n = snprintf(line, sizeof(line), "jwtauth[%ld] %s %s: ",
		    (long)getpid(), label, log_progname);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
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
	log_vemit(log_names[level], func, fmt, ap);
	va_end(ap);
}

/* Security events are written whatever the level (event.h). */
void
log_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit("event", NULL, fmt, ap);
	va_end(ap);
}
