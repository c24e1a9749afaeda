/*
 * jwks: GET /.well-known/jwks.json (SPEC §3): the active key and every
 * retired key whose tokens may still be alive; and GET /health, for
 * monitors and load balancers: is the database answering?
 */
#include "config.h"

#include "api.h"
#include "app.h"
#include "db.h"
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
	/*
	 * jwks_max_age also sets the key hand-over (keys.h): no token of a
	 * new key before a JWKS cached this long has been fetched again.
	 */
	http_headerf(req, "Cache-Control", "public, max-age=%u", app->cfg.jwks_max_age);
	http_json(req, 200, set);
}

/*
 * 200 {"status":"ok"} when the database answers a query, 503
 * {"status":"unavailable"} otherwise. The jwks program serves it because it
 * is the one every deployment runs and the cheapest to keep alive; what it
 * checks (the database) is what every other program needs too. Never
 * cached: a monitor must see the state of now.
 */
static void
health(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	long long one = 0;
	size_t n = 0;
	struct db_col col[] = { DB_OUT_INT(&one) };
	json_object *o;
	int up;

	up = db_query(app->db, "SELECT 1", NULL, 0, col, 1, NULL, NULL, &n) == DB_OK &&
	    n == 1 && one == 1;
	if ((o = json_object_new_object()) != NULL &&
	    json_object_object_add(o, "status",
	    json_object_new_string(up ? "ok" : "unavailable")) != 0) {
		json_object_put(o);
		o = NULL;
	}
	http_header(req, "Cache-Control", "no-store");
	http_json(req, up ? 200 : 503, o);
}

static const struct http_route routes[] = {
	{ "GET", "/.well-known/jwks.json", HTTP_MATCH_EXACT, 0, jwks },
	{ "GET", "/health", HTTP_MATCH_EXACT, 0, health },
};

int
main(void)
{
	return api_main("jwks", routes, sizeof(routes) / sizeof(routes[0]));
}
