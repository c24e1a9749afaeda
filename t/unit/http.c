/*
 * t/unit/http.c: request plumbing without a socket (lib/http.c): number,
 * Content-Type, header and bearer parsing, routing with 404/405 and Allow,
 * the JSON body gate (415/413/400) through a pipe, and the exact bytes of
 * every answer helper.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "../tap.h"

#define CT "Content-Type: application/json; charset=utf-8\r\n"

/* s with control bytes shown as \xNN, so that a test name stays one TAP line. */
static const char *
vis(const char *s)
{
	static char out[256];
	size_t n = 0;

	if (s == NULL)
		return "(null)";
	for (; *s != '\0' && n + 5 < sizeof(out); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

/* --- http_parse_uint */

static const struct {
	const char *s;
	unsigned long long max;
	int rc;
	unsigned long long want;
} uints[] = {
	{ "0", 100, 0, 0 },
	{ "7", 100, 0, 7 },
	{ "100", 100, 0, 100 },
	{ "101", 100, -1, 0 },
	{ "7", 5, -1, 0 },
	{ "007", 100, 0, 7 },           /* RFC 9110 §8.6: 1*DIGIT */
	{ "65536", 65536, 0, 65536 },
	{ "65537", 65536, -1, 0 },
	{ "18446744073709551615", ULLONG_MAX, 0, ULLONG_MAX },
	{ "18446744073709551616", ULLONG_MAX, -1, 0 },
	{ "99999999999999999999999", ULLONG_MAX, -1, 0 },
	{ "", 100, -1, 0 },
	{ "-1", 100, -1, 0 },
	{ "+1", 100, -1, 0 },
	{ " 1", 100, -1, 0 },
	{ "1 ", 100, -1, 0 },
	{ "1a", 100, -1, 0 },
	{ "0x10", 100, -1, 0 },
	{ "1.0", 100, -1, 0 },
	{ "1e3", 10000, -1, 0 },
};

/* --- http_content_type_is_json */

static const struct {
	const char *ct;
	int want;
} ctypes[] = {
	{ "application/json", 1 },
	{ "APPLICATION/JSON", 1 },
	{ "Application/Json", 1 },
	{ "application/json; charset=utf-8", 1 },
	{ "application/json;charset=UTF-8", 1 },
	{ "application/json ; charset=utf-8", 1 },
	{ "application/json ", 1 },
	{ "application/jsonx", 0 },
	{ "application/json-patch+json", 0 },
	{ "application/problem+json", 0 },
	{ "application/json, text/plain", 0 },
	{ "application/json x", 0 },
	{ "text/json", 0 },
	{ "application/x-www-form-urlencoded", 0 },
	{ "text/plain", 0 },
	{ "application/", 0 },
	{ " application/json", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

/* --- http_bearer_parse */

static const struct {
	const char *authz;
	enum http_bearer_rc rc;
	const char *token;
} bearers[] = {
	{ "Bearer abc", HTTP_BEARER_OK, "abc" },
	{ "bearer abc", HTTP_BEARER_OK, "abc" },
	{ "BEARER abc", HTTP_BEARER_OK, "abc" },
	{ "Bearer    abc", HTTP_BEARER_OK, "abc" },
	{ "Bearer abc  \t", HTTP_BEARER_OK, "abc" },
	{ "Bearer abc==", HTTP_BEARER_OK, "abc==" },
	{ "Bearer a.b-c_d~e+f/g09AZ", HTTP_BEARER_OK, "a.b-c_d~e+f/g09AZ" },
	{ "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", HTTP_BEARER_OK,
	  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" },
	{ NULL, HTTP_BEARER_NONE, NULL },
	{ "", HTTP_BEARER_NONE, NULL },
	{ "Basic dXNlcjpwYXNz", HTTP_BEARER_NONE, NULL },
	{ "BearerX abc", HTTP_BEARER_NONE, NULL },
	{ "Bear abc", HTTP_BEARER_NONE, NULL },
	{ "Bearer", HTTP_BEARER_INVALID, NULL },
	{ "Bearer ", HTTP_BEARER_INVALID, NULL },
	{ "Bearer    ", HTTP_BEARER_INVALID, NULL },
	{ "Bearer\tabc", HTTP_BEARER_INVALID, NULL },
	{ "Bearer a b", HTTP_BEARER_INVALID, NULL },
	{ "Bearer a=b", HTTP_BEARER_INVALID, NULL },
	{ "Bearer =abc", HTTP_BEARER_INVALID, NULL },
	{ "Bearer abc,def", HTTP_BEARER_INVALID, NULL },
	{ "Bearer abc\r\nX: y", HTTP_BEARER_INVALID, NULL },
	{ "Bearer \"abc\"", HTTP_BEARER_INVALID, NULL },
	{ "Bearer ab\xc3\xa9", HTTP_BEARER_INVALID, NULL },
	{ "Bearer abc def", HTTP_BEARER_INVALID, NULL },
};

/* --- Routing */

static int called;
static char seen[4096];

static void
h_ok(struct http_req *req, void *ctx)
{
	int n;

	called++;
	n = snprintf(seen, sizeof(seen), "%s|%s|%s|%zu|%s", (const char *)ctx,
	    req->capture, req->body != NULL ? req->body : "(null)", req->body_len,
	    req->route != NULL ? req->route->path : "");
	if (n < 0 || (size_t)n >= sizeof(seen))
		seen[0] = '\0';
	http_message(req, 200, "ok");
}

static void
h_silent(struct http_req *req, void *ctx)
{
	called++;
}

static const struct http_route routes[] = {
	{ "GET", "/api/Products/GetAll", HTTP_MATCH_EXACT, 0, h_ok },
	{ "GET", "/api/Products/GetById/", HTTP_MATCH_PREFIX, 0, h_ok },
	{ "POST", "/api/Products/Add", HTTP_MATCH_EXACT, HTTP_BODY_JSON, h_ok },
	{ "PUT", "/api/Products/Update/", HTTP_MATCH_PREFIX, HTTP_BODY_JSON, h_ok },
	{ "DELETE", "/api/Products/Delete/", HTTP_MATCH_PREFIX, 0, h_ok },
	{ "POST", "/multi", HTTP_MATCH_EXACT, 0, h_ok },
	{ "PUT", "/multi", HTTP_MATCH_EXACT, 0, h_ok },
	{ "POST", "/MULTI", HTTP_MATCH_EXACT, 0, h_ok },
	{ "GET", "/silent", HTTP_MATCH_EXACT, 0, h_silent },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct {
	const char *method, *path;
	enum http_route_rc rc;
	int route;              /* index into routes, when HTTP_ROUTE_OK */
	const char *cap;        /* capture, or Allow on HTTP_ROUTE_NO_METHOD */
} finds[] = {
	{ "GET", "/api/Products/GetAll", HTTP_ROUTE_OK, 0, "" },
	{ "GET", "/API/PRODUCTS/GETALL", HTTP_ROUTE_OK, 0, "" },
	{ "GET", "/api/products/getall/", HTTP_ROUTE_OK, 0, "" },
	{ "GET", "/api/Products/GetAll//", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetAllX", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetAll/x", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetAl", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetById/42", HTTP_ROUTE_OK, 1, "42" },
	{ "GET", "/api/products/getbyid/42/", HTTP_ROUTE_OK, 1, "42" },
	{ "GET", "/api/Products/GetById/%34", HTTP_ROUTE_OK, 1, "%34" },
	{ "GET", "/api/Products/GetById/-1", HTTP_ROUTE_OK, 1, "-1" },
	{ "GET", "/api/Products/GetById/", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetById", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetById//", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/api/Products/GetById/4/2", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "/", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "GET", "", HTTP_ROUTE_NOT_FOUND, 0, NULL },
	{ "get", "/api/Products/GetAll", HTTP_ROUTE_NO_METHOD, 0, "GET" },
	{ "HEAD", "/api/Products/GetAll", HTTP_ROUTE_NO_METHOD, 0, "GET" },
	{ "POST", "/api/Products/GetAll", HTTP_ROUTE_NO_METHOD, 0, "GET" },
	{ "GET", "/api/Products/Add", HTTP_ROUTE_NO_METHOD, 0, "POST" },
	{ "DELETE", "/api/Products/Update/3", HTTP_ROUTE_NO_METHOD, 0, "PUT" },
	{ "PUT", "/api/Products/Update/3", HTTP_ROUTE_OK, 3, "3" },
	{ "POST", "/multi", HTTP_ROUTE_OK, 5, "" },
	{ "POST", "/Multi", HTTP_ROUTE_OK, 5, "" },
	{ "PUT", "/multi", HTTP_ROUTE_OK, 6, "" },
	{ "GET", "/multi", HTTP_ROUTE_NO_METHOD, 0, "POST, PUT" },
	{ "DELETE", "/multi/", HTTP_ROUTE_NO_METHOD, 0, "POST, PUT" },
};

/* --- Request helpers */

/* Set req up from env (NULL-terminated) with body (NULL: no body fd) through a pipe. */
static int
req_setup(struct http_req *req, char **env, const char *body, size_t len)
{
	int fds[2] = { -1, -1 };
	int fd = -1;

	if (body != NULL) {
		if (pipe(fds) != 0)
			return -1;
		if (len > 0 && write(fds[1], body, len) != (ssize_t)len) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
		close(fds[1]);
		fd = fds[0];
	}
	if (http_req_init(req, env, fd) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

static void
req_done(struct http_req *req)
{
	if (req->in_fd >= 0)
		close(req->in_fd);
	http_req_free(req);
}

/* Dispatch a request and compare the whole answer with want. */
static void
check_dispatch(const char *name, char **env, const char *body, size_t blen,
    const struct http_limits *lim, int want_called, const char *want)
{
	struct http_req req;
	const char *resp;
	size_t len;

	called = 0;
	seen[0] = '\0';
	if (req_setup(&req, env, body, blen) != 0) {
		ok(0, "%s: set-up", name);
		return;
	}
	http_dispatch(&req, routes, NROUTES, "ctx", lim);
	resp = http_response(&req, &len);
	is_int(called, want_called, "%s: handler called %d times", name, want_called);
	if (!is_mem(resp, len, want, strlen(want), "%s: answer", name))
		diag("got: %.*s", (int)len, resp != NULL ? resp : "");
	req_done(&req);
}

static void
check_answer(const char *name, struct http_req *req, const char *want)
{
	const char *resp;
	size_t len;

	resp = http_response(req, &len);
	if (!is_mem(resp, len, want, strlen(want), "%s", name))
		diag("got: %.*s", (int)len, resp != NULL ? resp : "");
}

static void
test_answers(void)
{
	struct http_req req;
	char *env[] = { NULL };
	char why[64];
	size_t len;
	json_object *o;

	if (http_req_init(&req, env, -1) != 0)
		return;
	ok(http_response(&req, &len) == NULL && len == 0, "no answer before one is given");
	is_int(http_status(&req), 0, "status 0 before the answer");
	http_message(&req, 200, "ok");
	check_answer("http_message 200", &req,
	    "Status: 200 OK\r\n" CT "\r\n{\"message\":\"ok\"}");
	is_int(http_status(&req), 200, "status 200");
	http_message(&req, 404, "second");
	check_answer("a second answer is ignored", &req,
	    "Status: 200 OK\r\n" CT "\r\n{\"message\":\"ok\"}");
	http_header(&req, "X-Late", "1");
	check_answer("a header after the answer is ignored", &req,
	    "Status: 200 OK\r\n" CT "\r\n{\"message\":\"ok\"}");
	http_req_free(&req);

	/* http_json: headers in order, no slash escaping, UTF-8 kept as is. */
	if (http_req_init(&req, env, -1) != 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_int(7));
	json_object_object_add(o, "Url", json_object_new_string("https://a/b"));
	json_object_object_add(o, "Name", json_object_new_string("caf\xc3\xa9 \"q\"\n"));
	json_object_object_add(o, "Price", json_object_new_double_s(10.0, "10.00"));
	http_header(&req, "Location", "/api/Products/GetById/7");
	http_headerf(&req, "Cache-Control", "%s", "no-store");
	http_json(&req, 201, o);
	check_answer("http_json 201 with Location and Cache-Control", &req,
	    "Status: 201 Created\r\n" CT
	    "Location: /api/Products/GetById/7\r\nCache-Control: no-store\r\n\r\n"
	    "{\"Id\":7,\"Url\":\"https://a/b\",\"Name\":\"caf\xc3\xa9 \\\"q\\\"\\n\",\"Price\":10.00}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_no_content(&req);
	check_answer("http_no_content", &req, "Status: 204 No Content\r\n\r\n");
	http_req_free(&req);

	/* Header injection: the answer becomes a 500 without the headers. */
	if (http_req_init(&req, env, -1) != 0)
		return;
	http_header(&req, "Cache-Control", "no-store");
	http_header(&req, "Location", "/x\r\nSet-Cookie: a=b");
	http_message(&req, 201, "created");
	check_answer("CRLF in a header value gives 500 without the headers", &req,
	    "Status: 500 Internal Server Error\r\n" CT "\r\n{\"message\":\"Internal server error.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_header(&req, "X-Bad\nName", "v");
	http_no_content(&req);
	check_answer("LF in a header name gives 500", &req,
	    "Status: 500 Internal Server Error\r\n" CT "\r\n{\"message\":\"Internal server error.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_headerf(&req, "X-Long", "%2000s", "x");
	http_no_content(&req);
	is_int(http_status(&req), 500, "a header value too long for http_headerf gives 500");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_json(&req, 200, NULL);
	check_answer("http_json(NULL) gives 500", &req,
	    "Status: 500 Internal Server Error\r\n" CT "\r\n{\"message\":\"Internal server error.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_message(&req, 299, "odd");
	is_int(http_status(&req), 500, "a status without a reason phrase gives 500");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_unauthorized(&req);
	check_answer("http_unauthorized: RFC 6750 §3 challenge without error", &req,
	    "Status: 401 Unauthorized\r\n" CT "WWW-Authenticate: Bearer\r\n\r\n"
	    "{\"message\":\"Unauthorized.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_invalid_token(&req, "The token has expired.");
	check_answer("http_invalid_token", &req,
	    "Status: 401 Unauthorized\r\n" CT
	    "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"The token has expired.\"\r\n"
	    "\r\n{\"message\":\"The token has expired.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	snprintf(why, sizeof(why), "a\"b\\c\r\nd\xc3\xa9");
	http_invalid_token(&req, why);
	check_answer("http_invalid_token: quote, backslash, CRLF, non-ASCII never reach the header", &req,
	    "Status: 401 Unauthorized\r\n" CT
	    "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"a?b?c??d??\"\r\n"
	    "\r\n{\"message\":\"a\\\"b\\\\c\\r\\nd\xc3\xa9\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_forbidden(&req);
	check_answer("http_forbidden", &req,
	    "Status: 403 Forbidden\r\n" CT
	    "WWW-Authenticate: Bearer error=\"insufficient_scope\"\r\n\r\n"
	    "{\"message\":\"Forbidden.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_header(&req, "Retry-After", "30");
	http_unavailable(&req);
	check_answer("http_unavailable with Retry-After", &req,
	    "Status: 503 Service Unavailable\r\n" CT "Retry-After: 30\r\n\r\n"
	    "{\"message\":\"Service temporarily unavailable.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_internal_error(&req);
	check_answer("http_internal_error", &req,
	    "Status: 500 Internal Server Error\r\n" CT "\r\n{\"message\":\"Internal server error.\"}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	o = json_object_new_object();
	{
		json_object *a = json_object_new_array();

		json_object_array_add(a, json_object_new_string("Email is required."));
		json_object_object_add(o, "Email", a);
	}
	http_problem(&req, o);
	check_answer("http_problem: SPEC §2 body and problem+json", &req,
	    "Status: 400 Bad Request\r\n"
	    "Content-Type: application/problem+json; charset=utf-8\r\n\r\n"
	    "{\"type\":\"https://tools.ietf.org/html/rfc9110#section-15.5.1\","
	    "\"title\":\"One or more validation errors occurred.\",\"status\":400,"
	    "\"errors\":{\"Email\":[\"Email is required.\"]}}");
	http_req_free(&req);

	if (http_req_init(&req, env, -1) != 0)
		return;
	http_problem(&req, NULL);
	is_int(http_status(&req), 500, "http_problem(NULL) gives 500");
	http_req_free(&req);
}

static void
test_req_init(void)
{
	struct http_req req;
	const char *tok;
	size_t tlen;
	char e_method[] = "REQUEST_METHOD=POST";
	char e_doc[] = "DOCUMENT_URI=/api/Auth/Login";
	char e_uri[] = "REQUEST_URI=/api/Auth/Login?x=1";
	char e_query[] = "QUERY_STRING=x=1";
	char e_ct[] = "CONTENT_TYPE=application/json";
	char e_auth[] = "HTTP_AUTHORIZATION=Bearer abc";
	char e_rauth[] = "REDIRECT_HTTP_AUTHORIZATION=Bearer redirected";
	char e_addr[] = "REMOTE_ADDR=192.0.2.1";
	char e_decoy[] = "REQUEST_METHODX=GET";
	char *env1[] = { e_decoy, e_method, e_doc, e_uri, e_query, e_ct, e_auth, e_rauth, e_addr, NULL };
	char *env2[] = { e_uri, e_rauth, NULL };
	char e_emptydoc[] = "DOCUMENT_URI=";
	char *env3[] = { e_emptydoc, e_uri, NULL };

	if (http_req_init(&req, env1, -1) != 0)
		return;
	is_str(req.method, "POST", "REQUEST_METHOD (a longer name is not a match)");
	is_str(req.path, "/api/Auth/Login", "path from DOCUMENT_URI");
	is_str(req.query, "x=1", "QUERY_STRING");
	is_str(req.content_type, "application/json", "CONTENT_TYPE");
	is_str(req.authorization, "Bearer abc", "HTTP_AUTHORIZATION preferred");
	is_str(req.remote_addr, "192.0.2.1", "REMOTE_ADDR");
	is_str(req.capture, "", "no capture before dispatch");
	ok(req.body == NULL && req.body_len == 0, "no body before dispatch");
	/* The environment goes away at the next accept: the request holds copies. */
	memset(e_method + 15, 'X', 4);
	memset(e_doc + 13, 'Y', 4);
	memset(e_auth + 26, 'Z', 3);
	is_str(req.method, "POST", "method is a copy");
	is_str(req.path, "/api/Auth/Login", "path is a copy");
	is_int(http_bearer(&req, &tok, &tlen), HTTP_BEARER_OK, "http_bearer on the request");
	is_mem(tok, tlen, "abc", 3, "bearer token is the copy");
	/* http_param: any variable, borrowed for the handler's time. */
	is_str(http_param(&req, "REMOTE_ADDR"), "192.0.2.1", "http_param reads a variable");
	is_str(http_param(&req, "REQUEST_METHODX"), "GET", "http_param: the exact name");
	ok(http_param(&req, "REQUEST_METHO") == NULL, "http_param: a prefix of a name is unset");
	ok(http_param(&req, "JWTAUTH_ROLES") == NULL, "http_param: unset is NULL");
	http_req_free(&req);
	ok(http_param(&req, "REMOTE_ADDR") == NULL, "http_param after http_req_free: nothing kept");

	if (http_req_init(&req, env2, -1) != 0)
		return;
	is_str(req.path, "/api/Auth/Login", "path from REQUEST_URI without the query (Apache CGI)");
	is_str(req.method, "", "unset REQUEST_METHOD is \"\"");
	is_str(req.query, "", "unset QUERY_STRING is \"\"");
	ok(req.content_type == NULL, "unset CONTENT_TYPE is NULL");
	is_str(req.authorization, "Bearer redirected", "REDIRECT_HTTP_AUTHORIZATION (Apache)");
	http_req_free(&req);

	if (http_req_init(&req, env3, -1) != 0)
		return;
	is_str(req.path, "/api/Auth/Login", "an empty DOCUMENT_URI falls back to REQUEST_URI");
	http_req_free(&req);

	if (http_req_init(&req, NULL, -1) != 0)
		return;
	ok(strcmp(req.path, "") == 0 && req.authorization == NULL, "no environment at all");
	http_req_free(&req);
}

static void
test_dispatch(void)
{
	static const struct http_limits small = { .max_body = 10 };
	char *e_get_all[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/Products/GetAll", NULL };
	char *e_get_id[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/products/GETBYID/42/", NULL };
	char *e_del_all[] = { "REQUEST_METHOD=DELETE", "DOCUMENT_URI=/multi", NULL };
	char *e_nowhere[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/nowhere", NULL };
	char *e_relative[] = { "REQUEST_METHOD=GET", "REQUEST_URI=api/Products/GetAll", NULL };
	char *e_ctl[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/Products/GetAll\x01", NULL };
	char *e_nopath[] = { "REQUEST_METHOD=GET", NULL };
	char *e_silent[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/silent", NULL };
	char *e_add[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json; charset=utf-8", "CONTENT_LENGTH=11", NULL };
	char *e_add_nolen[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", NULL };
	char *e_add_emptylen[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=", NULL };
	char *e_add_text[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=11", NULL };
	char *e_add_noct[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_LENGTH=11", NULL };
	char *e_add_jsonx[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/jsonx", "CONTENT_LENGTH=11", NULL };
	char *e_add_big[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=65537", NULL };
	char *e_add_huge[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=99999999999999999999999", NULL };
	char *e_add_max[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=65536", NULL };
	char *e_add_neg[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=-1", NULL };
	char *e_add_space[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH= 11", NULL };
	char *e_add_short[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/Products/Add",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=20", NULL };
	char *e_put[] = { "REQUEST_METHOD=PUT", "DOCUMENT_URI=/api/Products/Update/9",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=2", NULL };
	static const char ok200[] = "Status: 200 OK\r\n" CT "\r\n{\"message\":\"ok\"}";
	static const char nf404[] = "Status: 404 Not Found\r\n" CT "\r\n{\"message\":\"Not found.\"}";
	static const char bad415[] = "Status: 415 Unsupported Media Type\r\n" CT
	    "\r\n{\"message\":\"Unsupported media type: use application/json.\"}";
	static const char big413[] = "Status: 413 Content Too Large\r\n" CT
	    "\r\n{\"message\":\"Request body too large.\"}";
	static const char len400[] = "Status: 400 Bad Request\r\n" CT
	    "\r\n{\"message\":\"Invalid Content-Length.\"}";
	char *big;

	check_dispatch("GET GetAll", e_get_all, NULL, 0, NULL, 1, ok200);
	is_str(seen, "ctx||(null)|0|/api/Products/GetAll", "handler saw ctx, no capture, no body");
	check_dispatch("GET GetById/42/ in other case", e_get_id, NULL, 0, NULL, 1, ok200);
	is_str(seen, "ctx|42|(null)|0|/api/Products/GetById/", "capture 42");
	check_dispatch("DELETE /multi: 405", e_del_all, NULL, 0, NULL, 0,
	    "Status: 405 Method Not Allowed\r\n" CT "Allow: POST, PUT\r\n\r\n"
	    "{\"message\":\"Method not allowed.\"}");
	check_dispatch("unknown path: 404", e_nowhere, NULL, 0, NULL, 0, nf404);
	check_dispatch("relative path: 404", e_relative, NULL, 0, NULL, 0, nf404);
	check_dispatch("control byte in the path: 404", e_ctl, NULL, 0, NULL, 0, nf404);
	check_dispatch("no path at all: 404", e_nopath, NULL, 0, NULL, 0, nf404);
	check_dispatch("handler without an answer: 500", e_silent, NULL, 0, NULL, 1,
	    "Status: 500 Internal Server Error\r\n" CT "\r\n{\"message\":\"Internal server error.\"}");

	check_dispatch("POST JSON body", e_add, "{\"Name\":1}x", 11, NULL, 1, ok200);
	is_str(seen, "ctx||{\"Name\":1}x|11|/api/Products/Add", "handler saw the 11-byte body");
	check_dispatch("the same request again gives the same answer", e_add, "{\"Name\":1}x", 11,
	    NULL, 1, ok200);
	is_str(seen, "ctx||{\"Name\":1}x|11|/api/Products/Add", "same body the second time");
	check_dispatch("extra bytes past CONTENT_LENGTH are not read", e_add,
	    "{\"Name\":1}xyz", 13, NULL, 1, ok200);
	is_str(seen, "ctx||{\"Name\":1}x|11|/api/Products/Add", "body cut at CONTENT_LENGTH");
	check_dispatch("no CONTENT_LENGTH: empty body", e_add_nolen, "ignored", 7, NULL, 1, ok200);
	is_str(seen, "ctx|||0|/api/Products/Add", "handler saw an empty body");
	check_dispatch("empty CONTENT_LENGTH (nginx): empty body", e_add_emptylen, "", 0, NULL, 1, ok200);
	check_dispatch("PUT with capture and body", e_put, "{}", 2, NULL, 1, ok200);
	is_str(seen, "ctx|9|{}|2|/api/Products/Update/", "capture and body together");

	check_dispatch("text/plain: 415", e_add_text, "{\"Name\":1}x", 11, NULL, 0, bad415);
	check_dispatch("no Content-Type: 415", e_add_noct, "{\"Name\":1}x", 11, NULL, 0, bad415);
	check_dispatch("application/jsonx: 415", e_add_jsonx, "{\"Name\":1}x", 11, NULL, 0, bad415);
	check_dispatch("65537 bytes announced: 413 before reading", e_add_big, "", 0, NULL, 0, big413);
	check_dispatch("a length that overflows: 400", e_add_huge, "", 0, NULL, 0, len400);
	check_dispatch("11 bytes over a limit of 10: 413", e_add, "{\"Name\":1}x", 11, &small, 0, big413);
	check_dispatch("CONTENT_LENGTH -1: 400", e_add_neg, "", 0, NULL, 0, len400);
	check_dispatch("CONTENT_LENGTH with a space: 400", e_add_space, "{\"Name\":1}x", 11, NULL, 0, len400);
	check_dispatch("body shorter than CONTENT_LENGTH: 400", e_add_short, "{\"Name\":1}x", 11, NULL, 0,
	    "Status: 400 Bad Request\r\n" CT "\r\n{\"message\":\"The request body is incomplete.\"}");

	/* Exactly the default limit is accepted; the pipe holds 64 KiB. */
	if ((big = malloc(65536)) != NULL) {
		memset(big, ' ', 65536);
		check_dispatch("65536 bytes: accepted", e_add_max, big, 65536, NULL, 1, ok200);
		free(big);
	}
}

int
main(void)
{
	const struct http_route *r;
	const char *cap, *tok;
	size_t caplen, tlen;
	char allow[128], tiny[6];
	char *longtok;

	log_init("t-http", LOG_LVL_ERROR - 1);

	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		unsigned long long v = 12345;
		int rc = http_parse_uint(uints[i].s, strlen(uints[i].s), uints[i].max, &v);

		ok(rc == uints[i].rc && v == uints[i].want, "http_parse_uint(\"%s\", max %llu) = %d, %llu",
		    uints[i].s, uints[i].max, uints[i].rc, uints[i].want);
	}
	{
		unsigned long long v;

		ok(http_parse_uint("123456", 3, 1000, &v) == 0 && v == 123,
		    "http_parse_uint reads only len bytes");
		ok(http_parse_uint(NULL, 0, 1000, &v) == -1, "http_parse_uint(NULL) fails");
		ok(http_parse_uint("1\0" "2", 3, 1000, &v) == -1, "http_parse_uint refuses NUL inside");
	}

	for (size_t i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++)
		is_int(http_content_type_is_json(ctypes[i].ct), ctypes[i].want,
		    "content type \"%s\"", ctypes[i].ct != NULL ? ctypes[i].ct : "(null)");

	ok(http_header_name_ok("WWW-Authenticate"), "header name WWW-Authenticate");
	ok(http_header_name_ok("X-a!#$%&'*+.^_`|~1"), "header name with every tchar");
	ok(!http_header_name_ok(""), "empty header name refused");
	ok(!http_header_name_ok(NULL), "NULL header name refused");
	ok(!http_header_name_ok("X Y"), "space in header name refused");
	ok(!http_header_name_ok("X:Y"), "colon in header name refused");
	ok(!http_header_name_ok("X\r\nY"), "CRLF in header name refused");
	ok(http_header_value_ok("Bearer error=\"invalid_token\""), "header value with quotes");
	ok(http_header_value_ok("a\tb c"), "header value with HTAB and SP");
	ok(http_header_value_ok(""), "empty header value");
	ok(!http_header_value_ok(NULL), "NULL header value refused");
	ok(!http_header_value_ok("a\r\nSet-Cookie: x=1"), "CRLF in header value refused");
	ok(!http_header_value_ok("a\n"), "LF in header value refused");
	ok(!http_header_value_ok("a\r"), "CR in header value refused");
	ok(!http_header_value_ok("a\x7f"), "DEL in header value refused");
	ok(!http_header_value_ok("a\x01"), "control byte in header value refused");
	ok(!http_header_value_ok("caf\xc3\xa9"), "non-ASCII header value refused");

	for (size_t i = 0; i < sizeof(bearers) / sizeof(bearers[0]); i++) {
		enum http_bearer_rc rc = http_bearer_parse(bearers[i].authz, &tok, &tlen);
		int pass = rc == bearers[i].rc;

		if (pass && bearers[i].token != NULL)
			pass = tlen == strlen(bearers[i].token) &&
			    memcmp(tok, bearers[i].token, tlen) == 0;
		if (pass && bearers[i].token == NULL)
			pass = tok == NULL && tlen == 0;
		ok(pass, "bearer \"%s\" -> %d", vis(bearers[i].authz), bearers[i].rc);
	}
	if ((longtok = malloc(7 + HTTP_BEARER_MAX + 2)) != NULL) {
		memcpy(longtok, "Bearer ", 7);
		memset(longtok + 7, 'a', HTTP_BEARER_MAX);
		longtok[7 + HTTP_BEARER_MAX] = '\0';
		ok(http_bearer_parse(longtok, &tok, &tlen) == HTTP_BEARER_OK && tlen == HTTP_BEARER_MAX,
		    "a token of exactly 8192 bytes is accepted");
		longtok[7 + HTTP_BEARER_MAX] = 'a';
		longtok[7 + HTTP_BEARER_MAX + 1] = '\0';
		ok(http_bearer_parse(longtok, &tok, &tlen) == HTTP_BEARER_INVALID,
		    "a token of 8193 bytes is invalid");
		free(longtok);
	}

	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		enum http_route_rc rc = http_route_find(routes, NROUTES, finds[i].method,
		    finds[i].path, &r, &cap, &caplen, allow, sizeof(allow));
		int pass = rc == finds[i].rc;

		if (pass && rc == HTTP_ROUTE_OK)
			pass = r == &routes[finds[i].route] && caplen == strlen(finds[i].cap) &&
			    memcmp(cap, finds[i].cap, caplen) == 0;
		else if (pass && rc == HTTP_ROUTE_NO_METHOD)
			pass = strcmp(allow, finds[i].cap) == 0;
		else if (pass)
			pass = r == NULL;
		if (!ok(pass, "route %s %s -> %d %s", finds[i].method, finds[i].path, finds[i].rc,
		    finds[i].cap != NULL ? finds[i].cap : ""))
			diag("rc %d allow \"%s\"", rc, rc == HTTP_ROUTE_NO_METHOD ? allow : "");
	}
	ok(http_route_find(routes, NROUTES, "GET", "/multi", &r, &cap, &caplen, tiny, sizeof(tiny)) ==
	    HTTP_ROUTE_NO_METHOD && strcmp(tiny, "POST") == 0,
	    "an Allow list too long for its buffer is cut at a whole method");

	test_answers();
	test_req_init();
	test_dispatch();
	return done_testing();
}
