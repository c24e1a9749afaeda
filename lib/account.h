/*
 * account.h: user accounts (SPEC §3 Register, GetProfile, UpdateProfile;
 * SPEC §6 Users, Roles, UserRoles): the validation rules and messages, and
 * the reads and writes behind them. No HTTP here: the programs turn the
 * results into answers, jwtauthctl uses the same rules.
 */
#ifndef JWTAUTH_ACCOUNT_H
#define JWTAUTH_ACCOUNT_H

#include <stddef.h>

#include "pwhash.h"

struct db;

/* Column sizes of SPEC §6 in bytes (utf8mb4: up to 4 per character), plus NUL. */
#define ACCOUNT_NAME_MAX   (50 * 4 + 1)
#define ACCOUNT_EMAIL_MAX  (100 * 4 + 1)
#define ACCOUNT_ROLES_MAX  8
#define ACCOUNT_ROLE_MAX   (50 * 4 + 1)

/* A string from the request: p == NULL when the field was absent or null. */
struct account_str {
	const char *p;
	size_t len;
};

struct account_input {
	struct account_str firstname, lastname, email, password;
};

/* Called once per failing rule, in SPEC order, with the SPEC's field name and message. */
typedef void (*account_invalid_fn)(void *arg, const char *field, const char *message);

enum account_check {
	ACCOUNT_CHECK_REGISTER,   /* every rule of Register */
	ACCOUNT_CHECK_LOGIN,      /* Email and Password rules of Register (SPEC §3 Login) */
	ACCOUNT_CHECK_UPDATE      /* UpdateProfile: absent or empty fields are left alone */
};

/*
 * Report every failing rule through fn (lengths in characters as
 * rj_utf8_len counts them, email as rj_email_valid checks it). Return the
 * number of failures (0: valid).
 */
int account_validate(const struct account_input *in, enum account_check which,
    account_invalid_fn fn, void *arg);

struct account_user {
	long long id;
	char email[ACCOUNT_EMAIL_MAX];
	char firstname[ACCOUNT_NAME_MAX];
	char lastname[ACCOUNT_NAME_MAX];
	int lastname_null;
	char password[PW_HASH_MAX];         /* the encoded hash */
	size_t nroles;
	char roles[ACCOUNT_ROLES_MAX][ACCOUNT_ROLE_MAX];   /* sorted by name */
};

enum account_rc {
	ACCOUNT_OK = 0,
	ACCOUNT_NOT_FOUND = 1,
	ACCOUNT_EMAIL_TAKEN = 2,
	ACCOUNT_UNAVAILABLE = -1    /* database failure: 503 */
};

/*
 * Create a user with role User from validated input; the password is
 * hashed here (Argon2id at cost) before any database work. *id (may be
 * NULL) gets the new user's id.
 */
enum account_rc account_register(struct db *db, const struct account_input *in,
    const struct pw_cost *cost, long long *id) __attribute__((warn_unused_result));

/* Load a user (with password hash and roles) by id or by email. */
enum account_rc account_by_id(struct db *db, long long id, struct account_user *u)
	__attribute__((warn_unused_result));
enum account_rc account_by_email(struct db *db, const char *email, size_t len,
    struct account_user *u) __attribute__((warn_unused_result));

/*
 * Append role name to u->roles (then account_roles_sort: SPEC §4's
 * stable order). Return 0, or 1 when u already holds ACCOUNT_ROLES_MAX
 * roles or name does not fit (logged; the role is not added).
 */
int account_role_add(struct account_user *u, const char *name);

/* Sort u->roles by name, bytewise: the stable order of SPEC §4. */
void account_roles_sort(struct account_user *u);

/*
 * UpdateProfile: set the fields present and non-empty. A new password is
 * hashed first, and every refresh token of the user is revoked in the same
 * transaction (SPEC §3). Returns ACCOUNT_EMAIL_TAKEN when another user has
 * the email.
 */
enum account_rc account_update(struct db *db, long long id, const struct account_input *in,
    const struct pw_cost *cost) __attribute__((warn_unused_result));

/* Replace the stored hash, only if it is still old_hash (a login re-hashing a legacy hash). */
enum account_rc account_rehash(struct db *db, long long id, const char *old_hash,
    const char *pw, size_t len, const struct pw_cost *cost)
	__attribute__((warn_unused_result));

#endif
