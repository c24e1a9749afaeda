/*
 * users: POST /api/Users/Register, GET /api/Users/GetProfile and
 * PUT /api/Users/UpdateProfile (SPEC §3).
 */
#include "config.h"

#include "api.h"
#include "app.h"

/* The answer to a Register or an UpdateProfile (SPEC §3). */
static void
answer_account(struct http_req *req, enum account_rc rc, int ok_status,
    const char *ok_message, const char *taken_message)
{
	switch (rc) {
	case ACCOUNT_OK:
		http_message(req, ok_status, ok_message);
		break;
	case ACCOUNT_EMAIL_TAKEN:
		http_message(req, 409, taken_message);
		break;
	case ACCOUNT_NOT_FOUND:
		http_message(req, 404, "User not found.");
		break;
	default:
		http_unavailable(req);
		break;
	}
}

static void
register_user(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	json_object *body;
	struct rj_errors errs;
	struct account_input in;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	api_account_input(body, ACCOUNT_CHECK_REGISTER, &in, &errs);
	if (rj_errors_send(req, &errs))
		goto done;

	answer_account(req, account_register(app->db, &in, &app->cost, NULL),
	    201, "User registered successfully.", "Email is already registered.");
done:
	rj_errors_free(&errs);
	rj_free(body);
}

static json_object *
profile_json(const struct account_user *u)
{
	json_object *o = json_object_new_object(), *roles = json_object_new_array();
	int bad = o == NULL || roles == NULL;

	for (size_t i = 0; !bad && i < u->nroles; i++)
		bad |= json_object_array_add(roles, json_object_new_string(u->roles[i]));
	if (!bad) {
		bad |= json_object_object_add(o, "Id", json_object_new_int64(u->id));
		bad |= json_object_object_add(o, "Email", json_object_new_string(u->email));
		bad |= json_object_object_add(o, "Firstname", json_object_new_string(u->firstname));
		bad |= json_object_object_add(o, "Lastname",
		    u->lastname_null ? NULL : json_object_new_string(u->lastname));
		bad |= json_object_object_add(o, "Roles", roles);
		roles = NULL;
	}
	json_object_put(roles);
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
get_profile(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct token_subject sub;
	struct account_user u;

	if (api_authenticate(req, app, &sub) != 0)
		return;
	switch (account_by_id(app->db, sub.user_id, &u)) {
	case ACCOUNT_OK:
		http_json(req, 200, profile_json(&u));
		break;
	case ACCOUNT_NOT_FOUND:
		http_message(req, 404, "User not found.");
		break;
	default:
		http_unavailable(req);
		break;
	}
}

static void
update_profile(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct token_subject sub;
	json_object *body;
	struct rj_errors errs;
	struct account_input in;

	if (api_authenticate(req, app, &sub) != 0)
		return;
	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	api_account_input(body, ACCOUNT_CHECK_UPDATE, &in, &errs);
	if (rj_errors_send(req, &errs))
		goto done;

	answer_account(req, account_update(app->db, sub.user_id, &in, &app->cost),
	    200, "Profile updated successfully.", "Email is already in use by another account.");
done:
	rj_errors_free(&errs);
	rj_free(body);
}

static const struct http_route routes[] = {
	{ "POST", "/api/Users/Register", HTTP_MATCH_EXACT, HTTP_BODY_JSON, register_user },
	{ "GET", "/api/Users/GetProfile", HTTP_MATCH_EXACT, 0, get_profile },
	{ "PUT", "/api/Users/UpdateProfile", HTTP_MATCH_EXACT, HTTP_BODY_JSON, update_profile },
};

int
main(void)
{
	return api_main("users", routes, sizeof(routes) / sizeof(routes[0]));
}
