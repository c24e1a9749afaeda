/*
 * fuzz-cfg.c: the configuration file parser (lib/cfg.c, SPEC §8).
 *
 * Properties:
 * - a refused file leaves the defaults (cfg.h: no half-read secret) and a
 *   NUL-terminated message naming the file, also when err is small;
 * - a db_password value never shows in the message;
 * - an accepted file holds values within their documented ranges, and
 *   writing every key back out as "key = value" and parsing that gives
 *   the very same struct: nothing accepted is lost or changed in storage.
 */
#include "config.h"

#include <string.h>

#include "cfg.h"
#include "fuzz.h"
#include "log.h"

#define NAME "fuzz.conf"

static const char *const levels[] = { "error", "warn", "info", "debug" };

/* Every key and its value, one per line; NULL if out of memory. */
static char *
render(const struct cfg *c, size_t *len)
{
	size_t cap = 16 * CFG_STR_MAX;
	char *buf = malloc(cap);
	int n;

	if (buf == NULL)
		return NULL;
	FUZZ_CHECK(c->log_level >= 0 && c->log_level <= 3);
	n = snprintf(buf, cap,
	    "db_host = %s\n" "db_port = %u\n" "db_socket = %s\n" "db_name = %s\n"
	    "db_user = %s\n" "db_password = %s\n" "db_connect_timeout = %u\n"
	    "db_read_timeout = %u\n" "db_write_timeout = %u\n" "issuer = %s\n"
	    "access_token_lifetime = %u\n" "refresh_token_lifetime = %u\n"
	    "clock_skew = %u\n" "master_key_file = %s\n" "rsa_key_bits = %u\n"
	    "key_cache_refresh = %u\n" "argon2_opslimit = %llu\n"
	    "argon2_memlimit = %zu\n" "login_max_failures = %u\n"
	    "login_failure_window = %u\n" "max_body_size = %zu\n" "log_level = %s\n",
	    c->db_host, c->db_port, c->db_socket, c->db_name, c->db_user,
	    c->db_password, c->db_connect_timeout, c->db_read_timeout,
	    c->db_write_timeout, c->issuer, c->access_token_lifetime,
	    c->refresh_token_lifetime, c->clock_skew, c->master_key_file,
	    c->rsa_key_bits, c->key_cache_refresh, c->argon2_opslimit,
	    c->argon2_memlimit, c->login_max_failures, c->login_failure_window,
	    c->max_body_size, levels[c->log_level]);
	FUZZ_CHECK(n > 0 && (size_t)n < cap);
	*len = (size_t)n;
	return buf;
}

static void
check_ranges(const struct cfg *c)
{
	FUZZ_CHECK(c->db_host[0] != '\0' && c->db_name[0] != '\0' && c->db_user[0] != '\0');
	FUZZ_CHECK(c->db_port >= 1 && c->db_port <= 65535);
	FUZZ_CHECK(c->db_socket[0] == '\0' || c->db_socket[0] == '/');
	FUZZ_CHECK(c->master_key_file[0] == '/');
	FUZZ_CHECK(strncmp(c->issuer, "https://", 8) == 0 || strncmp(c->issuer, "http://", 7) == 0);
	FUZZ_CHECK(strpbrk(c->issuer, " \t") == NULL);
	FUZZ_CHECK(c->rsa_key_bits >= 2048 && c->rsa_key_bits <= 8192 && c->rsa_key_bits % 1024 == 0);
	FUZZ_CHECK(c->clock_skew <= 600);
	FUZZ_CHECK(c->access_token_lifetime >= 60 && c->access_token_lifetime <= 86400);
	FUZZ_CHECK(c->max_body_size >= 1024 && c->max_body_size <= 16 * 1024 * 1024);
	FUZZ_CHECK(c->argon2_opslimit >= 1 && c->argon2_opslimit <= 100);
}

/*
 * The value of each "db_password = VALUE" line whose value could not be
 * part of any message by chance (8 bytes or more, with a character no
 * message or key name uses) must not appear in err.
 */
static void
check_no_password(const char *text, size_t len, const char *err)
{
	static const char pw[] = "db_password";
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *q = p, *v;
		char val[CFG_STR_MAX];
		size_t vlen;

		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(eol - q) > sizeof(pw) - 1 && memcmp(q, pw, sizeof(pw) - 1) == 0 &&
		    (v = memchr(q, '=', (size_t)(eol - q))) != NULL) {
			v++;
			vlen = (size_t)(eol - v);
			if (vlen >= 8 && vlen < sizeof(val) && memchr(v, '\0', vlen) == NULL) {
				memcpy(val, v, vlen);
				val[vlen] = '\0';
				if (strpbrk(val, "~!$%^&*{}|") != NULL)
					FUZZ_CHECK(strstr(err, val) == NULL);
			}
		}
		p = eol + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cfg c, again, dflt;
	char err[512], small[24 + 8];
	char *text;
	size_t tlen;

	if (!ready) {
		log_init("fuzz-cfg", LOG_LVL_ERROR);
		ready = 1;
	}
	cfg_defaults(&dflt);
	memset(&c, 0xa5, sizeof(c));
	if (cfg_parse(&c, NAME, (const char *)data, size, err, sizeof(err)) != 0) {
		FUZZ_CHECK(memcmp(&c, &dflt, sizeof(c)) == 0);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, NAME ":", sizeof(NAME)) == 0);
		check_no_password((const char *)data, size, err);
		/* A small buffer: cut, terminated, and nothing written past it. */
		memset(small, 'Z', sizeof(small));
		FUZZ_CHECK(cfg_parse(&c, NAME, (const char *)data, size, small, 24) != 0);
		FUZZ_CHECK(memchr(small, '\0', 24) != NULL);
		for (size_t i = 24; i < sizeof(small); i++)
			FUZZ_CHECK(small[i] == 'Z');
		FUZZ_CHECK(strncmp(small, err, strlen(small)) == 0);
		return 0;
	}
	FUZZ_CHECK(err[0] == '\0');
	check_ranges(&c);
	if ((text = render(&c, &tlen)) == NULL)
		return 0;
	memset(&again, 0x5a, sizeof(again));
	FUZZ_CHECK(cfg_parse(&again, NAME, text, tlen, err, sizeof(err)) == 0);
	FUZZ_CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	cfg_wipe(&c);
	cfg_wipe(&again);
	free(text);
	return 0;
}
