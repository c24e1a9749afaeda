/*
 * client.c: client applications, their authentication and scopes (see
 * client.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client.h"
#include "db.h"
#include "form.h"
#include "log.h"

/* Longest Basic credentials we decode: an id and a secret with room to spare. */
#define CLIENT_BASIC_MAX 4096

enum client_rc
client_find(struct db *db, const char *client_id, size_t len, struct client *c)
{
	size_t n = 0;
	int secret_null = 0;
	struct db_param p[] = { DB_STRN(client_id, len) };
	struct db_col col[] = {
		DB_OUT_INT(&c->id),
		DB_OUT_STR(c->client_id, sizeof(c->client_id)),
		DB_OUT_STR(c->url, sizeof(c->url)),
		DB_OUT_STR(c->scopes, sizeof(c->scopes)),
		DB_OUT_STR_N(c->secret_hash, sizeof(c->secret_hash), &secret_null),
	};

	memset(c, 0, sizeof(*c));
	if (db_query(db, "SELECT Id, ClientId, ClientURL, Scopes, SecretHash FROM Clients "
	    "WHERE ClientId = ?", p, 1, col, DB_NPARAMS(col), NULL, NULL, &n) != DB_OK)
		return CLIENT_UNAVAILABLE;
	if (n != 1)
		return CLIENT_UNKNOWN;
	/* A hash that is not 64 hex digits would let no secret in: public it is not. */
	c->confidential = !secret_null;
	return CLIENT_OK;
}

int
client_secret_new(char secret[CLIENT_SECRET_LEN + 1], char hash[REFRESH_HASH_HEX + 1])
{
	if (refresh_generate(secret) != 0)
		return -1;
	if (refresh_hash(hash, secret, strlen(secret)) != 0) {
		sodium_memzero(secret, CLIENT_SECRET_LEN + 1);
		return -1;
	}
	return 0;
}

/* 1 if secret is c's: SHA-256 compared in constant time. */
static int
secret_matches(const struct client *c, const char *secret, size_t len)
{
	char hash[REFRESH_HASH_HEX + 1];
	int ok;

	if (refresh_hash(hash, secret, len) != 0)
		return 0;
	ok = strlen(c->secret_hash) == REFRESH_HASH_HEX &&
	    sodium_memcmp(hash, c->secret_hash, REFRESH_HASH_HEX) == 0;
	sodium_memzero(hash, sizeof(hash));
	return ok;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* RFC 4648 §4 alphabet, '=' padding at the end only. */
static int
base64_ok(const char *s, size_t len)
{
	size_t pad = 0;

	if (len == 0 || len % 4 != 0)
		return 0;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* STYLE: libsodium 1.0.18 decodes bytes >= 0x80; check first. */
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return 0;
	}
	return 1;
}

/*
 * RFC 7617 §2 and RFC 6749 §2.3.1: "Basic" 1*SP base64("id:secret"),
 * both halves form-urlencoded. Return 0 with *id and *secret malloc'd, or
 * -1 if the value is not that.
 */
static int
basic_parse(const char *authz, char **id, size_t *id_len, char **secret, size_t *secret_len)
{
	unsigned char *bin = NULL;
	const char *p, *b64, *colon;
	size_t n, binlen = 0;
	int rc = -1;

	*id = *secret = NULL;
	*id_len = *secret_len = 0;
	if (strlen(authz) < 6)
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (ascii_lower((unsigned char)authz[i]) != "basic"[i])
			return -1;
	if (authz[5] != ' ')
		return -1;
	p = authz + 5;
	while (*p == ' ')
		p++;
	b64 = p;
	n = strcspn(b64, " \t");
	/* RFC 9110 §5.5: trailing white space is not part of the value. */
	if (b64[n + strspn(b64 + n, " \t")] != '\0' || n > CLIENT_BASIC_MAX / 3 * 4 + 4 ||
	    !base64_ok(b64, n))
		return -1;
	if ((bin = malloc(n)) == NULL) {
		log_err("out of memory");
		return -1;
	}
	/* b64_end NULL: strict, the whole input must decode (STYLE). */
	if (sodium_base642bin(bin, n, b64, n, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	if ((colon = memchr(bin, ':', binlen)) == NULL)
		goto out;
	if (form_decode((const char *)bin, (size_t)(colon - (const char *)bin), CLIENT_ID_MAX,
	    id, id_len) != FORM_OK)
		goto out;
	if (form_decode(colon + 1, binlen - (size_t)(colon + 1 - (const char *)bin),
	    CLIENT_BASIC_MAX, secret, secret_len) != FORM_OK) {
		free(*id);
		*id = NULL;
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(bin, n);
	free(bin);
	return rc;
}

void
client_creds_clear(struct client_creds *cr)
{
	/* header_secret is secret (secret_len bytes) whenever it is set. */
	if (cr->header_secret != NULL) {
		sodium_memzero(cr->header_secret, cr->secret_len);
		free(cr->header_secret);
	}
	free(cr->header_id);
	memset(cr, 0, sizeof(*cr));
}

enum client_auth_rc
client_creds_read(const char *authorization,
    const char *form_id, size_t form_id_len, const char *form_secret, size_t form_secret_len,
    struct client_creds *cr, struct client_auth *how)
{
	memset(cr, 0, sizeof(*cr));
	how->used_header = authorization != NULL && *authorization != '\0';
	how->why = "Client authentication failed.";
	if (how->used_header) {
		if (basic_parse(authorization, &cr->header_id, &cr->id_len, &cr->header_secret,
		    &cr->secret_len) != 0) {
			how->why = "The Authorization header is not valid Basic client credentials.";
			return CLIENT_AUTH_FAILED;
		}
		cr->id = cr->header_id;
		cr->secret = cr->header_secret;
		/* RFC 6749 §2.3: one authentication method per request. */
		if (form_secret != NULL) {
			how->why = "The client authenticated in more than one way.";
			client_creds_clear(cr);
			return CLIENT_AUTH_INVALID_REQUEST;
		}
		if (form_id != NULL && (form_id_len != cr->id_len ||
		    memcmp(form_id, cr->id, cr->id_len) != 0)) {
			how->why = "client_id differs from the client of the Authorization header.";
			client_creds_clear(cr);
			return CLIENT_AUTH_INVALID_REQUEST;
		}
	} else {
		cr->id = form_id;
		cr->id_len = form_id_len;
		cr->secret = form_secret;
		cr->secret_len = form_secret_len;
	}
	if (cr->id == NULL || cr->id_len == 0) {
		how->why = "No client identification: send client_id, or Basic credentials.";
		client_creds_clear(cr);
		return CLIENT_AUTH_FAILED;
	}
	return CLIENT_AUTH_OK;
}

enum client_auth_rc
client_creds_check(const struct client_creds *cr, const struct client *c, struct client_auth *how)
{
	if (c == NULL) {
		/* Hash anyway: an unknown id costs what a wrong secret does. */
		if (cr->secret != NULL) {
			struct client none = { 0 };

			(void)secret_matches(&none, cr->secret, cr->secret_len);
		}
		return CLIENT_AUTH_FAILED;
	}
	if (!c->confidential) {
		/* A secret from a public client means a confused or forged client. */
		if (cr->secret != NULL && cr->secret_len > 0) {
			how->why = "This client is public: it has no client secret to send.";
			return CLIENT_AUTH_FAILED;
		}
		return CLIENT_AUTH_OK;
	}
	if (cr->secret == NULL || cr->secret_len == 0 || !secret_matches(c, cr->secret, cr->secret_len))
		return CLIENT_AUTH_FAILED;
	return CLIENT_AUTH_OK;
}

enum client_auth_rc
client_authenticate(struct db *db, const struct client_creds *cr, struct client *c,
    struct client_auth *how)
{
	enum client_auth_rc rc;

	switch (client_find(db, cr->id, cr->id_len, c)) {
	case CLIENT_OK:
		rc = client_creds_check(cr, c, how);
		break;
	case CLIENT_UNKNOWN:
		rc = client_creds_check(cr, NULL, how);
		break;
	default:
		return CLIENT_AUTH_UNAVAILABLE;
	}
	if (rc != CLIENT_AUTH_OK)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Scopes (RFC 6749 §3.3)                                              */
/* ------------------------------------------------------------------ */

int
client_scope_token_ok(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\')
			return 0;
	}
	return 1;
}

/* 1 if the token t (n bytes) is one of the space-separated tokens of list. */
static int
scope_has(const char *list, const char *t, size_t n)
{
	const char *p = list;

	while (*p != '\0') {
		size_t k = strcspn(p, " ");

		if (k == n && memcmp(p, t, n) == 0)
			return 1;
		p += k;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* Append token t (n bytes) to out (used bytes so far), space-separated. */
static int
scope_append(char *out, size_t cap, size_t *used, const char *t, size_t n)
{
	size_t need = n + (*used > 0 ? 1 : 0);

	if (need >= cap - *used)
		return -1;
	if (*used > 0)
		out[(*used)++] = ' ';
	memcpy(out + *used, t, n);
	*used += n;
	out[*used] = '\0';
	return 0;
}

enum client_scope_rc
client_scope_grant(const char *requested, size_t len, const char *allowed,
    char *out, size_t cap)
{
	size_t i = 0, used = 0;

	if (cap == 0)
		return CLIENT_SCOPE_MALFORMED;
	out[0] = '\0';
	if (requested == NULL || len == 0)
		return CLIENT_SCOPE_OK;
	if (len > CLIENT_SCOPES_MAX)
		return CLIENT_SCOPE_MALFORMED;
	for (;;) {
		const char *t = requested + i;
		const char *sp = memchr(t, ' ', len - i);
		size_t n = sp != NULL ? (size_t)(sp - t) : len - i;

		/* scope = scope-token *( SP scope-token ): one space, no empty token. */
		if (!client_scope_token_ok(t, n)) {
			out[0] = '\0';
			return CLIENT_SCOPE_MALFORMED;
		}
		if (!scope_has(allowed, t, n)) {
			out[0] = '\0';
			return CLIENT_SCOPE_NOT_ALLOWED;
		}
		if (!scope_has(out, t, n) && scope_append(out, cap, &used, t, n) != 0) {
			out[0] = '\0';
			return CLIENT_SCOPE_MALFORMED;
		}
		if (sp == NULL)
			break;
		i += n + 1;
	}
	return CLIENT_SCOPE_OK;
}

void
client_scope_intersect(const char *scope, const char *allowed, char *out, size_t cap)
{
	const char *p = scope;
	size_t used = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	while (*p != '\0') {
		size_t k = strcspn(p, " ");

		if (k > 0 && scope_has(allowed, p, k) && !scope_has(out, p, k))
			(void)scope_append(out, cap, &used, p, k);
		p += k;
		while (*p == ' ')
			p++;
	}
}
