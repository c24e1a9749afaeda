/*
 * login: POST /api/Auth/Login (SPEC §3).
 */
#include "config.h"

#include "api.h"
#include "app.h"

static void
login(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	json_object *body;
	struct rj_errors errs;
	struct account_input in;
	struct session_tokens tokens;
	const char *client = NULL;
	size_t client_len = 0;
	long long retry_after = 0;
	enum session_rc rc;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	api_account_input(body, ACCOUNT_CHECK_LOGIN, &in, &errs);
	(void)api_required_string(body, "ClientId", "ClientId is required.",
	    &client, &client_len, &errs);
	if (rj_errors_send(req, &errs))
		goto done;

	rc = session_login(app, in.email.p, in.email.len, in.password.p, in.password.len,
	    client, client_len, NULL, &tokens, &retry_after);
	if (rc == SESSION_OK)
		api_tokens(req, &tokens);
	else
		api_session_error(req, rc, retry_after);
done:
	rj_errors_free(&errs);
	rj_free(body);
}

static const struct http_route routes[] = {
	{ "POST", "/api/Auth/Login", HTTP_MATCH_EXACT, HTTP_BODY_JSON, login },
};

int
main(void)
{
	return api_main("login", routes, sizeof(routes) / sizeof(routes[0]));
}
