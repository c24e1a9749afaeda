/*
 * reqjson.c: strict JSON request bodies and typed field getters (see
 * reqjson.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "reqjson.h"

/* Longest number text rj_decimal_text looks at; longer is refused as out of range. */
#define RJ_NUMBER_MAX 4096
/* Exponents beyond this are saturated: the value is then 0 or out of range anyway. */
#define RJ_EXP_MAX 100000
/* 10^18 - 1: the largest DECIMAL(18,2) value, in hundredths. */
#define RJ_DECIMAL_VMAX 999999999999999999ULL
#define RJ_DECIMAL_DIGITS (RJ_DECIMAL_INT_DIGITS + RJ_DECIMAL_SCALE)

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 8259 §2: ws = SP / HTAB / LF / CR. */
static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);

		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

/* --- UTF-8 (RFC 3629 §4). */

/*
 * Length of the well-formed UTF-8 sequence at s (at most len bytes), or 0
 * if it is ill-formed: a stray continuation byte, an overlong form, a
 * surrogate (U+D800..DFFF) or a code point above U+10FFFF, or truncated.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;      /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else
		return 0;
	if (len < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
rj_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len > 0) {
		size_t n = utf8_seq(p, len);

		if (n == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

size_t
rj_utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	/* Every code point has exactly one byte that is not 10xxxxxx. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int
rj_email_valid(const char *s, size_t len)
{
	const char *at;

	if (s == NULL || len == 0)
		return 0;
	if (memchr(s, '\0', len) != NULL || memchr(s, '\r', len) != NULL ||
	    memchr(s, '\n', len) != NULL)
		return 0;
	if ((at = memchr(s, '@', len)) == NULL)
		return 0;
	if (at == s || at == s + len - 1)
		return 0;
	/* Exactly one '@'. */
	return memchr(at + 1, '@', len - (size_t)(at - s) - 1) == NULL;
}

static int
is_dotnet_space(unsigned long c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

int
rj_blank(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len > 0) {
		size_t n = utf8_seq(p, len);
		unsigned long c;

		if (n == 0)
			return 0;       /* not text at all: certainly not blank */
		c = n == 1 ? p[0] : p[0] & (0x7f >> n);
		for (size_t i = 1; i < n; i++)
			c = c << 6 | (p[i] & 0x3f);
		if (!is_dotnet_space(c))
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* --- Numbers (RFC 8259 §6). */

struct rj_num {
	int neg;
	const char *ip;                 /* integer digits */
	size_t ilen;
	const char *fp;                 /* fraction digits */
	size_t flen;
	int eneg;
	const char *ep;                 /* exponent digits */
	size_t elen;
};

/*
 * Split s (len bytes) by the RFC 8259 §6 grammar:
 * [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ].
 * Return 0, or -1 if s is not exactly one number.
 */
static int
num_split(const char *s, size_t len, struct rj_num *n)
{
	size_t i = 0;

	memset(n, 0, sizeof(*n));
	if (i < len && s[i] == '-') {
		n->neg = 1;
		i++;
	}
	if (i >= len || !is_digit((unsigned char)s[i]))
		return -1;
	n->ip = s + i;
	if (s[i] == '0')
		i++;
	else
		while (i < len && is_digit((unsigned char)s[i]))
			i++;
	n->ilen = (size_t)(s + i - n->ip);
	if (i < len && s[i] == '.') {
		n->fp = s + ++i;
		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		if ((n->flen = (size_t)(s + i - n->fp)) == 0)
			return -1;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			n->eneg = s[i++] == '-';
		n->ep = s + i;
		while (i < len && is_digit((unsigned char)s[i]))
			i++;
		if ((n->elen = (size_t)(s + i - n->ep)) == 0)
			return -1;
	}
	return i == len ? 0 : -1;
}

/* Digit i of the integer digits followed by the fraction digits. */
static int
num_digit(const struct rj_num *n, size_t i)
{
	return (i < n->ilen ? n->ip[i] : n->fp[i - n->ilen]) - '0';
}

int
rj_decimal_text(const char *num, size_t len, char *out, size_t outsz)
{
	struct rj_num n;
	unsigned long long v = 0;
	long long e = 0, shift;
	size_t z, ndig, keep, i;
	int w;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (num == NULL || len > RJ_NUMBER_MAX || num_split(num, len, &n) != 0)
		return -1;
	for (i = 0; i < n.elen; i++) {
		e = e * 10 + (n.ep[i] - '0');
		if (e > RJ_EXP_MAX) {
			e = RJ_EXP_MAX;
			break;
		}
	}
	if (n.eneg)
		e = -e;
	/*
	 * value = D * 10^(e - flen) with D the digit string; in hundredths,
	 * V = round(D * 10^shift). |shift| stays small: flen <= RJ_NUMBER_MAX.
	 */
	shift = e - (long long)n.flen + RJ_DECIMAL_SCALE;
	ndig = n.ilen + n.flen;
	for (z = 0; z < ndig && num_digit(&n, z) == 0; z++)
		;
	if (z < ndig) {
		size_t sig = ndig - z;  /* significant digits, the first non-zero */

		if (shift >= 0) {
			if ((unsigned long long)shift > RJ_DECIMAL_DIGITS ||
			    sig + (size_t)shift > RJ_DECIMAL_DIGITS)
				return -1;
			for (i = z; i < ndig; i++)
				v = v * 10 + (unsigned long long)num_digit(&n, i);
			for (long long k = 0; k < shift; k++)
				v *= 10;
		} else if ((unsigned long long)-shift <= sig) {
			/* Drop the last -shift digits, rounding half away from zero. */
			keep = sig - (size_t)-shift;
			if (keep > RJ_DECIMAL_DIGITS)
				return -1;
			for (i = z; i < z + keep; i++)
				v = v * 10 + (unsigned long long)num_digit(&n, i);
			if (num_digit(&n, z + keep) >= 5)
				v++;
			if (v > RJ_DECIMAL_VMAX)
				return -1;
		}
		/* else: below a tenth of a hundredth, rounds to 0. */
	}
	w = snprintf(out, outsz, "%s%llu.%02llu", n.neg && v != 0 ? "-" : "",
	    v / 100, v % 100);
	if (w < 0 || (size_t)w >= outsz) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* --- Lexical pass (see reqjson.h). */

/* The string starting at s[*i] == '"': advance *i past it. Return 0 or -1. */
static int
lex_string(const char *s, size_t len, size_t *i)
{
	size_t p = *i + 1;

	while (p < len) {
		unsigned char c = (unsigned char)s[p];

		if (c == '"') {
			*i = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;              /* RFC 8259 §7: controls must be escaped */
		if (c == '\\') {
			if (p + 1 >= len)
				return -1;
			c = (unsigned char)s[p + 1];
			if (c == 'u') {
				if (p + 6 > len)
					return -1;
				for (size_t k = p + 2; k < p + 6; k++)
					if (!is_hex((unsigned char)s[k]))
						return -1;
				/* json-c keeps U+0000 in values and cuts keys at it. */
				if (memcmp(s + p + 2, "0000", 4) == 0)
					return -1;
				p += 6;
			} else if (c != '\0' && strchr("\"\\/bfnrt", c) != NULL)
				p += 2;
			else
				return -1;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)s + p, len - p);

			if (n == 0)
				return -1;
			p += n;
			continue;
		}
		p++;
	}
	return -1;
}

/*
 * Return 1 if every token of s is an RFC 8259 token (structural character,
 * whitespace, string, number, true, false, null), else 0. The structure is
 * left to json-c. *members gets the number of ':' at nesting depth 1: once
 * json-c has found the text to be one object, its number of members as
 * written, duplicates included (json-c keeps only the last of those).
 */
static int
lex_ok(const char *s, size_t len, size_t *members)
{
	static const char *const lits[] = { "true", "false", "null" };
	size_t i = 0, depth = 0;

	*members = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t j;

		if (is_ws(c) || (c != '\0' && strchr("{}[]:,", c) != NULL)) {
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && depth > 0)
				depth--;
			else if (c == ':' && depth == 1)
				(*members)++;
			i++;
			continue;
		}
		if (c == '"') {
			if (lex_string(s, len, &i) != 0)
				return 0;
			continue;
		}
		if (c == '-' || is_digit(c)) {
			struct rj_num n;

			for (j = i; j < len && s[j] != '\0' &&
			    (is_digit((unsigned char)s[j]) || strchr("+-.eE", s[j]) != NULL); j++)
				;
			if (num_split(s + i, j - i, &n) != 0)
				return 0;
			i = j;
			continue;
		}
		for (j = 0; j < sizeof(lits) / sizeof(lits[0]); j++) {
			size_t l = strlen(lits[j]);

			if (len - i >= l && memcmp(s + i, lits[j], l) == 0)
				break;
		}
		if (j == sizeof(lits) / sizeof(lits[0]))
			return 0;
		i += strlen(lits[j]);
	}
	return 1;
}

/* --- Parsing. */

static int
key_cmp(const void *a, const void *b)
{
	return ascii_casecmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Return 0 if no two member names of obj are equal ignoring ASCII case,
 * 1 if two are, -1 when out of memory.
 */
static int
case_duplicates(json_object *obj)
{
	const char **keys;
	size_t n = 0, cap = (size_t)json_object_object_length(obj);
	int rc = 0;

	if (cap < 2)
		return 0;
	if ((keys = calloc(cap, sizeof(*keys))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (n < cap)
			keys[n++] = key;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n && rc == 0; i++)
		if (ascii_casecmp(keys[i - 1], keys[i]) == 0)
			rc = 1;
	free(keys);
	return rc;
}

enum rj_parse_rc
rj_parse(const char *buf, size_t len, json_object **out)
{
	struct json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	enum rj_parse_rc rc = RJ_PARSE_INVALID;
	size_t end, members;
	int dup;

	*out = NULL;
	if (buf == NULL || len == 0 || len > INT_MAX - 1)
		return RJ_PARSE_INVALID;
	if (!lex_ok(buf, len, &members))
		return RJ_PARSE_INVALID;
	/* The depth limit keeps 10000 nested '[' from costing anything. */
	if ((tok = json_tokener_new_ex(RJ_MAX_DEPTH)) == NULL) {
		log_err("out of memory");
		return RJ_PARSE_ERROR;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A top-level number has no end of its own: say where the input ends. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success)
		goto fail;
	/* json-c stops after the first value: anything but whitespace after it is refused. */
	for (; end < len; end++)
		if (!is_ws((unsigned char)buf[end]))
			goto fail;
	if (!json_object_is_type(obj, json_type_object)) {
		rc = RJ_PARSE_NOT_OBJECT;
		goto fail;
	}
	/*
	 * Issue 16: {"Email":"a","Email":"b"} would be read as b (json-c keeps
	 * the last): a name written twice is refused like two names that
	 * differ only in case, since lookup ignores case.
	 */
	if ((size_t)json_object_object_length(obj) != members) {
		rc = RJ_PARSE_DUPLICATE;
		goto fail;
	}
	if ((dup = case_duplicates(obj)) != 0) {
		rc = dup < 0 ? RJ_PARSE_ERROR : RJ_PARSE_DUPLICATE;
		goto fail;
	}
	json_tokener_free(tok);
	*out = obj;
	return RJ_PARSE_OK;
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}

void
rj_free(json_object *body)
{
	if (body == NULL)
		return;
	http_json_wipe(body);
	json_object_put(body);
}

const char *
rj_parse_strerror(enum rj_parse_rc rc)
{
	switch (rc) {
	case RJ_PARSE_OK: return "OK.";
	case RJ_PARSE_INVALID: return RJ_MSG_INVALID;
	case RJ_PARSE_NOT_OBJECT: return RJ_MSG_NOT_OBJECT;
	case RJ_PARSE_DUPLICATE: return RJ_MSG_DUPLICATE;
	case RJ_PARSE_ERROR:
	default: return HTTP_MSG_INTERNAL;
	}
}

int
rj_body(struct http_req *req, json_object **out)
{
	enum rj_parse_rc rc;

	rc = rj_parse(req->body != NULL ? req->body : "", req->body_len, out);
	if (rc == RJ_PARSE_OK)
		return 0;
	if (rc == RJ_PARSE_ERROR)
		http_internal_error(req);
	else
		http_message(req, 400, rj_parse_strerror(rc));
	return -1;
}

/* --- Field lookup and getters. */

int
rj_get(json_object *obj, const char *name, json_object **val)
{
	int found = 0;

	*val = NULL;
	if (!json_object_is_type(obj, json_type_object) || name == NULL)
		return 0;
	/* The last match wins; for a body from rj_parse there is at most one. */
	json_object_object_foreach(obj, key, v) {
		if (ascii_casecmp(key, name) == 0) {
			*val = v;
			found = 1;
		}
	}
	return found;
}

void
rj_errors_init(struct rj_errors *e)
{
	memset(e, 0, sizeof(*e));
}

void
rj_error(struct rj_errors *e, const char *field, const char *msg)
{
	json_object *arr, *s;

	if (e == NULL || e->failed)
		return;
	if (e->errors == NULL && (e->errors = json_object_new_object()) == NULL)
		goto fail;
	if (!json_object_object_get_ex(e->errors, field, &arr)) {
		if ((arr = json_object_new_array()) == NULL)
			goto fail;
		if (json_object_object_add(e->errors, field, arr) != 0) {
			json_object_put(arr);
			goto fail;
		}
	}
	if ((s = json_object_new_string(msg)) == NULL)
		goto fail;
	if (json_object_array_add(arr, s) != 0) {
		json_object_put(s);
		goto fail;
	}
	e->count++;
	return;
fail:
	log_err("out of memory");
	e->failed = 1;
}

int
rj_errors_has(const struct rj_errors *e, const char *field)
{
	return e->errors != NULL && json_object_object_get_ex(e->errors, field, NULL);
}

int
rj_errors_send(struct http_req *req, struct rj_errors *e)
{
	json_object *errors = e->errors;

	if (e->failed) {
		rj_errors_free(e);
		http_internal_error(req);
		return 1;
	}
	if (e->count == 0)
		return 0;
	e->errors = NULL;
	e->count = 0;
	http_problem(req, errors);
	return 1;
}

void
rj_errors_free(struct rj_errors *e)
{
	json_object_put(e->errors);
	rj_errors_init(e);
}

enum rj_rc
rj_string(json_object *obj, const char *name, const char **str, size_t *len,
    struct rj_errors *errs)
{
	json_object *v;
	int n;

	*str = NULL;
	*len = 0;
	if (!rj_get(obj, name, &v))
		return RJ_ABSENT;
	if (v == NULL)
		return RJ_NULL;
	if (!json_object_is_type(v, json_type_string))
		goto wrong;
	n = json_object_get_string_len(v);
	if (n < 0 || memchr(json_object_get_string(v), '\0', (size_t)n) != NULL)
		goto wrong;
	*str = json_object_get_string(v);
	*len = (size_t)n;
	return RJ_OK;
wrong:
	rj_error(errs, name, RJ_MSG_STRING);
	return RJ_WRONG_TYPE;
}

enum rj_rc
rj_bool(json_object *obj, const char *name, int *val, struct rj_errors *errs)
{
	json_object *v;

	*val = 0;
	if (!rj_get(obj, name, &v))
		return RJ_ABSENT;
	/* json-c would turn a string or a number into a bool: check the type first. */
	if (!json_object_is_type(v, json_type_boolean)) {
		rj_error(errs, name, RJ_MSG_BOOL);
		return RJ_WRONG_TYPE;
	}
	*val = json_object_get_boolean(v) ? 1 : 0;
	return RJ_OK;
}

enum rj_rc
rj_decimal(json_object *obj, const char *name, char *out, size_t outsz,
    double *val, struct rj_errors *errs)
{
	json_object *v;
	const char *text;
	size_t tlen = 0;

	if (outsz > 0)
		out[0] = '\0';
	if (val != NULL)
		*val = 0;
	if (!rj_get(obj, name, &v))
		return RJ_ABSENT;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		goto wrong;
	/*
	 * A parsed double serialises as its source text (json-c keeps it with
	 * json_object_new_double_s), so no digit is lost to binary floating
	 * point. An integer json-c clamped (INT64_MAX...) has 19 or more digits
	 * and is out of range either way.
	 */
	if ((text = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &tlen)) == NULL ||
	    rj_decimal_text(text, tlen, out, outsz) != 0)
		goto wrong;
	if (val != NULL)
		*val = json_object_get_double(v);
	return RJ_OK;
wrong:
	if (outsz > 0)
		out[0] = '\0';
	rj_error(errs, name, RJ_MSG_DECIMAL);
	return RJ_WRONG_TYPE;
}
