/*
 * oauth2: the standard OAuth 2.0 surface (SPEC §9): POST /oauth2/token,
 * POST /oauth2/revoke, POST /oauth2/introspect and
 * GET /.well-known/oauth-authorization-server.
 */
#include "config.h"

#include "api.h"
#include "app.h"
#include "form.h"
#include "oauth2.h"

typedef void (*endpoint_fn)(struct app *, const char *, const struct form *,
    struct oauth2_answer *);

/* Parse the form, run the endpoint, answer. */
static void
form_endpoint(struct http_req *req, struct app *app, endpoint_fn fn)
{
	struct oauth2_answer a;
	struct form f;

	if (oauth2_form(req, &f, &a) == 0) {
		fn(app, req->authorization, &f, &a);
		form_free(&f);
	}
	oauth2_send(req, &a);
}

static void
token(struct http_req *req, void *ctx)
{
	form_endpoint(req, ctx, oauth2_token);
}

static void
revoke(struct http_req *req, void *ctx)
{
	form_endpoint(req, ctx, oauth2_revoke);
}

static void
introspect(struct http_req *req, void *ctx)
{
	form_endpoint(req, ctx, oauth2_introspect);
}

static void
metadata(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct oauth2_answer a;

	oauth2_metadata(&app->cfg, &a);
	oauth2_send(req, &a);
}

static const struct http_route routes[] = {
	{ "POST", "/oauth2/token", HTTP_MATCH_EXACT, HTTP_BODY_FORM, token },
	{ "POST", "/oauth2/revoke", HTTP_MATCH_EXACT, HTTP_BODY_FORM, revoke },
	{ "POST", "/oauth2/introspect", HTTP_MATCH_EXACT, HTTP_BODY_FORM, introspect },
	{ "GET", "/.well-known/oauth-authorization-server", HTTP_MATCH_EXACT, 0, metadata },
};

int
main(void)
{
	return api_main_refuse("oauth2", routes, sizeof(routes) / sizeof(routes[0]),
	    oauth2_refuse);
}
