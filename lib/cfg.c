/*
 * cfg.c: the jwtauth configuration file (SPEC §8, see cfg.h and
 * jwtauth.conf(5)).
 *
 * Grammar, one line at a time:
 *   - blank lines, and lines whose first non-blank character is '#', are
 *     ignored. A '#' anywhere else belongs to the value, so that a
 *     password may contain one;
 *   - every other line is `key = value`, split at the first '='; blanks
 *     (space, tab) around the key and the value are dropped, and so is a
 *     '\r' before the newline;
 *   - values are taken as written: no quotes, no escapes;
 *   - a line may hold at most CFG_LINE_MAX bytes, a value at most
 *     CFG_STR_MAX - 1; NUL bytes and other control characters are errors;
 *   - a key may appear once; unknown keys are errors.
 * Every error names the file and the line: "path:12: db_port: not a number
 * between 1 and 65535". Values never appear in messages (db_password).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* An account's own installation (shared hosting), under its home folder. */
#define CFG_HOME_FILE "/jwtauth/jwtauth.conf"

#define CFG_LINE_MAX 4096           /* bytes, without the newline */
#define CFG_FILE_MAX (1024 * 1024)  /* a config file is never this big */

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

/* A practical bound: t=100 already takes seconds per login. */
#define CFG_OPSLIMIT_MAX 100ULL
#define CFG_MEMLIMIT_MAX (4ULL * GIB)

enum cfg_type {
	CFG_STR,        /* any text; empty only with CFG_EMPTY_OK */
	CFG_URL,        /* http:// or https:// and something after it */
	CFG_ABSPATH,    /* starts with '/' */
	CFG_UINT,       /* unsigned int in [min, max] */
	CFG_BITS,       /* unsigned int in [min, max], a multiple of 1024 */
	CFG_ULL,        /* unsigned long long in [min, max] */
	CFG_SIZE,       /* size_t bytes in [min, max], K/M/G suffix allowed */
	CFG_LEVEL,      /* log level by name */
	CFG_TARGET,     /* stderr or syslog */
	CFG_FACILITY,   /* a syslog facility by name: daemon, authpriv, local0..local7 */
	CFG_HOSTS,      /* one host or a comma-separated list (cfg_hosts) */
	CFG_ALG         /* a JWS alg jwtauth signs with: RS256, ES256, EdDSA (exact case) */
};

#define CFG_EMPTY_OK 0x1

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	unsigned long long min, max;
	int flags;
};

#define F(field) offsetof(struct cfg, field)

static const struct cfg_key cfg_keys[] = {
	{ "db_host", CFG_HOSTS, F(db_host), 0, 0, 0 },
	{ "db_port", CFG_UINT, F(db_port), 1, 65535, 0 },
	{ "db_socket", CFG_ABSPATH, F(db_socket), 0, 0, CFG_EMPTY_OK },
	{ "db_name", CFG_STR, F(db_name), 0, 0, 0 },
	{ "db_user", CFG_STR, F(db_user), 0, 0, 0 },
	{ "db_password", CFG_STR, F(db_password), 0, 0, CFG_EMPTY_OK },
	{ "db_connect_timeout", CFG_UINT, F(db_connect_timeout), 1, 3600, 0 },
	{ "db_read_timeout", CFG_UINT, F(db_read_timeout), 1, 3600, 0 },
	{ "db_write_timeout", CFG_UINT, F(db_write_timeout), 1, 3600, 0 },
	{ "issuer", CFG_URL, F(issuer), 0, 0, 0 },
	{ "access_token_lifetime", CFG_UINT, F(access_token_lifetime), 1, 86400, 0 },
	{ "refresh_token_lifetime", CFG_UINT, F(refresh_token_lifetime), 300, 31536000, 0 },
	{ "clock_skew", CFG_UINT, F(clock_skew), 0, 600, 0 },
	{ "refresh_reuse_interval", CFG_UINT, F(refresh_reuse_interval), 0, 60, 0 },
	{ "master_key_file", CFG_ABSPATH, F(master_key_file), 0, 0, 0 },
	{ "signing_alg", CFG_ALG, F(signing_alg), 0, 0, 0 },
	{ "rsa_key_bits", CFG_BITS, F(rsa_key_bits), 2048, 8192, 0 },
	{ "key_cache_refresh", CFG_UINT, F(key_cache_refresh), 1, 3600, 0 },
	{ "jwks_max_age", CFG_UINT, F(jwks_max_age), 0, 86400, 0 },
	{ "argon2_opslimit", CFG_ULL, F(argon2_opslimit), crypto_pwhash_OPSLIMIT_MIN,
	    CFG_OPSLIMIT_MAX, 0 },
	{ "argon2_memlimit", CFG_SIZE, F(argon2_memlimit), crypto_pwhash_MEMLIMIT_MIN,
	    CFG_MEMLIMIT_MAX, 0 },
	{ "login_max_failures", CFG_UINT, F(login_max_failures), 1, 1000, 0 },
	{ "login_failure_window", CFG_UINT, F(login_failure_window), 1, 86400, 0 },
	{ "max_body_size", CFG_SIZE, F(max_body_size), 1024, 16 * MIB, 0 },
	{ "log_level", CFG_LEVEL, F(log_level), 0, 0, 0 },
	{ "log_target", CFG_TARGET, F(log_target), 0, 0, 0 },
	{ "log_facility", CFG_FACILITY, F(log_facility), 0, 0, 0 },
};

#undef F

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

void
cfg_defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* The literals fit: CFG_STR_MAX is far above each of them. */
	strcpy(cfg->db_host, "localhost");
	cfg->db_port = 3306;
	strcpy(cfg->db_name, "jwtauth");
	strcpy(cfg->db_user, "jwtauth");
	cfg->db_connect_timeout = 5;
	cfg->db_read_timeout = 5;
	cfg->db_write_timeout = 5;
	strcpy(cfg->issuer, "https://localhost:8443");
	cfg->access_token_lifetime = 3600;
	cfg->refresh_token_lifetime = 604800;
	cfg->clock_skew = 60;
	cfg->refresh_reuse_interval = 2;
	strcpy(cfg->master_key_file, SYSCONFDIR "/jwtauth/master.key");
	strcpy(cfg->signing_alg, "RS256");
	cfg->rsa_key_bits = 2048;
	cfg->key_cache_refresh = 5;
	cfg->jwks_max_age = 300;
	cfg->argon2_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	cfg->argon2_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	cfg->login_max_failures = 5;
	cfg->login_failure_window = 900;
	cfg->max_body_size = 65536;
	cfg->log_level = LOG_LVL_INFO;
	cfg->log_target = LOG_TO_STDERR;
	cfg->log_facility = LOG_DAEMON;
}

/*
 * Write "name:line: message" (or "name: message" when line is 0) to err
 * and log it once. A message cut to fit err is still NUL-terminated, and
 * the log line carries it whole.
 */
__attribute__((format(printf, 5, 6)))
static void
cfg_error(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	char full[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		strcpy(msg, "error");
	if (line > 0)
		n = snprintf(full, sizeof(full), "%s:%u: %s", name, line, msg);
	else
		n = snprintf(full, sizeof(full), "%s: %s", name, msg);
	if (n < 0)
		strcpy(full, "configuration error");
	log_err("%s", full);
	if (err != NULL && errlen > 0) {
		/* Truncation is accepted: the whole line went to the log. */
		n = snprintf(err, errlen, "%s", full);
		(void)n;
	}
}

static int
cfg_isblank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parse a decimal number with no sign, no blanks and nothing after it
 * (strtonum-like), with an optional K, M or G (binary) suffix when
 * suffix is set. Return 0 and *out in [min, max], or -1.
 */
static int
cfg_number(const char *s, int suffix, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	/* strtoull would take leading blanks, a sign and "0x" in base 0. */
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K': case 'k': mul = KIB; break;
		case 'M': case 'm': mul = MIB; break;
		case 'G': case 'g': mul = GIB; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0')
		return -1;
	if (v > ULLONG_MAX / mul)
		return -1;
	v *= mul;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct cfg_key *
cfg_find(const char *key, size_t keylen, size_t *idx)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		if (strlen(cfg_keys[i].name) == keylen &&
		    memcmp(cfg_keys[i].name, key, keylen) == 0) {
			*idx = i;
			return &cfg_keys[i];
		}
	}
	return NULL;
}

/* A key is echoed in messages only if it looks like one (never a secret typed in the wrong place). */
static int
cfg_key_printable(const char *key, size_t keylen)
{
	if (keylen == 0 || keylen > 64)
		return 0;
	for (size_t i = 0; i < keylen; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* Store value, a name's number (-1: not one of names), into the int at field. */
static int
cfg_named(char *field, int value, const char *names, char *why, size_t whylen)
{
	if (value < 0) {
		/* why is large enough for every list of names above. */
		(void)snprintf(why, whylen, "not one of %s", names);
		return -1;
	}
	*(int *)(void *)field = value;
	return 0;
}

/*
 * Check and store one value (NUL-terminated, trimmed, not empty unless
 * allowed) into cfg. Return 0, or -1 with the reason in why.
 */
static int
cfg_set(struct cfg *cfg, const struct cfg_key *k, const char *v, char *why, size_t whylen)
{
	unsigned long long n;
	char *field = (char *)cfg + k->off;
	int r;

	switch (k->type) {
	case CFG_URL:
		/* The iss claim (RFC 7519 §4.1.1) is compared as a string: require a URL. */
		if ((strncmp(v, "https://", 8) != 0 || v[8] == '\0') &&
		    (strncmp(v, "http://", 7) != 0 || v[7] == '\0')) {
			r = snprintf(why, whylen, "must start with https:// or http:// and name a host");
			goto fail;
		}
		if (strpbrk(v, " \t") != NULL) {
			r = snprintf(why, whylen, "must not contain blanks");
			goto fail;
		}
		break;
	case CFG_ABSPATH:
		if (v[0] != '\0' && v[0] != '/') {
			r = snprintf(why, whylen, "must be an absolute path");
			goto fail;
		}
		break;
	case CFG_STR:
		break;
	case CFG_ALG:
		/* RFC 7518 §3.1 names are case-sensitive: "es256" is no alg. */
		if (strcmp(v, "RS256") != 0 && strcmp(v, "ES256") != 0 && strcmp(v, "EdDSA") != 0) {
			r = snprintf(why, whylen, "not one of RS256, ES256, EdDSA");
			goto fail;
		}
		break;
	case CFG_HOSTS:
		if (cfg_hosts(v, NULL, CFG_HOSTS_MAX) < 0) {
			r = snprintf(why, whylen, "not a comma-separated list of at most %d "
			    "host or host:port items", CFG_HOSTS_MAX);
			goto fail;
		}
		break;
	case CFG_UINT:
		if (cfg_number(v, 0, k->min, k->max, &n) != 0) {
			r = snprintf(why, whylen, "not a number between %llu and %llu", k->min, k->max);
			goto fail;
		}
		*(unsigned int *)(void *)field = (unsigned int)n;
		return 0;
	case CFG_BITS:
		if (cfg_number(v, 0, k->min, k->max, &n) != 0 || n % 1024 != 0) {
			r = snprintf(why, whylen, "not a multiple of 1024 between %llu and %llu",
			    k->min, k->max);
			goto fail;
		}
		*(unsigned int *)(void *)field = (unsigned int)n;
		return 0;
	case CFG_ULL:
		if (cfg_number(v, 0, k->min, k->max, &n) != 0) {
			r = snprintf(why, whylen, "not a number between %llu and %llu", k->min, k->max);
			goto fail;
		}
		*(unsigned long long *)(void *)field = n;
		return 0;
	case CFG_SIZE:
		if (cfg_number(v, 1, k->min, k->max > SIZE_MAX ? SIZE_MAX : k->max, &n) != 0) {
			r = snprintf(why, whylen,
			    "not a size between %llu and %llu bytes (K, M, G suffixes allowed)",
			    k->min, k->max > SIZE_MAX ? (unsigned long long)SIZE_MAX : k->max);
			goto fail;
		}
		*(size_t *)(void *)field = (size_t)n;
		return 0;
	case CFG_LEVEL:
		return cfg_named(field, log_level_parse(v), "error, warn, info, debug", why, whylen);
	case CFG_TARGET:
		return cfg_named(field, log_target_parse(v), "stderr, syslog", why, whylen);
	case CFG_FACILITY:
		return cfg_named(field, log_facility_parse(v), "daemon, authpriv, local0 to local7",
		    why, whylen);
	}
	/* Strings: the caller checked the length against CFG_STR_MAX. */
	memcpy(field, v, strlen(v) + 1);
	return 0;
fail:
	if (r < 0 || (size_t)r >= whylen)
		snprintf(why, whylen, "bad value");
	return -1;
}

int
cfg_hosts(const char *list, struct cfg_host *out, size_t max)
{
	const char *p = list, *end, *name, *colon;
	size_t n = 0, namelen;
	unsigned long long port;
	char num[8];

	for (;;) {
		while (cfg_isblank(*p))
			p++;
		end = p + strcspn(p, ",");
		/* The item without its trailing blanks. */
		while (end > p && cfg_isblank(end[-1]))
			end--;
		if (end == p || n == max)
			return -1;
		port = 0;
		if (*p == '[') {
			/* An IPv6 literal: [addr] or [addr]:port. */
			name = p + 1;
			if ((colon = memchr(name, ']', (size_t)(end - name))) == NULL)
				return -1;
			namelen = (size_t)(colon - name);
			colon++;
			if (colon != end && *colon != ':')
				return -1;
			if (colon == end)
				colon = NULL;
		} else {
			name = p;
			colon = memchr(p, ':', (size_t)(end - p));
			namelen = (size_t)((colon != NULL ? colon : end) - p);
		}
		if (colon != NULL) {
			size_t dl = (size_t)(end - colon - 1);

			if (dl == 0 || dl >= sizeof(num))
				return -1;
			memcpy(num, colon + 1, dl);
			num[dl] = '\0';
			if (cfg_number(num, 0, 1, 65535, &port) != 0)
				return -1;
		}
		if (namelen == 0 || namelen >= CFG_HOST_NAME_MAX)
			return -1;
		for (size_t i = 0; i < namelen; i++)
			if (cfg_isblank(name[i]) || name[i] == '[' || name[i] == ']' ||
			    (*p != '[' && name[i] == ':'))
				return -1;
		if (out != NULL) {
			memcpy(out[n].name, name, namelen);
			out[n].name[namelen] = '\0';
			out[n].port = (unsigned int)port;
		}
		n++;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	return (int)n;
}

/*
 * Parse one line (no newline, no NUL inside). Return 0 or -1 with err set.
 * first[] holds the line each key was first set on.
 */
static int
cfg_line(struct cfg *cfg, const char *name, unsigned int lineno, const char *s, size_t len,
    unsigned int first[], char *err, size_t errlen)
{
	const struct cfg_key *k;
	const char *eq, *key, *val;
	size_t keylen, vallen, idx;
	char v[CFG_STR_MAX];
	char why[160];
	int rc = -1;

	/* Blanks and a CR (CRLF files) at the end, blanks at the start. */
	while (len > 0 && (cfg_isblank(s[len - 1]) || s[len - 1] == '\r'))
		len--;
	while (len > 0 && cfg_isblank(*s)) {
		s++;
		len--;
	}
	if (len == 0 || *s == '#')
		return 0;

	if ((eq = memchr(s, '=', len)) == NULL) {
		cfg_error(err, errlen, name, lineno, "expected \"key = value\"");
		return -1;
	}
	key = s;
	keylen = (size_t)(eq - s);
	while (keylen > 0 && cfg_isblank(key[keylen - 1]))
		keylen--;
	val = eq + 1;
	vallen = len - (size_t)(val - s);
	while (vallen > 0 && cfg_isblank(*val)) {
		val++;
		vallen--;
	}
	if (keylen == 0) {
		cfg_error(err, errlen, name, lineno, "missing key before '='");
		return -1;
	}
	if ((k = cfg_find(key, keylen, &idx)) == NULL) {
		if (cfg_key_printable(key, keylen))
			cfg_error(err, errlen, name, lineno, "unknown key \"%.*s\"", (int)keylen, key);
		else
			cfg_error(err, errlen, name, lineno, "unknown key");
		return -1;
	}
	if (first[idx] != 0) {
		cfg_error(err, errlen, name, lineno, "%s: duplicate key (first set on line %u)",
		    k->name, first[idx]);
		return -1;
	}
	first[idx] = lineno;
	if (vallen >= CFG_STR_MAX) {
		cfg_error(err, errlen, name, lineno, "%s: value too long (at most %d bytes)",
		    k->name, CFG_STR_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < vallen; i++) {
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f) {
			cfg_error(err, errlen, name, lineno, "%s: control character in value", k->name);
			return -1;
		}
	}
	if (vallen == 0 && !(k->flags & CFG_EMPTY_OK)) {
		cfg_error(err, errlen, name, lineno, "%s: empty value", k->name);
		return -1;
	}
	memcpy(v, val, vallen);
	v[vallen] = '\0';
	if (cfg_set(cfg, k, v, why, sizeof(why)) != 0) {
		cfg_error(err, errlen, name, lineno, "%s: %s", k->name, why);
		goto fail;
	}
	rc = 0;
fail:
	sodium_memzero(v, sizeof(v));
	return rc;
}

/*
 * Parse into a scratch copy and hand it over only when the whole file is
 * good, so that on failure cfg holds the defaults and no half-read secret.
 */
int
cfg_parse(struct cfg *cfg, const char *name, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct cfg tmp;
	unsigned int first[CFG_NKEYS];
	unsigned int lineno = 0;
	size_t pos = 0;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL)
		name = "(config)";
	cfg_defaults(cfg);
	cfg_defaults(&tmp);
	memset(first, 0, sizeof(first));
	if (text == NULL && len != 0) {
		cfg_error(err, errlen, name, 0, "no text");
		goto fail;
	}

	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t linelen = nl != NULL ? (size_t)(nl - s) : len - pos;

		lineno++;
		if (linelen > CFG_LINE_MAX) {
			cfg_error(err, errlen, name, lineno, "line too long (at most %d bytes)",
			    CFG_LINE_MAX);
			goto fail;
		}
		if (memchr(s, '\0', linelen) != NULL) {
			cfg_error(err, errlen, name, lineno, "NUL byte in line");
			goto fail;
		}
		if (cfg_line(&tmp, name, lineno, s, linelen, first, err, errlen) != 0)
			goto fail;
		pos += linelen + (nl != NULL ? 1 : 0);
	}
	/*
	 * MariaDB reaches "localhost" through its socket, any other host over
	 * TCP, where an account without a password is open to anyone who can
	 * reach the port. An empty db_password there is nearly always a
	 * variable that was empty when the file was written (DEPLOYING.md).
	 */
	if (tmp.db_password[0] == '\0' && strcmp(tmp.db_host, "localhost") != 0) {
		size_t host = 0;

		(void)cfg_find("db_host", strlen("db_host"), &host);
		cfg_error(err, errlen, name, first[host],
		    "db_password: empty, but db_host names a server reached over TCP");
		goto fail;
	}
	memcpy(cfg, &tmp, sizeof(*cfg));
	rc = 0;
fail:
	cfg_wipe(&tmp);
	return rc;
}

/*
 * Read the file at path over the defaults. With must_own, the file must
 * belong to the user the program runs as and be writable by nobody else
 * (an account's own configuration: whoever can change it chooses the
 * database and the master key the programs use).
 */
static int
cfg_load_file(struct cfg *cfg, const char *path, int must_own, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp = NULL;
	char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	cfg_defaults(cfg);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* "e": O_CLOEXEC, so that no child of a FastCGI program inherits it. */
	if ((fp = fopen(path, "re")) == NULL) {
		cfg_error(err, errlen, path, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fileno(fp), &st) != 0) {
		cfg_error(err, errlen, path, 0, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		cfg_error(err, errlen, path, 0, "is a directory");
		goto fail;
	}
	if (must_own && st.st_uid != getuid()) {
		cfg_error(err, errlen, path, 0, "refused: owned by uid %u, not by uid %u that runs this program",
		    (unsigned int)st.st_uid, (unsigned int)getuid());
		goto fail;
	}
	if (must_own && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		cfg_error(err, errlen, path, 0, "refused: writable by group or others (chmod go-w)");
		goto fail;
	}
	/* One read past the limit tells a file that is too large (pipes have no size). */
	if ((buf = malloc(CFG_FILE_MAX + 1)) == NULL) {
		cfg_error(err, errlen, path, 0, "malloc: %s", strerror(errno));
		goto fail;
	}
	while (n < CFG_FILE_MAX + 1) {
		size_t got = fread(buf + n, 1, CFG_FILE_MAX + 1 - n, fp);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(fp)) {
		cfg_error(err, errlen, path, 0, "read error: %s", strerror(errno));
		goto fail;
	}
	if (n > CFG_FILE_MAX) {
		cfg_error(err, errlen, path, 0, "file too large (more than %d bytes)", CFG_FILE_MAX);
		goto fail;
	}
	if (cfg_parse(cfg, path, buf, n, err, errlen) != 0)
		goto fail;
	if (cfg->db_password[0] != '\0' && (st.st_mode & S_IROTH))
		log_warn("%s holds db_password and is readable by everyone", path);
	rc = 0;
fail:
	if (buf != NULL) {
		/* The file may hold db_password. */
		sodium_memzero(buf, n);
		free(buf);
	}
	if (fp != NULL)
		fclose(fp);
	return rc;
}

int
cfg_load(struct cfg *cfg, const char *path, char *err, size_t errlen)
{
	return cfg_load_file(cfg, path, 0, err, errlen);
}

/*
 * Read at start-up only: libfcgi replaces the environment at each accept.
 * The home folder comes from the password database, not $HOME: suexec
 * passes neither $HOME nor the JWTAUTH_CONFIG of a SetEnv.
 */
enum cfg_where
cfg_path(char *buf, size_t len)
{
	const char *p = getenv("JWTAUTH_CONFIG");
	const struct passwd *pw;
	struct stat st;
	int n;

	if (p != NULL && *p != '\0') {
		n = snprintf(buf, len, "%s", p);
		return n >= 0 && (size_t)n < len ? CFG_FROM_ENV : CFG_FROM_NONE;
	}
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
		n = snprintf(buf, len, "%s%s", strcmp(pw->pw_dir, "/") == 0 ? "" : pw->pw_dir,
		    CFG_HOME_FILE);
		if (n >= 0 && (size_t)n < len && stat(buf, &st) == 0)
			return CFG_FROM_HOME;
	}
	n = snprintf(buf, len, "%s", SYSCONFDIR "/jwtauth.conf");
	return n >= 0 && (size_t)n < len ? CFG_FROM_SYSTEM : CFG_FROM_NONE;
}

int
cfg_load_default(struct cfg *cfg, char *err, size_t errlen)
{
	char path[CFG_PATH_MAX];
	enum cfg_where where;

	if ((where = cfg_path(path, sizeof(path))) == CFG_FROM_NONE) {
		cfg_defaults(cfg);
		cfg_error(err, errlen, "JWTAUTH_CONFIG", 0, "path too long (at most %d bytes)",
		    CFG_PATH_MAX - 1);
		return -1;
	}
	return cfg_load_file(cfg, path, where == CFG_FROM_HOME, err, errlen);
}

void
cfg_wipe(struct cfg *cfg)
{
	sodium_memzero(cfg->db_password, sizeof(cfg->db_password));
}
