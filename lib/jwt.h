/*
 * jwt.h: JWS compact serialization with RS256 only (RFC 7515, RFC 7518 §3.3)
 * and the JWT claim checks of SPEC §4 (RFC 7519, RFC 8725).
 *
 * RFC 8725 §3.1: the algorithm is pinned to RS256 by the verifier; the
 * token's "alg" is only compared against it, never used to choose a code
 * path. A header that names a key by jwk, jku, x5u, x5c or crit is refused:
 * keys come only from our own key store, looked up by kid.
 */
#ifndef JWTAUTH_JWT_H
#define JWTAUTH_JWT_H

#include <stddef.h>
#include <openssl/evp.h>
#include <json-c/json.h>

#define JWT_MAX_LEN 8192        /* SPEC §4: a bearer token is at most 8 KiB */
#define JWT_KID_MAX 128         /* longest kid we look up */

struct jwtcache;

enum jwt_rc {
	JWT_OK = 0,
	JWT_MALFORMED,          /* not three canonical base64url parts of JSON objects, too long, ... */
	JWT_BAD_ALG,            /* alg is not RS256, or a forbidden header is present */
	JWT_UNKNOWN_KID,        /* kid absent or not a published key */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,            /* exp missing, not an integer, or past (with skew) */
	JWT_NOT_YET_VALID,      /* nbf or iat in the future (with skew) */
	JWT_BAD_ISSUER,
	JWT_BAD_AUDIENCE,
	JWT_BAD_TYPE,           /* typ is not "at+jwt" (RFC 9068 §2.1): not an access token */
	JWT_ERROR = -1          /* internal failure (out of memory, OpenSSL) */
};

/* Return the key for kid (borrowed, must stay valid during the call), or NULL. */
typedef EVP_PKEY *(*jwt_key_lookup_fn)(void *arg, const char *kid);
/* Return 1 if aud names an accepted audience, 0 if not. */
typedef int (*jwt_aud_check_fn)(void *arg, const char *aud);

struct jwt_verify_opts {
	const char *issuer;             /* required value of "iss" */
	long long now;                  /* seconds since the epoch */
	unsigned int skew;              /* clock skew allowed on exp, nbf, iat */
	jwt_key_lookup_fn key_lookup;
	void *key_arg;
	jwt_aud_check_fn aud_check;     /* "aud" may be a string or an array: one accepted value suffices */
	void *aud_arg;
	struct jwtcache *cache;         /* optional: tokens verified before (jwtcache.h) */
};

/*
 * Sign header and payload (exact bytes, not re-serialised) with RS256 and
 * return the compact JWS as a malloc'd string, or NULL on failure.
 */
char *jwt_sign_compact(EVP_PKEY *priv, const char *header, size_t hlen,
    const char *payload, size_t plen) __attribute__((warn_unused_result));

/*
 * Sign claims with header {"alg":"RS256","typ":"at+jwt","kid":kid}.
 * Return a malloc'd compact JWS or NULL.
 */
char *jwt_sign(EVP_PKEY *priv, const char *kid, json_object *claims)
	__attribute__((warn_unused_result));

/*
 * Verify a compact JWS of len bytes and check its claims as SPEC §4 says.
 * On JWT_OK and claims != NULL, *claims gets the payload object (caller
 * calls json_object_put, and only reads it: it may be shared with the
 * cache). On failure *claims is NULL.
 *
 * With opts->cache, a token whose exact bytes verified before, under the
 * key its kid still names, skips decoding and the signature check; its
 * claims are checked again as on the first time. Any other outcome takes
 * the full path, so the answer is always the one the full path gives.
 */
enum jwt_rc jwt_verify(const char *token, size_t len, const struct jwt_verify_opts *opts,
    json_object **claims) __attribute__((warn_unused_result));

/* The text for WWW-Authenticate error_description and the JSON message. */
const char *jwt_strerror(enum jwt_rc rc);

#endif
