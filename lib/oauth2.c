/*
 * oauth2.c: the OAuth 2.0 token, revocation, introspection and metadata
 * endpoints (see oauth2.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "app.h"
#include "client.h"
#include "event.h"
#include "log.h"
#include "oauth2.h"
#include "session.h"
#include "token.h"

#define OAUTH2_MSG_UNAVAILABLE "Service temporarily unavailable."

static void
fail(struct oauth2_answer *a, int status, const char *error, const char *description)
{
	a->status = status;
	a->error = error;
	a->description = description;
}

static void
unavailable(struct oauth2_answer *a)
{
	fail(a, 503, OAUTH2_TEMPORARILY_UNAVAILABLE, OAUTH2_MSG_UNAVAILABLE);
}

static void
answer_init(struct oauth2_answer *a)
{
	memset(a, 0, sizeof(*a));
}

/* Add key: val to o; 1 on failure (val is consumed either way). */
static int
add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return 1;
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return 1;
	}
	return 0;
}

/* a->body = o, or a 500-bound failure when building it failed. */
static void
succeed(struct oauth2_answer *a, json_object *o, int bad)
{
	if (o == NULL || bad) {
		json_object_put(o);
		log_err("cannot build the answer");
		unavailable(a);
		return;
	}
	a->status = 200;
	a->body = o;
}

/* Answer a client that failed to authenticate (RFC 6749 §5.2). */
static void
auth_refused(struct oauth2_answer *a, enum client_auth_rc rc, const struct client_auth *how,
    const struct form *f)
{
	switch (rc) {
	case CLIENT_AUTH_INVALID_REQUEST:
		fail(a, 400, OAUTH2_INVALID_REQUEST, how->why);
		return;
	case CLIENT_AUTH_FAILED: {
		char cid[256];
		size_t id_len;
		const char *id = form_get(f, "client_id", &id_len);

		/* A security event (event.h): the client id if sent in the form. */
		event_log("client_auth_failure", "client", id != NULL ?
		    event_strn(cid, sizeof(cid), id, id_len) : NULL,
		    "header", how->used_header ? "yes" : "no", "reason", how->why, (char *)NULL);
		/* RFC 6749 §5.2: 401; WWW-Authenticate when the header was used. */
		fail(a, 401, OAUTH2_INVALID_CLIENT, how->why);
		a->www_basic = how->used_header;
		return;
	}
	default:
		unavailable(a);
		return;
	}
}

/* Read the request's client credentials (client.h), or answer why not. */
static int
creds_read(const char *authorization, const struct form *f, struct client_creds *cr,
    struct client_auth *how, struct oauth2_answer *a)
{
	const char *id, *secret;
	size_t id_len, secret_len;
	enum client_auth_rc rc;

	id = form_get(f, "client_id", &id_len);
	secret = form_get(f, "client_secret", &secret_len);
	rc = client_creds_read(authorization, id, id_len, secret, secret_len, cr, how);
	if (rc != CLIENT_AUTH_OK) {
		auth_refused(a, rc, how, f);
		return -1;
	}
	return 0;
}

/*
 * Authenticate the request's client (client.h) and answer its failure.
 * Return 0 with *c set, or -1 with a filled.
 */
static int
authenticate(struct app *app, const char *authorization, const struct form *f,
    struct client *c, struct oauth2_answer *a)
{
	struct client_creds cr;
	struct client_auth how;
	enum client_auth_rc rc;

	if (creds_read(authorization, f, &cr, &how, a) != 0)
		return -1;
	rc = client_authenticate(app->db, &cr, c, &how);
	client_creds_clear(&cr);
	if (rc != CLIENT_AUTH_OK) {
		auth_refused(a, rc, &how, f);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Token endpoint (RFC 6749)                                           */
/* ------------------------------------------------------------------ */

/* A session failure as RFC 6749 §5.2 says it. */
static void
session_failed(struct oauth2_answer *a, enum session_rc rc, long long retry_after)
{
	switch (rc) {
	case SESSION_BAD_CLIENT:
		fail(a, 401, OAUTH2_INVALID_CLIENT, "Client authentication failed.");
		break;
	case SESSION_BAD_CREDENTIALS:
		fail(a, 400, OAUTH2_INVALID_GRANT, "Invalid credentials.");
		break;
	case SESSION_THROTTLED:
		/* SPEC §3's 429, in RFC 6749's shape: try again later. */
		fail(a, 429, OAUTH2_TEMPORARILY_UNAVAILABLE,
		    "Too many failed login attempts. Try again later.");
		a->retry_after = retry_after > 0 ? retry_after : 1;
		break;
	case SESSION_INVALID_TOKEN:
		fail(a, 400, OAUTH2_INVALID_GRANT, "Invalid refresh token.");
		break;
	case SESSION_REVOKED:
		fail(a, 400, OAUTH2_INVALID_GRANT, "Refresh token has been revoked.");
		break;
	case SESSION_EXPIRED:
		fail(a, 400, OAUTH2_INVALID_GRANT, "Refresh token has expired.");
		break;
	case SESSION_BAD_SCOPE:
		fail(a, 400, OAUTH2_INVALID_SCOPE,
		    "The scope asked for exceeds the scope granted to the refresh token.");
		break;
	case SESSION_NO_KEY:
		fail(a, 503, OAUTH2_TEMPORARILY_UNAVAILABLE, "No active signing key available.");
		break;
	case SESSION_OK:
	case SESSION_UNAVAILABLE:
	default:
		unavailable(a);
		break;
	}
}

/* RFC 6749 §5.1: the successful token answer; wipes access and refresh. */
static void
token_answer(struct app *app, struct oauth2_answer *a, char *access, const char *refresh,
    const char *scope)
{
	json_object *o = json_object_new_object();
	int bad = o == NULL;

	if (o != NULL) {
		bad |= add(o, "access_token", json_object_new_string(access));
		bad |= add(o, "token_type", json_object_new_string("Bearer"));
		bad |= add(o, "expires_in",
		    json_object_new_int64((long long)app->cfg.access_token_lifetime));
		if (refresh != NULL)
			bad |= add(o, "refresh_token", json_object_new_string(refresh));
		if (scope != NULL && *scope != '\0')
			bad |= add(o, "scope", json_object_new_string(scope));
	}
	succeed(a, o, bad);
}

/* The scope a client asks for at grant time, checked against its list. */
static int
grant_scope(const struct client *c, const struct form *f, char *out, size_t cap,
    struct oauth2_answer *a)
{
	size_t len;
	const char *scope = form_get(f, "scope", &len);

	switch (client_scope_grant(scope, len, c->scopes, out, cap)) {
	case CLIENT_SCOPE_OK:
		return 0;
	case CLIENT_SCOPE_MALFORMED:
		fail(a, 400, OAUTH2_INVALID_SCOPE, "The scope is malformed.");
		return -1;
	default:
		fail(a, 400, OAUTH2_INVALID_SCOPE, "The scope is not one this client may ask for.");
		return -1;
	}
}

/* account_validate's first complaint, with the OAuth parameter names. */
struct first_error {
	struct oauth2_answer *a;
	int seen;
};

static void
first_error(void *arg, const char *field, const char *message)
{
	struct first_error *e = arg;
	int n;

	if (e->seen++)
		return;
	n = snprintf(e->a->desc_buf, sizeof(e->a->desc_buf), "%s: %s",
	    strcmp(field, "Email") == 0 ? "username" : "password", message);
	if (n < 0 || (size_t)n >= sizeof(e->a->desc_buf))
		snprintf(e->a->desc_buf, sizeof(e->a->desc_buf), "Invalid username or password.");
	fail(e->a, 400, OAUTH2_INVALID_REQUEST, e->a->desc_buf);
}

/* RFC 6749 §4.3: the resource owner's password, through Login's path. */
static void
grant_password(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	struct client client, *c = &client;
	struct account_input in;
	struct first_error e = { .a = a };
	struct session_tokens t;
	char scope[CLIENT_SCOPES_MAX + 1];
	long long retry_after = 0;
	enum session_rc rc;

	if (authenticate(app, authorization, f, c, a) != 0)
		return;
	memset(&in, 0, sizeof(in));
	in.email.p = form_get(f, "username", &in.email.len);
	in.password.p = form_get(f, "password", &in.password.len);
	/* SPEC §3's rules for Email and Password, as Login has them. */
	account_validate(&in, ACCOUNT_CHECK_LOGIN, first_error, &e);
	if (e.seen)
		return;
	if (grant_scope(c, f, scope, sizeof(scope), a) != 0)
		return;
	rc = session_login(app, in.email.p, in.email.len, in.password.p, in.password.len,
	    c->client_id, strlen(c->client_id), scope, &t, &retry_after);
	if (rc != SESSION_OK) {
		session_failed(a, rc, retry_after);
		return;
	}
	token_answer(app, a, t.access, t.refresh, t.scope);
	session_tokens_clear(&t);
}

/*
 * RFC 6749 §6: the same rotation as /api/Auth/RefreshToken. The client is
 * judged on the row the token's lookup reads with it (issue 11: one read,
 * as at RefreshToken); only when the token is unknown or another client's
 * is the client looked up on its own, so that a client that fails to
 * authenticate hears invalid_client whatever the token.
 */
static void
grant_refresh(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	struct session_tokens t;
	struct session_client who;
	struct client_creds cr;
	struct client c;
	const char *token, *scope;
	size_t token_len, scope_len;
	enum session_rc rc;
	enum client_auth_rc arc;

	if ((token = form_get(f, "refresh_token", &token_len)) == NULL) {
		if (authenticate(app, authorization, f, &c, a) == 0)
			fail(a, 400, OAUTH2_INVALID_REQUEST, "refresh_token is required.");
		return;
	}
	memset(&who, 0, sizeof(who));
	if (creds_read(authorization, f, &cr, &who.how, a) != 0)
		return;
	who.id = cr.id;
	who.len = cr.id_len;
	who.creds = &cr;
	scope = form_get(f, "scope", &scope_len);
	rc = session_refresh(app, token, token_len, &who, scope, scope_len, &t);
	if (rc == SESSION_OK) {
		token_answer(app, a, t.access, t.refresh, t.scope);
		session_tokens_clear(&t);
	} else if (who.judged && who.auth != CLIENT_AUTH_OK)
		auth_refused(a, who.auth, &who.how, f);
	else if (!who.judged && rc != SESSION_UNAVAILABLE &&
	    (arc = client_authenticate(app->db, &cr, &c, &who.how)) != CLIENT_AUTH_OK)
		auth_refused(a, arc, &who.how, f);
	else
		session_failed(a, rc, 0);
	client_creds_clear(&cr);
}

/* RFC 6749 §4.4: confidential clients only, for themselves; no refresh token. */
static void
grant_client_credentials(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	struct client client, *c = &client;
	char scope[CLIENT_SCOPES_MAX + 1];
	enum keys_rc krc;
	char *access;

	if (authenticate(app, authorization, f, c, a) != 0)
		return;
	if (!c->confidential) {
		fail(a, 400, OAUTH2_UNAUTHORIZED_CLIENT,
		    "client_credentials is for confidential clients only.");
		return;
	}
	if (grant_scope(c, f, scope, sizeof(scope), a) != 0)
		return;
	if ((access = token_issue(app, NULL, c->url, c->client_id, scope, &krc)) == NULL) {
		session_failed(a, krc == KEYS_NONE ? SESSION_NO_KEY : SESSION_UNAVAILABLE, 0);
		return;
	}
	token_answer(app, a, access, NULL, scope);
	sodium_memzero(access, strlen(access));
	free(access);
}

void
oauth2_token(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	static const struct {
		const char *name;
		/* Each authenticates the client as it needs (RFC 6749 §3.2.1). */
		void (*grant)(struct app *, const char *, const struct form *,
		    struct oauth2_answer *);
	} grants[] = {
		{ "password", grant_password },
		{ "refresh_token", grant_refresh },
		{ "client_credentials", grant_client_credentials },
	};
	const char *type;
	size_t i;

	answer_init(a);
	if ((type = form_get(f, "grant_type", NULL)) == NULL) {
		fail(a, 400, OAUTH2_INVALID_REQUEST, "grant_type is required.");
		return;
	}
	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
		if (strcmp(type, grants[i].name) == 0)
			break;
	if (i == sizeof(grants) / sizeof(grants[0])) {
		fail(a, 400, OAUTH2_UNSUPPORTED_GRANT_TYPE,
		    "grant_type must be password, refresh_token or client_credentials.");
		return;
	}
	grants[i].grant(app, authorization, f, a);
}

/* ------------------------------------------------------------------ */
/* Revocation (RFC 7009) and introspection (RFC 7662)                  */
/* ------------------------------------------------------------------ */

/* Refresh tokens are base64url without dots; a JWS has two. */
static int
looks_like_jwt(const char *token, size_t len)
{
	return memchr(token, '.', len) != NULL;
}

void
oauth2_revoke(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	struct client c;
	const char *token;
	size_t len;
	json_object *claims = NULL;

	answer_init(a);
	if (authenticate(app, authorization, f, &c, a) != 0)
		return;
	if ((token = form_get(f, "token", &len)) == NULL) {
		fail(a, 400, OAUTH2_INVALID_REQUEST, "token is required.");
		return;
	}
	/* token_type_hint is only a hint (RFC 7009 §2.1): the token says what it is. */
	if (looks_like_jwt(token, len)) {
		switch (token_claims(app, token, len, &claims)) {
		case JWT_OK:
			json_object_put(claims);
			/* SPEC §9: access tokens are self-contained and short-lived. */
			fail(a, 400, OAUTH2_UNSUPPORTED_TOKEN_TYPE,
			    "Access tokens cannot be revoked: they expire.");
			return;
		case JWT_ERROR:
			unavailable(a);
			return;
		default:
			/* RFC 7009 §2.2: an invalid token is no error. */
			succeed(a, json_object_new_object(), 0);
			return;
		}
	}
	switch (session_revoke(app, token, len, c.client_id, strlen(c.client_id))) {
	case SESSION_OK:
	case SESSION_INVALID_TOKEN:
		/* Unknown, or another client's (left alone): 200 all the same,
		 * so that revocation tells nobody which tokens exist. */
		succeed(a, json_object_new_object(), 0);
		return;
	default:
		unavailable(a);
		return;
	}
}

/* Copy claim key of claims into o when it has type t. */
static int
copy_claim(json_object *o, json_object *claims, const char *from, const char *to,
    json_type t)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, from, &v) || !json_object_is_type(v, t))
		return 0;
	return add(o, to, json_object_get(v));
}

static void
introspect_jwt(json_object *claims, json_object *o, int *bad)
{
	json_object *aud;

	*bad |= copy_claim(o, claims, "sub", "sub", json_type_string);
	*bad |= copy_claim(o, claims, "client_id", "client_id", json_type_string);
	*bad |= copy_claim(o, claims, "email", "username", json_type_string);
	*bad |= copy_claim(o, claims, "scope", "scope", json_type_string);
	*bad |= add(o, "token_type", json_object_new_string("Bearer"));
	*bad |= copy_claim(o, claims, "exp", "exp", json_type_int);
	*bad |= copy_claim(o, claims, "iat", "iat", json_type_int);
	*bad |= copy_claim(o, claims, "nbf", "nbf", json_type_int);
	if (json_object_object_get_ex(claims, "aud", &aud) &&
	    (json_object_is_type(aud, json_type_string) || json_object_is_type(aud, json_type_array)))
		*bad |= add(o, "aud", json_object_get(aud));
	*bad |= copy_claim(o, claims, "iss", "iss", json_type_string);
	*bad |= copy_claim(o, claims, "jti", "jti", json_type_string);
}

static void
introspect_refresh(struct app *app, const struct session_token_info *info,
    const struct client *c, json_object *o, int *bad)
{
	char sub[24];

	snprintf(sub, sizeof(sub), "%lld", info->user_id);
	*bad |= add(o, "sub", json_object_new_string(sub));
	*bad |= add(o, "client_id", json_object_new_string(c->client_id));
	*bad |= add(o, "username", json_object_new_string(info->email));
	if (info->scope[0] != '\0')
		*bad |= add(o, "scope", json_object_new_string(info->scope));
	*bad |= add(o, "token_type", json_object_new_string("refresh_token"));
	*bad |= add(o, "exp", json_object_new_int64(info->exp));
	*bad |= add(o, "iat", json_object_new_int64(info->iat));
	*bad |= add(o, "nbf", json_object_new_int64(info->iat));
	*bad |= add(o, "aud", json_object_new_string(info->url));
	*bad |= add(o, "iss", json_object_new_string(app->cfg.issuer));
}

void
oauth2_introspect(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a)
{
	struct client c;
	struct session_token_info *info = NULL;
	const char *token;
	size_t len;
	json_object *o = NULL, *claims = NULL;
	int bad = 0, active = 0;

	answer_init(a);
	if (authenticate(app, authorization, f, &c, a) != 0)
		return;
	/* RFC 7662 §2.1: the endpoint needs authorization; public clients have none. */
	if (!c.confidential) {
		fail(a, 401, OAUTH2_INVALID_CLIENT, "Introspection is for confidential clients only.");
		a->www_basic = authorization != NULL && *authorization != '\0';
		return;
	}
	if ((token = form_get(f, "token", &len)) == NULL) {
		fail(a, 400, OAUTH2_INVALID_REQUEST, "token is required.");
		return;
	}
	if ((o = json_object_new_object()) == NULL) {
		unavailable(a);
		return;
	}
	if (looks_like_jwt(token, len)) {
		switch (token_claims(app, token, len, &claims)) {
		case JWT_OK:
			active = 1;
			break;
		case JWT_ERROR:
			json_object_put(o);
			unavailable(a);
			return;
		default:
			break;
		}
	} else {
		if ((info = malloc(sizeof(*info))) == NULL) {
			json_object_put(o);
			unavailable(a);
			return;
		}
		switch (session_introspect(app, token, len, c.client_id, strlen(c.client_id), info)) {
		case SESSION_OK:
			active = 2;
			break;
		case SESSION_INVALID_TOKEN:
			break;
		default:
			free(info);
			json_object_put(o);
			unavailable(a);
			return;
		}
	}
	/* RFC 7662 §2.2: nothing but "active":false for a token that is not live. */
	bad |= add(o, "active", json_object_new_boolean(active != 0));
	if (active == 1)
		introspect_jwt(claims, o, &bad);
	else if (active == 2)
		introspect_refresh(app, info, &c, o, &bad);
	json_object_put(claims);
	if (info != NULL) {
		sodium_memzero(info, sizeof(*info));
		free(info);
	}
	succeed(a, o, bad);
}

/* ------------------------------------------------------------------ */
/* Metadata (RFC 8414)                                                 */
/* ------------------------------------------------------------------ */

/* base + path into a new JSON string; base without its trailing '/'. */
static json_object *
url(const char *base, const char *path)
{
	char buf[CFG_STR_MAX + 64];
	size_t n = strlen(base);
	int len;

	while (n > 0 && base[n - 1] == '/')
		n--;
	len = snprintf(buf, sizeof(buf), "%.*s%s", (int)n, base, path);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return NULL;
	return json_object_new_string(buf);
}

static json_object *
strings(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_object *s = json_object_new_string(v[i]);

		if (s == NULL || json_object_array_add(a, s) != 0) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
oauth2_metadata(const struct cfg *cfg, struct oauth2_answer *a)
{
	static const char *const grants[] = { "password", "refresh_token", "client_credentials" };
	static const char *const auth[] = { "client_secret_basic", "client_secret_post", "none" };
	static const char *const auth_confidential[] = { "client_secret_basic", "client_secret_post" };
	/* SPEC §12: keys of each alg may be published at once (across a rotation). */
	static const char *const algs[] = { "RS256", "ES256", "EdDSA" };
	json_object *o = json_object_new_object();
	int bad = o == NULL;

	answer_init(a);
	if (o != NULL) {
		bad |= add(o, "issuer", json_object_new_string(cfg->issuer));
		bad |= add(o, "token_endpoint", url(cfg->issuer, "/oauth2/token"));
		bad |= add(o, "revocation_endpoint", url(cfg->issuer, "/oauth2/revoke"));
		bad |= add(o, "introspection_endpoint", url(cfg->issuer, "/oauth2/introspect"));
		bad |= add(o, "jwks_uri", url(cfg->issuer, "/.well-known/jwks.json"));
		bad |= add(o, "grant_types_supported", strings(grants, NELEM(grants)));
		/* No authorization endpoint, so no response type (RFC 8414 §2). */
		bad |= add(o, "response_types_supported", json_object_new_array());
		bad |= add(o, "token_endpoint_auth_methods_supported", strings(auth, NELEM(auth)));
		bad |= add(o, "revocation_endpoint_auth_methods_supported",
		    strings(auth, NELEM(auth)));
		bad |= add(o, "introspection_endpoint_auth_methods_supported",
		    strings(auth_confidential, NELEM(auth_confidential)));
		/* What the access tokens (RFC 9068) may be signed with: each
		 * key has one of these for life (SPEC §12, jwt_key_alg). */
		bad |= add(o, "access_token_signing_alg_values_supported", strings(algs, NELEM(algs)));
	}
	succeed(a, o, bad);
	a->cacheable = 1;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

int
oauth2_form(const struct http_req *req, struct form *f, struct oauth2_answer *a)
{
	enum form_rc rc;

	answer_init(a);
	rc = form_parse(f, req->body != NULL ? req->body : "", req->body_len);
	if (rc == FORM_OK)
		return 0;
	if (rc == FORM_NOMEM) {
		unavailable(a);
		return -1;
	}
	if (rc == FORM_REPEATED && f->bad[0] != '\0') {
		int n = snprintf(a->desc_buf, sizeof(a->desc_buf), "Parameter %s is repeated.", f->bad);

		fail(a, 400, OAUTH2_INVALID_REQUEST, n > 0 && (size_t)n < sizeof(a->desc_buf) ?
		    a->desc_buf : form_strerror(rc));
		return -1;
	}
	fail(a, 400, OAUTH2_INVALID_REQUEST, form_strerror(rc));
	return -1;
}

void
oauth2_send(struct http_req *req, struct oauth2_answer *a)
{
	json_object *o;
	int bad = 0;

	if (a->cacheable)
		http_header(req, "Cache-Control", "public, max-age=300");
	else {
		/* RFC 6749 §5.1, RFC 7662 §2.2: tokens and what they say are not cached. */
		http_header(req, "Cache-Control", "no-store");
		http_header(req, "Pragma", "no-cache");
	}
	if (a->error == NULL) {
		http_json(req, a->status, a->body);
		a->body = NULL;
		return;
	}
	if (a->www_basic)
		http_header(req, "WWW-Authenticate", "Basic realm=\"jwtauth\", charset=\"UTF-8\"");
	if (a->retry_after > 0)
		http_headerf(req, "Retry-After", "%lld", a->retry_after);
	if ((o = json_object_new_object()) != NULL) {
		bad |= add(o, "error", json_object_new_string(a->error));
		bad |= add(o, "error_description", json_object_new_string(a->description));
		if (bad) {
			json_object_put(o);
			o = NULL;
		}
	}
	http_json(req, a->status, o);
}

void
oauth2_refuse(struct http_req *req, int status, const char *text)
{
	struct oauth2_answer a;

	answer_init(&a);
	fail(&a, status, OAUTH2_INVALID_REQUEST, text);
	oauth2_send(req, &a);
}
