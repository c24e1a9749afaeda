/*
 * t/unit/cfg.c: the configuration file parser (SPEC §8, jwtauth.conf(5)).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"
#include "log.h"
#include "../tap.h"

static struct cfg c;
static char err[1024];

static int
parse(const char *text)
{
	int rc = cfg_parse(&c, "t.conf", text, strlen(text), err, sizeof(err));
	return rc;
}

static void
test_defaults(void)
{
	cfg_defaults(&c);
	is_str(c.db_host, "localhost", "default db_host");
	is_int(c.db_port, 3306, "default db_port");
	is_str(c.db_socket, "", "default db_socket");
	is_str(c.db_name, "jwtauth", "default db_name");
	is_str(c.db_user, "jwtauth", "default db_user");
	is_str(c.db_password, "", "default db_password");
	is_int(c.db_connect_timeout, 5, "default db_connect_timeout");
	is_int(c.db_read_timeout, 5, "default db_read_timeout");
	is_int(c.db_write_timeout, 5, "default db_write_timeout");
	is_str(c.issuer, "https://localhost:8443", "default issuer");
	is_int(c.access_token_lifetime, 3600, "default access_token_lifetime");
	is_int(c.refresh_token_lifetime, 604800, "default refresh_token_lifetime");
	is_int(c.clock_skew, 60, "default clock_skew");
	is_int(c.refresh_reuse_interval, 2, "default refresh_reuse_interval");
	is_str(c.master_key_file, SYSCONFDIR "/jwtauth/master.key", "default master_key_file");
	is_str(c.signing_alg, "RS256", "default signing_alg");
	is_int(c.rsa_key_bits, 2048, "default rsa_key_bits");
	is_int(c.key_cache_refresh, 5, "default key_cache_refresh");
	is_int(c.jwks_max_age, 300, "default jwks_max_age");
	is_int((long long)c.argon2_opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE, "default argon2_opslimit");
	is_int((long long)c.argon2_memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE, "default argon2_memlimit");
	is_int(c.login_max_failures, 5, "default login_max_failures");
	is_int(c.login_failure_window, 900, "default login_failure_window");
	is_int((long long)c.max_body_size, 65536, "default max_body_size");
	is_int(c.log_level, LOG_LVL_INFO, "default log_level");
	is_int(c.log_target, LOG_TO_STDERR, "default log_target");
	is_int(c.log_facility, LOG_DAEMON, "default log_facility");

	is_int(parse(""), 0, "empty file");
	is_int(c.db_port, 3306, "empty file: defaults");
	is_int(parse("\n\n  \n\t\n# only comments\n   # indented\n\t#tab\n"), 0,
	    "blank and comment lines only");
	is_str(err, "", "no error on success");
}

static void
test_full(void)
{
	static const char text[] =
	    "# jwtauth test configuration\n"
	    "\n"
	    "db_host = db.example.org\n"
	    "db_port=3307\n"
	    "  db_socket\t=\t/run/mysqld/mysqld.sock  \n"
	    "db_name = auth\r\n"
	    "db_user = authuser\n"
	    "db_password = s3cr=t # not a comment\n"
	    "db_connect_timeout = 7\n"
	    "db_read_timeout = 8\n"
	    "db_write_timeout = 3600\n"
	    "\t# comment after a tab\n"
	    "issuer = https://auth.example.org\n"
	    "access_token_lifetime = 900\n"
	    "refresh_token_lifetime = 1209600\n"
	    "clock_skew = 0\n"
	    "refresh_reuse_interval = 0\n"
	    "master_key_file = /var/lib/jwtauth/master.key\n"
	    "signing_alg = ES256\n"
	    "rsa_key_bits = 3072\n"
	    "key_cache_refresh = 30\n"
	    "argon2_opslimit = 3\n"
	    "argon2_memlimit = 256M\n"
	    "login_max_failures = 10\n"
	    "login_failure_window = 600\n"
	    "max_body_size = 1k\n"
	    "log_level = debug";  /* no newline at the end */

	is_int(parse(text), 0, "full valid file");
	is_str(err, "", "full file: no error (%s)", err);
	is_str(c.db_host, "db.example.org", "db_host");
	is_int(c.db_port, 3307, "db_port without blanks around '='");
	is_str(c.db_socket, "/run/mysqld/mysqld.sock", "db_socket, tabs and trailing blanks trimmed");
	is_str(c.db_name, "auth", "db_name, CRLF line");
	is_str(c.db_user, "authuser", "db_user");
	is_str(c.db_password, "s3cr=t # not a comment", "db_password keeps '=' and '#'");
	is_int(c.db_connect_timeout, 7, "db_connect_timeout");
	is_int(c.db_read_timeout, 8, "db_read_timeout");
	is_int(c.db_write_timeout, 3600, "db_write_timeout at its maximum");
	is_str(c.issuer, "https://auth.example.org", "issuer");
	is_int(c.access_token_lifetime, 900, "access_token_lifetime");
	is_int(c.refresh_token_lifetime, 1209600, "refresh_token_lifetime");
	is_int(c.clock_skew, 0, "clock_skew 0 allowed");
	is_int(c.refresh_reuse_interval, 0, "refresh_reuse_interval 0 allowed");
	is_str(c.master_key_file, "/var/lib/jwtauth/master.key", "master_key_file");
	is_str(c.signing_alg, "ES256", "signing_alg ES256");
	is_int(c.rsa_key_bits, 3072, "rsa_key_bits 3072");
	is_int(c.key_cache_refresh, 30, "key_cache_refresh");
	is_int((long long)c.argon2_opslimit, 3, "argon2_opslimit");
	is_int((long long)c.argon2_memlimit, 256LL * 1024 * 1024, "argon2_memlimit with M suffix");
	is_int(c.login_max_failures, 10, "login_max_failures");
	is_int(c.login_failure_window, 600, "login_failure_window");
	is_int((long long)c.max_body_size, 1024, "max_body_size with k suffix");
	is_int(c.log_level, LOG_LVL_DEBUG, "log_level, last line without newline");
	ok(parse("signing_alg = EdDSA\n") == 0 && strcmp(c.signing_alg, "EdDSA") == 0,
	    "signing_alg EdDSA");
	ok(parse("signing_alg = RS256\n") == 0 && strcmp(c.signing_alg, "RS256") == 0,
	    "signing_alg RS256");
	is_int(parse("log_target = syslog\nlog_facility = authpriv\n"), 0, "log_target syslog, authpriv");
	is_int(c.log_target, LOG_TO_SYSLOG, "log_target syslog");
	is_int(c.log_facility, LOG_AUTHPRIV, "log_facility authpriv");
	is_int(parse("log_target = stderr\nlog_facility = local0\n"), 0, "log_target stderr, local0");
	is_int(c.log_target, LOG_TO_STDERR, "log_target stderr");
	is_int(c.log_facility, LOG_LOCAL0, "log_facility local0");
	is_int(parse("log_facility = local7\n"), 0, "log_facility local7");
	is_int(c.log_facility, LOG_LOCAL7, "log_facility local7 value");

	cfg_wipe(&c);
	ok(sodium_is_zero((const unsigned char *)c.db_password, sizeof(c.db_password)),
	    "cfg_wipe zeroes db_password");

	is_int(parse("db_password =\ndb_socket=\n"), 0, "empty db_password and db_socket allowed");
	is_str(c.db_password, "", "empty db_password");
	is_str(c.db_socket, "", "empty db_socket");
	is_int(parse("argon2_memlimit = 8192\nargon2_opslimit = 1\n"), 0, "argon2 at libsodium's minimum");
	is_int(parse("argon2_memlimit = 4G\nargon2_opslimit = 100\nmax_body_size = 16M\n"), 0,
	    "size maxima with suffixes");
	is_int((long long)c.argon2_memlimit, 4LL << 30, "argon2_memlimit 4G");
	is_int((long long)c.max_body_size, 16LL << 20, "max_body_size 16M");
	is_int(parse("rsa_key_bits = 8192\ndb_port = 65535\nissuer = http://127.0.0.1:8080\n"), 0,
	    "rsa 8192, port 65535, http issuer");
	is_int(parse("access_token_lifetime = 0060\n"), 0, "leading zeros are decimal");
	is_int(c.access_token_lifetime, 60, "0060 is 60");
	is_int(parse("log_level = error\n"), 0, "log_level error");
	is_int(c.log_level, LOG_LVL_ERROR, "log_level error is 0");
	is_int(parse("log_level = warn\n"), 0, "log_level warn");
	is_int(c.log_level, LOG_LVL_WARN, "log_level warn is 1");
}

struct bad {
	const char *key;
	const char *value;
	const char *msg;
};

#define NUM(k, lo, hi) "not a number between " #lo " and " #hi

static const struct bad bads[] = {
	{ "db_host", "", "empty value" },
	{ "db_port", "0", NUM(db_port, 1, 65535) },
	{ "db_port", "65536", NUM(db_port, 1, 65535) },
	{ "db_port", "-1", NUM(db_port, 1, 65535) },
	{ "db_port", "+80", NUM(db_port, 1, 65535) },
	{ "db_port", "80x", NUM(db_port, 1, 65535) },
	{ "db_port", "0x50", NUM(db_port, 1, 65535) },
	{ "db_port", "8 0", NUM(db_port, 1, 65535) },
	{ "db_port", "3306 # comment", NUM(db_port, 1, 65535) },
	{ "db_port", "99999999999999999999999", NUM(db_port, 1, 65535) },
	{ "db_port", "4294970602", NUM(db_port, 1, 65535) },  /* 3306 + 2^32 */
	{ "db_port", "80K", NUM(db_port, 1, 65535) },
	{ "db_socket", "run/mysqld.sock", "must be an absolute path" },
	{ "db_name", "", "empty value" },
	{ "db_user", "", "empty value" },
	{ "db_password", "a\tb", "control character in value" },
	{ "db_password", "a\x1b[0mb", "control character in value" },
	{ "db_password", "a\x7f", "control character in value" },
	{ "db_connect_timeout", "0", NUM(, 1, 3600) },
	{ "db_connect_timeout", "3601", NUM(, 1, 3600) },
	{ "db_read_timeout", "0", NUM(, 1, 3600) },
	{ "db_read_timeout", "", "empty value" },
	{ "db_write_timeout", "3601", NUM(, 1, 3600) },
	{ "issuer", "ftp://auth.example.org", "must start with https:// or http:// and name a host" },
	{ "issuer", "https://", "must start with https:// or http:// and name a host" },
	{ "issuer", "auth.example.org", "must start with https:// or http:// and name a host" },
	{ "issuer", "HTTPS://auth.example.org", "must start with https:// or http:// and name a host" },
	{ "issuer", "https://auth example", "must not contain blanks" },
	{ "issuer", "", "empty value" },
	{ "access_token_lifetime", "0", NUM(, 1, 86400) },
	{ "access_token_lifetime", "86401", NUM(, 1, 86400) },
	{ "refresh_token_lifetime", "299", NUM(, 300, 31536000) },
	{ "refresh_token_lifetime", "31536001", NUM(, 300, 31536000) },
	{ "clock_skew", "601", NUM(, 0, 600) },
	{ "clock_skew", "-0", NUM(, 0, 600) },
	{ "refresh_reuse_interval", "61", NUM(, 0, 60) },
	{ "master_key_file", "etc/jwtauth/master.key", "must be an absolute path" },
	{ "master_key_file", "", "empty value" },
	{ "signing_alg", "es256", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "EDDSA", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "Ed25519", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "HS256", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "none", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "RS512", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "RS256 ES256", "not one of RS256, ES256, EdDSA" },
	{ "signing_alg", "", "empty value" },
	{ "rsa_key_bits", "1024", "not a multiple of 1024 between 2048 and 8192" },
	{ "rsa_key_bits", "2049", "not a multiple of 1024 between 2048 and 8192" },
	{ "rsa_key_bits", "3000", "not a multiple of 1024 between 2048 and 8192" },
	{ "rsa_key_bits", "9216", "not a multiple of 1024 between 2048 and 8192" },
	{ "rsa_key_bits", "2K", "not a multiple of 1024 between 2048 and 8192" },
	{ "key_cache_refresh", "0", NUM(, 1, 3600) },
	{ "key_cache_refresh", "3601", NUM(, 1, 3600) },
	{ "jwks_max_age", "86401", NUM(, 0, 86400) },
	{ "jwks_max_age", "-1", NUM(, 0, 86400) },
	{ "argon2_opslimit", "0", NUM(, 1, 100) },
	{ "argon2_opslimit", "101", NUM(, 1, 100) },
	{ "argon2_memlimit", "8191", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "4294967297", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "5G", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "1T", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "64MiB", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "64 M", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "argon2_memlimit", "M", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	/* (2^34 + 1) GiB wraps to 1 GiB in 64 bits: the overflow check must see it. */
	{ "argon2_memlimit", "17179869185G", "not a size between 8192 and 4294967296 bytes (K, M, G suffixes allowed)" },
	{ "login_max_failures", "0", NUM(, 1, 1000) },
	{ "login_max_failures", "1001", NUM(, 1, 1000) },
	{ "login_failure_window", "0", NUM(, 1, 86400) },
	{ "login_failure_window", "86401", NUM(, 1, 86400) },
	{ "max_body_size", "1023", "not a size between 1024 and 16777216 bytes (K, M, G suffixes allowed)" },
	{ "max_body_size", "17M", "not a size between 1024 and 16777216 bytes (K, M, G suffixes allowed)" },
	{ "log_level", "verbose", "not one of error, warn, info, debug" },
	{ "log_level", "INFO", "not one of error, warn, info, debug" },
	{ "log_level", "2", "not one of error, warn, info, debug" },
	{ "log_target", "journal", "not one of stderr, syslog" },
	{ "log_target", "Syslog", "not one of stderr, syslog" },
	{ "log_facility", "auth", "not one of daemon, authpriv, local0 to local7" },
	{ "log_facility", "local8", "not one of daemon, authpriv, local0 to local7" },
	{ "log_facility", "LOCAL0", "not one of daemon, authpriv, local0 to local7" },
};

static void
test_bad_values(void)
{
	char text[1024], want[512];

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int rc;

		/* The bad line is line 4, after comments and a blank line. */
		snprintf(text, sizeof(text), "# x\n\t# y\n\n%s = %s\n# z\n",
		    b->key, b->value);
		snprintf(want, sizeof(want), "t.conf:4: %s: %s", b->key, b->msg);
		rc = parse(text);
		is_int(rc, -1, "bad %s \"%s\" refused", b->key, b->value);
		is_str(err, want, "bad %s: message with line number", b->key);
	}
}

static void
test_syntax(void)
{
	char big[5000];
	char *p;

	is_int(parse("db_port = 1\nfoo = bar\n"), -1, "unknown key");
	is_str(err, "t.conf:2: unknown key \"foo\"", "unknown key: message");
	is_int(parse("DB_PORT = 1\n"), -1, "keys are case-sensitive");
	is_str(err, "t.conf:1: unknown key \"DB_PORT\"", "uppercase key: message");
	is_int(parse("hunter2 secret = 1\n"), -1, "unknown key that does not look like one");
	is_str(err, "t.conf:1: unknown key", "a key with blanks is not echoed");

	is_int(parse("db_port = 1\n# c\ndb_port = 2\n"), -1, "duplicate key");
	is_str(err, "t.conf:3: db_port: duplicate key (first set on line 1)", "duplicate key: message");
	is_int(parse("db_password =\ndb_password = x\n"), -1, "duplicate key, first empty");

	/* An empty password over TCP is a variable that was empty (DEPLOYING.md). */
	is_int(parse("db_user = a\ndb_host = db.example.org\ndb_password =\n"), -1,
	    "empty db_password with a TCP db_host");
	is_str(err, "t.conf:2: db_password: empty, but db_host names a server reached over TCP",
	    "... names db_host's line");
	is_int(parse("db_host = 127.0.0.1\n"), -1, "no db_password with a TCP db_host");
	is_int(parse("db_host = 127.0.0.1\ndb_password = x\n"), 0, "TCP db_host with a password");
	is_int(parse("db_host = localhost\ndb_password =\n"), 0,
	    "empty db_password on localhost (the socket: unix_socket login)");
	is_int(parse("db_socket = /run/s.sock\n"), 0, "no db_password with the default host");

	is_int(parse("db_port = 1\ndb_port 2\n"), -1, "missing '='");
	is_str(err, "t.conf:2: expected \"key = value\"", "missing '=': message");
	is_int(parse("just some words\n"), -1, "a line of words");
	is_int(parse(" = 5\n"), -1, "missing key");
	is_str(err, "t.conf:1: missing key before '='", "missing key: message");
	is_int(parse("db_port = 1 = 2\n"), -1, "second '=' goes to the value");
	is_str(err, "t.conf:1: db_port: not a number between 1 and 65535", "second '=': message");
	is_int(parse("db_host =    \n"), -1, "value of blanks only is empty");
	is_str(err, "t.conf:1: db_host: empty value", "blank value: message");
	is_int(parse("  # db_port = 0\n"), 0, "a commented-out bad line is ignored");

	is_int(parse("db_port = 1\r\n\r\ndb_port = 2\r\n"), -1, "CRLF lines are counted");
	is_str(err, "t.conf:3: db_port: duplicate key (first set on line 1)", "CRLF: line number");

	/* NUL byte. */
	is_int(cfg_parse(&c, "t.conf", "db_port = 1\ndb_host = a\0b\n", 26, err, sizeof(err)), -1,
	    "NUL byte");
	is_str(err, "t.conf:2: NUL byte in line", "NUL byte: message");

	/* Value lengths: 511 is the most, 512 too many. */
	memset(big, 0, sizeof(big));
	p = big + sprintf(big, "db_password = ");
	memset(p, 'x', CFG_STR_MAX - 1);
	is_int(parse(big), 0, "value of CFG_STR_MAX - 1 bytes");
	is_int((long long)strlen(c.db_password), CFG_STR_MAX - 1, "long db_password kept whole");
	p[CFG_STR_MAX - 1] = 'x';
	is_int(parse(big), -1, "value of CFG_STR_MAX bytes");
	is_str(err, "t.conf:1: db_password: value too long (at most 511 bytes)", "too long value: message");
	is_str(c.db_password, "", "failure leaves the defaults");

	/* Line length: 4096 is the most. */
	memset(big, 0, sizeof(big));
	big[0] = '#';
	memset(big + 1, 'c', 4095);
	big[4096] = '\n';
	strcpy(big + 4097, "db_port = 2\n");
	is_int(parse(big), 0, "line of 4096 bytes");
	is_int(c.db_port, 2, "line after the long one read");
	memset(big, 0, sizeof(big));
	strcpy(big, "db_port = 2\n");
	big[12] = '#';
	memset(big + 13, 'c', 4096);
	is_int(parse(big), -1, "line of 4097 bytes");
	is_str(err, "t.conf:2: line too long (at most 4096 bytes)", "long line: message");

	/* A failure part-way leaves the defaults, no half-read secret. */
	is_int(parse("db_password = secret\ndb_port = x\n"), -1, "error after db_password");
	is_str(c.db_password, "", "db_password not kept on failure");
	is_int(c.db_port, 3306, "db_port default on failure");

	/* err is always terminated, even when too small. */
	is_int(cfg_parse(&c, "t.conf", "x = 1\n", 6, err, 8), -1, "small err buffer");
	is_str(err, "t.conf:", "message cut to fit, terminated");
	is_int(cfg_parse(&c, "t.conf", "x = 1\n", 6, NULL, 0), -1, "NULL err buffer");
}

/* Run cfg_parse with stderr on a pipe; return what was logged. */
static void
test_logged(void)
{
	char buf[2048];
	int fds[2], saved;
	ssize_t n;
	const char *p;
	int count = 0;

	if (pipe(fds) != 0 || (saved = dup(STDERR_FILENO)) < 0) {
		ok(0, "pipe/dup: %s", strerror(errno));
		return;
	}
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	is_int(parse("db_port = 70000\n"), -1, "bad value, stderr captured");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, "t.conf:1: db_port: not a number between 1 and 65535")) != NULL; p++)
		count++;
	is_int(count, 1, "the error is logged once");
	ok(strncmp(buf, "jwtauth[", 8) == 0 && strstr(buf, " error ") != NULL, "logged at level error");
	ok(strstr(buf, "70000") == NULL, "the value is not logged");
}

static void
test_path_and_load(void)
{
	char path[] = "/tmp/jwtauth-cfg-XXXXXX";
	char want[256];
	char where[CFG_PATH_MAX];
	static const char text[] = "# test\ndb_port = 4000\ndb_password = pw\n";
	char *huge;
	int fd;
	FILE *fp;

	unsetenv("JWTAUTH_CONFIG");
	/* (Here no ~/jwtauth/jwtauth.conf: t/deploy-suexec.t tests that place.) */
	is_int(cfg_path(where, sizeof(where)), CFG_FROM_SYSTEM, "cfg_path default: the system file");
	is_str(where, SYSCONFDIR "/jwtauth.conf", "cfg_path default");
	setenv("JWTAUTH_CONFIG", "", 1);
	is_int(cfg_path(where, sizeof(where)), CFG_FROM_SYSTEM, "cfg_path: empty JWTAUTH_CONFIG ignored");
	is_str(where, SYSCONFDIR "/jwtauth.conf", "... the system file");
	setenv("JWTAUTH_CONFIG", "/srv/jwtauth/test.conf", 1);
	is_int(cfg_path(where, sizeof(where)), CFG_FROM_ENV, "cfg_path honours JWTAUTH_CONFIG");
	is_str(where, "/srv/jwtauth/test.conf", "... its path");
	if ((huge = malloc(CFG_PATH_MAX + 1)) != NULL) {
		memset(huge, 'a', CFG_PATH_MAX);
		huge[0] = '/';
		huge[CFG_PATH_MAX] = '\0';
		setenv("JWTAUTH_CONFIG", huge, 1);
		is_int(cfg_path(where, sizeof(where)), CFG_FROM_NONE, "cfg_path: a path too long");
		is_int(cfg_load_default(&c, err, sizeof(err)), -1, "cfg_load_default: a path too long");
		is_str(err, "JWTAUTH_CONFIG: path too long (at most 4095 bytes)", "... says so");
		free(huge);
		huge = NULL;
	}
	unsetenv("JWTAUTH_CONFIG");

	if ((fd = mkstemp(path)) < 0) {
		ok(0, "mkstemp: %s", strerror(errno));
		return;
	}
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		ok(0, "write: %s", strerror(errno));
	close(fd);
	setenv("JWTAUTH_CONFIG", path, 1);
	is_int(cfg_load_default(&c, err, sizeof(err)), 0, "cfg_load_default of a temp file via JWTAUTH_CONFIG");
	is_int(c.db_port, 4000, "cfg_load: value read");
	is_str(c.db_password, "pw", "cfg_load: db_password read");
	is_str(c.db_host, "localhost", "cfg_load: the rest defaulted");
	unsetenv("JWTAUTH_CONFIG");

	/* An error names the file it came from. */
	fp = fopen(path, "w");
	if (fp == NULL) {
		ok(0, "fopen: %s", strerror(errno));
		return;
	}
	fputs("db_port = 4000\nclock_skew = 9999\n", fp);
	fclose(fp);
	snprintf(want, sizeof(want), "%s:2: clock_skew: not a number between 0 and 600", path);
	is_int(cfg_load(&c, path, err, sizeof(err)), -1, "cfg_load of a bad file");
	is_str(err, want, "cfg_load: message names path and line");
	is_int(c.db_port, 3306, "cfg_load failure leaves the defaults");

	/* More than 1 MiB, of valid comment lines, is refused as a whole. */
	if ((huge = malloc(1024 * 1024 + 1)) != NULL && (fp = fopen(path, "w")) != NULL) {
		for (size_t i = 0; i < 1024 * 1024 + 1; i++)
			huge[i] = (i % 64 == 63) ? '\n' : '#';
		fwrite(huge, 1, 1024 * 1024 + 1, fp);
		fclose(fp);
		snprintf(want, sizeof(want), "%s: file too large (more than 1048576 bytes)", path);
		is_int(cfg_load(&c, path, err, sizeof(err)), -1, "cfg_load: 1 MiB + 1 refused");
		is_str(err, want, "too large: message");
		if (truncate(path, 1024 * 1024) != 0)
			ok(0, "truncate: %s", strerror(errno));
		is_int(cfg_load(&c, path, err, sizeof(err)), 0, "cfg_load: exactly 1 MiB of comments read");
	}
	free(huge);
	unlink(path);

	snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
	is_int(cfg_load(&c, path, err, sizeof(err)), -1, "cfg_load of a missing file");
	is_str(err, want, "missing file: message with strerror");
	is_int(cfg_load(&c, "/tmp", err, sizeof(err)), -1, "cfg_load of a directory");
	is_str(err, "/tmp: is a directory", "directory: message");
}

/*
 * doc/jwtauth.conf.sample must parse as shipped, and with every key
 * uncommented it must give exactly the defaults: the sample and the code
 * cannot drift apart.
 */
static void
test_sample(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	static char text[16384], on[16384];
	struct cfg def;
	size_t n, m = 0;
	int keys = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/doc/jwtauth.conf.sample", top != NULL ? top : ".");
	if ((fp = fopen(path, "r")) == NULL) {
		ok(1, "sample # SKIP %s: %s", path, strerror(errno));
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	is_int(cfg_parse(&c, "sample", text, n, err, sizeof(err)), 0, "sample parses as shipped (%s)", err);

	/* Uncomment "#key = value" lines. */
	for (size_t i = 0; i < n; i++) {
		if ((i == 0 || text[i - 1] == '\n') && text[i] == '#' && text[i + 1] >= 'a' &&
		    text[i + 1] <= 'z') {
			keys++;
			continue;
		}
		on[m++] = text[i];
	}
	is_int(cfg_parse(&c, "sample", on, m, err, sizeof(err)), 0, "sample uncommented parses (%s)", err);
	is_int(keys, 27, "sample lists all 27 keys once (duplicates would fail to parse)");
	cfg_defaults(&def);
	/* Only the master key's directory depends on the build's sysconfdir. */
	is_str(c.master_key_file, "/etc/jwtauth/master.key", "sample master_key_file");
	strcpy(c.master_key_file, def.master_key_file);
	ok(memcmp(&c, &def, sizeof(c)) == 0, "sample values are the defaults");
}

/* SPEC §11: db_host may list the nodes of a cluster. */
static void
test_hosts(void)
{
	struct cfg_host h[CFG_HOSTS_MAX];
	static const char *const bad[] = {
		"a,", ",a", "a,,b", "a:", "a:0", "a:65536", "a:3306x", "a:-1", "a b",
		"[::1", "[::1]x", "[::1]:", "[]", "a:1:2", "a]", "a[",
		"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	};

	is_int(cfg_hosts("db1", h, CFG_HOSTS_MAX), 1, "one host");
	ok(strcmp(h[0].name, "db1") == 0 && h[0].port == 0, "its name, no port");
	is_int(cfg_hosts(" db1 , 10.0.0.2:3307,[fe80::1]:3308 ,[::1]", h, CFG_HOSTS_MAX), 4,
	    "four hosts, blanks around items");
	ok(strcmp(h[1].name, "10.0.0.2") == 0 && h[1].port == 3307, "host:port");
	ok(strcmp(h[2].name, "fe80::1") == 0 && h[2].port == 3308, "[v6]:port");
	ok(strcmp(h[3].name, "::1") == 0 && h[3].port == 0, "[v6] alone");
	is_int(cfg_hosts("a,b,c", h, 2), -1, "more hosts than room");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(cfg_hosts(bad[i], h, CFG_HOSTS_MAX), -1, "refused: \"%s\"", bad[i]);

	cfg_defaults(&c);
	is_int(cfg_parse(&c, "t.conf", "db_password = x\ndb_host = n1:3306, n2:3306\n", 43,
	    err, sizeof(err)), 0, "a list in the config");
	is_str(c.db_host, "n1:3306, n2:3306", "kept as written");
	cfg_defaults(&c);
	is_int(cfg_parse(&c, "t.conf", "\ndb_host = n1,,n2\n", 19, err, sizeof(err)), -1,
	    "a bad list in the config");
	is_str(err, "t.conf:2: db_host: not a comma-separated list of at most 16 "
	    "host or host:port items", "names the line");
}

int
main(void)
{
	/* cfg logs each error once at level error; the tests read err. */
	log_init("t-cfg", LOG_LVL_ERROR);
	test_defaults();
	test_full();
	test_bad_values();
	test_syntax();
	test_logged();
	test_path_and_load();
	test_sample();
	test_hosts();
	return done_testing();
}
