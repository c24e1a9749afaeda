/*
 * log.h: one line per event on stderr, which nginx keeps in its error log
 * for FastCGI programs and Apache for CGI ones.
 *
 * Line format: "jwtauth[<pid>] <level> <program>: <func>: <message>",
 * and for security events (event.h, written whatever the level):
 * "jwtauth[<pid>] event <program>: <logfmt fields>".
 * With log_syslog(), lines go to syslog(3) instead, as ident "jwtauth"
 * with the pid, so that a syslog file holds "jwtauth[<pid>]: " and the
 * same rest of the line; levels map to LOG_ERR, LOG_WARNING, LOG_INFO and
 * LOG_DEBUG, events to LOG_NOTICE.
 * Never pass a password, a refresh token, an access token or a key here.
 */
#ifndef JWTAUTH_LOG_H
#define JWTAUTH_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/* log_target in jwtauth.conf(5). */
enum log_target { LOG_TO_STDERR = 0, LOG_TO_SYSLOG = 1 };

/* Program name shown in each line (default "jwtauth"). The string must outlive the process. */
void log_init(const char *progname, int level);
void log_set_level(int level);
int log_get_level(void);

/* Parse "error", "warn", "info", "debug"; return the level or -1. */
int log_level_parse(const char *name);

/* Parse "stderr" or "syslog"; return a log_target or -1. */
int log_target_parse(const char *name);

/* Parse "daemon", "authpriv", "local0".."local7"; return the syslog(3) facility or -1. */
int log_facility_parse(const char *name);

/* From now on, lines go to syslog(3) with this facility, not to stderr. */
void log_syslog(int facility);

/* Make a later log_syslog() do nothing (jwtauthctl: its operator reads stderr). */
void log_keep_stderr(void);

void log_write(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One security event line; use event_log (event.h), which formats it. */
void log_event(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#define log_err(...)   log_write(LOG_LVL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LVL_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LVL_DEBUG, __func__, __VA_ARGS__)

#endif
