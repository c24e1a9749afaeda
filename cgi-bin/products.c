/*
 * products: the protected Products resource (SPEC §5).
 *
 *   GET    /api/Products/GetAll          anyone
 *   GET    /api/Products/GetById/{id}    any valid token
 *   POST   /api/Products/Add             User, Editor or Admin
 *   PUT    /api/Products/Update/{id}     Editor or Admin
 *   DELETE /api/Products/Delete/{id}     Admin
 *
 * As in ASP.NET Core, authorization runs before the id is bound: a request
 * without a valid token gets 401 whatever its id. Then {id} must be an
 * integer that fits the column (INT): anything else ("abc", "1.5",
 * "2^64", "%00") is 400 with a validation body naming id; an integer that
 * names no product (0, -1, 99) is 404 "Product with ID {id} not found.".
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"
#include "product.h"

/* ------------------------------------------------------------------ */

static json_object *
product_json(const struct product *p)
{
	json_object *o = json_object_new_object();
	int bad = o == NULL;

	if (!bad) {
		bad |= json_object_object_add(o, "Id", json_object_new_int64(p->id));
		bad |= json_object_object_add(o, "Name", json_object_new_string(p->name));
		bad |= json_object_object_add(o, "Description",
		    p->description_null ? NULL : json_object_new_string(p->description));
		/* The DECIMAL text as it is ("10.00"), not a re-printed double. */
		bad |= json_object_object_add(o, "Price",
		    json_object_new_double_s(strtod(p->price, NULL), p->price));
	}
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Characters of a refused id echoed in the 400 message. */
#define ECHO_CHARS 64

/*
 * Copy at most ECHO_CHARS characters of s into out (ECHO_CHARS * 4 + 1
 * bytes) as valid UTF-8: the path segment is the client's bytes as nginx
 * decoded them ("%FF" is a lone 0xFF), and a JSON answer must be UTF-8
 * (RFC 8259 §8.1). A byte that starts no well-formed sequence becomes
 * U+FFFD, as .NET decodes it; the cut never splits a character.
 */
static void
echo_utf8(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	for (int chars = 0; *p != '\0' && chars < ECHO_CHARS; chars++, p += n) {
		n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 :
		    *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		if (n == 0 || strnlen((const char *)p, n) < n || !rj_utf8_valid((const char *)p, n)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);   /* U+FFFD */
			o += 3;
			n = 1;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
	}
	out[o] = '\0';
}

/*
 * Parse {id} as ASP.NET binds an int: optional '-', decimal digits, within
 * INT's range. Return 0, or -1 after answering 400.
 */
static int
product_id(struct http_req *req, long long *id)
{
	const char *s = req->capture, *d = s;
	char *end;
	struct rj_errors errs;
	char value[ECHO_CHARS * 4 + 1];
	char msg[sizeof(value) + 32];

	if (*d == '-')
		d++;
	if (*d >= '0' && *d <= '9' && strspn(d, "0123456789") == strlen(d) && strlen(d) <= 10) {
		errno = 0;
		*id = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && *id >= INT_MIN && *id <= INT_MAX)
			return 0;
	}
	rj_errors_init(&errs);
	/* Cut what is echoed: the path segment is the client's own input. */
	echo_utf8(s, value);
	if (snprintf(msg, sizeof(msg), "The value '%s' is not valid.", value) < 0)
		msg[0] = '\0';
	rj_error(&errs, "id", msg);
	if (!rj_errors_send(req, &errs))
		http_internal_error(req);
	rj_errors_free(&errs);
	return -1;
}

static void
not_found(struct http_req *req, long long id)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "Product with ID %lld not found.", id);
	http_message(req, 404, msg);
}

/* The answer to an Update or a Delete of product id. */
static void
answer_change(struct http_req *req, enum product_rc rc, long long id)
{
	switch (rc) {
	case PRODUCT_OK:
		http_no_content(req);
		break;
	case PRODUCT_NOT_FOUND:
		not_found(req, id);
		break;
	default:
		http_unavailable(req);
		break;
	}
}

/* Authenticate, then require one of roles (NULL: any valid token). */
static int
authorize(struct http_req *req, struct app *app, const char *const *roles)
{
	struct token_subject sub;

	if (api_authenticate(req, app, &sub) != 0)
		return -1;
	if (roles == NULL)
		return 0;
	for (; *roles != NULL; roles++)
		if (token_has_role(&sub, *roles))
			return 0;
	http_forbidden(req);
	return -1;
}

/*
 * Read and validate Name, Description and Price (a client-sent Id is
 * ignored). Return 0 with in filled (strings borrowed from body, price in
 * price[]), or -1 after answering 400.
 */
static int
product_body(struct http_req *req, json_object *body, struct product_input *in,
    char price[RJ_DECIMAL_MAX])
{
	struct rj_errors errs;
	double value = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	rj_errors_init(&errs);
	switch (rj_string(body, "Name", &in->name, &in->name_len, &errs)) {
	case RJ_OK:
		if (strspn(in->name, " \t\r\n") == in->name_len)
			rj_error(&errs, "Name", "The Name field is required.");
		else if (rj_utf8_len(in->name, in->name_len) > 100)
			rj_error(&errs, "Name", "The field Name must be a string with a maximum length of 100.");
		break;
	case RJ_WRONG_TYPE:
		break;
	default:
		rj_error(&errs, "Name", "The Name field is required.");
		break;
	}
	if (rj_string(body, "Description", &in->description, &in->description_len, &errs) != RJ_OK)
		in->description = NULL;
	else if (rj_utf8_len(in->description, in->description_len) > 500)
		rj_error(&errs, "Description",
		    "The field Description must be a string with a maximum length of 500.");
	/* An absent Price is 0, as a .NET decimal property defaults. */
	switch (rj_decimal(body, "Price", price, RJ_DECIMAL_MAX, &value, &errs)) {
	case RJ_OK:
		if (value < 0)
			rj_error(&errs, "Price",
			    "The field Price must be between 0 and 1.7976931348623157E+308.");
		break;
	case RJ_ABSENT:
		snprintf(price, RJ_DECIMAL_MAX, "0.00");
		break;
	default:
		break;
	}
	in->price = price;
	rc = rj_errors_send(req, &errs) ? -1 : 0;
	rj_errors_free(&errs);
	return rc;
}

/* ------------------------------------------------------------------ */

static const char *const role_add[] = { "User", "Editor", "Admin", NULL };
static const char *const role_update[] = { "Editor", "Admin", NULL };
static const char *const role_delete[] = { "Admin", NULL };

static int
add_to_array(void *arg, const struct product *p)
{
	json_object *o = product_json(p);

	if (o == NULL || json_object_array_add(arg, o) != 0) {
		json_object_put(o);
		return -1;
	}
	return 0;
}

static void
get_all(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	json_object *list = json_object_new_array();

	if (list == NULL) {
		http_internal_error(req);
		return;
	}
	if (product_all(app->db, add_to_array, list) != PRODUCT_OK) {
		json_object_put(list);
		http_unavailable(req);
		return;
	}
	http_json(req, 200, list);
}

static void
get_by_id(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct product p;
	long long id;

	if (authorize(req, app, NULL) != 0 || product_id(req, &id) != 0)
		return;
	switch (product_get(app->db, id, &p)) {
	case PRODUCT_OK:
		http_json(req, 200, product_json(&p));
		break;
	case PRODUCT_NOT_FOUND:
		not_found(req, id);
		break;
	default:
		http_unavailable(req);
		break;
	}
}

static void
add(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct product_input in;
	struct product p;
	char price[RJ_DECIMAL_MAX];
	json_object *body;

	if (authorize(req, app, role_add) != 0 || rj_body(req, &body) != 0)
		return;
	if (product_body(req, body, &in, price) == 0) {
		if (product_add(app->db, &in, &p) == PRODUCT_OK) {
			http_headerf(req, "Location", "/api/Products/GetById/%lld", p.id);
			http_json(req, 201, product_json(&p));
		} else {
			http_unavailable(req);
		}
	}
	json_object_put(body);
}

static void
update(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	struct product_input in;
	char price[RJ_DECIMAL_MAX];
	json_object *body;
	long long id;

	if (authorize(req, app, role_update) != 0 || product_id(req, &id) != 0 ||
	    rj_body(req, &body) != 0)
		return;
	if (product_body(req, body, &in, price) == 0)
		answer_change(req, product_update(app->db, id, &in), id);
	json_object_put(body);
}

static void
delete(struct http_req *req, void *ctx)
{
	struct app *app = ctx;
	long long id;

	if (authorize(req, app, role_delete) != 0 || product_id(req, &id) != 0)
		return;
	answer_change(req, product_delete(app->db, id), id);
}

static const struct http_route routes[] = {
	{ "GET", "/api/Products/GetAll", HTTP_MATCH_EXACT, 0, get_all },
	{ "GET", "/api/Products/GetById/", HTTP_MATCH_PREFIX, 0, get_by_id },
	{ "POST", "/api/Products/Add", HTTP_MATCH_EXACT, HTTP_BODY_JSON, add },
	{ "PUT", "/api/Products/Update/", HTTP_MATCH_PREFIX, HTTP_BODY_JSON, update },
	{ "DELETE", "/api/Products/Delete/", HTTP_MATCH_PREFIX, 0, delete },
};

int
main(void)
{
	return api_main("products", routes, sizeof(routes) / sizeof(routes[0]));
}
