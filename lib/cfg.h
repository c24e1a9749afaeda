/*
 * cfg.h: the jwtauth configuration file (SPEC §8).
 *
 * One file of `key = value` lines; `#` starts a comment; blank lines are
 * ignored. Every key has a default (cfg_defaults), unknown keys and bad
 * values are errors that name the line. The path comes from the
 * JWTAUTH_CONFIG environment variable, else ~/jwtauth/jwtauth.conf of the
 * user the program runs as if it exists, else SYSCONFDIR "/jwtauth.conf"
 * (cfg_path).
 */
#ifndef JWTAUTH_CFG_H
#define JWTAUTH_CFG_H

#include <stddef.h>

#define CFG_STR_MAX 512
#define CFG_PATH_MAX 4096
#define CFG_ALG_MAX 8           /* "RS256", "ES256", "EdDSA" and the NUL */

/* Where cfg_path found the file. */
enum cfg_where {
	CFG_FROM_NONE = -1,     /* the path does not fit */
	CFG_FROM_ENV,           /* $JWTAUTH_CONFIG */
	CFG_FROM_HOME,          /* ~/jwtauth/jwtauth.conf of the running user */
	CFG_FROM_SYSTEM         /* SYSCONFDIR "/jwtauth.conf" */
};

/* db_host may list several servers (SPEC §11): "h1, h2:3307, [::1]:3308". */
#define CFG_HOSTS_MAX 16
#define CFG_HOST_NAME_MAX 256

struct cfg_host {
	char name[CFG_HOST_NAME_MAX];   /* brackets of an IPv6 literal removed */
	unsigned int port;              /* 0: db_port */
};

struct cfg {
	/* MariaDB */
	char db_host[CFG_STR_MAX];        /* "localhost"; or a comma-separated list */
	unsigned int db_port;             /* 3306 */
	char db_socket[CFG_STR_MAX];      /* "" = client default */
	char db_name[CFG_STR_MAX];        /* "jwtauth" */
	char db_user[CFG_STR_MAX];        /* "jwtauth" */
	char db_password[CFG_STR_MAX];    /* "" (wiped by cfg_wipe) */
	unsigned int db_connect_timeout;  /* 5 s */
	unsigned int db_read_timeout;     /* 5 s */
	unsigned int db_write_timeout;    /* 5 s */

	/* Tokens (SPEC §4) */
	char issuer[CFG_STR_MAX];         /* "https://localhost:8443" */
	unsigned int access_token_lifetime;   /* 3600 s */
	unsigned int refresh_token_lifetime;  /* 604800 s (7 days) */
	unsigned int clock_skew;              /* 60 s */
	unsigned int refresh_reuse_interval;  /* 2 s: a rotated token seen again this soon is a duplicate, not reuse */

	/* Signing keys (SPEC §6) */
	char master_key_file[CFG_STR_MAX];    /* SYSCONFDIR "/jwtauth/master.key" */
	char signing_alg[CFG_ALG_MAX];        /* "RS256"; or "ES256", "EdDSA" (SPEC §12): for new keys */
	unsigned int rsa_key_bits;            /* 2048, 2048..8192 */
	unsigned int key_cache_refresh;       /* 5 s: min gap between reloads on an unknown kid */
	unsigned int jwks_max_age;            /* 300 s: the JWKS's Cache-Control max-age (keys_handover) */

	/* Passwords: Argon2id cost (libsodium crypto_pwhash_str) */
	unsigned long long argon2_opslimit;   /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t argon2_memlimit;               /* crypto_pwhash_MEMLIMIT_INTERACTIVE */

	/* Login throttling, per account */
	unsigned int login_max_failures;      /* 5 */
	unsigned int login_failure_window;    /* 900 s */

	/* HTTP */
	size_t max_body_size;                 /* 65536 bytes */

	/* Logging: 0 error, 1 warn, 2 info, 3 debug */
	int log_level;                        /* 2 (info) */
	int log_target;                       /* LOG_TO_STDERR; or LOG_TO_SYSLOG (log.h) */
	int log_facility;                     /* LOG_DAEMON (syslog.h), used with syslog */
};

/* Fill every field with its default. */
void cfg_defaults(struct cfg *cfg);

/*
 * Parse the file at path over the defaults. Return 0 on success, -1 on
 * failure with a message "path:line: why" written to err (errlen bytes,
 * always NUL-terminated) and logged.
 */
int cfg_load(struct cfg *cfg, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parse a whole file held in memory (for tests and fuzzing); name is used in messages. */
int cfg_parse(struct cfg *cfg, const char *name, const char *text, size_t len,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The path to read, written to buf (jwtauth.conf(5), FILES): $JWTAUTH_CONFIG
 * if set and not empty; else jwtauth/jwtauth.conf in the home folder of
 * the user the program runs as (password database, not $HOME, which suexec
 * drops) if that file exists; else SYSCONFDIR "/jwtauth.conf".
 */
enum cfg_where cfg_path(char *buf, size_t len);

/*
 * cfg_load of the file cfg_path finds. One found in the home folder must
 * be owned by the running user and writable by nobody else, or it is
 * refused (an error, not a fall-back to the next place).
 */
int cfg_load_default(struct cfg *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Split a db_host value into its hosts, in order: items separated by
 * commas, blanks around them ignored, each "host", "host:port",
 * "[v6addr]" or "[v6addr]:port". Return the number of hosts (1 to max),
 * or -1 for an empty item, a bad port or too many hosts.
 */
int cfg_hosts(const char *list, struct cfg_host *out, size_t max)
	__attribute__((warn_unused_result));

/* Wipe secrets held in the configuration (db_password). */
void cfg_wipe(struct cfg *cfg);

#endif
