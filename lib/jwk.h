/*
 * jwk.h: public keys as JWK (RFC 7517): RSA (RFC 7518 §6.3), EC P-256
 * (RFC 7518 §6.2) and Ed25519 as OKP (RFC 8037), and their RFC 7638
 * thumbprint, which jwtauth uses as the kid. Only keys jwt_key_alg
 * (jwt.h) names an alg for are taken.
 */
#ifndef JWTAUTH_JWK_H
#define JWTAUTH_JWK_H

#include <openssl/evp.h>
#include <json-c/json.h>

#define JWK_KID_LEN 43  /* base64url of a SHA-256 digest, no padding */

/*
 * RFC 7638 §3: SHA-256, base64url, over the required members in order:
 * {"e":..,"kty":"RSA","n":..}, {"crv":"P-256","kty":"EC","x":..,"y":..}
 * or {"crv":"Ed25519","kty":"OKP","x":..}. Return 0 or -1.
 */
int jwk_thumbprint(EVP_PKEY *pub, char kid[JWK_KID_LEN + 1])
	__attribute__((warn_unused_result));

/*
 * {"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":..,"e":..},
 * {"kty":"EC","crv":"P-256","x":..,"y":..,"alg":"ES256","use":"sig","kid":kid} or
 * {"kty":"OKP","crv":"Ed25519","x":..,"alg":"EdDSA","use":"sig","kid":kid}; NULL on failure.
 */
json_object *jwk_from_pkey(EVP_PKEY *pub, const char *kid);

/* Build an RSA public key from base64url n and e (for tests and the RFC vectors), or NULL. */
EVP_PKEY *jwk_rsa_public(const char *n_b64url, const char *e_b64url);

/* Build a P-256 public key from base64url x and y (32 bytes each), or NULL. */
EVP_PKEY *jwk_ec_public(const char *x_b64url, const char *y_b64url);

/* Build an Ed25519 public key from base64url x (32 bytes), or NULL. */
EVP_PKEY *jwk_okp_public(const char *x_b64url);

#endif
