/*
 * fuzz-http.c: the FastCGI/CGI request path (lib/http.c with
 * lib/reqjson.c and lib/api.c): http_req_init, routing, the JSON body
 * gate, the handlers' body parsing and every kind of answer.
 *
 * Input: "NAME=value" lines (the CGI environment: REQUEST_METHOD,
 * DOCUMENT_URI, REQUEST_URI, CONTENT_TYPE, CONTENT_LENGTH,
 * HTTP_AUTHORIZATION, ...), an empty line, then the body. The line
 * "CONTENT_LENGTH=*" becomes the body's real length, so that mutated
 * bodies still pass the gate. The body is read from a file descriptor,
 * as a CGI program reads stdin.
 *
 * The route table is the union of the programs' in cgi-bin/; the
 * handlers read their bodies as the programs do, then answer without a
 * database. Properties of every answer: a status jwtauth sends, a CGI
 * header block whose every line is "Name: value" with a token name and a
 * value free of CR, LF and other controls (no header splitting, whatever
 * the path or the token), WWW-Authenticate on a bearer 401, Allow on 405, nothing
 * after a 204, and otherwise a body that is exactly one JSON value in
 * valid UTF-8.
 */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"
#include "reqjson.h"

#define MAX_VARS 32

/* ---- handlers ---------------------------------------------------------- */

/* Set when authenticate answered 401: RFC 6750 §3 then needs WWW-Authenticate. */
static int bearer_refused;

/* Role by token, so that 403 is reachable: 0 User, 1 Editor, 2 Admin. */
static int
authenticate(struct http_req *req, int *role)
{
	const char *tok;
	size_t len;

	switch (http_bearer(req, &tok, &len)) {
	case HTTP_BEARER_OK:
		*role = (int)(len % 3);
		return 0;
	case HTTP_BEARER_NONE:
		bearer_refused = 1;
		http_unauthorized(req);
		return -1;
	case HTTP_BEARER_INVALID:
	default:
		bearer_refused = 1;
		http_invalid_token(req, "The token is malformed.");
		return -1;
	}
}

static void
login(struct http_req *req, void *ctx)
{
	json_object *body;
	struct rj_errors errs;
	struct account_input in;
	const char *client;
	size_t clen;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	api_account_input(body, ACCOUNT_CHECK_LOGIN, &in, &errs);
	(void)api_required_string(body, "ClientId", "ClientId is required.", &client, &clen, &errs);
	if (!rj_errors_send(req, &errs)) {
		http_header(req, "Cache-Control", "no-store");
		http_message(req, 401, "Invalid credentials.");
	}
	rj_errors_free(&errs);
	json_object_put(body);
}

static void
account(struct http_req *req, enum account_check which)
{
	json_object *body;
	struct rj_errors errs;
	struct account_input in;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	api_account_input(body, which, &in, &errs);
	if (!rj_errors_send(req, &errs))
		http_message(req, which == ACCOUNT_CHECK_REGISTER ? 201 : 200, "OK.");
	rj_errors_free(&errs);
	json_object_put(body);
}

static void
register_user(struct http_req *req, void *ctx)
{
	account(req, ACCOUNT_CHECK_REGISTER);
}

static void
update_profile(struct http_req *req, void *ctx)
{
	int role;

	if (authenticate(req, &role) == 0)
		account(req, ACCOUNT_CHECK_UPDATE);
}

static void
get_profile(struct http_req *req, void *ctx)
{
	int role;

	if (authenticate(req, &role) == 0)
		http_message(req, 404, "User not found.");
}

static void
refresh_or_logout(struct http_req *req, int logout)
{
	json_object *body;
	struct rj_errors errs;
	const char *s;
	size_t len;
	int all;

	if (rj_body(req, &body) != 0)
		return;
	rj_errors_init(&errs);
	(void)api_required_string(body, "RefreshToken", "RefreshToken is required.", &s, &len, &errs);
	(void)api_required_string(body, "ClientId", "ClientId is required.", &s, &len, &errs);
	if (logout)
		(void)rj_bool(body, "IsLogoutFromAllDevices", &all, &errs);
	if (!rj_errors_send(req, &errs))
		http_message(req, 401, "Invalid refresh token.");
	rj_errors_free(&errs);
	json_object_put(body);
}

static void
refresh(struct http_req *req, void *ctx)
{
	refresh_or_logout(req, 0);
}

static void
logout(struct http_req *req, void *ctx)
{
	int role;

	if (authenticate(req, &role) == 0)
		refresh_or_logout(req, 1);
}

static void
get_all(struct http_req *req, void *ctx)
{
	http_json(req, 200, json_object_new_array());
}

/* {id}: a positive int; the capture goes into a header as is, for the header checks. */
static int
product_id(struct http_req *req, unsigned long long *id)
{
	http_header(req, "X-Capture", req->capture);
	if (http_parse_uint(req->capture, strlen(req->capture), INT_MAX, id) != 0 || *id == 0) {
		http_message(req, 400, "The value is not valid.");
		return -1;
	}
	return 0;
}

static void
get_by_id(struct http_req *req, void *ctx)
{
	unsigned long long id;
	int role;

	if (authenticate(req, &role) == 0 && product_id(req, &id) == 0)
		http_message(req, 404, "Product not found.");
}

/* Name, Description, Price as products.c reads them. Return 0, or -1 after a 400. */
static int
product_body(struct http_req *req, json_object *body)
{
	struct rj_errors errs;
	const char *name, *desc;
	size_t nlen, dlen;
	char price[RJ_DECIMAL_MAX];
	double value;
	int rc;

	rj_errors_init(&errs);
	switch (rj_string(body, "Name", &name, &nlen, &errs)) {
	case RJ_OK:
		if (strspn(name, " \t\r\n") == nlen)
			rj_error(&errs, "Name", "The Name field is required.");
		else if (rj_utf8_len(name, nlen) > 100)
			rj_error(&errs, "Name", "The field Name must be a string with a maximum length of 100.");
		break;
	case RJ_WRONG_TYPE:
		break;
	default:
		rj_error(&errs, "Name", "The Name field is required.");
		break;
	}
	if (rj_string(body, "Description", &desc, &dlen, &errs) == RJ_OK &&
	    rj_utf8_len(desc, dlen) > 500)
		rj_error(&errs, "Description",
		    "The field Description must be a string with a maximum length of 500.");
	if (rj_decimal(body, "Price", price, sizeof(price), &value, &errs) == RJ_OK && value < 0)
		rj_error(&errs, "Price", "The field Price must be between 0 and 1.7976931348623157E+308.");
	rc = rj_errors_send(req, &errs) ? -1 : 0;
	rj_errors_free(&errs);
	return rc;
}

static void
add(struct http_req *req, void *ctx)
{
	json_object *body, *out;
	int role;

	if (authenticate(req, &role) != 0 || rj_body(req, &body) != 0)
		return;
	if (product_body(req, body) == 0) {
		http_headerf(req, "Location", "/api/Products/GetById/%d", 4);
		out = json_object_new_object();
		if (out != NULL && json_object_object_add(out, "Id", json_object_new_int(4)) != 0) {
			json_object_put(out);
			out = NULL;
		}
		http_json(req, 201, out);
	}
	json_object_put(body);
}

static void
update(struct http_req *req, void *ctx)
{
	json_object *body;
	unsigned long long id;
	int role;

	if (authenticate(req, &role) != 0)
		return;
	if (role == 0) {
		http_forbidden(req);
		return;
	}
	if (product_id(req, &id) != 0 || rj_body(req, &body) != 0)
		return;
	if (product_body(req, body) == 0)
		http_no_content(req);
	json_object_put(body);
}

static void
delete(struct http_req *req, void *ctx)
{
	unsigned long long id;
	int role;

	if (authenticate(req, &role) != 0)
		return;
	if (role != 2) {
		http_forbidden(req);
		return;
	}
	if (product_id(req, &id) == 0)
		http_no_content(req);
}

static void
jwks(struct http_req *req, void *ctx)
{
	http_header(req, "Cache-Control", "public, max-age=300");
	http_json(req, 200, json_tokener_parse("{\"keys\":[]}"));
}

static const struct http_route routes[] = {
	{ "POST", "/api/Auth/Login", HTTP_MATCH_EXACT, HTTP_BODY_JSON, login },
	{ "POST", "/api/Auth/RefreshToken", HTTP_MATCH_EXACT, HTTP_BODY_JSON, refresh },
	{ "POST", "/api/Auth/Logout", HTTP_MATCH_EXACT, HTTP_BODY_JSON, logout },
	{ "POST", "/api/Users/Register", HTTP_MATCH_EXACT, HTTP_BODY_JSON, register_user },
	{ "GET", "/api/Users/GetProfile", HTTP_MATCH_EXACT, 0, get_profile },
	{ "PUT", "/api/Users/UpdateProfile", HTTP_MATCH_EXACT, HTTP_BODY_JSON, update_profile },
	{ "GET", "/api/Products/GetAll", HTTP_MATCH_EXACT, 0, get_all },
	{ "GET", "/api/Products/GetById/", HTTP_MATCH_PREFIX, 0, get_by_id },
	{ "POST", "/api/Products/Add", HTTP_MATCH_EXACT, HTTP_BODY_JSON, add },
	{ "PUT", "/api/Products/Update/", HTTP_MATCH_PREFIX, HTTP_BODY_JSON, update },
	{ "DELETE", "/api/Products/Delete/", HTTP_MATCH_PREFIX, 0, delete },
	{ "GET", "/.well-known/jwks.json", HTTP_MATCH_EXACT, 0, jwks },
};

/* ---- the answer -------------------------------------------------------- */

static int
status_known(int s)
{
	static const int known[] = { 200, 201, 204, 400, 401, 403, 404, 405, 413, 415, 500 };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (s == known[i])
			return 1;
	return 0;
}

static void
check_answer(const struct http_req *req)
{
	const char *resp, *p, *eol, *colon, *body;
	size_t len, blen;
	int status = http_status(req), has_ctype = 0, has_auth = 0, has_allow = 0;
	char line[32];
	json_tokener *tok;
	json_object *obj;

	FUZZ_CHECK((resp = http_response(req, &len)) != NULL && len > 0);
	FUZZ_CHECK(strlen(resp) == len);
	FUZZ_CHECK(status_known(status));
	snprintf(line, sizeof(line), "Status: %d ", status);
	FUZZ_CHECK(strncmp(resp, line, strlen(line)) == 0);
	FUZZ_CHECK((body = strstr(resp, "\r\n\r\n")) != NULL);
	/* Every header line after the status line. */
	for (p = strstr(resp, "\r\n") + 2; p < body + 2; p = eol + 2) {
		eol = strstr(p, "\r\n");
		FUZZ_CHECK((colon = memchr(p, ':', (size_t)(eol - p))) != NULL && colon > p);
		for (const char *c = p; c < colon; c++)
			FUZZ_CHECK(*c > 0x20 && *c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", *c) == NULL);
		FUZZ_CHECK(colon[1] == ' ');
		for (const char *c = colon + 2; c < eol; c++)
			FUZZ_CHECK(*c == '\t' || (*c >= 0x20 && *c < 0x7f));
		has_ctype |= strncmp(p, "Content-Type: ", 14) == 0;
		has_auth |= strncmp(p, "WWW-Authenticate: Bearer", 24) == 0;
		has_allow |= strncmp(p, "Allow: ", 7) == 0;
	}
	body += 4;
	blen = len - (size_t)(body - resp);
	if (bearer_refused)
		FUZZ_CHECK(status == 401 && has_auth);
	if (status == 405)
		FUZZ_CHECK(has_allow);
	if (status == 204) {
		FUZZ_CHECK(!has_ctype && blen == 0);
		return;
	}
	FUZZ_CHECK(has_ctype && blen > 0);
	FUZZ_CHECK((tok = json_tokener_new()) != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)blen);
	FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success);
	FUZZ_CHECK(json_tokener_get_parse_end(tok) == blen);
	json_object_put(obj);
	json_tokener_free(tok);
}

/* ---- the request ------------------------------------------------------- */

static int body_fd = -1;
static int print_answers;       /* FUZZ_HTTP_PRINT set: each answer to stderr, to check seeds */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *envp[MAX_VARS + 1];
	size_t nvars = 0, blen;
	struct http_req req;
	FILE *fp;

	if (body_fd < 0) {
		log_init("fuzz-http", LOG_LVL_ERROR);
		FUZZ_CHECK((fp = tmpfile()) != NULL);
		body_fd = fileno(fp);   /* kept open for the life of the process */
		print_answers = getenv("FUZZ_HTTP_PRINT") != NULL;
	}

	/* The environment: lines up to the first empty one. */
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		size_t n = (size_t)(eol - p);

		if (nvars < MAX_VARS) {
			char *v = malloc(n + 1);

			FUZZ_CHECK(v != NULL);
			memcpy(v, p, n);
			v[n] = '\0';
			envp[nvars++] = v;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (p < end)
		p++;            /* the empty line */
	envp[nvars] = NULL;
	blen = (size_t)(end - p);
	for (size_t i = 0; i < nvars; i++) {
		if (strcmp(envp[i], "CONTENT_LENGTH=*") == 0) {
			char *v = malloc(40);

			FUZZ_CHECK(v != NULL);
			snprintf(v, 40, "CONTENT_LENGTH=%zu", blen);
			free(envp[i]);
			envp[i] = v;
		}
	}

	/* The body, read from a descriptor as CGI stdin. */
	FUZZ_CHECK(ftruncate(body_fd, 0) == 0);
	FUZZ_CHECK(blen == 0 || pwrite(body_fd, p, blen, 0) == (ssize_t)blen);
	FUZZ_CHECK(lseek(body_fd, 0, SEEK_SET) == 0);

	bearer_refused = 0;
	FUZZ_CHECK(http_req_init(&req, envp, body_fd) == 0);
	http_dispatch(&req, routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL);
	if (print_answers) {
		size_t rlen;
		const char *r = http_response(&req, &rlen);

		fprintf(stderr, "%.*s\n", r != NULL ? (int)rlen : 0, r != NULL ? r : "");
	}
	check_answer(&req);
	if (req.body != NULL)
		FUZZ_CHECK(req.body_len <= blen && req.body[req.body_len] == '\0');
	http_req_free(&req);
	for (size_t i = 0; i < nvars; i++)
		free(envp[i]);
	return 0;
}
