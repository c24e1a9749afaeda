/*
 * authz: the gateway behind nginx's auth_request (SPEC §10), so that any
 * location nginx serves (static files, a proxied app, PHP) is protected by
 * jwtauth tokens without the app knowing.
 *
 *   GET /_jwtauth/authz    (an internal location: nginx/jwtauth-gateway.conf)
 *
 * The token is checked exactly as Products checks it (api_bearer_judge:
 * the same verifier, verified-token cache and key store); the location's
 * requirements arrive as the parameters of authz.h. Answers, all without
 * a body nginx would use:
 *   204 with X-Jwtauth-Sub, -Email, -Roles, -Client (auth_request_set);
 *   401 with RFC 6750's WWW-Authenticate (nginx copies it to its answer);
 *   403 with error="insufficient_scope";
 *   503 when the token cannot be judged (keys or roles unreadable).
 * X-Jwtauth-Message carries the {"message":...} text nginx's JSON answer
 * shows for the 401 and 403 (it cannot read this answer's body).
 */
#include "config.h"

#include "api.h"
#include "app.h"
#include "authz.h"

/* Per worker: the Roles table's names, re-read every key_cache_refresh. */
static struct authz_roles known;

static void
deny(struct http_req *req, int status, const char *why)
{
	if (status == 503)
		http_header(req, "X-Jwtauth-Message", HTTP_MSG_UNAVAILABLE);
	else
		http_header(req, "X-Jwtauth-Message", why != NULL ? why : HTTP_MSG_UNAUTHORIZED);
	api_bearer_answer(req, status, why);
}

static void
allow(struct http_req *req, const struct token_subject *sub, json_object *claims)
{
	struct authz_identity id;

	if (authz_identity(sub, claims, &id) != 0) {
		http_internal_error(req);
		return;
	}
	http_header(req, "X-Jwtauth-Sub", id.sub);
	http_header(req, "X-Jwtauth-Email", id.email);
	http_header(req, "X-Jwtauth-Roles", id.roles);
	http_header(req, "X-Jwtauth-Client", id.client);
	authz_identity_free(&id);
	http_no_content(req);
}

static void
check(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct token_subject sub;
	json_object *claims;
	const char *why;
	int status;

	if ((status = api_bearer_judge(req, app, &sub, &claims, &why)) != 0) {
		deny(req, status, why);
		return;
	}
	switch (authz_decide(&known, app->db, app->cfg.key_cache_refresh,
	    http_param(req, AUTHZ_PARAM_ROLES), http_param(req, AUTHZ_PARAM_AUDIENCE),
	    &sub, claims)) {
	case AUTHZ_OK:
		allow(req, &sub, claims);
		break;
	case AUTHZ_BAD_AUDIENCE:
		deny(req, 401, jwt_strerror(JWT_BAD_AUDIENCE));
		break;
	case AUTHZ_NO_ROLE:
	case AUTHZ_UNKNOWN_ROLE:
		http_header(req, "X-Jwtauth-Message", HTTP_MSG_FORBIDDEN);
		http_forbidden(req);
		break;
	case AUTHZ_UNAVAILABLE:
	default:
		deny(req, 503, NULL);
		break;
	}
	json_object_put(claims);
}

static const struct http_route routes[] = {
	{ "GET", "/_jwtauth/authz", HTTP_MATCH_EXACT, 0, check },
};

int
main(void)
{
	return api_main("authz", routes, sizeof(routes) / sizeof(routes[0]));
}
