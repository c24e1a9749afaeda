/*
 * http.h: the request/response plumbing every jwtauth program shares
 * (SPEC §2): the FastCGI (or plain CGI) accept loop, routing, the JSON
 * body gate (415/413/400), response formatting, RFC 6750 bearer parsing and
 * the standard error answers.
 *
 * A program is a table of routes and one handler per route:
 *
 *	static const struct http_route routes[] = {
 *		{ "POST", "/api/Auth/Login", HTTP_MATCH_EXACT, HTTP_BODY_JSON, login },
 *		{ "GET", "/api/Products/GetById/", HTTP_MATCH_PREFIX, 0, get_by_id },
 *	};
 *	return http_serve(routes, 2, &ctx, &lim) == 0 ? 0 : 1;
 *
 * A handler reads the request fields, then answers exactly once with
 * http_json, http_message, http_no_content, http_problem or one of the
 * error helpers; headers (http_header) are added before the answer. A
 * handler that returns without answering gets a 500.
 *
 * Routing rules (chosen to match the ASP.NET Core tutorial the clients
 * were written against):
 * - The path is DOCUMENT_URI when set and non-empty (nginx), else
 *   REQUEST_URI up to the first '?' (Apache CGI). It is not percent-decoded.
 *   A path not starting with '/' or holding a control byte is 404.
 * - Paths compare ASCII-case-insensitively, as ASP.NET Core routing does,
 *   and one trailing '/' is ignored ("/api/products/getall/" matches).
 * - HTTP_MATCH_PREFIX routes end with '/' and capture the rest of the path,
 *   which must be exactly one non-empty segment ("{id}": no further '/',
 *   an optional trailing '/' is dropped); otherwise the route does not match.
 * - Methods compare exactly (RFC 9110 §9.1: method names are
 *   case-sensitive). HEAD and OPTIONS are not implied by GET: they get 405.
 * - No route for the path: 404 {"message":"Not found."}. The path is known
 *   but not for this method: 405 with Allow listing every method of the
 *   routes matching the path, in table order (RFC 9110 §15.5.6).
 *
 * JSON body gate, for routes with HTTP_BODY_JSON, before the handler runs:
 * - CONTENT_TYPE must be application/json, any case, parameters allowed
 *   (RFC 9110 §8.3.1); else 415. A missing Content-Type is 415 too.
 * - CONTENT_LENGTH missing or empty means an empty body (the handler's JSON
 *   parse then answers 400). Otherwise it must be 1*DIGIT (RFC 9110 §8.6:
 *   no sign, no spaces; leading zeros allowed as the grammar allows) else
 *   400 "Invalid Content-Length."; over the limit, 413 before reading a
 *   byte; fewer bytes than announced (the client went away), 400
 *   "The request body is incomplete.".
 * HTTP_BODY_FORM routes get the same gate with application/x-www-form-urlencoded
 * in place of application/json (SPEC §9), and req->body set the same way.
 * Routes without either flag never read the body.
 *
 * Memory: every string of struct http_req is a copy owned by the request
 * and freed by http_req_free, before the next accept; libfcgi frees its own
 * environment at the next accept, so none of its pointers are kept.
 */
#ifndef JWTAUTH_HTTP_H
#define JWTAUTH_HTTP_H

#include <stddef.h>
#include <json-c/json.h>

#define HTTP_MAX_BODY_DEFAULT 65536     /* SPEC §2: 64 KiB, cfg max_body_size */
#define HTTP_BEARER_MAX 8192            /* SPEC §4: a bearer token is at most 8 KiB */

#define HTTP_CT_JSON "application/json; charset=utf-8"
#define HTTP_CT_PROBLEM "application/problem+json; charset=utf-8"

/* The texts of the answers this module writes itself (SPEC §2). */
#define HTTP_MSG_NOT_FOUND "Not found."
#define HTTP_MSG_METHOD "Method not allowed."
#define HTTP_MSG_MEDIA_TYPE "Unsupported media type: use application/json."
#define HTTP_MSG_MEDIA_TYPE_FORM "Unsupported media type: use application/x-www-form-urlencoded."
#define HTTP_MSG_TOO_LARGE "Request body too large."
#define HTTP_MSG_BAD_LENGTH "Invalid Content-Length."
#define HTTP_MSG_INCOMPLETE "The request body is incomplete."
#define HTTP_MSG_UNAUTHORIZED "Unauthorized."
#define HTTP_MSG_FORBIDDEN "Forbidden."
#define HTTP_MSG_UNAVAILABLE "Service temporarily unavailable."
#define HTTP_MSG_INTERNAL "Internal server error."

struct http_req;

typedef void (*http_handler_fn)(struct http_req *req, void *ctx);

enum http_match {
	HTTP_MATCH_EXACT = 0,           /* the whole path (one trailing '/' ignored) */
	HTTP_MATCH_PREFIX               /* path ends with '/', the tail is one segment: req->capture */
};

/* Route flags. */
#define HTTP_BODY_JSON 0x1              /* apply the JSON body gate and read the body */
#define HTTP_BODY_FORM 0x2              /* the same gate for application/x-www-form-urlencoded */

struct http_route {
	const char *method;             /* "GET", "POST", "PUT", "DELETE" */
	const char *path;               /* "/api/Auth/Login"; PREFIX: "/api/Products/GetById/" */
	enum http_match match;
	unsigned int flags;             /* HTTP_BODY_JSON or 0 */
	http_handler_fn handler;
};

/*
 * How a program answers a body the gate refuses (status 415, 413 or 400,
 * text one of the HTTP_MSG_* above). NULL: http_message, {"message":text}.
 */
typedef void (*http_refuse_fn)(struct http_req *req, int status, const char *text);

struct http_limits {
	size_t max_body;                /* bytes; 0 = HTTP_MAX_BODY_DEFAULT */
	http_refuse_fn refuse;          /* NULL: {"message":text} */
};

/* Private to http.c: growing byte buffer. */
struct http_buf {
	char *data;
	size_t len, cap;
};

#define HTTP_REQ_NSTR 9

/*
 * One request. The public fields are read-only for handlers and valid
 * until the handler returns; strings are NUL-terminated copies, "" when the
 * variable was unset unless stated otherwise.
 */
struct http_req {
	const char *method;             /* REQUEST_METHOD */
	const char *path;               /* see the routing rules above */
	const char *query;              /* QUERY_STRING, without '?' */
	const char *content_type;       /* CONTENT_TYPE, NULL if unset */
	const char *authorization;      /* HTTP_AUTHORIZATION, else REDIRECT_HTTP_AUTHORIZATION, NULL if unset */
	const char *remote_addr;        /* REMOTE_ADDR, for logs */
	const char *capture;            /* tail of an HTTP_MATCH_PREFIX route ("42"), "" otherwise */
	const char *body;               /* HTTP_BODY_JSON/FORM routes: NUL-terminated copy of the body; else NULL */
	size_t body_len;
	const struct http_route *route; /* the route being served */

	/* Private to http.c. */
	char *const *envp;              /* the variables as given: valid until the next accept */
	char *strs[HTTP_REQ_NSTR];      /* owned copies behind the pointers above */
	size_t strs_size[HTTP_REQ_NSTR];        /* their allocated sizes, wiped before free */
	const char *content_length;     /* CONTENT_LENGTH, NULL if unset */
	struct FCGX_Stream *in;         /* FastCGI stdin, or NULL: read in_fd */
	int in_fd;                      /* CGI stdin (or a test's pipe), -1 = no body */
	struct http_buf hdrs;           /* extra header lines, "Name: value\r\n" */
	struct http_buf resp;           /* the whole answer once given */
	int status;                     /* answered status, 0 = not yet */
	int broken;                     /* a header was refused or memory ran out: the answer becomes 500 */
	int fallback;                   /* resp could not be built: the static 500 text is the answer */
};

/*
 * The accept loop. Under FastCGI (spawn-fcgi passes the listening socket
 * as fd 0) serve requests until FCGX_Accept_r fails, which is how libfcgi
 * reports a graceful stop (SIGUSR1) or a closed socket; return 0 then, or
 * -1 if libfcgi could not start. As plain CGI (FCGX_IsCGI) serve the one
 * request from environ and stdin, write it to stdout and return 0, or -1
 * if writing failed. lim may be NULL for the defaults.
 */
int http_serve(const struct http_route *routes, size_t nroutes, void *ctx,
    const struct http_limits *lim);

/*
 * Set req up from an environment array ("NAME=value" strings: environ, or
 * libfcgi's envp) with the body read from body_fd (-1: no body). This is
 * the CGI path of http_serve, and how tests build a request without a
 * socket. Return 0, or -1 when out of memory (req then needs no free).
 */
int http_req_init(struct http_req *req, char *const *envp, int body_fd)
	__attribute__((warn_unused_result));

/* Free everything the request owns; req may then be reused. */
void http_req_free(struct http_req *req);

/*
 * Route req (404/405), apply the body gate of the route (415/413/400),
 * then call its handler; answer 500 if the handler gave no answer. After
 * this, http_response holds the answer.
 */
void http_dispatch(struct http_req *req, const struct http_route *routes,
    size_t nroutes, void *ctx, const struct http_limits *lim);

/*
 * The answer as bytes for the web server (CGI response, RFC 3875 §6):
 * "Status: NNN Reason\r\n", Content-Type, extra headers, "\r\n", body.
 * NULL with *len 0 if the request was not answered yet.
 */
const char *http_response(const struct http_req *req, size_t *len);

/*
 * The request variable name (a FastCGI parameter, such as one a location
 * sets with fastcgi_param, or a CGI environment variable), or NULL when
 * unset. Borrowed: valid only until the handler returns (libfcgi frees its
 * environment at the next accept).
 */
const char *http_param(const struct http_req *req, const char *name);

/* The status of the answer, 0 if not answered yet. */
int http_status(const struct http_req *req);

/* --- Answers. Each answers at most once; a second answer is logged and ignored. */

/*
 * Add a response header, sent with the answer given next. The name must be
 * an RFC 9110 §5.6.2 token and the value visible ASCII, SP or HTAB only (so
 * no CR/LF can split headers, §5.5). A refused header is logged and turns
 * the answer into a 500, never into a response missing the header.
 */
void http_header(struct http_req *req, const char *name, const char *value);

/*
 * http_json for an answer that holds secrets (tokens): its string values
 * are wiped before it is freed. body must be the caller's own, shared with
 * nothing (no json_object_get'd member of a cache).
 */
void http_json_secret(struct http_req *req, int status, json_object *body);

/*
 * Overwrite with zeros every string value in o (and in the objects and
 * arrays it holds), before o is put: request bodies hold passwords, answers
 * tokens (issue 16). Member names are left: they are ours or harmless.
 */
void http_json_wipe(json_object *o);

/* The same with a printf format for the value (e.g. Location with an id). */
void http_headerf(struct http_req *req, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Answer status with body serialised as JSON (JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE), Content-Type HTTP_CT_JSON. Takes over
 * the caller's reference to body; a NULL body (a failed allocation
 * upstream) answers 500.
 */
void http_json(struct http_req *req, int status, json_object *body);

/* Answer status with {"message":text}. */
void http_message(struct http_req *req, int status, const char *text);

/* Answer 204 No Content: no Content-Type, no body. */
void http_no_content(struct http_req *req);

/*
 * Answer 400 with the validation problem of SPEC §2 (RFC 9457):
 * {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1",
 *  "title":"One or more validation errors occurred.","status":400,
 *  "errors":errors}, Content-Type HTTP_CT_PROBLEM. Takes over the reference
 * to errors (an object of field -> array of messages; see rj_errors in
 * reqjson.h); NULL answers 500.
 */
void http_problem(struct http_req *req, json_object *errors);

/* 401 with "WWW-Authenticate: Bearer" and {"message":"Unauthorized."}: no
 * credentials were sent, so no error code (RFC 6750 §3). */
void http_unauthorized(struct http_req *req);

/*
 * 401 with WWW-Authenticate: Bearer error="invalid_token",
 * error_description="<why>" and {"message":"<why>"} (RFC 6750 §3, §3.1).
 * In the header, characters outside RFC 6750 §3's %x20-21 / %x23-5B /
 * %x5D-7E (quotes, backslashes, controls, non-ASCII) become '?'.
 */
void http_invalid_token(struct http_req *req, const char *why);

/* 403 {"message":"Forbidden."} with WWW-Authenticate: Bearer
 * error="insufficient_scope" (RFC 6750 §3.1: valid token, wrong role). */
void http_forbidden(struct http_req *req);

/* 503 {"message":"Service temporarily unavailable."} (SPEC §2: database down). */
void http_unavailable(struct http_req *req);

/* 500 {"message":"Internal server error."} */
void http_internal_error(struct http_req *req);

/* --- Parsing helpers (pure; exported for the programs and the tests). */

/*
 * Parse len bytes of s as a decimal 1*DIGIT (no sign, space, or empty
 * string) not above max into *out. Return 0, or -1 if s is not such a
 * number or is above max (*out is then 0).
 */
int http_parse_uint(const char *s, size_t len, unsigned long long max,
    unsigned long long *out) __attribute__((warn_unused_result));

/* 1 if the Content-Type value is application/json (RFC 9110 §8.3.1: type
 * and subtype case-insensitive, optional parameters after ';'), else 0. */
int http_content_type_is_json(const char *ct);

/* The same for any media type (mt: "type/subtype", lowercase). */
int http_content_type_is(const char *ct, const char *mt);

/* 1 if name is an RFC 9110 §5.6.2 token, else 0. */
int http_header_name_ok(const char *name);

/* 1 if value is a safe header value (visible ASCII, SP, HTAB), else 0. */
int http_header_value_ok(const char *value);

enum http_route_rc {
	HTTP_ROUTE_OK = 0,              /* *found and the capture are set */
	HTTP_ROUTE_NOT_FOUND,           /* 404 */
	HTTP_ROUTE_NO_METHOD            /* 405: allow holds "GET, POST" */
};

/*
 * Find the route for method and path by the rules above. On HTTP_ROUTE_OK
 * *found is the route and *cap and *caplen the captured segment (pointing into
 * path; length 0 for exact routes). On HTTP_ROUTE_NO_METHOD, allow (allowlen
 * bytes, always terminated) lists the path's methods.
 */
enum http_route_rc http_route_find(const struct http_route *routes, size_t nroutes,
    const char *method, const char *path, const struct http_route **found,
    const char **cap, size_t *caplen, char *allow, size_t allowlen);

enum http_bearer_rc {
	HTTP_BEARER_OK = 0,             /* *token and *len are the b64token */
	HTTP_BEARER_NONE,               /* no credentials, or another scheme: 401 without error code */
	HTTP_BEARER_INVALID             /* "Bearer" with a missing, malformed or too long token */
};

/*
 * Parse an Authorization value as RFC 6750 §2.1: "Bearer" (any case), one
 * or more SP, then a b64token (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=") of at most HTTP_BEARER_MAX bytes; trailing SP/HTAB is
 * ignored (RFC 9110 §5.5: not part of the field value). *token points into
 * authz. NULL or "" is HTTP_BEARER_NONE, as is any other scheme (RFC 6750
 * §3: a client that used an unsupported method gets no error code).
 */
enum http_bearer_rc http_bearer_parse(const char *authz, const char **token, size_t *len)
	__attribute__((warn_unused_result));

/* http_bearer_parse on the request's Authorization. */
enum http_bearer_rc http_bearer(const struct http_req *req, const char **token, size_t *len)
	__attribute__((warn_unused_result));

#endif
