/*
 * jwt.h: JWS compact serialization with RS256, ES256 and EdDSA (RFC 7515,
 * RFC 7518 §3.3-3.4, RFC 8037) and the JWT claim checks of SPEC §4
 * (RFC 7519, RFC 8725).
 *
 * RFC 8725 §3.1: every key has exactly one algorithm, given by its type
 * (jwt_key_alg): RSA (2048 bits or more) RS256, EC P-256 ES256, Ed25519
 * EdDSA. The verifier looks the key up by kid and refuses the token unless
 * its header's "alg" is exactly that key's alg; the header never chooses a
 * code path. "none", HS*, and any other name are refused before a key is
 * looked up. A header that names a key by jwk, jku, x5u, x5c or crit is
 * refused: keys come only from our own key store, looked up by kid.
 *
 * ES256 signatures are the 64-byte R || S (RFC 7518 §3.4), never DER; R
 * and S must be in 1..n-1. A high S (s > n/2) is accepted: it is valid
 * ECDSA (RFC 7518 asks for no low-S form, and other JOSE signers emit it),
 * and the malleability it allows gives nothing: (r, n - s) signs the same
 * header and payload, so it is the same token's claims for the same
 * bearer, with the same jti and exp.
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
	JWT_BAD_ALG,            /* alg is not the alg of the key kid names, or a forbidden header is present */
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
 * The JWS alg of key: "RS256", "ES256" or "EdDSA", or NULL (logged) when
 * it is no signing key of ours (RSA below 2048 bits, another curve, ...).
 */
const char *jwt_key_alg(EVP_PKEY *key);

/*
 * Sign header and payload (exact bytes, not re-serialised) with priv's
 * alg (the caller's header should name it) and return the compact JWS as
 * a malloc'd string, or NULL on failure.
 */
char *jwt_sign_compact(EVP_PKEY *priv, const char *header, size_t hlen,
    const char *payload, size_t plen) __attribute__((warn_unused_result));

/*
 * Sign claims with header {"alg":ALG,"typ":"at+jwt","kid":kid}, ALG being
 * jwt_key_alg(priv).
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

/*
 * Check only the signature of a compact JWS with key, the header's alg
 * pinned to the key's as jwt_verify pins it; no kid, no claims. For the
 * known-answer vectors of the RFCs, which have no kid. JWT_OK,
 * JWT_MALFORMED, JWT_BAD_ALG, JWT_BAD_SIGNATURE or JWT_ERROR.
 */
enum jwt_rc jwt_verify_signature(EVP_PKEY *key, const char *token, size_t len)
	__attribute__((warn_unused_result));

/* The text for WWW-Authenticate error_description and the JSON message. */
const char *jwt_strerror(enum jwt_rc rc);

#endif
