/*
 * session.h: logins and their refresh tokens (SPEC §3 Login, RefreshToken,
 * Logout; SPEC §4 refresh tokens).
 *
 * A login starts a family: every token rotated out of it carries the same
 * FamilyId. Rotation is one transaction whose correctness rests on the
 * conditional UPDATE ... WHERE IsRevoked = 0 and its affected-row count,
 * never on SELECT ... FOR UPDATE (which does not lock across Galera nodes):
 * of any number of concurrent rotations of one token exactly one commits.
 * A token presented after it was rotated away revokes its whole family.
 * Requests that lose a concurrent race for the same token, and a rotated
 * token presented again within refresh_reuse_interval seconds (a retry,
 * or a duplicate that reached another worker just after the rotation
 * committed), get 401 "Refresh token has been revoked." without revoking
 * the family: they cannot be told apart from a client that sent the same
 * request twice, and the winner's new token must survive that. Unless the
 * new token has been used (rotated or revoked) already: then the copy is
 * in other hands, and it is reuse whatever the interval (issue 16).
 */
#ifndef JWTAUTH_SESSION_H
#define JWTAUTH_SESSION_H

#include <stddef.h>

#include "account.h"
#include "client.h"
#include "db.h"
#include "refresh.h"

struct app;

enum session_rc {
	SESSION_OK = 0,
	SESSION_BAD_CLIENT,         /* 401 Invalid client credentials. */
	SESSION_BAD_CREDENTIALS,    /* 401 Invalid credentials. */
	SESSION_THROTTLED,          /* 429 Too many failed login attempts. */
	SESSION_INVALID_TOKEN,      /* 401 Invalid refresh token. */
	SESSION_REVOKED,            /* 401 revoked (refresh) / 400 already revoked (logout) */
	SESSION_EXPIRED,            /* 401 Refresh token has expired. */
	SESSION_NO_KEY,             /* 503 No active signing key available. */
	SESSION_BAD_SCOPE,          /* 400 invalid_scope (SPEC §9: a refresh asking for more) */
	SESSION_UNAVAILABLE = -1    /* 503 */
};

struct session_tokens {
	char *access;                           /* malloc'd compact JWS */
	char refresh[REFRESH_TOKEN_LEN + 1];
	char scope[CLIENT_SCOPES_MAX + 1];      /* granted with the access token, "" for none */
};

/* Wipe and free the tokens. */
void session_tokens_clear(struct session_tokens *t);

/*
 * Login with validated input. Unknown user and wrong password take the
 * same time (a dummy Argon2id verification). A legacy or outdated hash is
 * replaced after a success. On SESSION_THROTTLED, *retry_after gets the
 * seconds to wait. scope (NULL or "" for none) is granted already
 * (client_scope_grant); the family keeps it for its refreshes.
 */
enum session_rc session_login(struct app *app, const char *email, size_t email_len,
    const char *pw, size_t pw_len, const char *client_id, size_t client_len,
    const char *scope, struct session_tokens *out, long long *retry_after)
	__attribute__((warn_unused_result));

/*
 * The client a refresh is for: its ClientId, and at the OAuth 2.0 token
 * endpoint the credentials it presented (NULL at the tutorial's
 * RefreshToken, where the ClientId alone names the client). They are
 * judged against the client row the token's own lookup reads (one read,
 * issue 11); when the token is unknown or another client's, judged is 0
 * and the caller judges the client on its own row.
 */
struct session_client {
	const char *id;
	size_t len;
	const struct client_creds *creds;
	int judged;                     /* out: creds were judged (client_creds_check) */
	enum client_auth_rc auth;       /* out: the verdict when judged */
	struct client_auth how;         /* out: why, when it is not CLIENT_AUTH_OK */
};

/*
 * Rotate a refresh token issued to who's client; with credentials that
 * fail, SESSION_BAD_CLIENT and nothing happens to the token. scope (scope_len bytes) is
 * what the refresh asks for: NULL for the family's scope, else a subset of
 * it (RFC 6749 §6; more is SESSION_BAD_SCOPE). The access token gets it,
 * less any scope the client may no longer ask for; the new refresh token
 * keeps the family's.
 */
enum session_rc session_refresh(struct app *app, const char *token, size_t token_len,
    struct session_client *who, const char *scope, size_t scope_len,
    struct session_tokens *out) __attribute__((warn_unused_result));

/*
 * RFC 7009 (SPEC §9): revoke a refresh token of client_id with its whole
 * family. SESSION_OK when it is revoked now or was already;
 * SESSION_INVALID_TOKEN when no such token is the client's.
 */
enum session_rc session_revoke(struct app *app, const char *token, size_t token_len,
    const char *client_id, size_t client_len) __attribute__((warn_unused_result));

/* What RFC 7662 introspection tells of a live refresh token. */
struct session_token_info {
	long long user_id;
	long long exp, iat;                     /* seconds since the epoch */
	char email[ACCOUNT_EMAIL_MAX];
	char scope[CLIENT_SCOPES_MAX + 1];      /* "" for none */
	char url[CLIENT_URL_MAX + 1];           /* the client's URL: the family's audience */
};

/*
 * A refresh token of client_id that is live (not revoked, not expired):
 * SESSION_OK with *info. Anything else, another client's token included:
 * SESSION_INVALID_TOKEN.
 */
enum session_rc session_introspect(struct app *app, const char *token, size_t token_len,
    const char *client_id, size_t client_len, struct session_token_info *info)
	__attribute__((warn_unused_result));

/*
 * Logout user_id's refresh token on client_id; with all_devices every live
 * token of the user on every client too. SESSION_INVALID_TOKEN when the
 * token is not the user's on that client, SESSION_REVOKED when it already
 * was revoked.
 */
enum session_rc session_logout(struct app *app, long long user_id, const char *token,
    size_t token_len, const char *client_id, size_t client_len, int all_devices)
	__attribute__((warn_unused_result));

/*
 * Revoke every live refresh token of a user; *count (may be NULL) gets how
 * many. One statement, so it serves inside a transaction (logout from all
 * devices, a password change) as well as alone (jwtauthctl). Returns as
 * db_exec.
 */
enum db_rc session_revoke_user(struct db *db, long long user_id, unsigned long long *count)
	__attribute__((warn_unused_result));

#endif
