/*
 * api.c: what the programs share between HTTP and the services (see api.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"
#include "log.h"

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void
misconfigured(struct http_req *req, void *ctx)
{
	http_internal_error(req);
}

int
api_main(const char *progname, const struct http_route *routes, size_t nroutes)
{
	return api_main_refuse(progname, routes, nroutes, NULL);
}

int
api_main_refuse(const char *progname, const struct http_route *routes, size_t nroutes,
    http_refuse_fn refuse)
{
	struct app app;
	struct http_limits lim = { 0 };
	struct http_route *broken;
	char err[512];
	int rc;

	if (app_open(&app, progname, err, sizeof(err)) == 0) {
		lim.max_body = app.cfg.max_body_size;
		lim.refuse = refuse;
		rc = http_serve(routes, nroutes, &app, &lim);
		app_close(&app);
		return rc == 0 ? 0 : 1;
	}

	/* app_open logged why. Keep the routes (404 and 405 stay right) and
	 * answer each request with a 500 rather than nothing at all. */
	broken = calloc(nroutes, sizeof(*broken));
	if (broken == NULL)
		return 1;
	for (size_t i = 0; i < nroutes; i++) {
		broken[i] = routes[i];
		broken[i].flags = 0;
		broken[i].handler = misconfigured;
	}
	rc = http_serve(broken, nroutes, NULL, NULL);
	free(broken);
	return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Reading bodies                                                      */
/* ------------------------------------------------------------------ */

int
api_required_string(json_object *body, const char *field, const char *msg,
    const char **s, size_t *len, struct rj_errors *errs)
{
	enum rj_rc rc = rj_string(body, field, s, len, errs);

	if (rc == RJ_WRONG_TYPE)
		return -1;
	if (rc != RJ_OK || rj_blank(*s, *len)) {
		rj_error(errs, field, msg);
		return -1;
	}
	return 0;
}

struct validation {
	struct rj_errors *errs;
	unsigned int skip;      /* bit per field with a type error */
};

enum { F_FIRSTNAME = 1, F_LASTNAME = 2, F_EMAIL = 4, F_PASSWORD = 8 };

static unsigned int
field_bit(const char *field)
{
	if (strcmp(field, "Firstname") == 0)
		return F_FIRSTNAME;
	if (strcmp(field, "Lastname") == 0)
		return F_LASTNAME;
	if (strcmp(field, "Email") == 0)
		return F_EMAIL;
	return F_PASSWORD;
}

static void
validation_add(void *arg, const char *field, const char *message)
{
	struct validation *v = arg;

	if ((v->skip & field_bit(field)) == 0)
		rj_error(v->errs, field, message);
}

static void
read_field(json_object *body, const char *field, struct account_str *out,
    struct validation *v)
{
	enum rj_rc rc = rj_string(body, field, &out->p, &out->len, v->errs);

	if (rc == RJ_WRONG_TYPE)
		v->skip |= field_bit(field);
	if (rc != RJ_OK) {
		out->p = NULL;
		out->len = 0;
	}
}

int
api_account_input(json_object *body, enum account_check which,
    struct account_input *in, struct rj_errors *errs)
{
	struct validation v = { .errs = errs };
	unsigned int before = errs->count;

	memset(in, 0, sizeof(*in));
	if (which != ACCOUNT_CHECK_LOGIN) {
		read_field(body, "Firstname", &in->firstname, &v);
		read_field(body, "Lastname", &in->lastname, &v);
	}
	read_field(body, "Email", &in->email, &v);
	read_field(body, "Password", &in->password, &v);
	account_validate(in, which, validation_add, &v);
	return (int)(errs->count - before);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

int
api_bearer_judge(struct http_req *req, struct app *app, struct token_subject *sub,
    json_object **claims, const char **why)
{
	const char *tok;
	size_t len;
	enum jwt_rc rc;

	*why = NULL;
	if (claims != NULL)
		*claims = NULL;
	switch (http_bearer(req, &tok, &len)) {
	case HTTP_BEARER_OK:
		break;
	case HTTP_BEARER_NONE:
		return 401;
	default:
		*why = jwt_strerror(JWT_MALFORMED);
		return 401;
	}
	rc = token_verify_claims(app, tok, len, sub, claims);
	if (rc == JWT_OK)
		return 0;
	if (rc == JWT_ERROR)
		return 503;
	*why = jwt_strerror(rc);
	return 401;
}

void
api_bearer_answer(struct http_req *req, int status, const char *why)
{
	if (status == 503)
		http_unavailable(req);
	else if (why == NULL)
		http_unauthorized(req);
	else
		http_invalid_token(req, why);
}

int
api_authenticate(struct http_req *req, struct app *app, struct token_subject *sub)
{
	const char *why;
	int status = api_bearer_judge(req, app, sub, NULL, &why);

	if (status == 0)
		return 0;
	api_bearer_answer(req, status, why);
	return -1;
}

void
api_tokens(struct http_req *req, struct session_tokens *t)
{
	json_object *o = json_object_new_object();

	/* RFC 6749 §5.1: token answers must not be cached. */
	http_header(req, "Cache-Control", "no-store");
	http_header(req, "Pragma", "no-cache");
	if (o == NULL ||
	    json_object_object_add(o, "Token", json_object_new_string(t->access)) != 0 ||
	    json_object_object_add(o, "RefreshToken", json_object_new_string(t->refresh)) != 0) {
		json_object_put(o);
		o = NULL;
	}
	http_json_secret(req, 200, o);
	session_tokens_clear(t);
}

void
api_session_error(struct http_req *req, enum session_rc rc, long long retry_after)
{
	switch (rc) {
	case SESSION_BAD_CLIENT:
		http_message(req, 401, "Invalid client credentials.");
		break;
	case SESSION_BAD_CREDENTIALS:
		http_message(req, 401, "Invalid credentials.");
		break;
	case SESSION_THROTTLED:
		http_headerf(req, "Retry-After", "%lld", retry_after > 0 ? retry_after : 1);
		http_message(req, 429, "Too many failed login attempts. Try again later.");
		break;
	case SESSION_INVALID_TOKEN:
		http_message(req, 401, "Invalid refresh token.");
		break;
	case SESSION_REVOKED:
		http_message(req, 401, "Refresh token has been revoked.");
		break;
	case SESSION_EXPIRED:
		http_message(req, 401, "Refresh token has expired.");
		break;
	case SESSION_NO_KEY:
		http_message(req, 503, "No active signing key available.");
		break;
	case SESSION_OK:
	case SESSION_UNAVAILABLE:
	default:
		http_unavailable(req);
		break;
	}
}
