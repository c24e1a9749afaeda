/*
 * event.h: security events, one line each, in logfmt, through log.c's
 * stderr path (and so nginx's error log, spawn-fcgi's log file or the
 * journal). jwtauth(8) lists every event and its fields.
 *
 * Line: "jwtauth[<pid>] event <program>: time=<UTC ISO 8601> event=<name>
 * <origin> <key>=<value>...", where <origin> is "client_ip=<REMOTE_ADDR>"
 * for a request ("-" when the server passed none) and
 * "actor=jwtauthctl uid=<uid>" for the admin CLI. Values are bare when
 * they hold only printable ASCII other than space, '"', '=' and '\';
 * otherwise they are double-quoted with \" \\ \n \r \t and \xHH escapes,
 * so that one event stays one line and no value can fake another field.
 * The origin always comes before any value a client chose: fail2ban's
 * filter (contrib/fail2ban/) anchors on "event=login_failure client_ip=".
 *
 * Never pass a password, a token, a secret or a key as a value.
 */
#ifndef JWTAUTH_EVENT_H
#define JWTAUTH_EVENT_H

#include <stddef.h>

#define EVENT_NUM_LEN 24

/* The client address of the request being served (NULL: none, e.g. between requests). */
void event_client(const char *addr);

/* Events from now on come from the admin CLI (actor=jwtauthctl uid=N). */
void event_actor(const char *actor);

/*
 * Write one event: its name, then key/value string pairs, ended by NULL.
 * Keys are lowercase words with '_'; a NULL value is written as "-".
 */
void event_log(const char *name, ...) __attribute__((sentinel));

/* The len bytes at p as a C string in buf (cut to size - 1 bytes), for event_log's values. */
const char *event_strn(char *buf, size_t size, const char *p, size_t len);

/* v as decimal in buf, for event_log's values. */
const char *event_num(char buf[EVENT_NUM_LEN], long long v);

#endif
