/*
 * token.h: access tokens (SPEC §4): minting them for a user and a client,
 * and checking a bearer token everywhere one is read, with the same code
 * in every program.
 */
#ifndef JWTAUTH_TOKEN_H
#define JWTAUTH_TOKEN_H

#include <stddef.h>

#include "account.h"
#include "jwt.h"
#include "keys.h"

struct app;

/*
 * Sign an access token for u (its current roles) with audience aud (the
 * client's ClientURL), issued to client_id, with scope when it is not
 * NULL or empty (RFC 9068 §2.2, §2.2.3). u NULL: a token for the client
 * itself (client_credentials, SPEC §9): sub is client_id, and no email,
 * name or role. Return a malloc'd compact JWS, or NULL with *krc telling
 * why (KEYS_NONE: no active key; KEYS_UNAVAILABLE otherwise).
 */
char *token_issue(struct app *app, const struct account_user *u, const char *aud,
    const char *client_id, const char *scope, enum keys_rc *krc)
	__attribute__((warn_unused_result));

/* What a verified access token says about its bearer. */
struct token_subject {
	long long user_id;
	size_t nroles;
	char roles[ACCOUNT_ROLES_MAX][ACCOUNT_ROLE_MAX];
};

/*
 * Verify a bearer token as SPEC §4 says: signature by a published key,
 * exp/nbf/iat with skew, iss, and aud the ClientURL of a registered client
 * (the list is cached and re-read at most every key_cache_refresh seconds
 * when an audience is not in it). On JWT_OK, sub must be a positive
 * integer and role an array of strings (else JWT_MALFORMED). JWT_ERROR
 * when the keys or the clients could not be read (database down): the
 * token was not judged, and the answer is 503.
 */
enum jwt_rc token_verify(struct app *app, const char *token, size_t len,
    struct token_subject *sub) __attribute__((warn_unused_result));

/*
 * token_verify, and on JWT_OK also *claims: the verified payload, for a
 * caller that needs more of it than struct token_subject holds (authz
 * hands email and client on). The caller puts it and only reads it (it
 * may be shared with the verified-token cache); NULL on any other result.
 */
enum jwt_rc token_verify_claims(struct app *app, const char *token, size_t len,
    struct token_subject *sub, json_object **claims) __attribute__((warn_unused_result));

/*
 * The checks of token_verify up to the claims: on JWT_OK *claims is the
 * payload (json_object_put it; read only), whatever its sub. For
 * introspection (SPEC §9), which answers for client tokens too.
 */
enum jwt_rc token_claims(struct app *app, const char *token, size_t len,
    json_object **claims) __attribute__((warn_unused_result));

/* 1 if sub holds role (exact, as ASP.NET's IsInRole compares), else 0. */
int token_has_role(const struct token_subject *sub, const char *role);

#endif
