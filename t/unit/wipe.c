/*
 * t/unit/wipe.c: secrets are wiped before their memory is freed (issue 16,
 * item 7): the request's Authorization header (a token) and body (a
 * password), the answer (tokens), and json-c's copies of both.
 *
 * Linked with -Wl,--wrap=free (Makefile.am): every free() called from
 * jwtauth's own objects goes through __wrap_free below, which looks in the
 * block for the secrets of the test before handing it on. A block that
 * still holds one is a secret left behind in freed memory.
 */
/* memmem(3) is a GNU extension. */
#define _GNU_SOURCE
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "reqjson.h"
#include "../tap.h"

#define PW      "pw-SECRET-0123456789"
#define BEARER  "tok-SECRET-abcdefghij"
#define ANSWER  "ans-SECRET-klmnopqrst"

void __real_free(void *p);
void __wrap_free(void *p);

static int watching;
static int left_pw, left_bearer, left_answer;
static unsigned long freed;

static int
holds(const void *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

void
__wrap_free(void *p)
{
	if (watching && p != NULL) {
		size_t n = malloc_usable_size(p);

		freed++;
		left_pw += holds(p, n, PW);
		left_bearer += holds(p, n, BEARER);
		left_answer += holds(p, n, ANSWER);
	}
	__real_free(p);
}

static int parsed_ok, wiped_ok;

static void
handler(struct http_req *req, void *ctx)
{
	json_object *body = NULL, *o, *v;
	size_t i, len;
	char pad[700];

	(void)ctx;
	if (rj_parse(req->body, req->body_len, &body) == RJ_PARSE_OK &&
	    json_object_object_get_ex(body, "Password", &v) &&
	    strcmp(json_object_get_string(v), PW) == 0)
		parsed_ok = 1;
	/* What rj_free does before it puts the body: no string keeps its bytes. */
	http_json_wipe(body);
	if (body != NULL && json_object_object_get_ex(body, "Password", &v)) {
		const char *s = json_object_get_string(v);

		len = (size_t)json_object_get_string_len(v);
		for (i = 0; i < len && s[i] == '\0'; i++)
			;
		wiped_ok = len == strlen(PW) && i == len;
	}
	rj_free(body);

	/* An answer long enough to make the answer buffer grow twice. */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	o = json_object_new_object();
	json_object_object_add(o, "Pad", json_object_new_string(pad));
	json_object_object_add(o, "Token", json_object_new_string(ANSWER));
	http_json_secret(req, 200, o);
}

static const struct http_route routes[] = {
	{ "POST", "/login", HTTP_MATCH_EXACT, HTTP_BODY_JSON, handler },
};

int
main(void)
{
	char *env[] = {
		"REQUEST_METHOD=POST", "DOCUMENT_URI=/login",
		"CONTENT_TYPE=application/json", "CONTENT_LENGTH=0",
		"HTTP_AUTHORIZATION=Bearer " BEARER, NULL
	};
	char clen[32];
	const char *body = "{\"Email\":\"a@example.com\",\"Password\":\"" PW "\"}";
	struct http_req req;
	const char *resp;
	size_t len = 0;
	int fds[2];

	log_init("wipe", LOG_LVL_ERROR);
	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu", strlen(body));
	env[3] = clen;
	if (pipe(fds) != 0 || write(fds[1], body, strlen(body)) != (ssize_t)strlen(body)) {
		printf("Bail out! pipe\n");
		return 1;
	}
	close(fds[1]);

	watching = 1;
	if (http_req_init(&req, env, fds[0]) != 0) {
		printf("Bail out! http_req_init\n");
		return 1;
	}
	http_dispatch(&req, routes, 1, NULL, NULL);
	resp = http_response(&req, &len);
	ok(parsed_ok, "the handler read the password from the body");
	ok(wiped_ok, "http_json_wipe (rj_free) zeroes a parsed body's strings before the put");
	ok(resp != NULL && holds(resp, len, ANSWER) && holds(resp, len, "Status: 200"),
	    "the answer holds the token");
	close(fds[0]);
	http_req_free(&req);
	watching = 0;

	ok(freed > 0, "frees were seen (%lu)", freed);
	is_int(left_pw, 0, "no freed block holds the password (the request body)");
	is_int(left_bearer, 0, "no freed block holds the bearer token (Authorization)");
	is_int(left_answer, 0, "no freed block holds the answer's token (answer buffer, growth included)");
	return done_testing();
}
