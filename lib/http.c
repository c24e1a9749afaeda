/*
 * http.c: FastCGI/CGI accept loop, routing, JSON body gate, response
 * formatting, bearer parsing (see http.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <sodium.h>

#include "event.h"
#include "http.h"
#include "log.h"

/* Indexes into req->strs. */
enum { S_METHOD, S_PATH, S_QUERY, S_CTYPE, S_AUTHZ, S_REMOTE, S_CAPTURE, S_CLEN, S_BODY };

#define HTTP_PROBLEM_TYPE "https://tools.ietf.org/html/rfc9110#section-15.5.1"
#define HTTP_PROBLEM_TITLE "One or more validation errors occurred."

#define HTTP_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The answer when even building the answer failed: static, so it cannot fail. */
static const char http_fallback[] =
    "Status: 500 Internal Server Error\r\n"
    "Content-Type: " HTTP_CT_JSON "\r\n"
    "\r\n"
    "{\"message\":\"" HTTP_MSG_INTERNAL "\"}";

static const char http_internal_body[] = "{\"message\":\"" HTTP_MSG_INTERNAL "\"}";

/* Reason phrases of RFC 9110 §15 for the statuses jwtauth sends. */
static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return NULL;
	}
}

/* --- Buffer. Return 0, or -1 when out of memory or the size would overflow. */

static int
buf_add(struct http_buf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (n > SIZE_MAX - b->len - 1)
		return -1;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + n + 1) {
			if (cap > SIZE_MAX / 2) {
				cap = b->len + n + 1;
				break;
			}
			cap *= 2;
		}
		/*
		 * Not realloc: the old block may hold a token (the answer) and
		 * must be wiped before it goes back to the allocator (issue 16).
		 */
		if ((p = malloc(cap)) == NULL) {
			log_err("out of memory");
			return -1;
		}
		if (b->data != NULL) {
			memcpy(p, b->data, b->len);
			sodium_memzero(b->data, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static int
buf_adds(struct http_buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* Wiped first: the answer may carry tokens (issue 16). */
static void
buf_free(struct http_buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* --- Small parsers. */

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ASCII-only, whatever the locale: routes and header names are ASCII. */
static int
ascii_ncaseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* RFC 9110 §5.6.2: tchar. */
static int
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int
http_parse_uint(const char *s, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;

	*out = 0;
	if (s == NULL || len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned int)(s[i] - '0');
		/* v * 10 + d <= max, without overflow. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
http_content_type_is_json(const char *ct)
{
	return http_content_type_is(ct, "application/json");
}

int
http_content_type_is(const char *ct, const char *mt)
{
	const size_t n = strlen(mt);

	if (ct == NULL || strlen(ct) < n || !ascii_ncaseeq(ct, mt, n))
		return 0;
	ct += n;
	/* RFC 9110 §8.3.1: parameters = *( OWS ";" OWS [ parameter ] ). */
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
http_header_name_ok(const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	for (; *name != '\0'; name++)
		if (!is_tchar((unsigned char)*name))
			return 0;
	return 1;
}

/*
 * RFC 9110 §5.5 allows obs-text too, but nothing jwtauth sends needs it,
 * and refusing every control byte is what keeps CR/LF out.
 */
int
http_header_value_ok(const char *value)
{
	if (value == NULL)
		return 0;
	for (; *value != '\0'; value++) {
		unsigned char c = (unsigned char)*value;

		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return 0;
	}
	return 1;
}

/* --- Routing. */

/*
 * Return 1 if route r matches path (see the rules in http.h), with the
 * captured segment of a prefix route in *cap and *caplen.
 */
static int
route_match(const struct http_route *r, const char *path, const char **cap, size_t *caplen)
{
	size_t rlen = strlen(r->path), plen = strlen(path);
	const char *tail;
	size_t tlen;

	*cap = path + plen;
	*caplen = 0;
	if (r->match == HTTP_MATCH_EXACT) {
		/* One trailing '/' is ignored, as ASP.NET Core routing does. */
		if (plen == rlen + 1 && path[rlen] == '/' && rlen > 0 && r->path[rlen - 1] != '/')
			plen = rlen;
		return plen == rlen && ascii_ncaseeq(path, r->path, rlen);
	}
	if (plen <= rlen || !ascii_ncaseeq(path, r->path, rlen))
		return 0;
	tail = path + rlen;
	tlen = plen - rlen;
	if (tail[tlen - 1] == '/')
		tlen--;
	if (tlen == 0 || memchr(tail, '/', tlen) != NULL)
		return 0;
	*cap = tail;
	*caplen = tlen;
	return 1;
}

enum http_route_rc
http_route_find(const struct http_route *routes, size_t nroutes,
    const char *method, const char *path, const struct http_route **found,
    const char **cap, size_t *caplen, char *allow, size_t allowlen)
{
	const char *c;
	size_t clen, used = 0;
	int known = 0;

	*found = NULL;
	*cap = NULL;
	*caplen = 0;
	if (allowlen > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		if (!route_match(&routes[i], path, &c, &clen))
			continue;
		known = 1;
		if (strcmp(routes[i].method, method) == 0) {
			*found = &routes[i];
			*cap = c;
			*caplen = clen;
			return HTTP_ROUTE_OK;
		}
	}
	if (!known)
		return HTTP_ROUTE_NOT_FOUND;

	/* RFC 9110 §10.2.1: Allow lists the methods the target supports. */
	for (size_t i = 0; i < nroutes; i++) {
		int seen = 0;
		int n;

		if (!route_match(&routes[i], path, &c, &clen))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			if (strcmp(routes[j].method, routes[i].method) == 0 &&
			    route_match(&routes[j], path, &c, &clen))
				seen = 1;
		if (seen)
			continue;
		n = snprintf(allow + used, allowlen - used, "%s%s",
		    used > 0 ? ", " : "", routes[i].method);
		if (n < 0 || (size_t)n >= allowlen - used) {
			log_err("Allow list too long for %zu bytes", allowlen);
			allow[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return HTTP_ROUTE_NO_METHOD;
}

/* --- Bearer (RFC 6750 §2.1). */

static int
is_b64token_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~+/", c) != NULL;
}

enum http_bearer_rc
http_bearer_parse(const char *authz, const char **token, size_t *len)
{
	const char *p, *t;
	size_t n;

	*token = NULL;
	*len = 0;
	if (authz == NULL || *authz == '\0')
		return HTTP_BEARER_NONE;
	/* RFC 9110 §11.1: the auth-scheme is case-insensitive. */
	if (strlen(authz) < 6 || !ascii_ncaseeq(authz, "Bearer", 6))
		return HTTP_BEARER_NONE;
	p = authz + 6;
	if (is_tchar((unsigned char)*p))
		return HTTP_BEARER_NONE;        /* another scheme, e.g. "BearerX" */
	/* RFC 6750 §2.1: "Bearer" 1*SP b64token. */
	if (*p != ' ')
		return HTTP_BEARER_INVALID;
	while (*p == ' ')
		p++;
	t = p;
	while (is_b64token_char((unsigned char)*p))
		p++;
	if (p == t)
		return HTTP_BEARER_INVALID;
	while (*p == '=')
		p++;
	n = (size_t)(p - t);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' || n > HTTP_BEARER_MAX)
		return HTTP_BEARER_INVALID;
	*token = t;
	*len = n;
	return HTTP_BEARER_OK;
}

enum http_bearer_rc
http_bearer(const struct http_req *req, const char **token, size_t *len)
{
	return http_bearer_parse(req->authorization, token, len);
}

/* --- Request set-up. */

/* Look name up in an environment array; the first "name=" wins, as getenv. */
static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

const char *
http_param(const struct http_req *req, const char *name)
{
	return env_get(req->envp, name);
}

/*
 * Free req->strs[i], wiped first: the Authorization header holds a token,
 * the body a password (issue 16).
 */
static void
req_str_free(struct http_req *req, int i)
{
	if (req->strs[i] != NULL)
		sodium_memzero(req->strs[i], req->strs_size[i]);
	free(req->strs[i]);
	req->strs[i] = NULL;
	req->strs_size[i] = 0;
}

/* Copy s (n bytes) into req->strs[i] and return the copy, or NULL. */
static const char *
req_keep(struct http_req *req, int i, const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	req_str_free(req, i);
	req->strs[i] = p;
	req->strs_size[i] = n + 1;
	return p;
}

/* Copy the variable name into req->strs[i]; *out gets the copy, or dflt if unset. */
static int
req_env(struct http_req *req, char *const *envp, int i, const char *name,
    const char *dflt, const char **out)
{
	const char *v = env_get(envp, name);

	*out = dflt;
	if (v == NULL)
		return 0;
	if ((*out = req_keep(req, i, v, strlen(v))) == NULL)
		return -1;
	return 0;
}

int
http_req_init(struct http_req *req, char *const *envp, int body_fd)
{
	const char *doc, *uri;

	memset(req, 0, sizeof(*req));
	req->method = req->path = req->query = req->remote_addr = req->capture = "";
	req->in_fd = body_fd;
	req->envp = envp;

	if (req_env(req, envp, S_METHOD, "REQUEST_METHOD", "", &req->method) != 0 ||
	    req_env(req, envp, S_QUERY, "QUERY_STRING", "", &req->query) != 0 ||
	    req_env(req, envp, S_CTYPE, "CONTENT_TYPE", NULL, &req->content_type) != 0 ||
	    req_env(req, envp, S_REMOTE, "REMOTE_ADDR", "", &req->remote_addr) != 0 ||
	    req_env(req, envp, S_CLEN, "CONTENT_LENGTH", NULL, &req->content_length) != 0)
		goto fail;
	/* Apache passes Authorization to CGI only when told, and then maybe as REDIRECT_. */
	if (req_env(req, envp, S_AUTHZ, "HTTP_AUTHORIZATION", NULL, &req->authorization) != 0)
		goto fail;
	if (req->authorization == NULL &&
	    req_env(req, envp, S_AUTHZ, "REDIRECT_HTTP_AUTHORIZATION", NULL,
	    &req->authorization) != 0)
		goto fail;

	/*
	 * nginx sets DOCUMENT_URI (the path without the query); Apache's CGI
	 * sets REQUEST_URI to the original request target, query included.
	 */
	doc = env_get(envp, "DOCUMENT_URI");
	uri = env_get(envp, "REQUEST_URI");
	if (doc != NULL && *doc != '\0') {
		if ((req->path = req_keep(req, S_PATH, doc, strlen(doc))) == NULL)
			goto fail;
	} else if (uri != NULL) {
		if ((req->path = req_keep(req, S_PATH, uri, strcspn(uri, "?"))) == NULL)
			goto fail;
	}
	return 0;
fail:
	http_req_free(req);
	return -1;
}

void
http_req_free(struct http_req *req)
{
	for (int i = 0; i < HTTP_REQ_NSTR; i++)
		req_str_free(req, i);
	buf_free(&req->hdrs);
	buf_free(&req->resp);
	memset(req, 0, sizeof(*req));
	req->in_fd = -1;
}

/* --- Answers. */

/*
 * Build the whole answer into req->resp. ctype NULL means no Content-Type
 * (204). A broken request (refused header, out of memory) answers 500
 * instead, without the extra headers.
 */
static void
http_answer(struct http_req *req, int status, const char *ctype,
    const char *body, size_t bodylen)
{
	const char *reason;
	char line[64];
	int n;

	if (req->status != 0) {
		log_err("answer %d after %d ignored", status, req->status);
		return;
	}
	if ((reason = http_reason(status)) == NULL) {
		log_err("no reason phrase for status %d", status);
		req->broken = 1;
	}
	if (req->broken) {
		status = 500;
		reason = http_reason(status);
		ctype = HTTP_CT_JSON;
		body = http_internal_body;
		bodylen = sizeof(http_internal_body) - 1;
	}
	req->status = status;
	buf_free(&req->resp);

	/* RFC 3875 §6.3.3: the CGI Status header carries the status line. */
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", status, reason);
	if (n < 0 || (size_t)n >= sizeof(line))
		goto fail;
	if (buf_add(&req->resp, line, (size_t)n) != 0)
		goto fail;
	if (ctype != NULL && (buf_adds(&req->resp, "Content-Type: ") != 0 ||
	    buf_adds(&req->resp, ctype) != 0 || buf_adds(&req->resp, "\r\n") != 0))
		goto fail;
	if (!req->broken && req->hdrs.len > 0 &&
	    buf_add(&req->resp, req->hdrs.data, req->hdrs.len) != 0)
		goto fail;
	if (buf_add(&req->resp, "\r\n", 2) != 0)
		goto fail;
	if (bodylen > 0 && buf_add(&req->resp, body, bodylen) != 0)
		goto fail;
	return;
fail:
	buf_free(&req->resp);
	req->status = 500;
	req->fallback = 1;
}

void
http_header(struct http_req *req, const char *name, const char *value)
{
	if (req->status != 0) {
		log_err("header %s added after the answer", name != NULL ? name : "(null)");
		return;
	}
	if (!http_header_name_ok(name) || !http_header_value_ok(value)) {
		/* Never send a response missing a header or with a split one. */
		log_err("header %s refused: bad name or value",
		    http_header_name_ok(name) ? name : "(bad name)");
		req->broken = 1;
		return;
	}
	if (buf_adds(&req->hdrs, name) != 0 || buf_add(&req->hdrs, ": ", 2) != 0 ||
	    buf_adds(&req->hdrs, value) != 0 || buf_add(&req->hdrs, "\r\n", 2) != 0)
		req->broken = 1;
}

void
http_headerf(struct http_req *req, const char *name, const char *fmt, ...)
{
	char value[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value)) {
		log_err("header %s: value too long", http_header_name_ok(name) ? name : "(bad name)");
		req->broken = 1;
		return;
	}
	http_header(req, name, value);
}

/* Serialise obj (reference taken over) as the body of a status answer. */
static void
http_send_json(struct http_req *req, int status, const char *ctype, json_object *obj)
{
	const char *s;
	size_t len = 0;

	if (obj == NULL) {
		req->broken = 1;
		http_answer(req, 500, HTTP_CT_JSON, NULL, 0);
		return;
	}
	if ((s = json_object_to_json_string_length(obj, HTTP_JSON_FLAGS, &len)) == NULL) {
		log_err("json-c could not serialise the answer");
		req->broken = 1;
		s = "";
		len = 0;
	}
	http_answer(req, status, ctype, s, len);
	/*
	 * json-c's serialisation of the answer (it may hold tokens, issue 16),
	 * wiped before it is freed; json-c makes it anew at every call.
	 */
	if (len > 0)
		sodium_memzero((char *)s, len);
	json_object_put(obj);
}

void
http_json_secret(struct http_req *req, int status, json_object *body)
{
	json_object *keep = body != NULL ? json_object_get(body) : NULL;

	http_send_json(req, status, HTTP_CT_JSON, body);
	if (keep != NULL) {
		http_json_wipe(keep);
		json_object_put(keep);
	}
}

void
http_json_wipe(json_object *o)
{
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c's own buffer: it is about to be freed, and no one reads it after. */
		sodium_memzero((char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			http_json_wipe(val);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			http_json_wipe(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

void
http_json(struct http_req *req, int status, json_object *body)
{
	http_send_json(req, status, HTTP_CT_JSON, body);
}

/* {"message":text}, or NULL when out of memory. */
static json_object *
message_object(const char *text)
{
	json_object *o, *s;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((s = json_object_new_string(text != NULL ? text : "")) == NULL ||
	    json_object_object_add(o, "message", s) != 0) {
		json_object_put(s);
		json_object_put(o);
		return NULL;
	}
	return o;
}

void
http_message(struct http_req *req, int status, const char *text)
{
	http_json(req, status, message_object(text));
}

void
http_no_content(struct http_req *req)
{
	http_answer(req, 204, NULL, NULL, 0);
}

/* Add key: val (reference taken over) to o; -1 when out of memory. */
static int
obj_add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

void
http_problem(struct http_req *req, json_object *errors)
{
	json_object *o = NULL;

	if (errors == NULL)
		goto fail;
	if ((o = json_object_new_object()) == NULL)
		goto fail;
	if (obj_add(o, "type", json_object_new_string(HTTP_PROBLEM_TYPE)) != 0 ||
	    obj_add(o, "title", json_object_new_string(HTTP_PROBLEM_TITLE)) != 0 ||
	    obj_add(o, "status", json_object_new_int(400)) != 0)
		goto fail;
	if (obj_add(o, "errors", errors) != 0) {
		errors = NULL;  /* obj_add dropped it */
		goto fail;
	}
	http_send_json(req, 400, HTTP_CT_PROBLEM, o);
	return;
fail:
	json_object_put(errors);
	json_object_put(o);
	http_send_json(req, 500, HTTP_CT_JSON, NULL);
}

void
http_unauthorized(struct http_req *req)
{
	/* RFC 6750 §3: no credentials, so no error attribute. */
	http_header(req, "WWW-Authenticate", "Bearer");
	http_message(req, 401, HTTP_MSG_UNAUTHORIZED);
}

void
http_invalid_token(struct http_req *req, const char *why)
{
	char desc[256];
	size_t i = 0;

	if (why == NULL)
		why = "";
	/*
	 * RFC 6750 §3: error_description values must not include characters
	 * outside %x20-21 / %x23-5B / %x5D-7E, so nothing can end the
	 * quoted-string or the header.
	 */
	for (; why[i] != '\0' && i < sizeof(desc) - 1; i++) {
		unsigned char c = (unsigned char)why[i];

		desc[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' : (char)c;
	}
	desc[i] = '\0';
	http_headerf(req, "WWW-Authenticate",
	    "Bearer error=\"invalid_token\", error_description=\"%s\"", desc);
	http_message(req, 401, why);
}

void
http_forbidden(struct http_req *req)
{
	/* RFC 6750 §3.1: the token is good but does not grant this. */
	http_header(req, "WWW-Authenticate", "Bearer error=\"insufficient_scope\"");
	http_message(req, 403, HTTP_MSG_FORBIDDEN);
}

void
http_unavailable(struct http_req *req)
{
	http_message(req, 503, HTTP_MSG_UNAVAILABLE);
}

void
http_internal_error(struct http_req *req)
{
	http_message(req, 500, HTTP_MSG_INTERNAL);
}

const char *
http_response(const struct http_req *req, size_t *len)
{
	if (req->fallback) {
		*len = sizeof(http_fallback) - 1;
		return http_fallback;
	}
	if (req->status == 0 || req->resp.data == NULL) {
		*len = 0;
		return NULL;
	}
	*len = req->resp.len;
	return req->resp.data;
}

int
http_status(const struct http_req *req)
{
	return req->status;
}

/* --- Dispatch. */

/*
 * Read exactly want bytes of body into buf. Return the count read, which
 * is less than want only when the input ended or failed.
 */
static size_t
read_body(struct http_req *req, char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		size_t chunk = want - got;

		if (req->in != NULL) {
			int n;

			if (chunk > INT_MAX)
				chunk = INT_MAX;
			n = FCGX_GetStr(buf + got, (int)chunk, req->in);
			if (n <= 0)
				break;
			got += (size_t)n;
		} else {
			ssize_t n;

			if (req->in_fd < 0)
				break;
			n = read(req->in_fd, buf + got, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_warn("reading the body: %s", strerror(errno));
				break;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
	}
	return got;
}

/* The gate's refusal, in the program's own error shape (http_limits.refuse). */
static void
refuse(struct http_req *req, const struct http_limits *lim, int status, const char *text)
{
	if (lim != NULL && lim->refuse != NULL)
		lim->refuse(req, status, text);
	else
		http_message(req, status, text);
}

/*
 * The body gate (SPEC §2; §9 for forms). Return 0 with req->body set, or
 * -1 after answering 415, 413, 400 or 500.
 */
static int
body_gate(struct http_req *req, const struct http_limits *lim)
{
	size_t max = lim != NULL && lim->max_body != 0 ? lim->max_body : HTTP_MAX_BODY_DEFAULT;
	unsigned long long clen = 0;
	char *body;
	size_t got;

	if ((req->route->flags & HTTP_BODY_FORM) != 0) {
		if (!http_content_type_is(req->content_type, "application/x-www-form-urlencoded")) {
			refuse(req, lim, 415, HTTP_MSG_MEDIA_TYPE_FORM);
			return -1;
		}
	} else if (!http_content_type_is_json(req->content_type)) {
		refuse(req, lim, 415, HTTP_MSG_MEDIA_TYPE);
		return -1;
	}
	/* nginx's fastcgi_params send CONTENT_LENGTH "" when there is none. */
	if (req->content_length != NULL && *req->content_length != '\0') {
		if (http_parse_uint(req->content_length, strlen(req->content_length),
		    SIZE_MAX - 1, &clen) != 0) {
			refuse(req, lim, 400, HTTP_MSG_BAD_LENGTH);
			return -1;
		}
		if (clen > max) {
			/* Answer before reading: the body is never buffered. */
			refuse(req, lim, 413, HTTP_MSG_TOO_LARGE);
			return -1;
		}
	}
	if ((body = malloc((size_t)clen + 1)) == NULL) {
		log_err("out of memory");
		http_internal_error(req);
		return -1;
	}
	req->strs[S_BODY] = body;
	req->strs_size[S_BODY] = (size_t)clen + 1;
	got = read_body(req, body, (size_t)clen);
	body[got] = '\0';
	if (got < clen) {
		log_warn("body: %zu of %llu bytes", got, clen);
		refuse(req, lim, 400, HTTP_MSG_INCOMPLETE);
		return -1;
	}
	req->body = body;
	req->body_len = got;
	return 0;
}

/* 1 if path can be routed: absolute, and no control byte (RFC 3986 §3.3). */
static int
path_ok(const char *path)
{
	if (path[0] != '/')
		return 0;
	for (; *path != '\0'; path++)
		if ((unsigned char)*path < 0x20 || *path == 0x7f)
			return 0;
	return 1;
}

void
http_dispatch(struct http_req *req, const struct http_route *routes,
    size_t nroutes, void *ctx, const struct http_limits *lim)
{
	const struct http_route *r;
	const char *cap;
	size_t caplen;
	char allow[128];

	/* Security events name the address nginx passed (event.h). */
	event_client(req->remote_addr);
	if (!path_ok(req->path)) {
		http_message(req, 404, HTTP_MSG_NOT_FOUND);
		goto done;
	}
	switch (http_route_find(routes, nroutes, req->method, req->path, &r,
	    &cap, &caplen, allow, sizeof(allow))) {
	case HTTP_ROUTE_OK:
		break;
	case HTTP_ROUTE_NO_METHOD:
		http_header(req, "Allow", allow);
		http_message(req, 405, HTTP_MSG_METHOD);
		goto done;
	case HTTP_ROUTE_NOT_FOUND:
	default:
		http_message(req, 404, HTTP_MSG_NOT_FOUND);
		goto done;
	}
	req->route = r;
	if (caplen > 0 && (req->capture = req_keep(req, S_CAPTURE, cap, caplen)) == NULL) {
		http_internal_error(req);
		goto done;
	}
	if ((r->flags & (HTTP_BODY_JSON | HTTP_BODY_FORM)) != 0 && body_gate(req, lim) != 0)
		goto done;
	r->handler(req, ctx);
	if (req->status == 0) {
		log_err("%s %s: the handler gave no answer", req->method, r->path);
		http_internal_error(req);
	}
done:
	log_debug("%s %s -> %d", req->method, req->path, req->status);
	event_client(NULL);
}

/* --- The accept loop. */

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("writing the response: %s", n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fcgx_put_all(FCGX_Stream *out, const char *p, size_t len)
{
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		int n = FCGX_PutStr(p, chunk, out);

		if (n != chunk) {
			log_warn("writing the response: FastCGI stream error %d", FCGX_GetError(out));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* RFC 3875: one request from environ and stdin, answered on stdout. */
static int
serve_cgi(const struct http_route *routes, size_t nroutes, void *ctx,
    const struct http_limits *lim)
{
	extern char **environ;
	struct http_req req;
	const char *resp;
	size_t len;
	int rc;

	if (http_req_init(&req, environ, STDIN_FILENO) != 0)
		return write_all(STDOUT_FILENO, http_fallback, sizeof(http_fallback) - 1) == 0 ? 0 : -1;
	http_dispatch(&req, routes, nroutes, ctx, lim);
	resp = http_response(&req, &len);
	rc = write_all(STDOUT_FILENO, resp, len);
	http_req_free(&req);
	return rc;
}

static int
serve_fcgi(const struct http_route *routes, size_t nroutes, void *ctx,
    const struct http_limits *lim)
{
	FCGX_Request fr;

	if (FCGX_Init() != 0) {
		log_err("FCGX_Init failed");
		return -1;
	}
	/* spawn-fcgi passes the listening socket as fd 0 (FCGI_LISTENSOCK_FILENO). */
	if (FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_err("FCGX_InitRequest failed");
		return -1;
	}
	/* FCGX_Accept_r fails on SIGUSR1 (libfcgi's graceful stop) or a dead socket. */
	while (FCGX_Accept_r(&fr) == 0) {
		struct http_req req;
		const char *resp;
		size_t len;

		if (http_req_init(&req, fr.envp, -1) != 0) {
			(void)fcgx_put_all(fr.out, http_fallback, sizeof(http_fallback) - 1);
		} else {
			req.in = fr.in;
			http_dispatch(&req, routes, nroutes, ctx, lim);
			resp = http_response(&req, &len);
			/* A client that went away is logged in fcgx_put_all; serve the next. */
			(void)fcgx_put_all(fr.out, resp, len);
			http_req_free(&req);
		}
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	return 0;
}

int
http_serve(const struct http_route *routes, size_t nroutes, void *ctx,
    const struct http_limits *lim)
{
	if (FCGX_IsCGI())
		return serve_cgi(routes, nroutes, ctx, lim);
	return serve_fcgi(routes, nroutes, ctx, lim);
}
