/*
 * fuzz-bearer.c: the Authorization header parser (http_bearer_parse,
 * RFC 6750 §2.1) and the other header-value parsers of lib/http.c.
 *
 * The input, cut at its first NUL as an environment value would be, is
 * the Authorization value. Properties of an accepted token: it lies
 * inside the value, after "Bearer" and at least one space; it is a
 * b64token (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=")
 * of at most HTTP_BEARER_MAX bytes; only SP and HTAB follow it. Anything
 * not starting with the "Bearer" scheme is HTTP_BEARER_NONE (RFC 6750 §3:
 * no error code for another scheme).
 *
 * The same value also goes to http_parse_uint (checked against a plain
 * reference), http_content_type_is_json and the header name/value checks
 * (no CR, LF or other control may pass).
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "log.h"

static int
ascii_ncaseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

static void
bearer(const char *v)
{
	static const char b64tok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
	const char *tok = (const char *)1;
	size_t len = (size_t)-1, n, vlen = strlen(v);
	enum http_bearer_rc rc = http_bearer_parse(v, &tok, &len);

	if (rc != HTTP_BEARER_OK) {
		FUZZ_CHECK(rc == HTTP_BEARER_NONE || rc == HTTP_BEARER_INVALID);
		FUZZ_CHECK(tok == NULL && len == 0);
		if (vlen < 6 || !ascii_ncaseeq(v, "Bearer", 6))
			FUZZ_CHECK(rc == HTTP_BEARER_NONE);
		return;
	}
	FUZZ_CHECK(vlen > 7 && ascii_ncaseeq(v, "Bearer ", 7));
	FUZZ_CHECK(tok > v + 6 && tok + len <= v + vlen);
	FUZZ_CHECK(strspn(v + 6, " ") == (size_t)(tok - v - 6));
	FUZZ_CHECK(len >= 1 && len <= HTTP_BEARER_MAX);
	n = strspn(tok, b64tok);
	FUZZ_CHECK(n >= 1 && n <= len);
	for (size_t i = n; i < len; i++)
		FUZZ_CHECK(tok[i] == '=');
	FUZZ_CHECK(strspn(tok + len, " \t") == strlen(tok + len));
}

static void
parse_uint(const char *s, size_t len)
{
	static const unsigned long long maxes[] = { 0, 9, 65535, 65536, 18446744073709551614ULL,
		18446744073709551615ULL };
	unsigned long long v, ref;

	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		int rc = http_parse_uint(s, len, maxes[m], &v);
		int ok = len > 0, overflow = 0;

		/* Reference: digits only, value computed in 128 bits. */
		unsigned __int128 big = 0;

		for (size_t i = 0; ok && i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				ok = 0;
			else if (!overflow) {
				big = big * 10 + (unsigned)(s[i] - '0');
				if (big > maxes[m])
					overflow = 1;
			}
		}
		ref = (unsigned long long)big;
		if (ok && !overflow) {
			FUZZ_CHECK(rc == 0 && v == ref);
		} else {
			FUZZ_CHECK(rc == -1 && v == 0);
		}
	}
}

static void
headers(const char *v)
{
	if (http_header_value_ok(v))
		for (const char *p = v; *p != '\0'; p++)
			FUZZ_CHECK(*p == '\t' || (*p >= 0x20 && *p < 0x7f));
	if (http_header_name_ok(v)) {
		/* RFC 9110 §5.6.2: tchar is visible ASCII less the delimiters. */
		FUZZ_CHECK(*v != '\0' && strpbrk(v, "\"(),/:;<=>?@[\\]{}") == NULL);
		for (const char *p = v; *p != '\0'; p++)
			FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
	}
	if (http_content_type_is_json(v))
		FUZZ_CHECK(ascii_ncaseeq(v, "application/json", 16) &&
		    strchr("; \t", v[16]) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *v;
	size_t n;

	if (!ready) {
		log_init("fuzz-bearer", LOG_LVL_ERROR);
		ready = 1;
	}
	n = strnlen((const char *)data, size);
	/* Exactly the bytes of the value and its NUL: ASan sees a read past it. */
	if ((v = malloc(n + 1)) == NULL)
		return 0;
	memcpy(v, data, n);
	v[n] = '\0';
	bearer(v);
	parse_uint((const char *)data, size);
	headers(v);
	free(v);
	return 0;
}
