/*
 * pwhash.c: password hashing and verification (SPEC §6, see pwhash.h).
 *
 * New hashes are Argon2id through libsodium's crypto_pwhash_str. The
 * tutorial's BCrypt.Net hashes ($2a$, $2b$, $2y$) are verified through
 * libxcrypt's crypt_r and then re-hashed by the caller (pw_needs_rehash).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "log.h"
#include "pwhash.h"

/* crypto_pwhash_str writes at most crypto_pwhash_STRBYTES into out. */
_Static_assert(PW_HASH_MAX >= crypto_pwhash_STRBYTES, "PW_HASH_MAX too small for Argon2id");

#define PW_ARGON2ID_PREFIX "$argon2id$"

/* "$2b$" + 2-digit cost + "$" + 22 salt + 31 hash characters. */
#define PW_BCRYPT_LEN 60

static int
pw_is_argon2id(const char *hash)
{
	return strncmp(hash, PW_ARGON2ID_PREFIX, sizeof(PW_ARGON2ID_PREFIX) - 1) == 0;
}

/*
 * libxcrypt takes all three prefixes (checked on Debian 12). They name the
 * same algorithm for what BCrypt.Net writes: $2b$ and $2y$ only mark fixed
 * bugs of other implementations (OpenBSD's length wrap past 255 bytes,
 * crypt_blowfish's sign extension of 8-bit bytes), and BCrypt.Net had
 * neither. libxcrypt's $2a$ keeps crypt_blowfish's 2011 countermeasure,
 * which changes the result only for 8-bit bytes that sign-extend to no
 * difference (0xff runs); valid UTF-8, which is all that JSON brings, never
 * does that, so $2a$ hashes from BCrypt.Net verify as written.
 */
static int
pw_is_bcrypt(const char *hash)
{
	return strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0;
}

int
pw_hash(char out[PW_HASH_MAX], const char *pw, size_t len, const struct pw_cost *cost)
{
	if (sodium_init() < 0) {
		log_err("sodium_init failed");
		return -1;
	}
	if (pw == NULL && len != 0) {
		log_err("no password");
		return -1;
	}
	/* ALG_ARGON2ID13 named explicitly: the default may change between releases. */
	if (crypto_pwhash_str_alg(out, pw != NULL ? pw : "", len, cost->opslimit,
	    cost->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		log_err("crypto_pwhash_str_alg failed (opslimit %llu, memlimit %zu): %s",
		    cost->opslimit, cost->memlimit, strerror(errno));
		return -1;
	}
	return 0;
}

static enum pw_rc
pw_verify_argon2id(const char *hash, const char *pw, size_t len)
{
	/*
	 * crypto_pwhash_str_verify answers -1 for a mismatch and for a
	 * malformed string alike. needs_rehash decodes the string without
	 * hashing and answers -1 only when it cannot, which tells them apart.
	 */
	if (crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN) < 0) {
		log_warn("malformed Argon2id hash");
		return PW_ERROR;
	}
	errno = 0;
	if (crypto_pwhash_str_verify(hash, pw, len) == 0)
		return PW_OK;
	/*
	 * Once the string decodes, a failure is a mismatch. libsodium 1.0.18
	 * answers EINVAL even when it could not get the hash's memory (seen
	 * with m=32 GiB), so ENOMEM is caught where it shows and the rest is
	 * refused as a mismatch: the login fails either way.
	 */
	if (errno == ENOMEM) {
		log_err("crypto_pwhash_str_verify: %s", strerror(errno));
		return PW_ERROR;
	}
	return PW_MISMATCH;
}

static enum pw_rc
pw_verify_bcrypt(const char *hash, const char *pw, size_t len)
{
	struct crypt_data *cd = NULL;
	char key[PW_BCRYPT_MAX + 1];
	const char *out;
	enum pw_rc rc = PW_ERROR;
	size_t klen;
	int refuse;

	if (strlen(hash) != PW_BCRYPT_LEN) {
		log_warn("malformed bcrypt hash");
		return PW_ERROR;
	}
	/*
	 * bcrypt reads at most 72 bytes and stops at a NUL, so a longer
	 * password, or one with a NUL inside, would be verified by a prefix
	 * of itself: refuse it (STYLE.md, traps). The hash is still computed,
	 * on the prefix, so that the refusal takes the time of a verification
	 * and does not tell that the account's hash is bcrypt.
	 */
	refuse = len > PW_BCRYPT_MAX || (len > 0 && memchr(pw, '\0', len) != NULL);
	klen = len > PW_BCRYPT_MAX ? PW_BCRYPT_MAX : len;
	if (klen > 0)
		memcpy(key, pw, klen);
	key[klen] = '\0';

	/* 32 KiB: on the heap, zeroed as crypt_r requires before first use. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		log_err("calloc: %s", strerror(errno));
		goto fail;
	}
	out = crypt_r(key, hash, cd);
	/* libxcrypt fails with NULL or with a string starting with '*'. */
	if (out == NULL || out[0] == '*') {
		log_warn("crypt_r rejected a bcrypt hash");
		goto fail;
	}
	if (strlen(out) == PW_BCRYPT_LEN && sodium_memcmp(out, hash, PW_BCRYPT_LEN) == 0 &&
	    !refuse)
		rc = PW_OK;
	else
		rc = PW_MISMATCH;
fail:
	sodium_memzero(key, sizeof(key));
	if (cd != NULL) {
		sodium_memzero(cd, sizeof(*cd));
		free(cd);
	}
	return rc;
}

enum pw_rc
pw_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || *hash == '\0' || (pw == NULL && len != 0))
		return PW_ERROR;
	if (pw == NULL)
		pw = "";
	if (pw_is_argon2id(hash))
		return pw_verify_argon2id(hash, pw, len);
	if (pw_is_bcrypt(hash))
		return pw_verify_bcrypt(hash, pw, len);
	log_warn("unsupported password hash scheme");
	return PW_ERROR;
}

int
pw_needs_rehash(const char *hash, const struct pw_cost *cost)
{
	if (hash == NULL || !pw_is_argon2id(hash))
		return 1;
	/* 0: same cost; 1: other cost; -1: malformed, replace it too. */
	return crypto_pwhash_str_needs_rehash(hash, cost->opslimit, cost->memlimit) != 0;
}

/*
 * The encoded form crypto_pwhash_str writes (the Argon2 reference PHC
 * string), with a random salt and a random "hash": verifying against it
 * costs exactly what verifying a real hash at this cost costs, and making
 * it costs nothing. (Hashing a random password instead would make the
 * first unknown user of each process pay two Argon2id runs: a timing
 * difference, measured at 390 ms against 177 ms, that told unknown users
 * from wrong passwords.)
 */
int
pw_dummy_hash(char out[PW_HASH_MAX], const struct pw_cost *cost)
{
	unsigned char salt[crypto_pwhash_SALTBYTES], tag[32];
	char salt64[sodium_base64_ENCODED_LEN(crypto_pwhash_SALTBYTES,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char tag64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	int n;

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(tag, sizeof(tag));
	sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2base64(tag64, sizeof(tag64), tag, sizeof(tag),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	/* libsodium's m is in KiB; p is always 1 in its encoder. */
	n = snprintf(out, PW_HASH_MAX, "$argon2id$v=19$m=%zu,t=%llu,p=1$%s$%s",
	    cost->memlimit / 1024, cost->opslimit, salt64, tag64);
	if (n < 0 || n >= PW_HASH_MAX) {
		log_err("dummy hash does not fit");
		return -1;
	}
	return 0;
}

/*
 * Not thread-safe: every jwtauth program handles one request at a time.
 * The dummy is remade (for free) if the cost changes, so that its time
 * stays the time of a real hash at the configured cost.
 */
void
pw_verify_dummy(const char *pw, size_t len, const struct pw_cost *cost)
{
	static char dummy[PW_HASH_MAX];
	static struct pw_cost dummy_cost;
	enum pw_rc rc;

	if (dummy[0] == '\0' || dummy_cost.opslimit != cost->opslimit ||
	    dummy_cost.memlimit != cost->memlimit) {
		if (pw_dummy_hash(dummy, cost) != 0) {
			dummy[0] = '\0';
			return;
		}
		dummy_cost = *cost;
	}
	/* The result is meaningless (no password has this hash): only the time counts. */
	rc = pw_verify(dummy, pw, len);
	(void)rc;
}
