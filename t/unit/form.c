/*
 * t/unit/form.c: strict application/x-www-form-urlencoded bodies
 * (lib/form.c, SPEC §9) and the scope rules of lib/client.c (RFC 6749
 * §3.3), both pure.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "form.h"
#include "log.h"
#include "../tap.h"

/* Bodies that must be refused, with the reason. */
static const struct {
	const char *body;
	size_t len;
	enum form_rc rc;
	const char *why;
} bad[] = {
	{ "a=%", 3, FORM_BAD_ENCODING, "lone %" },
	{ "a=%4", 4, FORM_BAD_ENCODING, "% with one digit" },
	{ "a=%G1", 5, FORM_BAD_ENCODING, "% with a non-hex digit" },
	{ "%zz=1", 5, FORM_BAD_ENCODING, "bad % in a name" },
	{ "a=1&a=2", 7, FORM_REPEATED, "repeated parameter" },
	{ "a=1&b=2&a=1", 11, FORM_REPEATED, "repeated with the same value" },
	{ "a=%C3", 5, FORM_BAD_UTF8, "truncated UTF-8" },
	{ "a=%FF", 5, FORM_BAD_UTF8, "byte 0xFF" },
	{ "a=%C0%AF", 8, FORM_BAD_UTF8, "overlong encoding" },
	{ "a=%ED%A0%80", 11, FORM_BAD_UTF8, "UTF-16 surrogate" },
	{ "a=\xff", 3, FORM_BAD_UTF8, "raw byte 0xFF" },
	{ "a=%00", 5, FORM_BAD_UTF8, "encoded NUL" },
	{ "a=x\0y", 5, FORM_BAD_UTF8, "raw NUL" },
	{ "%FF=1", 5, FORM_BAD_UTF8, "non-UTF-8 name" },
};

static void
parse_ok(void)
{
	struct form f;
	size_t len = 0;
	const char *v;

	ok(form_parse(&f, "grant_type=password&username=a%40b.c&password=p%26w+d%3D%2B", 59) ==
	    FORM_OK, "a password grant parses");
	is_str(form_get(&f, "grant_type", NULL), "password", "grant_type");
	is_str(form_get(&f, "username", NULL), "a@b.c", "%%40 decodes to @");
	v = form_get(&f, "password", &len);
	is_str(v, "p&w d=+", "%%26, +, %%3D and %%2B decode");
	is_int((long long)len, 7, "value length");
	ok(form_get(&f, "Password", NULL) == NULL, "names are case-sensitive");
	ok(form_get(&f, "scope", &len) == NULL && len == 0, "absent parameter: NULL, length 0");
	form_free(&f);

	ok(form_parse(&f, "", 0) == FORM_OK && f.n == 0, "empty body: no parameter");
	form_free(&f);
	ok(form_parse(&f, "&&a=1&&", 7) == FORM_OK && f.n == 1, "empty pieces are skipped");
	form_free(&f);
	ok(form_parse(&f, "a=&a=1&b", 8) == FORM_OK && f.n == 1 &&
	    strcmp(form_get(&f, "a", NULL), "1") == 0,
	    "RFC 6749 §3.1: empty values count as omitted (no repetition)");
	form_free(&f);
	ok(form_parse(&f, "a=x=y", 5) == FORM_OK && strcmp(form_get(&f, "a", NULL), "x=y") == 0,
	    "the value runs to the next &, '=' included");
	form_free(&f);
	ok(form_parse(&f, "s=%C3%A9%E2%82%AC%F0%9F%98%80", 29) == FORM_OK &&
	    strcmp(form_get(&f, "s", NULL), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "multi-byte UTF-8 decodes");
	form_free(&f);
	ok(form_parse(&f, "a=%2a%2A", 8) == FORM_OK && strcmp(form_get(&f, "a", NULL), "**") == 0,
	    "hex digits in either case");
	form_free(&f);
}

static void
parse_bad(void)
{
	struct form f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum form_rc rc = form_parse(&f, bad[i].body, bad[i].len);

		ok(rc == bad[i].rc && f.n == 0, "refused (%s): %s", form_strerror(bad[i].rc),
		    bad[i].why);
	}
	ok(form_parse(&f, "a=1&a=2", 7) == FORM_REPEATED && strcmp(f.bad, "a") == 0,
	    "the repeated name is reported");
	ok(form_parse(&f, "a%22=1&a%22=2", 13) == FORM_REPEATED && f.bad[0] == '\0',
	    "... unless it holds a quote (not for an error_description)");
}

static void
limits(void)
{
	struct form f;
	char *body;
	size_t n;

	/* FORM_MAX_PARAMS distinct parameters, then one more. */
	body = malloc(FORM_MAX_PARAMS * 8 + 16);
	n = 0;
	for (int i = 0; i <= FORM_MAX_PARAMS; i++)
		n += (size_t)sprintf(body + n, "%sp%d=1", i > 0 ? "&" : "", i);
	ok(form_parse(&f, body, n) == FORM_TOO_MANY, "%d parameters: too many", FORM_MAX_PARAMS + 1);
	n = (size_t)(strrchr(body, '&') - body);
	ok(form_parse(&f, body, n) == FORM_OK && f.n == FORM_MAX_PARAMS, "%d parameters: fine",
	    FORM_MAX_PARAMS);
	form_free(&f);
	free(body);

	/* A value of FORM_MAX_VALUE bytes, then one more (encoded: 3 bytes each). */
	body = malloc(2 + 3 * (FORM_MAX_VALUE + 1) + 1);
	memcpy(body, "v=", 2);
	for (size_t i = 0; i < FORM_MAX_VALUE + 1; i++)
		memcpy(body + 2 + 3 * i, "%41", 3);
	ok(form_parse(&f, body, 2 + 3 * (size_t)FORM_MAX_VALUE) == FORM_OK &&
	    strlen(form_get(&f, "v", NULL)) == FORM_MAX_VALUE, "a %d-byte value", FORM_MAX_VALUE);
	form_free(&f);
	ok(form_parse(&f, body, 2 + 3 * ((size_t)FORM_MAX_VALUE + 1)) == FORM_TOO_LONG,
	    "a %d-byte value: too long", FORM_MAX_VALUE + 1);
	free(body);

	body = malloc(FORM_MAX_NAME + 8);
	memset(body, 'n', FORM_MAX_NAME + 1);
	memcpy(body + FORM_MAX_NAME + 1, "=1", 2);
	ok(form_parse(&f, body, FORM_MAX_NAME + 3) == FORM_TOO_LONG, "a name over %d bytes",
	    FORM_MAX_NAME);
	free(body);
}

static void
scopes(void)
{
	char out[CLIENT_SCOPES_MAX + 1];
	const char *allowed = "read write admin:all";

	ok(client_scope_grant(NULL, 0, allowed, out, sizeof(out)) == CLIENT_SCOPE_OK &&
	    out[0] == '\0', "no scope asked: none granted");
	ok(client_scope_grant("read", 4, allowed, out, sizeof(out)) == CLIENT_SCOPE_OK &&
	    strcmp(out, "read") == 0, "one allowed scope");
	ok(client_scope_grant("write read write", 16, allowed, out, sizeof(out)) ==
	    CLIENT_SCOPE_OK && strcmp(out, "write read") == 0, "order kept, duplicates once");
	ok(client_scope_grant("read delete", 11, allowed, out, sizeof(out)) ==
	    CLIENT_SCOPE_NOT_ALLOWED && out[0] == '\0', "a scope not on the list: refused");
	ok(client_scope_grant("rea", 3, allowed, out, sizeof(out)) == CLIENT_SCOPE_NOT_ALLOWED,
	    "a prefix of an allowed scope is not allowed");
	ok(client_scope_grant("read", 4, "", out, sizeof(out)) == CLIENT_SCOPE_NOT_ALLOWED,
	    "a client with no scopes gets none");
	ok(client_scope_grant("read  write", 11, allowed, out, sizeof(out)) ==
	    CLIENT_SCOPE_MALFORMED, "two spaces: malformed");
	ok(client_scope_grant(" read", 5, allowed, out, sizeof(out)) == CLIENT_SCOPE_MALFORMED,
	    "leading space: malformed");
	ok(client_scope_grant("read ", 5, allowed, out, sizeof(out)) == CLIENT_SCOPE_MALFORMED,
	    "trailing space: malformed");
	ok(client_scope_grant("re\"ad", 5, allowed, out, sizeof(out)) == CLIENT_SCOPE_MALFORMED,
	    "a quote is no scope-token character");
	ok(client_scope_grant("r\xc3\xa9", 3, allowed, out, sizeof(out)) == CLIENT_SCOPE_MALFORMED,
	    "non-ASCII is no scope-token character");
	ok(client_scope_token_ok("admin:all", 9) && !client_scope_token_ok("a b", 3) &&
	    !client_scope_token_ok("", 0) && !client_scope_token_ok("a\\b", 3),
	    "client_scope_token_ok: RFC 6749 §3.3 characters");

	client_scope_intersect("write read gone", "read write", out, sizeof(out));
	is_str(out, "write read", "intersect: what is still allowed, in order");
	client_scope_intersect("", "read", out, sizeof(out));
	is_str(out, "", "intersect: nothing stays nothing");
}

int
main(void)
{
	log_init("t-form", LOG_LVL_ERROR);
	parse_ok();
	parse_bad();
	limits();
	scopes();
	return done_testing();
}
