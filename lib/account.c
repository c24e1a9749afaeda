/*
 * account.c: user accounts (see account.h).
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "account.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "pwhash.h"
#include "reqjson.h"
#include "session.h"

/* ------------------------------------------------------------------ */
/* Validation (SPEC §3 Register)                                       */
/* ------------------------------------------------------------------ */

/* ASP.NET's [Required]: null, empty and white-space-only strings fail. */
static int
is_blank(const struct account_str *f)
{
	return rj_blank(f->p, f->len);
}

int
account_validate(const struct account_input *in, enum account_check which,
    account_invalid_fn fn, void *arg)
{
	int bad = 0;
	int update = which == ACCOUNT_CHECK_UPDATE;

#define FAIL(field, msg) do { fn(arg, (field), (msg)); bad++; } while (0)

	/*
	 * Like ASP.NET's data annotations, the length and format rules pass
	 * on an absent (null) field: only [Required] reports it. An update
	 * ignores absent and empty fields altogether.
	 */
	if (which != ACCOUNT_CHECK_LOGIN) {
		const struct account_str *f = &in->firstname;

		if (!update || (f->p != NULL && f->len > 0)) {
			if (f->p == NULL || is_blank(f))
				FAIL("Firstname", "First name is required.");
			if (f->p != NULL && rj_utf8_len(f->p, f->len) > 50)
				FAIL("Firstname", "First name must be less than or equal to 50 characters.");
		}
		f = &in->lastname;
		if (f->p != NULL && rj_utf8_len(f->p, f->len) > 50)
			FAIL("Lastname", "Last name must be less than or equal to 50 characters.");
	}

	{
		const struct account_str *f = &in->email;

		if (!update || (f->p != NULL && f->len > 0)) {
			if (f->p == NULL || is_blank(f))
				FAIL("Email", "Email is required.");
			if (f->p != NULL && !rj_email_valid(f->p, f->len))
				FAIL("Email", "Invalid email address.");
			if (f->p != NULL && rj_utf8_len(f->p, f->len) > 100)
				FAIL("Email", "Email must be less than or equal to 100 characters.");
		}
	}

	{
		const struct account_str *f = &in->password;

		if (!update || (f->p != NULL && f->len > 0)) {
			if (f->p == NULL || is_blank(f))
				FAIL("Password", "Password is required.");
			if (f->p != NULL && rj_utf8_len(f->p, f->len) < 6)
				FAIL("Password", "Password must be at least 6 characters long.");
			if (f->p != NULL && rj_utf8_len(f->p, f->len) > 100)
				FAIL("Password", "Password must be less than or equal to 100 characters.");
		}
	}
#undef FAIL
	return bad;
}

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

/*
 * A user and its roles in one query (one round trip): a row per role, the
 * user's columns repeated, or a single row with a NULL role for a user
 * without any. SPEC §4: roles in a stable order, which account_roles_sort
 * gives them here rather than an ORDER BY, which costs MariaDB a
 * temporary table and a filesort on every login and refresh (EXPLAIN).
 */
#define SQL_USER_WITH_ROLES \
    "SELECT u.Id, u.Email, u.Firstname, u.Lastname, u.Password, r.Name FROM Users u " \
    "LEFT JOIN UserRoles ur ON ur.UserId = u.Id LEFT JOIN Roles r ON r.Id = ur.RoleId "
static const char sql_user_by_id[] = SQL_USER_WITH_ROLES "WHERE u.Id = ?";
static const char sql_user_by_email[] = SQL_USER_WITH_ROLES "WHERE u.Email = ?";

struct roles_row {
	struct account_user *u;
	char name[ACCOUNT_ROLE_MAX];
	int name_null;
};

int
account_role_add(struct account_user *u, const char *name)
{
	size_t len = strlen(name);

	if (u->nroles == ACCOUNT_ROLES_MAX || len >= ACCOUNT_ROLE_MAX) {
		log_warn("user %lld has more than %d roles, or one longer than %d bytes; "
		    "the rest are ignored", u->id, ACCOUNT_ROLES_MAX, ACCOUNT_ROLE_MAX - 1);
		return 1;
	}
	memcpy(u->roles[u->nroles++], name, len + 1);
	return 0;
}

static int
role_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
account_roles_sort(struct account_user *u)
{
	qsort(u->roles, u->nroles, sizeof(u->roles[0]), role_cmp);
}

static int
roles_add(void *arg)
{
	struct roles_row *r = arg;

	return r->name_null ? 0 : account_role_add(r->u, r->name);
}

static enum account_rc
user_load(struct db *db, const char *sql, const struct db_param *p, struct account_user *u)
{
	size_t n = 0;
	struct roles_row r = { .u = u };
	struct db_col c[] = {
		DB_OUT_INT(&u->id),
		DB_OUT_STR(u->email, sizeof(u->email)),
		DB_OUT_STR(u->firstname, sizeof(u->firstname)),
		DB_OUT_STR_N(u->lastname, sizeof(u->lastname), &u->lastname_null),
		DB_OUT_STR(u->password, sizeof(u->password)),
		DB_OUT_STR_N(r.name, sizeof(r.name), &r.name_null),
	};

	memset(u, 0, sizeof(*u));
	/* SPEC §11: a login right after a register, a password change or a
	 * grant through another node sees it. */
	if (db_query_latest(db, sql, p, 1, c, DB_NPARAMS(c), roles_add, &r, &n) != DB_OK) {
		sodium_memzero(u, sizeof(*u));
		return ACCOUNT_UNAVAILABLE;
	}
	account_roles_sort(u);
	return n == 0 ? ACCOUNT_NOT_FOUND : ACCOUNT_OK;
}

enum account_rc
account_by_id(struct db *db, long long id, struct account_user *u)
{
	struct db_param p[] = { DB_INT(id) };

	return user_load(db, sql_user_by_id, p, u);
}

enum account_rc
account_by_email(struct db *db, const char *email, size_t len, struct account_user *u)
{
	struct db_param p[] = { DB_STRN(email, len) };

	return user_load(db, sql_user_by_email, p, u);
}

/* ------------------------------------------------------------------ */
/* Writes                                                              */
/* ------------------------------------------------------------------ */

struct register_tx {
	const struct account_input *in;
	const char *hash;
	long long id;
};

static enum db_rc
register_tx(struct db *db, void *arg)
{
	struct register_tx *t = arg;
	unsigned long long id = 0, n = 0;
	enum db_rc rc;
	struct db_param user[] = {
		DB_STRN(t->in->firstname.p, t->in->firstname.len),
		t->in->lastname.p != NULL && t->in->lastname.len > 0 ?
		    DB_STRN(t->in->lastname.p, t->in->lastname.len) : DB_NULLP,
		DB_STRN(t->in->email.p, t->in->email.len),
		DB_STR(t->hash),
	};

	rc = db_exec(db, "INSERT INTO Users (Firstname, Lastname, Email, Password) "
	    "VALUES (?, ?, ?, ?)", user, DB_NPARAMS(user), NULL, &id);
	if (rc != DB_OK)
		return rc;
	t->id = (long long)id;

	struct db_param role[] = { DB_INT(t->id) };
	rc = db_exec(db, "INSERT INTO UserRoles (UserId, RoleId) "
	    "SELECT ?, Id FROM Roles WHERE Name = 'User'", role, DB_NPARAMS(role), &n, NULL);
	if (rc != DB_OK)
		return rc;
	if (n != 1) {
		log_err("role User is missing: apply sql/seed.sql");
		return DB_UNAVAILABLE;
	}
	return DB_OK;
}

enum account_rc
account_register(struct db *db, const struct account_input *in,
    const struct pw_cost *cost, long long *id)
{
	char hash[PW_HASH_MAX];
	struct register_tx t = { .in = in, .hash = hash };
	enum db_rc rc;

	/* Hash outside the transaction: it is the slow part, and a retried
	 * transaction must not pay it twice. */
	if (pw_hash(hash, in->password.p, in->password.len, cost) != 0)
		return ACCOUNT_UNAVAILABLE;
	rc = db_transaction(db, register_tx, &t);
	sodium_memzero(hash, sizeof(hash));
	if (rc == DB_DUPLICATE)
		return ACCOUNT_EMAIL_TAKEN;
	if (rc != DB_OK)
		return ACCOUNT_UNAVAILABLE;
	if (id != NULL)
		*id = t.id;
	return ACCOUNT_OK;
}

struct update_tx {
	long long id;
	const struct account_input *in;
	const char *hash;           /* NULL: password unchanged */
	int found;
};

static enum db_rc
update_tx(struct db *db, void *arg)
{
	struct update_tx *t = arg;
	const struct account_input *in = t->in;
	long long id = 0;
	size_t n = 0;
	enum db_rc rc;
	struct db_param pid[] = { DB_INT(t->id) };
	struct db_col cid[] = { DB_OUT_INT(&id) };

	t->found = 0;
	rc = db_query(db, "SELECT Id FROM Users WHERE Id = ? FOR UPDATE",
	    pid, DB_NPARAMS(pid), cid, DB_NPARAMS(cid), NULL, NULL, &n);
	if (rc != DB_OK)
		return rc;
	if (n == 0)
		return DB_ABORT;
	t->found = 1;

	/* One statement per field: each is a fixed, prepared text. */
	if (in->firstname.p != NULL && in->firstname.len > 0) {
		struct db_param p[] = { DB_STRN(in->firstname.p, in->firstname.len), DB_INT(t->id) };
		rc = db_exec(db, "UPDATE Users SET Firstname = ? WHERE Id = ?", p, 2, NULL, NULL);
		if (rc != DB_OK)
			return rc;
	}
	if (in->lastname.p != NULL && in->lastname.len > 0) {
		struct db_param p[] = { DB_STRN(in->lastname.p, in->lastname.len), DB_INT(t->id) };
		rc = db_exec(db, "UPDATE Users SET Lastname = ? WHERE Id = ?", p, 2, NULL, NULL);
		if (rc != DB_OK)
			return rc;
	}
	if (in->email.p != NULL && in->email.len > 0) {
		struct db_param p[] = { DB_STRN(in->email.p, in->email.len), DB_INT(t->id) };
		rc = db_exec(db, "UPDATE Users SET Email = ? WHERE Id = ?", p, 2, NULL, NULL);
		if (rc != DB_OK)
			return rc;
	}
	if (t->hash != NULL) {
		struct db_param p[] = { DB_STR(t->hash), DB_INT(t->id) };
		rc = db_exec(db, "UPDATE Users SET Password = ? WHERE Id = ?", p, 2, NULL, NULL);
		if (rc != DB_OK)
			return rc;
		/* SPEC §3: a password change ends every session of the user. */
		rc = session_revoke_user(db, t->id, NULL);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

enum account_rc
account_update(struct db *db, long long id, const struct account_input *in,
    const struct pw_cost *cost)
{
	char hash[PW_HASH_MAX];
	struct update_tx t = { .id = id, .in = in };
	enum db_rc rc;

	if (in->password.p != NULL && in->password.len > 0) {
		if (pw_hash(hash, in->password.p, in->password.len, cost) != 0)
			return ACCOUNT_UNAVAILABLE;
		t.hash = hash;
	}
	rc = db_transaction(db, update_tx, &t);
	if (t.hash != NULL)
		sodium_memzero(hash, sizeof(hash));
	if (rc == DB_DUPLICATE)
		return ACCOUNT_EMAIL_TAKEN;
	if (rc == DB_ABORT && !t.found)
		return ACCOUNT_NOT_FOUND;
	if (rc != DB_OK)
		return ACCOUNT_UNAVAILABLE;
	if (t.hash != NULL) {
		char n[EVENT_NUM_LEN];

		event_log("password_change", "user_id", event_num(n, id),
		    "sessions", "revoked", (char *)NULL);
	}
	return ACCOUNT_OK;
}

enum account_rc
account_rehash(struct db *db, long long id, const char *old_hash,
    const char *pw, size_t len, const struct pw_cost *cost)
{
	char hash[PW_HASH_MAX];
	enum db_rc rc;

	if (pw_hash(hash, pw, len, cost) != 0)
		return ACCOUNT_UNAVAILABLE;
	/* Only if nobody changed the password meanwhile. */
	struct db_param p[] = { DB_STR(hash), DB_INT(id), DB_STR(old_hash) };
	rc = db_exec(db, "UPDATE Users SET Password = ? WHERE Id = ? AND Password = ?",
	    p, DB_NPARAMS(p), NULL, NULL);
	sodium_memzero(hash, sizeof(hash));
	return rc == DB_OK ? ACCOUNT_OK : ACCOUNT_UNAVAILABLE;
}
