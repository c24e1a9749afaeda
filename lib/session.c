/*
 * session.c: logins and refresh-token rotation (see session.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "app.h"
#include "db.h"
#include "event.h"
#include "fault.h"
#include "log.h"
#include "pwhash.h"
#include "session.h"
#include "throttle.h"
#include "token.h"

#define FAMILY_HEX 32

void
session_tokens_clear(struct session_tokens *t)
{
	if (t->access != NULL) {
		sodium_memzero(t->access, strlen(t->access));
		free(t->access);
	}
	sodium_memzero(t, sizeof(*t));
}


static enum session_rc
from_keys(enum keys_rc krc)
{
	return krc == KEYS_NONE ? SESSION_NO_KEY : SESSION_UNAVAILABLE;
}

/*
 * Sign the access token (for client_id, with scope) and draw a new
 * refresh token (before any write).
 */
static enum session_rc
tokens_make(struct app *app, const struct account_user *u, const char *aud,
    const char *client_id, const char *scope, struct session_tokens *out)
{
	enum keys_rc krc;

	if (scope != NULL && strlen(scope) >= sizeof(out->scope))
		return SESSION_UNAVAILABLE;
	snprintf(out->scope, sizeof(out->scope), "%s", scope != NULL ? scope : "");
	out->access = token_issue(app, u, aud, client_id, out->scope, &krc);
	if (out->access == NULL)
		return from_keys(krc);
	if (refresh_generate(out->refresh) != 0) {
		session_tokens_clear(out);
		return SESSION_UNAVAILABLE;
	}
	return SESSION_OK;
}

/*
 * Security events of a login (event.h): the e-mail and client id as sent,
 * never the password, and one more field (key, value).
 */
static void
login_event(const char *name, const char *email, size_t email_len,
    const char *client_id, size_t client_len, const char *key, const char *value)
{
	char e[ACCOUNT_EMAIL_MAX], c[256];

	event_log(name, "user", event_strn(e, sizeof(e), email, email_len),
	    "client", event_strn(c, sizeof(c), client_id, client_len), key, value, (char *)NULL);
}

static const char sql_insert_token[] =
    "INSERT INTO RefreshTokens (TokenHash, UserId, ClientId, FamilyId, ExpiresAt, Scope) "
    "VALUES (?, ?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULLIF(?, ''))";

/* ------------------------------------------------------------------ */
/* Login                                                               */
/* ------------------------------------------------------------------ */

enum session_rc
session_login(struct app *app, const char *email, size_t email_len,
    const char *pw, size_t pw_len, const char *client_id, size_t client_len,
    const char *scope, struct session_tokens *out, long long *retry_after)
{
	struct account_user *u = NULL;
	struct client c;
	enum session_rc rc;
	enum pw_rc prc;
	enum account_rc arc;
	char hash[REFRESH_HASH_HEX + 1], family[FAMILY_HEX + 1];
	unsigned char fam[FAMILY_HEX / 2];
	char num[EVENT_NUM_LEN];

	memset(out, 0, sizeof(*out));
	*retry_after = 0;
	switch (client_find(app->db, client_id, client_len, &c)) {
	case CLIENT_OK:
		break;
	case CLIENT_UNKNOWN:
		login_event("login_failure", email, email_len, client_id, client_len,
		    "reason", "unknown_client");
		return SESSION_BAD_CLIENT;
	default:
		return SESSION_UNAVAILABLE;
	}

	switch (throttle_attempt(app->db, email, email_len, app->cfg.login_max_failures,
	    app->cfg.login_failure_window, retry_after)) {
	case THROTTLE_OK:
		break;
	case THROTTLE_LIMITED:
		login_event("login_throttled", email, email_len, client_id, client_len,
		    "retry_after", event_num(num, *retry_after));
		return SESSION_THROTTLED;
	default:
		return SESSION_UNAVAILABLE;
	}

	if ((u = malloc(sizeof(*u))) == NULL)
		return SESSION_UNAVAILABLE;
	arc = account_by_email(app->db, email, email_len, u);
	if (arc == ACCOUNT_UNAVAILABLE) {
		rc = SESSION_UNAVAILABLE;
		goto done;
	}
	if (arc == ACCOUNT_NOT_FOUND) {
		/* SPEC §3: no user enumeration by timing. */
		pw_verify_dummy(pw, pw_len, &app->cost);
		login_event("login_failure", email, email_len, client_id, client_len,
		    "reason", "unknown_user");
		rc = SESSION_BAD_CREDENTIALS;
		goto done;
	}
	prc = pw_verify(u->password, pw, pw_len);
	if (prc != PW_OK) {
		if (prc == PW_ERROR)
			log_err("user %lld has an unusable password hash", u->id);
		login_event("login_failure", email, email_len, client_id, client_len,
		    "reason", "bad_password");
		rc = SESSION_BAD_CREDENTIALS;
		goto done;
	}
	if (throttle_success(app->db, email, email_len) != THROTTLE_OK) {
		rc = SESSION_UNAVAILABLE;
		goto done;
	}
	/* SPEC §6: bcrypt and outdated Argon2id hashes are replaced now. A
	 * failure here costs nothing but a later retry. */
	if (pw_needs_rehash(u->password, &app->cost) &&
	    account_rehash(app->db, u->id, u->password, pw, pw_len, &app->cost) != ACCOUNT_OK)
		log_warn("could not re-hash the password of user %lld", u->id);

	if ((rc = tokens_make(app, u, c.url, c.client_id, scope, out)) != SESSION_OK)
		goto done;
	randombytes_buf(fam, sizeof(fam));
	sodium_bin2hex(family, sizeof(family), fam, sizeof(fam));
	if (refresh_hash(hash, out->refresh, strlen(out->refresh)) != 0) {
		rc = SESSION_UNAVAILABLE;
		goto done;
	}
	{
		struct db_param p[] = { DB_STR(hash), DB_INT(u->id), DB_INT(c.id),
		    DB_STR(family), DB_INT(app->cfg.refresh_token_lifetime), DB_STR(out->scope) };

		if (db_exec(app->db, sql_insert_token, p, DB_NPARAMS(p), NULL, NULL) != DB_OK)
			rc = SESSION_UNAVAILABLE;
		else
			login_event("login_success", email, email_len, client_id, client_len,
			    "user_id", event_num(num, u->id));
	}
done:
	if (rc != SESSION_OK)
		session_tokens_clear(out);
	sodium_memzero(u, sizeof(*u));
	free(u);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Rotation                                                            */
/* ------------------------------------------------------------------ */

struct stored_token {
	long long id, user_id, revoked, expired, replaced_null, just_revoked;
	long long replaced_by;  /* the token that replaced it, unless replaced_null */
	char family[FAMILY_HEX + 1];
	char scope[CLIENT_SCOPES_MAX + 1];      /* the family's, "" for none */
	struct client client;                   /* its client as it is now */
};

/* token_find's row callback: the token's columns repeat; one role per row. */
struct token_rows {
	struct account_user *u;
	char role[ACCOUNT_ROLE_MAX];
	int role_null;
};

static int
token_row(void *arg)
{
	struct token_rows *r = arg;

	if (r->role_null)
		return 0;
	/* Too many roles: the token is judged on what fits, as account.c does. */
	return account_role_add(r->u, r->role);
}

/*
 * The stored token with hash, its client (for the token endpoint's client
 * authentication too, issue 11), and into u its user with the user's
 * roles as they are now (SPEC §3), in one query: one round trip and one
 * statement for MariaDB to parse and plan instead of three (issue 14). A
 * row per role, the token's and user's columns repeated, or one row with
 * a NULL role for a user without any. The user's password hash is not
 * read: a refresh does not need it. Every lookup is by a unique or
 * primary key (EXPLAIN: const, const, const, ref, eq_ref).
 * Whether the token's successor is still live is asked only when it
 * matters (child_live): as a subquery here it cost every refresh about
 * 25 us of MariaDB's CPU (issue 14).
 */
static enum session_rc
token_find(struct app *app, const char *hash, struct stored_token *t, struct account_user *u)
{
	size_t n = 0;
	int replaced_null = 0, secret_null = 0;
	long long uid = 0;
	struct token_rows rows = { .u = u };
	struct db_param p[] = { DB_INT(app->cfg.refresh_reuse_interval), DB_STR(hash) };
	struct db_col c[] = {
		DB_OUT_INT(&t->id), DB_OUT_INT(&t->user_id), DB_OUT_INT(&t->client.id),
		DB_OUT_STR(t->family, sizeof(t->family)), DB_OUT_INT(&t->revoked),
		DB_OUT_INT(&t->expired), DB_OUT_INT_N(&t->replaced_by, &replaced_null),
		DB_OUT_INT(&t->just_revoked),
		DB_OUT_STR(t->client.client_id, sizeof(t->client.client_id)),
		DB_OUT_STR(t->client.url, sizeof(t->client.url)),
		DB_OUT_STR(t->scope, sizeof(t->scope)),
		DB_OUT_STR(t->client.scopes, sizeof(t->client.scopes)),
		DB_OUT_STR_N(t->client.secret_hash, sizeof(t->client.secret_hash), &secret_null),
		DB_OUT_INT(&uid),
		DB_OUT_STR(u->email, sizeof(u->email)),
		DB_OUT_STR(u->firstname, sizeof(u->firstname)),
		DB_OUT_STR_N(u->lastname, sizeof(u->lastname), &u->lastname_null),
		DB_OUT_STR_N(rows.role, sizeof(rows.role), &rows.role_null),
	};

	memset(u, 0, sizeof(*u));
	/* SPEC §11: the lookup and reuse check see a rotation committed
	 * through any node. */
	if (db_query_latest(app->db,
	    "SELECT rt.Id, rt.UserId, rt.ClientId, rt.FamilyId, rt.IsRevoked, "
	    "rt.ExpiresAt <= UTC_TIMESTAMP(), rt.ReplacedBy, "
	    "IFNULL(rt.RevokedAt > UTC_TIMESTAMP() - INTERVAL ? SECOND, 0), "
	    "c.ClientId, c.ClientURL, IFNULL(rt.Scope, ''), c.Scopes, c.SecretHash, "
	    "u.Id, u.Email, u.Firstname, u.Lastname, r.Name "
	    "FROM RefreshTokens rt JOIN Clients c ON c.Id = rt.ClientId "
	    "JOIN Users u ON u.Id = rt.UserId "
	    "LEFT JOIN UserRoles ur ON ur.UserId = u.Id LEFT JOIN Roles r ON r.Id = ur.RoleId "
	    "WHERE rt.TokenHash = ?", p, DB_NPARAMS(p), c, DB_NPARAMS(c),
	    token_row, &rows, &n) != DB_OK) {
		sodium_memzero(u, sizeof(*u));
		return SESSION_UNAVAILABLE;
	}
	u->id = uid;
	t->client.confidential = !secret_null;  /* as client_find has it */
	/* In C: an ORDER BY would cost MariaDB a temporary table and a sort. */
	account_roles_sort(u);
	t->replaced_null = replaced_null;
	/* No row: unknown token (a deleted user's tokens went with it). */
	return n >= 1 ? SESSION_OK : SESSION_INVALID_TOKEN;
}

/*
 * Into *live, 1 if the token with id (a rotated token's successor) is
 * still unused, as the latest write through any node has it (SPEC §11).
 */
static enum session_rc
child_live(struct app *app, long long id, int *live)
{
	size_t n = 0;
	long long unused = 0;
	struct db_param p[] = { DB_INT(id) };
	struct db_col c[] = { DB_OUT_INT(&unused) };

	*live = 0;
	if (db_query_latest(app->db, "SELECT IsRevoked = 0 FROM RefreshTokens WHERE Id = ?",
	    p, DB_NPARAMS(p), c, DB_NPARAMS(c), NULL, NULL, &n) != DB_OK)
		return SESSION_UNAVAILABLE;
	*live = n == 1 && unused;
	return SESSION_OK;
}

static enum db_rc
family_revoke_tx(struct db *db, void *arg)
{
	const char *family = arg;
	struct db_param p[] = { DB_STR(family) };

	return db_exec(db, "UPDATE RefreshTokens SET IsRevoked = 1, RevokedAt = UTC_TIMESTAMP() "
	    "WHERE FamilyId = ? AND IsRevoked = 0", p, 1, NULL, NULL);
}

struct rotate_tx {
	const struct stored_token *old;
	const char *new_hash;
	unsigned int lifetime;
};

static enum db_rc
rotate_tx(struct db *db, void *arg)
{
	struct rotate_tx *r = arg;
	unsigned long long new_id = 0, n = 0;
	enum db_rc rc;
	/* RFC 6749 §6: the new refresh token has the scope of the old one. */
	struct db_param ins[] = { DB_STR(r->new_hash), DB_INT(r->old->user_id),
	    DB_INT(r->old->client.id), DB_STR(r->old->family), DB_INT(r->lifetime),
	    DB_STR(r->old->scope) };

	rc = db_exec(db, sql_insert_token, ins, DB_NPARAMS(ins), NULL, &new_id);
	if (rc != DB_OK)
		return rc;
	/* Tests only (fault.h): die with the new token inserted, the old live. */
	fault_point("rotate-after-insert");
	/* The only guard against a second rotation of the same token: the
	 * row changes only if it is still live, and only one can change it. */
	struct db_param upd[] = { DB_INT((long long)new_id), DB_INT(r->old->id) };
	rc = db_exec(db, "UPDATE RefreshTokens SET IsRevoked = 1, RevokedAt = UTC_TIMESTAMP(), "
	    "ReplacedBy = ? WHERE Id = ? AND IsRevoked = 0 AND ExpiresAt > UTC_TIMESTAMP()",
	    upd, DB_NPARAMS(upd), &n, NULL);
	if (rc != DB_OK)
		return rc;
	if (n != 1)
		return DB_ABORT;
	/* Tests only (fault.h): die with both statements done, before COMMIT. */
	fault_point("rotate-after-update");
	return DB_OK;
}

enum session_rc
session_refresh(struct app *app, const char *token, size_t token_len,
    struct session_client *who, const char *scope, size_t scope_len,
    struct session_tokens *out)
{
	struct stored_token old;
	struct account_user *u = NULL;
	char hash[REFRESH_HASH_HEX + 1], new_hash[REFRESH_HASH_HEX + 1];
	char asked[CLIENT_SCOPES_MAX + 1], granted[CLIENT_SCOPES_MAX + 1];
	enum session_rc rc;
	enum db_rc drc;

	memset(out, 0, sizeof(*out));
	who->judged = 0;
	if (refresh_hash(hash, token, token_len) != 0)
		return SESSION_INVALID_TOKEN;
	if ((u = malloc(sizeof(*u))) == NULL)
		return SESSION_UNAVAILABLE;
	/* The token, its client, and its user with the roles as they are now. */
	if ((rc = token_find(app, hash, &old, u)) != SESSION_OK)
		goto done;
	/* A token issued to another client is as good as unknown. */
	if (strlen(old.client.client_id) != who->len ||
	    sodium_memcmp(old.client.client_id, who->id, who->len) != 0) {
		rc = SESSION_INVALID_TOKEN;
		goto done;
	}
	/* RFC 6749 §6: the client authenticates before anything happens to
	 * the token, reuse detection included. */
	if (who->creds != NULL) {
		who->judged = 1;
		who->auth = client_creds_check(who->creds, &old.client, &who->how);
		if (who->auth != CLIENT_AUTH_OK) {
			rc = SESSION_BAD_CLIENT;
			goto done;
		}
	}
	if (old.revoked) {
		int duplicate = 0;

		/* A request that reached us only after a concurrent one with
		 * the same token committed its rotation (session.h) is no
		 * reuse: the winner's new token must survive it. Only while
		 * that new token is unused, though (issue 16): once it was
		 * itself rotated or revoked, a copy of the old one is in other
		 * hands, however soon it comes back. */
		if (!old.replaced_null && old.just_revoked &&
		    (rc = child_live(app, old.replaced_by, &duplicate)) != SESSION_OK)
			goto done;
		if (duplicate)
			log_info("refresh token of user %lld presented again just after "
			    "its rotation: taken for a duplicate", old.user_id);
		else if (!old.replaced_null) {
			/* Reuse of a rotated token: someone holds a copy.
			 * End the whole family (RFC 9700 §4.14.2). */
			char n[EVENT_NUM_LEN];

			log_warn("refresh token reuse in family of user %lld: family revoked",
			    old.user_id);
			if (db_transaction(app->db, family_revoke_tx, old.family) != DB_OK) {
				rc = SESSION_UNAVAILABLE;
				goto done;
			}
			event_log("refresh_reuse", "user_id", event_num(n, old.user_id),
			    "client", old.client.client_id, "family", old.family,
			    "family_revoked", "yes", (char *)NULL);
		}
		rc = SESSION_REVOKED;
		goto done;
	}
	if (old.expired) {
		rc = SESSION_EXPIRED;
		goto done;
	}
	/* RFC 6749 §6: no more than the family has; then, like roles, only
	 * what the client may still ask for now. */
	if (scope != NULL) {
		if (client_scope_grant(scope, scope_len, old.scope, asked, sizeof(asked)) !=
		    CLIENT_SCOPE_OK) {
			rc = SESSION_BAD_SCOPE;
			goto done;
		}
	} else
		memcpy(asked, old.scope, sizeof(asked));
	client_scope_intersect(asked, old.client.scopes, granted, sizeof(granted));

	/* The signature before the transaction: the row lock is held only
	 * for two short statements. */
	if ((rc = tokens_make(app, u, old.client.url, old.client.client_id, granted, out)) !=
	    SESSION_OK)
		goto done;
	if (refresh_hash(new_hash, out->refresh, strlen(out->refresh)) != 0) {
		rc = SESSION_UNAVAILABLE;
		goto done;
	}
	{
		struct rotate_tx r = { .old = &old, .new_hash = new_hash,
		    .lifetime = app->cfg.refresh_token_lifetime };

		drc = db_transaction(app->db, rotate_tx, &r);
	}
	/* Tests only (fault.h): die after COMMIT, before the client has the answer. */
	if (drc == DB_OK)
		fault_point("rotate-after-commit");
	if (drc == DB_ABORT)
		rc = SESSION_REVOKED;           /* lost the race, or expired meanwhile */
	else if (drc != DB_OK)
		rc = SESSION_UNAVAILABLE;
done:
	if (rc != SESSION_OK)
		session_tokens_clear(out);
	sodium_memzero(u, sizeof(*u));
	free(u);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Logout                                                              */
/* ------------------------------------------------------------------ */

struct logout_tx {
	long long user_id;
	long long token_id;
	int all_devices;
	int was_live;
};

static enum db_rc
logout_tx(struct db *db, void *arg)
{
	struct logout_tx *l = arg;
	unsigned long long n = 0;
	enum db_rc rc;
	struct db_param one[] = { DB_INT(l->token_id) };

	l->was_live = 0;
	rc = db_exec(db, "UPDATE RefreshTokens SET IsRevoked = 1, RevokedAt = UTC_TIMESTAMP() "
	    "WHERE Id = ? AND IsRevoked = 0", one, 1, &n, NULL);
	if (rc != DB_OK)
		return rc;
	if (n != 1)
		return DB_ABORT;        /* revoked meanwhile */
	l->was_live = 1;
	if (l->all_devices)
		rc = session_revoke_user(db, l->user_id, NULL);
	return rc;
}

enum session_rc
session_logout(struct app *app, long long user_id, const char *token, size_t token_len,
    const char *client_id, size_t client_len, int all_devices)
{
	char hash[REFRESH_HASH_HEX + 1];
	long long id = 0, revoked = 0;
	size_t n = 0;
	enum db_rc rc;

	if (refresh_hash(hash, token, token_len) != 0)
		return SESSION_INVALID_TOKEN;
	{
		struct db_param p[] = { DB_STR(hash), DB_INT(user_id), DB_STRN(client_id, client_len) };
		struct db_col c[] = { DB_OUT_INT(&id), DB_OUT_INT(&revoked) };

		if (db_query_latest(app->db, "SELECT rt.Id, rt.IsRevoked FROM RefreshTokens rt "
		    "JOIN Clients c ON c.Id = rt.ClientId "
		    "WHERE rt.TokenHash = ? AND rt.UserId = ? AND c.ClientId = ?",
		    p, DB_NPARAMS(p), c, DB_NPARAMS(c), NULL, NULL, &n) != DB_OK)
			return SESSION_UNAVAILABLE;
	}
	if (n == 0)
		return SESSION_INVALID_TOKEN;
	if (revoked)
		return SESSION_REVOKED;
	{
		struct logout_tx l = { .user_id = user_id, .token_id = id, .all_devices = all_devices };

		rc = db_transaction(app->db, logout_tx, &l);
		if (rc == DB_ABORT)
			return SESSION_REVOKED;
		if (rc == DB_OK && all_devices) {
			char uid[EVENT_NUM_LEN], c[256];

			event_log("logout_all", "user_id", event_num(uid, user_id), "client",
			    event_strn(c, sizeof(c), client_id, client_len), (char *)NULL);
		}
	}
	return rc == DB_OK ? SESSION_OK : SESSION_UNAVAILABLE;
}

enum db_rc
session_revoke_user(struct db *db, long long user_id, unsigned long long *count)
{
	struct db_param p[] = { DB_INT(user_id) };

	return db_exec(db, "UPDATE RefreshTokens SET IsRevoked = 1, RevokedAt = UTC_TIMESTAMP() "
	    "WHERE UserId = ? AND IsRevoked = 0", p, 1, count, NULL);
}

/* ------------------------------------------------------------------ */
/* Revocation and introspection (SPEC §9)                              */
/* ------------------------------------------------------------------ */

enum session_rc
session_revoke(struct app *app, const char *token, size_t token_len,
    const char *client_id, size_t client_len)
{
	struct stored_token t;
	struct account_user u;
	char hash[REFRESH_HASH_HEX + 1];
	enum session_rc rc;

	if (refresh_hash(hash, token, token_len) != 0)
		return SESSION_INVALID_TOKEN;
	rc = token_find(app, hash, &t, &u);
	sodium_memzero(&u, sizeof(u));
	if (rc != SESSION_OK)
		return rc;
	/* RFC 7009 §2.1: only the client it was issued to may revoke it. */
	if (strlen(t.client.client_id) != client_len ||
	    memcmp(t.client.client_id, client_id, client_len) != 0)
		return SESSION_INVALID_TOKEN;
	/* SPEC §9: with its family, as reuse detection does. */
	if (db_transaction(app->db, family_revoke_tx, t.family) != DB_OK)
		return SESSION_UNAVAILABLE;
	return SESSION_OK;
}

enum session_rc
session_introspect(struct app *app, const char *token, size_t token_len,
    const char *client_id, size_t client_len, struct session_token_info *info)
{
	char hash[REFRESH_HASH_HEX + 1];
	char client[CLIENT_ID_MAX + 1];
	size_t n = 0;

	memset(info, 0, sizeof(*info));
	if (refresh_hash(hash, token, token_len) != 0)
		return SESSION_INVALID_TOKEN;
	{
		struct db_param p[] = { DB_STR(hash) };
		struct db_col c[] = {
			DB_OUT_INT(&info->user_id), DB_OUT_INT(&info->exp), DB_OUT_INT(&info->iat),
			DB_OUT_STR(info->email, sizeof(info->email)),
			DB_OUT_STR(info->scope, sizeof(info->scope)),
			DB_OUT_STR(info->url, sizeof(info->url)),
			DB_OUT_STR(client, sizeof(client)),
		};

		/* The session's time zone is UTC (db.c), so UNIX_TIMESTAMP reads
		 * the UTC DATETIMEs right. */
		if (db_query(app->db, "SELECT rt.UserId, UNIX_TIMESTAMP(rt.ExpiresAt), "
		    "UNIX_TIMESTAMP(rt.CreatedAt), u.Email, IFNULL(rt.Scope, ''), c.ClientURL, c.ClientId "
		    "FROM RefreshTokens rt JOIN Clients c ON c.Id = rt.ClientId "
		    "JOIN Users u ON u.Id = rt.UserId "
		    "WHERE rt.TokenHash = ? AND rt.IsRevoked = 0 AND rt.ExpiresAt > UTC_TIMESTAMP()",
		    p, DB_NPARAMS(p), c, DB_NPARAMS(c), NULL, NULL, &n) != DB_OK)
			return SESSION_UNAVAILABLE;
	}
	/* SPEC §9: another client's refresh token is not live for this one. */
	if (n != 1 || strlen(client) != client_len || memcmp(client, client_id, client_len) != 0) {
		memset(info, 0, sizeof(*info));
		return SESSION_INVALID_TOKEN;
	}
	return SESSION_OK;
}
