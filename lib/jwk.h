/*
 * jwk.h: RSA public keys as JWK (RFC 7517, RFC 7518 §6.3) and their
 * RFC 7638 thumbprint, which jwtauth uses as the kid.
 */
#ifndef JWTAUTH_JWK_H
#define JWTAUTH_JWK_H

#include <openssl/evp.h>
#include <json-c/json.h>

#define JWK_KID_LEN 43  /* base64url of a SHA-256 digest, no padding */

/* RFC 7638 §3: SHA-256 over {"e":..,"kty":"RSA","n":..}, base64url. Return 0 or -1. */
int jwk_thumbprint(EVP_PKEY *pub, char kid[JWK_KID_LEN + 1])
	__attribute__((warn_unused_result));

/* {"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":..,"e":..}, or NULL. */
json_object *jwk_from_pkey(EVP_PKEY *pub, const char *kid);

/* Build an RSA public key from base64url n and e (for tests and the RFC vectors), or NULL. */
EVP_PKEY *jwk_rsa_public(const char *n_b64url, const char *e_b64url);

#endif
