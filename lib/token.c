/*
 * token.c: access tokens (see token.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "token.h"

/* RFC 4122 §4.4: a version 4 (random) UUID, for jti. */
static void
uuid4(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

char *
token_issue(struct app *app, const struct account_user *u, const char *aud,
    const char *client_id, const char *scope, enum keys_rc *krc)
{
	EVP_PKEY *priv = NULL;
	const char *kid = NULL;
	json_object *claims = NULL, *roles = NULL;
	char sub[24], jti[37];
	char *jws = NULL;
	long long now = (long long)time(NULL);
	int bad = 0;

	*krc = keys_active(app->keys, app->db, &priv, &kid);
	if (*krc != KEYS_OK)
		return NULL;

	if (u != NULL)
		snprintf(sub, sizeof(sub), "%lld", u->id);
	uuid4(jti);
	/* A client's own token (u NULL) has no roles: no array to leak. */
	if ((claims = json_object_new_object()) == NULL ||
	    (u != NULL && (roles = json_object_new_array()) == NULL))
		goto fail;
	/* SPEC §4: roles in a stable order (account.c reads them sorted). */
	for (size_t i = 0; u != NULL && i < u->nroles; i++)
		bad |= json_object_array_add(roles, json_object_new_string(u->roles[i]));
	bad |= json_object_object_add(claims, "iss", json_object_new_string(app->cfg.issuer));
	bad |= json_object_object_add(claims, "aud", json_object_new_string(aud));
	/* RFC 9068 §2.2: sub is the client itself when no user is involved. */
	bad |= json_object_object_add(claims, "sub", json_object_new_string(u != NULL ? sub : client_id));
	bad |= json_object_object_add(claims, "jti", json_object_new_string(jti));
	bad |= json_object_object_add(claims, "iat", json_object_new_int64(now));
	bad |= json_object_object_add(claims, "nbf", json_object_new_int64(now));
	bad |= json_object_object_add(claims, "exp",
	    json_object_new_int64(now + (long long)app->cfg.access_token_lifetime));
	/* RFC 9068 §2.2, §2.2.3 (SPEC §9): on every path. */
	bad |= json_object_object_add(claims, "client_id", json_object_new_string(client_id));
	if (scope != NULL && *scope != '\0')
		bad |= json_object_object_add(claims, "scope", json_object_new_string(scope));
	if (u != NULL) {
		bad |= json_object_object_add(claims, "email", json_object_new_string(u->email));
		bad |= json_object_object_add(claims, "name", json_object_new_string(u->firstname));
		bad |= json_object_object_add(claims, "role", roles);
		roles = NULL;
	}
	if (bad)
		goto fail;
	jws = jwt_sign(priv, kid, claims);
	if (jws == NULL)
		goto fail;
	json_object_put(claims);
	return jws;
fail:
	log_err("cannot build the access token");
	json_object_put(roles);
	json_object_put(claims);
	*krc = KEYS_UNAVAILABLE;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Audiences: the ClientURL of every registered client, cached.        */
/* ------------------------------------------------------------------ */

struct aud_load {
	struct app_audiences *a;
	char url[501 * 4];
	int failed;
};

static int
aud_add(void *arg)
{
	struct aud_load *l = arg;
	char **urls;

	urls = realloc(l->a->urls, (l->a->n + 1) * sizeof(*urls));
	if (urls == NULL || (urls[l->a->n] = strdup(l->url)) == NULL) {
		if (urls != NULL)
			l->a->urls = urls;
		l->failed = 1;
		return 1;
	}
	l->a->urls = urls;
	l->a->n++;
	return 0;
}

static void
aud_free(struct app_audiences *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->urls[i]);
	free(a->urls);
	a->urls = NULL;
	a->n = 0;
}

/*
 * Re-read the list into a new one and swap it in on success only: when
 * MariaDB cannot be read, the last good list stays in use (as the key
 * cache does), so valid tokens keep verifying during an outage. Failed
 * attempts count as reloads too: a dead database is not hammered.
 */
static int
aud_reload(struct app *app)
{
	struct app_audiences *a = &app->aud;
	struct app_audiences fresh = { 0 };
	struct aud_load l = { .a = &fresh };
	struct db_col c[] = { DB_OUT_STR(l.url, sizeof(l.url)) };

	a->loaded = time(NULL);
	if (db_query(app->db, "SELECT ClientURL FROM Clients", NULL, 0,
	    c, DB_NPARAMS(c), aud_add, &l, NULL) != DB_OK || l.failed) {
		aud_free(&fresh);
		return -1;
	}
	aud_free(a);
	a->urls = fresh.urls;
	a->n = fresh.n;
	return 0;
}

static int
aud_known(struct app *app, const char *aud)
{
	struct app_audiences *a = &app->aud;

	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->urls[i], aud) == 0)
			return 1;
	return 0;
}

/*
 * jwt_aud_check_fn: registered clients only. The list is re-read when it
 * is older than key_cache_refresh seconds, so that a client deleted or
 * moved by jwtauthctl stops being accepted soon after; an unknown value
 * re-reads it at most once per interval, so garbage cannot hammer MariaDB.
 */
static int
aud_check(void *arg, const char *aud)
{
	struct app *app = arg;
	time_t now = time(NULL);

	/* aud.failed stays set until a reload succeeds: until then an
	 * audience not in the last good list may be a client added
	 * meanwhile, and token_verify answers 503 for it, not 401. */
	if (app->aud.loaded == 0 || now - app->aud.loaded >= (time_t)app->cfg.key_cache_refresh)
		app->aud.failed = aud_reload(app) != 0;
	return aud_known(app, aud);
}

/* ------------------------------------------------------------------ */
/* Verification                                                        */
/* ------------------------------------------------------------------ */

static int
subject_read(json_object *claims, struct token_subject *s)
{
	json_object *v;
	const char *str;
	char *end;
	long long id;
	size_t n;

	if (!json_object_object_get_ex(claims, "sub", &v) || !json_object_is_type(v, json_type_string))
		return -1;
	str = json_object_get_string(v);
	if (*str < '1' || *str > '9')
		return -1;
	errno = 0;
	id = strtoll(str, &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0)
		return -1;
	s->user_id = id;

	s->nroles = 0;
	if (!json_object_object_get_ex(claims, "role", &v))
		return 0;
	/* A single role may be a string (as .NET writes one role claim). */
	if (json_object_is_type(v, json_type_string)) {
		if ((size_t)json_object_get_string_len(v) >= ACCOUNT_ROLE_MAX)
			return -1;
		memcpy(s->roles[0], json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
		s->nroles = 1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return -1;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n && s->nroles < ACCOUNT_ROLES_MAX; i++) {
		json_object *r = json_object_array_get_idx(v, i);
		size_t len;

		if (!json_object_is_type(r, json_type_string))
			return -1;
		len = (size_t)json_object_get_string_len(r);
		if (len >= ACCOUNT_ROLE_MAX || strlen(json_object_get_string(r)) != len)
			return -1;
		memcpy(s->roles[s->nroles++], json_object_get_string(r), len + 1);
	}
	return 0;
}

enum jwt_rc
token_claims(struct app *app, const char *token, size_t len, json_object **claims)
{
	struct keys_lookup_arg ka = { .keys = app->keys, .db = app->db };
	struct jwt_verify_opts o = {
		.issuer = app->cfg.issuer,
		.now = (long long)time(NULL),
		.skew = app->cfg.clock_skew,
		.key_lookup = keys_jwt_lookup,
		.key_arg = &ka,
		.aud_check = aud_check,
		.aud_arg = app,
		.cache = app->verified,
	};
	enum jwt_rc rc;

	*claims = NULL;
	rc = jwt_verify(token, len, &o, claims);
	/* A key or audience we could not look up is the database's fault,
	 * not the token's: report it as an error (503), not as a 401. */
	if ((rc == JWT_UNKNOWN_KID && keys_lookup_unavailable(app->keys)) ||
	    (rc == JWT_BAD_AUDIENCE && app->aud.failed)) {
		json_object_put(*claims);
		*claims = NULL;
		return JWT_ERROR;
	}
	return rc;
}

enum jwt_rc
token_verify(struct app *app, const char *token, size_t len, struct token_subject *sub)
{
	return token_verify_claims(app, token, len, sub, NULL);
}

enum jwt_rc
token_verify_claims(struct app *app, const char *token, size_t len,
    struct token_subject *sub, json_object **out)
{
	json_object *claims = NULL;
	enum jwt_rc rc;

	memset(sub, 0, sizeof(*sub));
	if (out != NULL)
		*out = NULL;
	if ((rc = token_claims(app, token, len, &claims)) != JWT_OK)
		return rc;
	if (subject_read(claims, sub) != 0)
		rc = JWT_MALFORMED;
	if (rc == JWT_OK && out != NULL)
		*out = claims;
	else
		json_object_put(claims);
	return rc;
}

int
token_has_role(const struct token_subject *sub, const char *role)
{
	for (size_t i = 0; i < sub->nroles; i++)
		if (strcmp(sub->roles[i], role) == 0)
			return 1;
	return 0;
}
