/*
 * form.h: strict application/x-www-form-urlencoded bodies (the WHATWG URL
 * standard's urlencoded parser, as RFC 6749 Appendix B uses it), for the
 * OAuth 2.0 endpoints (SPEC §9).
 *
 * Strict where the WHATWG parser is lenient, because RFC 6749 §3.2 and
 * §5.2 want a malformed request refused, not guessed at:
 * - '%' must be followed by two hex digits (the WHATWG parser keeps a
 *   lone '%' as it is);
 * - every decoded name and value must be valid UTF-8 (RFC 6749 Appendix
 *   B: the UTF-8 octets are percent-encoded) without a NUL byte;
 * - a parameter present twice is refused (RFC 6749 §3.1, §3.2: "MUST NOT
 *   be included more than once");
 * - at most FORM_MAX_PARAMS parameters, names at most FORM_MAX_NAME bytes,
 *   values at most FORM_MAX_VALUE bytes once decoded.
 * "+" is a space; empty pieces between '&'s are skipped; a piece without
 * '=' is a name with an empty value. RFC 6749 §3.1: a parameter sent
 * without a value is treated as if it were omitted, so empty values are
 * dropped after the checks above (and count for no repetition).
 *
 * Values may be secrets (passwords, client secrets, tokens): form_free
 * wipes them.
 */
#ifndef JWTAUTH_FORM_H
#define JWTAUTH_FORM_H

#include <stddef.h>

#define FORM_MAX_PARAMS 32
#define FORM_MAX_NAME   64
#define FORM_MAX_VALUE  8192            /* an access token (SPEC §4: 8 KiB) fits */

enum form_rc {
	FORM_OK = 0,
	FORM_BAD_ENCODING,      /* '%' not followed by two hex digits */
	FORM_BAD_UTF8,          /* a decoded name or value is not UTF-8, or holds a NUL */
	FORM_REPEATED,          /* a parameter appears twice */
	FORM_TOO_MANY,          /* more than FORM_MAX_PARAMS parameters */
	FORM_TOO_LONG,          /* a name or a value over its limit */
	FORM_NOMEM = -1
};

struct form_param {
	char *name;             /* NUL-terminated, decoded */
	char *value;            /* NUL-terminated, decoded, never empty */
	size_t value_len;
};

struct form {
	struct form_param p[FORM_MAX_PARAMS];
	size_t n;
	char bad[FORM_MAX_NAME + 1];    /* FORM_REPEATED: the name, when it is printable ASCII */
};

/*
 * Parse len bytes of body into f (which needs no initialisation). On
 * anything but FORM_OK, f holds nothing that needs freeing.
 */
enum form_rc form_parse(struct form *f, const char *body, size_t len)
	__attribute__((warn_unused_result));

/* The value of name (exact, case-sensitive: RFC 6749 §3.1), or NULL; *len may be NULL. */
const char *form_get(const struct form *f, const char *name, size_t *len);

/* Wipe and free everything f holds. */
void form_free(struct form *f);

/*
 * Decode one form-urlencoded piece s[0..len) ('+' a space, %XX a byte)
 * into a malloc'd string of at most max bytes, NUL-terminated, with the
 * checks above (FORM_BAD_ENCODING, FORM_TOO_LONG, FORM_BAD_UTF8). Also
 * what RFC 6749 §2.3.1 asks of the two halves of Basic client credentials.
 */
enum form_rc form_decode(const char *s, size_t len, size_t max, char **out, size_t *outlen)
	__attribute__((warn_unused_result));

/* A short text for rc, for an error_description (RFC 6749 §5.2: printable ASCII). */
const char *form_strerror(enum form_rc rc);

#endif
