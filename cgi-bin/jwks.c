/*
 * jwks: GET /.well-known/jwks.json (SPEC §3): the active key and every
 * retired key whose tokens may still be alive.
 */
#include "config.h"

#include "api.h"
#include "app.h"
#include "keys.h"

static void
jwks(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	json_object *set = keys_jwks(app->keys, app->db);

	if (set == NULL) {
		http_unavailable(req);
		return;
	}
	http_header(req, "Cache-Control", "public, max-age=300");
	http_json(req, 200, set);
}

static const struct http_route routes[] = {
	{ "GET", "/.well-known/jwks.json", HTTP_MATCH_EXACT, 0, jwks },
};

int
main(void)
{
	return api_main("jwks", routes, sizeof(routes) / sizeof(routes[0]));
}
