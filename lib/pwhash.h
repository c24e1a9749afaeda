/*
 * pwhash.h: password hashing (SPEC §6).
 *
 * New hashes are Argon2id in libsodium's encoded form ($argon2id$v=19$...).
 * bcrypt hashes ($2a$, $2b$, $2y$, as written by BCrypt.Net in the tutorial's
 * database) are verified through libxcrypt's crypt_r, and are reported as
 * needing a rehash, as are Argon2id hashes below the configured cost.
 */
#ifndef JWTAUTH_PWHASH_H
#define JWTAUTH_PWHASH_H

#include <stddef.h>

#define PW_HASH_MAX 256     /* Users.Password is VARCHAR(255) */
#define PW_BCRYPT_MAX 72    /* bcrypt reads at most 72 bytes */

enum pw_rc {
	PW_OK = 0,          /* password matches */
	PW_MISMATCH = 1,    /* password does not match */
	PW_ERROR = -1       /* malformed hash, unsupported scheme, out of memory */
};

struct pw_cost {
	unsigned long long opslimit;
	size_t memlimit;
};

/* Hash pw[0..len) with Argon2id into out[PW_HASH_MAX]. Return 0 or -1. */
int pw_hash(char out[PW_HASH_MAX], const char *pw, size_t len, const struct pw_cost *cost)
	__attribute__((warn_unused_result));

/*
 * Check pw[0..len) against an encoded hash (Argon2id or bcrypt) in constant
 * time for a given hash. A bcrypt hash with a password longer than 72 bytes
 * is PW_MISMATCH: bcrypt would silently verify only the first 72 bytes.
 */
enum pw_rc pw_verify(const char *hash, const char *pw, size_t len)
	__attribute__((warn_unused_result));

/* 1 if the hash should be replaced by a fresh Argon2id one at this cost, 0 if not. */
int pw_needs_rehash(const char *hash, const struct pw_cost *cost)
	__attribute__((warn_unused_result));

/*
 * Spend the time of one verification at this cost without a real hash, so
 * that an unknown user costs what a wrong password costs (SPEC §3 Login),
 * from the first request of a process on.
 */
void pw_verify_dummy(const char *pw, size_t len, const struct pw_cost *cost);

/*
 * Write into out an encoded Argon2id hash at this cost that no password
 * matches (random salt and tag), made without running Argon2id. Return 0
 * or -1.
 */
int pw_dummy_hash(char out[PW_HASH_MAX], const struct pw_cost *cost)
	__attribute__((warn_unused_result));

#endif
