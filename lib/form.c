/*
 * form.c: strict application/x-www-form-urlencoded bodies (see form.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "log.h"
#include "reqjson.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum form_rc
form_decode(const char *s, size_t len, size_t max, char **out, size_t *outlen)
{
	char *d;
	size_t n = 0;

	*out = NULL;
	*outlen = 0;
	/* Every encoding is at least as long as what it decodes to. */
	if ((d = malloc(len + 1)) == NULL) {
		log_err("out of memory");
		return FORM_NOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+') {
			d[n++] = ' ';
		} else if (s[i] == '%') {
			if (len - i < 3 || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0) {
				sodium_memzero(d, len + 1);
				free(d);
				return FORM_BAD_ENCODING;
			}
			d[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[n++] = s[i];
		}
	}
	d[n] = '\0';
	if (n > max) {
		sodium_memzero(d, len + 1);
		free(d);
		return FORM_TOO_LONG;
	}
	if (memchr(d, '\0', n) != NULL || !rj_utf8_valid(d, n)) {
		sodium_memzero(d, len + 1);
		free(d);
		return FORM_BAD_UTF8;
	}
	*out = d;
	*outlen = n;
	return FORM_OK;
}

static void
param_free(struct form_param *p)
{
	if (p->value != NULL) {
		sodium_memzero(p->value, p->value_len);
		free(p->value);
	}
	free(p->name);
	memset(p, 0, sizeof(*p));
}

/* Remember name for the error text when it is short printable ASCII. */
static void
note_bad(struct form *f, const char *name)
{
	size_t n = strlen(name);

	f->bad[0] = '\0';
	if (n == 0 || n > FORM_MAX_NAME)
		return;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '"' || name[i] == '\\')
			return;
	memcpy(f->bad, name, n + 1);
}

enum form_rc
form_parse(struct form *f, const char *body, size_t len)
{
	enum form_rc rc = FORM_OK;
	size_t i = 0, pieces = 0;

	memset(f, 0, sizeof(*f));
	while (i < len) {
		const char *piece = body + i, *amp, *eq;
		size_t plen, nlen, vlen;
		char *name = NULL, *value = NULL;

		amp = memchr(piece, '&', len - i);
		plen = amp != NULL ? (size_t)(amp - piece) : len - i;
		i += plen + 1;
		if (plen == 0)
			continue;
		/* Counted before decoding, so that a flood of pieces costs nothing. */
		if (++pieces > FORM_MAX_PARAMS) {
			rc = FORM_TOO_MANY;
			goto fail;
		}
		eq = memchr(piece, '=', plen);
		nlen = eq != NULL ? (size_t)(eq - piece) : plen;
		if ((rc = form_decode(piece, nlen, FORM_MAX_NAME, &name, &vlen)) != FORM_OK)
			goto fail;
		rc = form_decode(eq != NULL ? eq + 1 : piece + plen, eq != NULL ? plen - nlen - 1 : 0,
		    FORM_MAX_VALUE, &value, &vlen);
		if (rc != FORM_OK) {
			free(name);
			goto fail;
		}
		/* RFC 6749 §3.1: a parameter without a value counts as omitted. */
		if (vlen == 0) {
			free(name);
			free(value);
			continue;
		}
		if (form_get(f, name, NULL) != NULL) {
			note_bad(f, name);
			sodium_memzero(value, vlen);
			free(value);
			free(name);
			rc = FORM_REPEATED;
			goto fail;
		}
		f->p[f->n].name = name;
		f->p[f->n].value = value;
		f->p[f->n].value_len = vlen;
		f->n++;
	}
	return FORM_OK;
fail:
	for (size_t k = 0; k < f->n; k++)
		param_free(&f->p[k]);
	f->n = 0;
	return rc;
}

const char *
form_get(const struct form *f, const char *name, size_t *len)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0) {
			if (len != NULL)
				*len = f->p[i].value_len;
			return f->p[i].value;
		}
	if (len != NULL)
		*len = 0;
	return NULL;
}

void
form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++)
		param_free(&f->p[i]);
	f->n = 0;
}

const char *
form_strerror(enum form_rc rc)
{
	switch (rc) {
	case FORM_OK:
		return "OK.";
	case FORM_BAD_ENCODING:
		return "The form body is not valid application/x-www-form-urlencoded.";
	case FORM_BAD_UTF8:
		return "A form parameter is not valid UTF-8.";
	case FORM_REPEATED:
		return "A parameter is repeated.";
	case FORM_TOO_MANY:
		return "Too many form parameters.";
	case FORM_TOO_LONG:
		return "A form parameter is too long.";
	case FORM_NOMEM:
	default:
		return "Internal server error.";
	}
}
