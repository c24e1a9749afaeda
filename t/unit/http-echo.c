/*
 * t/unit/http-echo.c: the smallest program built on http_serve, driven as
 * real CGI by t/http-cgi.t (and usable under spawn-fcgi as FastCGI).
 *
 *   POST /echo (JSON body)  {"Name":...} -> 200 {"Name":...,"Length":<characters>}
 *                           with Cache-Control: no-store; Name required, a string
 *   GET /item/{id}          bearer required -> 200 {"Id":"{id}","Query":...,"TokenLength":n}
 *   DELETE /item/{id}       -> 204
 */
#include "config.h"

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "reqjson.h"

static void
echo(struct http_req *req, void *ctx)
{
	struct rj_errors errs;
	json_object *body = NULL, *out = NULL;
	const char *name;
	size_t len;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	switch (rj_string(body, "Name", &name, &len, &errs)) {
	case RJ_OK:
		if (len > 0)
			break;
		/* FALLTHROUGH */
	case RJ_ABSENT:
	case RJ_NULL:
		rj_error(&errs, "Name", "The Name field is required.");
		break;
	case RJ_WRONG_TYPE:
	default:
		break;
	}
	if (rj_errors_send(req, &errs))
		goto done;
	if ((out = json_object_new_object()) == NULL ||
	    json_object_object_add(out, "Name", json_object_new_string_len(name, (int)len)) != 0 ||
	    json_object_object_add(out, "Length",
	    json_object_new_int64((int64_t)rj_utf8_len(name, len))) != 0) {
		json_object_put(out);
		http_internal_error(req);
		goto done;
	}
	http_header(req, "Cache-Control", "no-store");
	http_json(req, 200, out);
done:
	rj_errors_free(&errs);
	json_object_put(body);
}

static void
item_get(struct http_req *req, void *ctx)
{
	json_object *out;
	const char *tok;
	size_t tlen;

	switch (http_bearer(req, &tok, &tlen)) {
	case HTTP_BEARER_OK:
		break;
	case HTTP_BEARER_NONE:
		http_unauthorized(req);
		return;
	case HTTP_BEARER_INVALID:
	default:
		http_invalid_token(req, "The token is malformed.");
		return;
	}
	if ((out = json_object_new_object()) == NULL ||
	    json_object_object_add(out, "Id", json_object_new_string(req->capture)) != 0 ||
	    json_object_object_add(out, "Query", json_object_new_string(req->query)) != 0 ||
	    json_object_object_add(out, "TokenLength", json_object_new_int64((int64_t)tlen)) != 0) {
		json_object_put(out);
		http_internal_error(req);
		return;
	}
	http_json(req, 200, out);
}

static void
item_delete(struct http_req *req, void *ctx)
{
	http_no_content(req);
}

static const struct http_route routes[] = {
	{ "POST", "/echo", HTTP_MATCH_EXACT, HTTP_BODY_JSON, echo },
	{ "GET", "/item/", HTTP_MATCH_PREFIX, 0, item_get },
	{ "DELETE", "/item/", HTTP_MATCH_PREFIX, 0, item_delete },
};

int
main(int argc, char *argv[])
{
	struct http_limits lim = { 0 };

	log_init(argc > 0 ? argv[0] : "http-echo", LOG_LVL_DEBUG);
	return http_serve(routes, sizeof(routes) / sizeof(routes[0]), NULL, &lim) == 0 ? 0 : 1;
}
