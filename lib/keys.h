/*
 * keys.h: the signing-key store (SPEC §3 JWKS, §4, §6).
 *
 * Keys live in the SigningKeys table, one alg each (SPEC §12): RSA keys
 * sign RS256, EC P-256 keys ES256, Ed25519 keys EdDSA; a key's alg is its
 * type's (jwt_key_alg), so it is not stored apart and cannot disagree with
 * the key. KeyId is the RFC 7638 thumbprint of
 * the public key (jwk_thumbprint), PublicKey its DER SubjectPublicKeyInfo,
 * PrivateKey the DER PKCS #8 private key sealed with libsodium's secretbox
 * (XSalsa20-Poly1305) under the master key: nonce (24 bytes) || MAC (16) ||
 * ciphertext. The database alone therefore never yields a usable key.
 *
 * Binding (issue 16): a writer to the database must not be able to add
 * a key of its own, which verifiers would trust and JWKS would publish.
 * So every row carries Binding = BLAKE2b-256 (crypto_generichash) keyed
 * with a key derived from the master key (crypto_kdf, subkey 1, context
 * "jwtkbind") over KeyId, alg and PublicKey. A row whose Binding is
 * missing or wrong is ignored, logged once per process, never published,
 * never used to sign. The dates and IsActive are not bound: a database
 * writer can change when a genuine key signs or stops verifying (it can
 * deny service anyway), never make a key the master key did not make
 * trusted. Verifiers thus read the master key file once, derive the
 * binding key and drop the master key: they hold a key that can bind rows
 * but opens no private key. The trade-off: every program needs read
 * access to the master key file (all of them run as one user in every
 * deployment shipped), rather than only the signers. keys_bind_rows binds
 * existing rows after migration 006 (jwtauthctl keys bind, and init).
 *
 * Master key file: the 32-byte secretbox key in standard base64 with
 * padding (44 characters), optionally followed by one newline; nothing
 * else. It must be a regular file that neither group nor others can read
 * or write (mode & 077 == 0), or it is refused. Signers and key generation
 * use it; verifiers (keys_lookup, keys_jwks) read it once, only to derive
 * the binding key (above).
 *
 * Exactly one key is active (IsActive = 1). Rotation inserts the new key
 * active and marks the old one retired (IsActive = 0) in one transaction,
 * with RetiredAt = the new key's CreatedAt + the hand-over, jwks_max_age +
 * key_cache_refresh + 2 s: RetiredAt is the moment a key stops signing.
 * jwks_max_age is also the JWKS's Cache-Control max-age, so that a
 * resource server honouring it has the new key before it meets a token
 * signed with it (issue 16); keys_rotate_now skips the hand-over. A
 * retired key keeps verifying, and stays in JWKS, until
 * access_token_lifetime + clock_skew
 * after RetiredAt, so that rotation never breaks a live token (SPEC §3);
 * then it is neither trusted nor published. ExpiresAt is not used (it
 * stays NULL): rotation is driven by keys_rotate_if_older, typically from
 * cron.
 *
 * Caching, per process: the public keys are re-read at most every
 * key_cache_refresh seconds, on demand, so an unknown kid (even a flood of
 * garbage ones) costs at most one query per interval. A new key may thus
 * be unknown to a verifier for that long, so it does not sign at once: the
 * signing key is the newest key, active or not yet past its RetiredAt,
 * created at least the hand-over ago (else the oldest). After a
 * rotation the old key goes on signing until its RetiredAt, the moment the
 * new key is old enough; a verifier that then meets a token of the new key
 * holds a cache older than key_cache_refresh, and re-reads it. (The 2 s:
 * DATETIME drops the fraction of a second, and the commit follows the
 * reading of the time.) The signer asks the database at most every
 * key_cache_refresh seconds, and again the moment its key's RetiredAt
 * passes.
 *
 * Pointers returned (EVP_PKEY, kid) are borrowed from the cache and valid
 * until the next keys_* call on the same struct keys. Not thread-safe: one
 * struct keys per thread, like struct db.
 */
#ifndef JWTAUTH_KEYS_H
#define JWTAUTH_KEYS_H

#include <openssl/evp.h>
#include <json-c/json.h>

#include "jwk.h"

struct cfg;
struct db;
struct keys;

enum keys_rc {
	KEYS_OK = 0,
	KEYS_NONE = 1,          /* no active key: 503 "No active signing key available." */
	KEYS_UNAVAILABLE = -1   /* database, master key or decryption failure: 503 */
};

/* A signing key as keys_list reports it; strings are UTC "YYYY-MM-DD HH:MM:SS". */
struct keys_info {
	const char *kid;
	const char *alg;        /* "RS256", "ES256", "EdDSA"; "?" for a row holding no key of ours */
	const char *created;
	const char *retired;    /* NULL while never retired; may be ahead (when it stops signing) */
	int active;             /* 1: the active key */
	int published;          /* 1: verifies and is in JWKS (active, or retired within grace) */
};

typedef int (*keys_list_fn)(void *arg, const struct keys_info *info);

/* For keys_jwt_lookup: pass a pointer to one as jwt_verify_opts.key_arg. */
struct keys_lookup_arg {
	struct keys *keys;
	struct db *db;
};

/* Copy what is needed from cfg. Return 0, or -1 (out of memory, logged). */
int keys_open(struct keys **out, const struct cfg *cfg) __attribute__((warn_unused_result));
void keys_close(struct keys *keys);

/*
 * The key to sign with (see above: right after a rotation, the old one)
 * and its kid, both borrowed. Return KEYS_OK, KEYS_NONE when no key is
 * active, KEYS_UNAVAILABLE on a database, master key or decryption failure
 * (logged).
 */
enum keys_rc keys_active(struct keys *keys, struct db *db, EVP_PKEY **priv, const char **kid)
	__attribute__((warn_unused_result));

/* The published public key named kid (borrowed), or NULL if there is none. */
EVP_PKEY *keys_lookup(struct keys *keys, struct db *db, const char *kid)
	__attribute__((warn_unused_result));

/*
 * 1 if the last keys_lookup found nothing while the database could not be
 * read (the kid may be a key this process has not seen yet): the caller
 * answers 503, not 401 (SPEC §2). 0 otherwise.
 */
int keys_lookup_unavailable(const struct keys *keys);

/* keys_lookup as a jwt_key_lookup_fn (lib/jwt.h); arg is a struct keys_lookup_arg *. */
EVP_PKEY *keys_jwt_lookup(void *arg, const char *kid);

/*
 * {"keys":[...]}: the active key first, then the retired keys still within
 * grace, newest first (SPEC §3). Caller puts it. NULL on failure, logged; an
 * empty store gives {"keys":[]}.
 */
json_object *keys_jwks(struct keys *keys, struct db *db);

/*
 * The alg of the keys keys_generate and keys_rotate_if_older make from now
 * on (the config's signing_alg until then): "RS256", "ES256" or "EdDSA".
 * Return 0, or -1 for any other name (logged).
 */
int keys_set_alg(struct keys *keys, const char *alg) __attribute__((warn_unused_result));

/*
 * Generate a key of the alg keys_set_alg names (an RSA key of bits bits,
 * 0: the config's rsa_key_bits, else 2048..8192; for ES256 and EdDSA bits
 * must be 0), make it the active key and retire the previous one, in one
 * transaction. The hand-over is the same whatever the algs (see above):
 * tokens of the retired key, of any alg, verify until they expire. kid_out (may be NULL) gets the new kid. Return KEYS_OK or
 * KEYS_UNAVAILABLE.
 */
enum keys_rc keys_generate(struct keys *keys, struct db *db, unsigned int bits,
    char kid_out[JWK_KID_LEN + 1]) __attribute__((warn_unused_result));

/*
 * The first key: generate one (as keys_generate) only if no key is active;
 * *created gets 1 if it did, 0 if another was active or became active
 * meanwhile (two concurrent callers make one key). Return KEYS_OK or
 * KEYS_UNAVAILABLE.
 */
enum keys_rc keys_init_active(struct keys *keys, struct db *db, int *created,
    char kid_out[JWK_KID_LEN + 1]) __attribute__((warn_unused_result));

/*
 * Emergency rotation: as keys_generate with the config's size, but the new
 * key signs at once, with no hand-over. Verifiers that cached the JWKS (up
 * to jwks_max_age) or the keys (key_cache_refresh, jwtauth's own programs)
 * refuse the new key's tokens until they fetch the keys again. The old key
 * still verifies for its grace. Return KEYS_OK or KEYS_UNAVAILABLE.
 */
enum keys_rc keys_rotate_now(struct keys *keys, struct db *db, char kid_out[JWK_KID_LEN + 1])
	__attribute__((warn_unused_result));

/*
 * Rotate (as keys_generate with the config's size) when no key is active or
 * the active key was created at least days days ago; *rotated gets 1 if it
 * did, 0 if not. The age is checked again inside the rotating transaction,
 * so concurrent runs rotate once. Return KEYS_OK or KEYS_UNAVAILABLE.
 */
enum keys_rc keys_rotate_if_older(struct keys *keys, struct db *db, unsigned int days,
    int *rotated, char kid_out[JWK_KID_LEN + 1]) __attribute__((warn_unused_result));

/*
 * Add an existing private key (RSA, 2048 to 8192 bits), sealed and bound,
 * as a key retired now: it verifies and is published for the grace
 * (access_token_lifetime + clock_skew), and never signs. For tokens of a
 * server being replaced, and for tests. kid_out (may be NULL) gets its
 * kid. Return KEYS_OK or KEYS_UNAVAILABLE (logged; also when the kid exists).
 */
enum keys_rc keys_import(struct keys *keys, struct db *db, EVP_PKEY *priv,
    char kid_out[JWK_KID_LEN + 1]) __attribute__((warn_unused_result));

/*
 * Bind every row that the master key made (its sealed private key opens
 * and is the key its KeyId and PublicKey name) and whose binding is
 * missing or stale. *bound gets how many were bound now, *refused how many
 * rows the master key did not make (each logged, left as they are).
 * Return 0, or -1 on a database or master-key failure (logged).
 */
int keys_bind_rows(struct keys *keys, struct db *db, unsigned int *bound, unsigned int *refused)
	__attribute__((warn_unused_result));

/*
 * Call fn for every row of SigningKeys, newest first, until it returns
 * non-zero. Return 0, or -1 on a database failure.
 */
int keys_list(struct keys *keys, struct db *db, keys_list_fn fn, void *arg)
	__attribute__((warn_unused_result));

/*
 * Write a new random master key to path, mode 0600, never replacing an
 * existing file (written aside, then link(2)), so that a concurrent call
 * never reads half a key. Return 0 when created, 1 when path already exists
 * (left untouched, nothing logged), -1 on failure (logged).
 */
int keys_master_create(const char *path) __attribute__((warn_unused_result));

/*
 * Load the master key file named in the config now, as signing would, to
 * check it. Return 0 or -1 (logged with the reason).
 */
int keys_master_check(struct keys *keys) __attribute__((warn_unused_result));

/* How many times the public-key cache was read from the database (tests, debugging). */
unsigned long keys_reload_count(const struct keys *keys);

#endif
