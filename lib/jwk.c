/*
 * jwk.c: RSA public keys as JWK (RFC 7517 §4, RFC 7518 §6.3.1) and their
 * RFC 7638 thumbprint, which jwtauth publishes as the kid.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "jwk.h"
#include "log.h"

/* Largest modulus we accept in a JWK: 16384 bits. */
#define JWK_RSA_MAX_BYTES 2048

/*
 * Return the base64url encoding of one RSA public parameter (name is
 * OSSL_PKEY_PARAM_RSA_N or _E) as a malloc'd string, or NULL.
 * RFC 7518 §6.3.1.1-2: unsigned big-endian, the minimal number of octets,
 * which is what BN_bn2bin writes.
 */
static char *
jwk_param_b64(EVP_PKEY *pub, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char *bin = NULL;
	char *out = NULL;
	int len;

	if (EVP_PKEY_get_bn_param(pub, name, &bn) != 1) {
		log_err("cannot read RSA parameter %s", name);
		goto fail;
	}
	len = BN_num_bytes(bn);
	if (len <= 0 || len > JWK_RSA_MAX_BYTES) {
		log_err("RSA parameter %s has a bad size (%d bytes)", name, len);
		goto fail;
	}
	if ((bin = malloc((size_t)len)) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	if (BN_bn2bin(bn, bin) != len) {
		log_err("BN_bn2bin failed for %s", name);
		goto fail;
	}
	out = b64url_encode_alloc(bin, (size_t)len);
fail:
	free(bin);
	BN_free(bn);
	ERR_clear_error();
	return out;
}

static int
jwk_is_rsa(EVP_PKEY *pub)
{
	if (pub == NULL || EVP_PKEY_is_a(pub, "RSA") != 1) {
		log_err("not an RSA key");
		return 0;
	}
	return 1;
}

int
jwk_thumbprint(EVP_PKEY *pub, char kid[JWK_KID_LEN + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *n = NULL, *e = NULL, *canon = NULL;
	size_t cap;
	int len, rc = -1;

	if (!jwk_is_rsa(pub))
		return -1;
	if ((n = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_N)) == NULL ||
	    (e = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_E)) == NULL)
		goto fail;

	/*
	 * RFC 7638 §3.2-3.3: the required members only (e, kty, n for RSA),
	 * in lexicographic order, no whitespace. The base64url values need no
	 * JSON escaping, so the string is built directly.
	 */
	cap = strlen(n) + strlen(e) + sizeof("{\"e\":\"\",\"kty\":\"RSA\",\"n\":\"\"}");
	if ((canon = malloc(cap)) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	len = snprintf(canon, cap, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
	if (len < 0 || (size_t)len >= cap) {
		log_err("thumbprint input truncated");
		goto fail;
	}

	/* RFC 7638 §3.1: SHA-256 over the UTF-8 octets, then base64url. */
	if (EVP_Digest(canon, (size_t)len, digest, &dlen, EVP_sha256(), NULL) != 1 ||
	    dlen != 32) {
		log_err("SHA-256 failed");
		ERR_clear_error();
		goto fail;
	}
	if (b64url_encode(kid, JWK_KID_LEN + 1, digest, dlen) != 0) {
		log_err("cannot encode thumbprint");
		goto fail;
	}
	rc = 0;
fail:
	free(canon);
	free(n);
	free(e);
	return rc;
}

/* Add a string member to obj. Return 0 or -1. */
static int
jwk_add_str(json_object *obj, const char *key, const char *val)
{
	json_object *s;

	if ((s = json_object_new_string(val)) == NULL)
		return -1;
	if (json_object_object_add(obj, key, s) != 0) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

json_object *
jwk_from_pkey(EVP_PKEY *pub, const char *kid)
{
	json_object *obj = NULL;
	char *n = NULL, *e = NULL;

	if (kid == NULL || !jwk_is_rsa(pub))
		return NULL;
	if ((n = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_N)) == NULL ||
	    (e = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_E)) == NULL)
		goto fail;
	/*
	 * RFC 7517 §4 and RFC 7518 §6.3.1: public members only. json-c keeps
	 * insertion order, so the output reads as SPEC §3 shows it.
	 */
	if ((obj = json_object_new_object()) == NULL ||
	    jwk_add_str(obj, "kty", "RSA") != 0 ||
	    jwk_add_str(obj, "use", "sig") != 0 ||
	    jwk_add_str(obj, "alg", "RS256") != 0 ||
	    jwk_add_str(obj, "kid", kid) != 0 ||
	    jwk_add_str(obj, "n", n) != 0 ||
	    jwk_add_str(obj, "e", e) != 0) {
		log_err("cannot build JWK");
		json_object_put(obj);
		obj = NULL;
	}
fail:
	free(n);
	free(e);
	return obj;
}

/*
 * Decode one base64url RSA parameter into a BIGNUM. RFC 7518 §6.3.1.1:
 * the minimal octet string, so a leading zero octet is refused.
 */
static BIGNUM *
jwk_b64_bn(const char *s)
{
	unsigned char *bin = NULL;
	size_t len, n = 0;
	BIGNUM *bn = NULL;

	if (s == NULL || (len = strlen(s)) == 0)
		return NULL;
	if (len > b64url_encoded_len(JWK_RSA_MAX_BYTES)) {
		log_err("RSA parameter too long");
		return NULL;
	}
	if ((bin = malloc(JWK_RSA_MAX_BYTES)) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	if (b64url_decode(bin, JWK_RSA_MAX_BYTES, &n, s, len) != 0 || n == 0 ||
	    bin[0] == 0) {
		log_err("RSA parameter is not canonical base64url of a minimal integer");
		goto fail;
	}
	if ((bn = BN_bin2bn(bin, (int)n, NULL)) == NULL)
		log_err("BN_bin2bn failed");
fail:
	free(bin);
	return bn;
}

EVP_PKEY *
jwk_rsa_public(const char *n_b64url, const char *e_b64url)
{
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if ((n = jwk_b64_bn(n_b64url)) == NULL || (e = jwk_b64_bn(e_b64url)) == NULL)
		goto fail;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		log_err("cannot build RSA parameters");
		goto fail;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		log_err("cannot build RSA public key");
		pkey = NULL;
		goto fail;
	}
fail:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}
