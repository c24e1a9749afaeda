/*
 * oauth2.h: the standard OAuth 2.0 surface (SPEC §9) on the same users,
 * clients, keys and refresh-token families as the tutorial's endpoints:
 * the token endpoint (RFC 6749: password, refresh_token and
 * client_credentials grants), revocation (RFC 7009), introspection
 * (RFC 7662) and the authorization server metadata (RFC 8414).
 *
 * Each endpoint takes the parsed form (form.h) and the Authorization
 * header and fills a struct oauth2_answer; oauth2_send turns it into the
 * HTTP answer. Errors are RFC 6749 §5.2's {"error","error_description"}
 * everywhere, with 503 temporarily_unavailable when MariaDB is down, and
 * nothing is changed by a refused request.
 */
#ifndef JWTAUTH_OAUTH2_H
#define JWTAUTH_OAUTH2_H

#include <json-c/json.h>

#include "form.h"
#include "http.h"

struct app;
struct cfg;

/* RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 6749 §4.1.2.1 error codes. */
#define OAUTH2_INVALID_REQUEST          "invalid_request"
#define OAUTH2_INVALID_CLIENT           "invalid_client"
#define OAUTH2_INVALID_GRANT            "invalid_grant"
#define OAUTH2_UNAUTHORIZED_CLIENT      "unauthorized_client"
#define OAUTH2_UNSUPPORTED_GRANT_TYPE   "unsupported_grant_type"
#define OAUTH2_INVALID_SCOPE            "invalid_scope"
#define OAUTH2_UNSUPPORTED_TOKEN_TYPE   "unsupported_token_type"
#define OAUTH2_TEMPORARILY_UNAVAILABLE  "temporarily_unavailable"

struct oauth2_answer {
	int status;                     /* 200, 400, 401, 429 or 503 */
	const char *error;              /* NULL on success */
	const char *description;        /* printable ASCII (RFC 6749 §5.2): static, or desc_buf */
	char desc_buf[128];
	json_object *body;              /* on success: the answer (owned) */
	int www_basic;                  /* 401 with WWW-Authenticate: Basic (RFC 6749 §5.2) */
	long long retry_after;          /* > 0: a Retry-After header (429) */
	int cacheable;                  /* the metadata: public, max-age=300; else no-store */
};

/* POST /oauth2/token. */
void oauth2_token(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a);

/* POST /oauth2/revoke. */
void oauth2_revoke(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a);

/* POST /oauth2/introspect. */
void oauth2_introspect(struct app *app, const char *authorization, const struct form *f,
    struct oauth2_answer *a);

/* GET /.well-known/oauth-authorization-server: every URL built from cfg's issuer. */
void oauth2_metadata(const struct cfg *cfg, struct oauth2_answer *a);

/*
 * Parse the request's form body (a route with HTTP_BODY_FORM) into f.
 * Return 0, or -1 with a an invalid_request answer (nothing to free).
 */
int oauth2_form(const struct http_req *req, struct form *f, struct oauth2_answer *a)
	__attribute__((warn_unused_result));

/* Answer req with a (and free its body). */
void oauth2_send(struct http_req *req, struct oauth2_answer *a);

/* http_refuse_fn: the body gate's 415, 413 and 400 as invalid_request. */
void oauth2_refuse(struct http_req *req, int status, const char *text);

#endif
