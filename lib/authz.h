/*
 * authz.h: the decisions of the nginx gateway (SPEC §10, program authz):
 * does a verified access token meet what a location requires, and which
 * identity headers go on to the protected app.
 *
 * A location says what it requires with two FastCGI parameters, both
 * optional, set by nginx/jwtauth-gateway.conf from the variables the
 * location sets:
 *
 *	set $jwtauth_roles "Editor Admin";         # any one of them
 *	set $jwtauth_audience "https://client1.com";
 *
 * Each is a list separated by spaces, tabs or commas; empty means no
 * requirement. Roles compare exactly, as token_has_role does. A role the
 * Roles table does not have is a configuration error: it is logged once
 * per worker and the location answers 403 to every token, so that a typo
 * ("admin", "Admn") can never open a location to everyone.
 */
#ifndef JWTAUTH_AUTHZ_H
#define JWTAUTH_AUTHZ_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "account.h"
#include "token.h"

struct db;

#define AUTHZ_PARAM_ROLES "JWTAUTH_ROLES"
#define AUTHZ_PARAM_AUDIENCE "JWTAUTH_AUDIENCE"

#define AUTHZ_KNOWN_MAX 64      /* role names of the Roles table kept; more are refused (403) */
#define AUTHZ_WARNED_MAX 32     /* misconfigured role names remembered as logged */

enum authz_rc {
	AUTHZ_OK = 0,           /* 204 with the identity headers */
	AUTHZ_NO_ROLE,          /* the token holds none of the roles: 403 */
	AUTHZ_UNKNOWN_ROLE,     /* the location names a role that does not exist: 403 */
	AUTHZ_BAD_AUDIENCE,     /* the token was issued for another client: 401 */
	AUTHZ_UNAVAILABLE       /* the role names could never be read: 503 */
};

/* The Roles table's names, read at most every refresh seconds (per worker). */
struct authz_roles {
	char names[AUTHZ_KNOWN_MAX][ACCOUNT_ROLE_MAX];
	size_t n;
	time_t loaded;          /* last attempt; 0: never */
	int ever;               /* some attempt succeeded: names holds a list */
	char warned[AUTHZ_WARNED_MAX][ACCOUNT_ROLE_MAX];
	size_t nwarned;
};

/*
 * The next item of a list separated by SP, HTAB or ',' from *cursor: return
 * 1 with *item and *len set and *cursor moved past it, or 0 at the end.
 */
int authz_list_next(const char **cursor, const char **item, size_t *len);

/* 1 if need (a list; NULL or empty: no requirement) names a role sub holds. */
int authz_role_met(const char *need, const struct token_subject *sub);

/*
 * 1 if need (a list of accepted audiences; NULL or empty: any) names the
 * token's aud (a string, or an array of which one value suffices), else 0.
 */
int authz_audience_met(const char *need, json_object *claims);

/*
 * 1 with *bad and *badlen set (pointing into need) if need names a role
 * that is not one of names[0..n), else 0.
 */
int authz_role_unknown(const char *need, const char (*names)[ACCOUNT_ROLE_MAX], size_t n,
    const char **bad, size_t *badlen);

/*
 * The whole decision for a verified token (sub and claims from
 * token_verify_claims), with roles and audience the location's parameters
 * (NULL: unset). The role names are (re)read through db when roles is not
 * empty and the list is missing or older than refresh seconds; when that
 * fails, the last list read stays in use, and without one the answer is
 * AUTHZ_UNAVAILABLE.
 */
enum authz_rc authz_decide(struct authz_roles *known, struct db *db, unsigned int refresh,
    const char *roles, const char *audience, const struct token_subject *sub,
    json_object *claims) __attribute__((warn_unused_result));

/*
 * What the gateway hands on, each value ready for a header: X-Jwtauth-Sub
 * (the user id), X-Jwtauth-Email, X-Jwtauth-Roles (comma-separated) and
 * X-Jwtauth-Client (the client_id claim, RFC 9068, or else the aud the
 * token was issued for). Claims the token lacks are "".
 */
struct authz_identity {
	char *sub, *email, *roles, *client;
};

/* Fill id (malloc'd strings). Return 0, or -1 when out of memory (id freed). */
int authz_identity(const struct token_subject *sub, json_object *claims,
    struct authz_identity *id) __attribute__((warn_unused_result));
void authz_identity_free(struct authz_identity *id);

/*
 * s (len bytes) as a header value: bytes outside visible ASCII, and '%'
 * and ',' (the Roles separator), become %XX (uppercase hex), as in RFC
 * 3986 §2.1; an e-mail address or a role name in UTF-8 arrives intact
 * once percent-decoded. Return a malloc'd string or NULL.
 */
char *authz_encode(const char *s, size_t len) __attribute__((warn_unused_result));

#endif
