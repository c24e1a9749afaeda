/*
 * api.h: the glue the programs share between the HTTP layer (http.h,
 * reqjson.h) and the services (account.h, session.h, token.h), so that each
 * program in cgi-bin/ is a route table and a few lines per handler, and
 * each library result turns into an answer in exactly one place.
 */
#ifndef JWTAUTH_API_H
#define JWTAUTH_API_H

#include <stddef.h>
#include <json-c/json.h>

#include "account.h"
#include "http.h"
#include "reqjson.h"
#include "session.h"
#include "token.h"

struct app;

/*
 * A program's main: open the app (config, database, keys), serve the
 * routes with the app as their ctx, close. When the app cannot be opened
 * (a bad config, say), every request of the routes is still answered, with
 * 500 {"message":"Internal server error."}, and the reason is logged at
 * start, so that a CGI install says what is wrong instead of dying
 * silently. Return the process exit status.
 */
int api_main(const char *progname, const struct http_route *routes, size_t nroutes);

/* api_main with the body gate's refusals answered by refuse (http.h). */
int api_main_refuse(const char *progname, const struct http_route *routes, size_t nroutes,
    http_refuse_fn refuse);

/*
 * Read Firstname, Lastname, Email and Password (those that which uses) from
 * body into in, recording type errors, then record every failing rule of
 * account_validate for the fields that had no type error. Return the number
 * of errors recorded.
 */
int api_account_input(json_object *body, enum account_check which,
    struct account_input *in, struct rj_errors *errs);

/*
 * Read a required string field: absent, null, empty or blank records msg
 * (a wrong type records the type message). Return 0 when s and len are set.
 */
int api_required_string(json_object *body, const char *field, const char *msg,
    const char **s, size_t *len, struct rj_errors *errs);

/*
 * Check the request's bearer token (SPEC §4). Return 0 with *sub set, or -1
 * after answering 401 (RFC 6750: no error code without credentials,
 * invalid_token with the reason otherwise), or 503 when the token could
 * not be judged (database down).
 */
int api_authenticate(struct http_req *req, struct app *app, struct token_subject *sub)
	__attribute__((warn_unused_result));

/*
 * api_authenticate in two halves, for a program that adds to the answer
 * (authz). api_bearer_judge checks the token and answers nothing: 0 with
 * *sub (and *claims, when claims is not NULL; see token_verify_claims)
 * set; 401 with *why NULL (no credentials) or the reason (a bad token);
 * or 503 (the token could not be judged). api_bearer_answer gives the
 * answer api_authenticate gives for such a status and reason.
 */
int api_bearer_judge(struct http_req *req, struct app *app, struct token_subject *sub,
    json_object **claims, const char **why) __attribute__((warn_unused_result));
void api_bearer_answer(struct http_req *req, int status, const char *why);

/* 200 {"Token":...,"RefreshToken":...} with Cache-Control: no-store; wipes t. */
void api_tokens(struct http_req *req, struct session_tokens *t);

/* The answer of SPEC §3 for a failed session operation (login, refresh). */
void api_session_error(struct http_req *req, enum session_rc rc, long long retry_after);

#endif
