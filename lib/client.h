/*
 * client.h: registered client applications (SPEC §6 Clients, §9): looking
 * one up, authenticating it at the OAuth 2.0 endpoints (RFC 6749 §2.3.1:
 * client_secret_basic, client_secret_post; public clients by client_id
 * alone), its secret and the scopes it may ask for (RFC 6749 §3.3).
 *
 * A client with a secret is confidential and must authenticate; a client
 * without one is public. Secrets are 32 random bytes, base64url (made
 * like refresh tokens, refresh.h), stored only as their SHA-256 in hex,
 * compared in constant time.
 */
#ifndef JWTAUTH_CLIENT_H
#define JWTAUTH_CLIENT_H

#include <stddef.h>

#include "refresh.h"

struct db;

#define CLIENT_ID_MAX      (100 * 4)    /* bytes: Clients.ClientId VARCHAR(100) utf8mb4 */
#define CLIENT_URL_MAX     (500 * 4)    /* bytes: Clients.ClientURL VARCHAR(500) utf8mb4 */
#define CLIENT_SCOPES_MAX  1000         /* bytes: Clients.Scopes, RefreshTokens.Scope (ASCII) */
#define CLIENT_SECRET_LEN  REFRESH_TOKEN_LEN

struct client {
	long long id;                           /* Clients.Id */
	char client_id[CLIENT_ID_MAX + 1];
	char url[CLIENT_URL_MAX + 1];           /* the access tokens' aud */
	char scopes[CLIENT_SCOPES_MAX + 1];     /* space-separated, "" for none */
	char secret_hash[REFRESH_HASH_HEX + 1]; /* "" for a public client */
	int confidential;
};

enum client_rc {
	CLIENT_OK = 0,
	CLIENT_UNKNOWN = 1,
	CLIENT_UNAVAILABLE = -1
};

/* Find a client by its ClientId (exact: the column is utf8mb4_bin). */
enum client_rc client_find(struct db *db, const char *client_id, size_t len, struct client *c)
	__attribute__((warn_unused_result));

/*
 * A new secret (base64url of 32 random bytes) into secret, and its hex
 * SHA-256, what the database keeps, into hash. Return 0 or -1.
 */
int client_secret_new(char secret[CLIENT_SECRET_LEN + 1], char hash[REFRESH_HASH_HEX + 1])
	__attribute__((warn_unused_result));

enum client_auth_rc {
	CLIENT_AUTH_OK = 0,
	CLIENT_AUTH_INVALID_REQUEST,    /* 400 invalid_request: two methods, two client ids */
	CLIENT_AUTH_FAILED,             /* 401 invalid_client */
	CLIENT_AUTH_UNAVAILABLE = -1    /* 503 */
};

/* How a client presented itself, for the answer (RFC 6749 §5.2). */
struct client_auth {
	int used_header;        /* an Authorization header came: 401 carries WWW-Authenticate: Basic */
	const char *why;        /* error_description on failure (static, printable ASCII) */
};

/*
 * A client's credentials as an OAuth 2.0 request presented them: Basic
 * credentials in the Authorization header (base64 of "id:secret", each
 * form-urlencoded, RFC 6749 §2.3.1), or the client_id and client_secret
 * parameters. id and secret point into the form or into the decoded
 * header, which the struct owns: client_creds_clear wipes and frees it.
 */
struct client_creds {
	const char *id, *secret;        /* secret NULL if none was sent */
	size_t id_len, secret_len;
	char *header_id, *header_secret;        /* owned; id and secret point here if set */
};

/*
 * Read the credentials of a request: authorization is the Authorization
 * header (NULL if none), form_id and form_secret the client_id and
 * client_secret parameters (NULL if absent). CLIENT_AUTH_OK with *cr set;
 * Basic credentials and client_secret both, or a client_id parameter
 * naming another client than the header: CLIENT_AUTH_INVALID_REQUEST; an
 * Authorization header that is not valid Basic credentials, or no client
 * id at all: CLIENT_AUTH_FAILED. On failure nothing is left to clear.
 */
enum client_auth_rc client_creds_read(const char *authorization,
    const char *form_id, size_t form_id_len, const char *form_secret, size_t form_secret_len,
    struct client_creds *cr, struct client_auth *how) __attribute__((warn_unused_result));

/*
 * Judge cr against c, the client named cr->id (NULL: there is none): a
 * public client sends no secret, a confidential one its own. Anything
 * else, an unknown client included, is CLIENT_AUTH_FAILED, in the time a
 * wrong secret takes.
 */
enum client_auth_rc client_creds_check(const struct client_creds *cr, const struct client *c,
    struct client_auth *how) __attribute__((warn_unused_result));

void client_creds_clear(struct client_creds *cr);

/*
 * Authenticate the client cr names: client_find, then client_creds_check.
 * On CLIENT_AUTH_OK *c is the client; a confidential one proved its
 * secret.
 */
enum client_auth_rc client_authenticate(struct db *db, const struct client_creds *cr,
    struct client *c, struct client_auth *how) __attribute__((warn_unused_result));

/* 1 if s[0..len) is an RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
int client_scope_token_ok(const char *s, size_t len);

enum client_scope_rc {
	CLIENT_SCOPE_OK = 0,
	CLIENT_SCOPE_MALFORMED,         /* not scope-tokens separated by single spaces, or too long */
	CLIENT_SCOPE_NOT_ALLOWED        /* a scope-token not in allowed */
};

/*
 * The scope to grant for requested (len bytes: scope-tokens separated by
 * one space, RFC 6749 §3.3) out of allowed (space-separated): every
 * requested token must be in allowed. out (cap bytes) gets the requested
 * tokens in their order, each once. NULL or empty requested grants
 * nothing ("").
 */
enum client_scope_rc client_scope_grant(const char *requested, size_t len, const char *allowed,
    char *out, size_t cap) __attribute__((warn_unused_result));

/* The tokens of scope also in allowed, in scope's order, into out (cap bytes). */
void client_scope_intersect(const char *scope, const char *allowed, char *out, size_t cap);

#endif
