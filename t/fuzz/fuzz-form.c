/*
 * fuzz-form.c: application/x-www-form-urlencoded bodies (lib/form.c) and
 * scope lists (lib/client.c), as the oauth2 program reads them (SPEC §9).
 *
 * Properties:
 * - form_parse refuses the body or returns at most FORM_MAX_PARAMS
 *   parameters, each a distinct name with a non-empty value, both valid
 *   UTF-8 without NUL and within their limits;
 * - an independent reference decoder (a plain loop, below) finds every
 *   piece of an accepted body well-formed and agrees with every value
 *   form_get returns (empty values dropped, RFC 6749 §3.1);
 * - the answer the program would give (oauth2_form, oauth2_send) is one
 *   JSON object with "error" and a printable-ASCII "error_description";
 * - the input taken whole as a requested scope: client_scope_grant either
 *   refuses it or grants tokens that are each RFC 6749 §3.3 scope-tokens,
 *   on the allowed list, once each, and granting the result again gives
 *   it back unchanged.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "form.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"
#include "oauth2.h"
#include "reqjson.h"

/* Reference: decode one piece; -1 for a bad %-escape. */
static int
ref_decode(const char *s, size_t len, char *out, size_t *outlen)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			char h[3];

			if (len - i < 3)
				return -1;
			if (memchr(hex, s[i + 1], 22) == NULL || s[i + 1] == '\0' ||
			    memchr(hex, s[i + 2], 22) == NULL || s[i + 2] == '\0')
				return -1;
			h[0] = s[i + 1];
			h[1] = s[i + 2];
			h[2] = '\0';
			out[n++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else
			out[n++] = s[i] == '+' ? ' ' : s[i];
	}
	*outlen = n;
	return 0;
}

/* Every value form_get gives is the reference's decoding of its piece. */
static void
check_values(const struct form *f, const char *s, size_t size)
{
	char *name = malloc(size + 1), *value = malloc(size + 1);
	size_t i = 0, seen = 0;

	FUZZ_CHECK(name != NULL && value != NULL);
	while (i < size) {
		const char *piece = s + i, *amp = memchr(piece, '&', size - i), *eq;
		size_t plen = amp != NULL ? (size_t)(amp - piece) : size - i, nlen, vlen, nl;
		const char *got;
		size_t glen;

		i += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		nlen = eq != NULL ? (size_t)(eq - piece) : plen;
		FUZZ_CHECK(ref_decode(piece, nlen, name, &nl) == 0);
		name[nl] = '\0';
		FUZZ_CHECK(ref_decode(eq != NULL ? eq + 1 : piece, eq != NULL ? plen - nlen - 1 : 0,
		    value, &vlen) == 0);
		if (vlen == 0)
			continue;
		got = form_get(f, name, &glen);
		FUZZ_CHECK(got != NULL && glen == vlen && memcmp(got, value, vlen) == 0);
		seen++;
	}
	FUZZ_CHECK(seen == f->n);
	free(name);
	free(value);
}

static void
check_answer(struct oauth2_answer *a)
{
	struct http_req req;
	const char *resp, *body, *desc;
	size_t len;
	json_object *o, *v;

	FUZZ_CHECK(http_req_init(&req, NULL, -1) == 0);
	oauth2_send(&req, a);
	FUZZ_CHECK((resp = http_response(&req, &len)) != NULL);
	FUZZ_CHECK(http_status(&req) == 400 || http_status(&req) == 503);
	FUZZ_CHECK((body = strstr(resp, "\r\n\r\n")) != NULL);
	FUZZ_CHECK((o = json_tokener_parse(body + 4)) != NULL);
	FUZZ_CHECK(json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_string));
	FUZZ_CHECK(json_object_object_get_ex(o, "error_description", &v));
	desc = json_object_get_string(v);
	/* RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E. */
	for (; *desc != '\0'; desc++)
		FUZZ_CHECK(*desc >= 0x20 && *desc <= 0x7e && *desc != '"' && *desc != '\\');
	json_object_put(o);
	http_req_free(&req);
}

static void
scopes(const char *s, size_t size)
{
	static const char allowed[] = "read write admin:all a b";
	char out[CLIENT_SCOPES_MAX + 1], again[CLIENT_SCOPES_MAX + 1];
	enum client_scope_rc rc = client_scope_grant(s, size, allowed, out, sizeof(out));
	const char *p = out;

	if (rc != CLIENT_SCOPE_OK) {
		FUZZ_CHECK(out[0] == '\0');
		return;
	}
	FUZZ_CHECK(strlen(out) <= size);
	while (*p != '\0') {
		size_t k = strcspn(p, " ");
		const char *q = allowed;
		int found = 0;

		FUZZ_CHECK(client_scope_token_ok(p, k));
		while (*q != '\0') {
			size_t m = strcspn(q, " ");

			found |= m == k && memcmp(p, q, k) == 0;
			q += m + (q[m] == ' ');
		}
		FUZZ_CHECK(found);
		p += k;
		FUZZ_CHECK(*p == '\0' || (p[0] == ' ' && p[1] != ' ' && p[1] != '\0'));
		p += *p == ' ';
	}
	FUZZ_CHECK(client_scope_grant(out, strlen(out), allowed, again, sizeof(again)) ==
	    CLIENT_SCOPE_OK && strcmp(out, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *s = (const char *)data;
	struct form f;
	struct oauth2_answer a;
	struct http_req req;
	char *copy;
	enum form_rc rc;

	if (!ready) {
		log_init("fuzz-form", LOG_LVL_ERROR);
		ready = 1;
	}
	rc = form_parse(&f, s, size);
	FUZZ_CHECK(form_strerror(rc) != NULL);
	if (rc == FORM_OK) {
		FUZZ_CHECK(f.n <= FORM_MAX_PARAMS);
		for (size_t i = 0; i < f.n; i++) {
			size_t nlen = strlen(f.p[i].name);

			FUZZ_CHECK(nlen <= FORM_MAX_NAME && rj_utf8_valid(f.p[i].name, nlen));
			FUZZ_CHECK(f.p[i].value_len > 0 && f.p[i].value_len <= FORM_MAX_VALUE);
			FUZZ_CHECK(strlen(f.p[i].value) == f.p[i].value_len);
			FUZZ_CHECK(rj_utf8_valid(f.p[i].value, f.p[i].value_len));
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(f.p[i].name, f.p[j].name) != 0);
		}
		check_values(&f, s, size);
		form_free(&f);
		FUZZ_CHECK(f.n == 0);
	} else {
		FUZZ_CHECK(f.n == 0);
		FUZZ_CHECK(rc == FORM_BAD_ENCODING || rc == FORM_BAD_UTF8 || rc == FORM_REPEATED ||
		    rc == FORM_TOO_MANY || rc == FORM_TOO_LONG);
	}

	/* The program's path: a NUL-terminated copy as the body gate makes. */
	FUZZ_CHECK((copy = malloc(size + 1)) != NULL);
	memcpy(copy, s, size);
	copy[size] = '\0';
	FUZZ_CHECK(http_req_init(&req, NULL, -1) == 0);
	req.body = copy;
	req.body_len = size;
	if (oauth2_form(&req, &f, &a) == 0) {
		FUZZ_CHECK(rc == FORM_OK);
		form_free(&f);
	} else {
		FUZZ_CHECK(rc != FORM_OK);
		check_answer(&a);
	}
	http_req_free(&req);
	free(copy);

	scopes(s, size);
	return 0;
}
