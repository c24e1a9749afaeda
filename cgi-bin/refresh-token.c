/*
 * refresh-token: POST /api/Auth/RefreshToken and POST /api/Auth/Logout
 * (SPEC §3).
 */
#include "config.h"

#include "api.h"
#include "app.h"

/* RefreshToken and ClientId, both required (SPEC §3 RefreshToken, Logout). */
static void
read_token_and_client(json_object *body, const char **token, size_t *token_len,
    const char **client, size_t *client_len, struct rj_errors *errs)
{
	(void)api_required_string(body, "RefreshToken", "RefreshToken is required.",
	    token, token_len, errs);
	(void)api_required_string(body, "ClientId", "ClientId is required.",
	    client, client_len, errs);
}

static void
refresh(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	json_object *body;
	struct rj_errors errs;
	struct session_tokens tokens;
	const char *token = NULL, *client = NULL;
	size_t token_len = 0, client_len = 0;
	enum session_rc rc;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	read_token_and_client(body, &token, &token_len, &client, &client_len, &errs);
	if (rj_errors_send(req, &errs))
		goto done;

	{
		struct session_client who = { .id = client, .len = client_len };

		rc = session_refresh(app, token, token_len, &who, NULL, 0, &tokens);
	}
	if (rc == SESSION_OK)
		api_tokens(req, &tokens);
	else
		api_session_error(req, rc, 0);
done:
	rj_errors_free(&errs);
	rj_free(body);
}

static void
logout(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct token_subject sub;
	json_object *body;
	struct rj_errors errs;
	const char *token = NULL, *client = NULL;
	size_t token_len = 0, client_len = 0;
	int all = 0;
	enum session_rc rc;

	if (api_authenticate(req, app, &sub) != 0)
		return;
	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	read_token_and_client(body, &token, &token_len, &client, &client_len, &errs);
	/* IsLogoutFromAllDevices: a bool, false when absent. */
	if (rj_bool(body, "IsLogoutFromAllDevices", &all, &errs) == RJ_ABSENT)
		all = 0;
	if (rj_errors_send(req, &errs))
		goto done;

	rc = session_logout(app, sub.user_id, token, token_len, client, client_len, all);
	switch (rc) {
	case SESSION_OK: {
		json_object *o = json_object_new_object();

		if (o != NULL && json_object_object_add(o, "Message", json_object_new_string(
		    "Logout successful. Refresh token has been revoked.")) != 0) {
			json_object_put(o);
			o = NULL;
		}
		http_json(req, 200, o);
		break;
	}
	case SESSION_REVOKED:
		http_message(req, 400, "Refresh token is already revoked.");
		break;
	default:
		api_session_error(req, rc, 0);
		break;
	}
done:
	rj_errors_free(&errs);
	rj_free(body);
}

static const struct http_route routes[] = {
	{ "POST", "/api/Auth/RefreshToken", HTTP_MATCH_EXACT, HTTP_BODY_JSON, refresh },
	{ "POST", "/api/Auth/Logout", HTTP_MATCH_EXACT, HTTP_BODY_JSON, logout },
};

int
main(void)
{
	return api_main("refresh-token", routes, sizeof(routes) / sizeof(routes[0]));
}
