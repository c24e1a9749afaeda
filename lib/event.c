/*
 * event.c: security events in logfmt (see event.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

#define EVENT_LINE_MAX 900      /* log.c's line holds 1024 with its prefix */
#define EVENT_ADDR_MAX 64

static char event_addr[EVENT_ADDR_MAX];
static const char *event_by;    /* the CLI's name, or NULL in a server */

struct event_buf {
	char s[EVENT_LINE_MAX];
	size_t len;
	int full;
};

static void
put_raw(struct event_buf *b, const char *s, size_t n)
{
	if (b->full || n >= sizeof(b->s) - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static int
bare_ok(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\')
			return 0;
	}
	return 1;
}

/* v double-quoted, with \" \\ \n \r \t and \xHH escapes. */
static void
put_quoted(struct event_buf *b, const char *v)
{
	char esc[5];

	put_raw(b, "\"", 1);
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		switch (c) {
		case '"':  put_raw(b, "\\\"", 2); break;
		case '\\': put_raw(b, "\\\\", 2); break;
		case '\n': put_raw(b, "\\n", 2); break;
		case '\r': put_raw(b, "\\r", 2); break;
		case '\t': put_raw(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				/* Cannot truncate: 4 characters and the NUL. */
				(void)snprintf(esc, sizeof(esc), "\\x%02x", c);
				put_raw(b, esc, 4);
			} else
				put_raw(b, (const char *)&c, 1);
		}
	}
	put_raw(b, "\"", 1);
}

/*
 * " key=value", the value quoted unless it can stand bare. A field that
 * does not fit is left out whole (never half a quoted value).
 */
static void
put_field(struct event_buf *line, const char *key, const char *v)
{
	struct event_buf f;

	f.len = 0;
	f.full = 0;
	f.s[0] = '\0';
	if (v == NULL)
		v = "-";
	put_raw(&f, " ", 1);
	put_raw(&f, key, strlen(key));
	put_raw(&f, "=", 1);
	if (bare_ok(v))
		put_raw(&f, v, strlen(v));
	else
		put_quoted(&f, v);
	if (f.full)
		line->full = 1;
	else
		put_raw(line, f.s, f.len);
}

void
event_client(const char *addr)
{
	size_t n;

	event_addr[0] = '\0';
	if (addr == NULL)
		return;
	n = strlen(addr);
	if (n >= sizeof(event_addr))
		n = sizeof(event_addr) - 1;
	memcpy(event_addr, addr, n);
	event_addr[n] = '\0';
}

void
event_actor(const char *actor)
{
	event_by = actor;
}

const char *
event_strn(char *buf, size_t size, const char *p, size_t len)
{
	if (size == 0)
		return NULL;
	if (p == NULL)
		len = 0;
	if (len >= size)
		len = size - 1;
	if (len > 0)
		memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

const char *
event_num(char buf[EVENT_NUM_LEN], long long v)
{
	/* 20 digits and a sign at most: cannot truncate. */
	(void)snprintf(buf, EVENT_NUM_LEN, "%lld", v);
	return buf;
}

void
event_log(const char *name, ...)
{
	struct event_buf b;
	char when[32], uid[EVENT_NUM_LEN];
	struct tm tm;
	time_t now = time(NULL);
	const char *k, *v;
	va_list ap;

	b.len = 0;
	b.full = 0;
	b.s[0] = '\0';
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(when, sizeof(when), "%lld", (long long)now);
	put_raw(&b, "time=", 5);
	put_raw(&b, when, strlen(when));
	put_field(&b, "event", name);
	if (event_by != NULL) {
		put_field(&b, "actor", event_by);
		put_field(&b, "uid", event_num(uid, (long long)getuid()));
	} else
		put_field(&b, "client_ip", event_addr[0] != '\0' ? event_addr : "-");
	va_start(ap, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		put_field(&b, k, v);
	}
	va_end(ap);
	if (b.full)
		log_event("%s truncated=1", b.s);
	else
		log_event("%s", b.s);
}
