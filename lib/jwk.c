/*
 * jwk.c: public keys as JWK (RFC 7517 §4): RSA (RFC 7518 §6.3.1), EC P-256
 * (RFC 7518 §6.2.1) and Ed25519 as OKP (RFC 8037 §2), and their RFC 7638
 * thumbprint, which jwtauth publishes as the kid.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "jwk.h"
#include "jwt.h"
#include "log.h"

/* Largest modulus we accept in a JWK: 16384 bits. */
#define JWK_RSA_MAX_BYTES 2048
/* RFC 7518 §6.2.1.2-3: x and y of a P-256 point, 32 octets each, padded. */
#define JWK_P256_COORD 32
/* RFC 8037 §2: the x of an Ed25519 key is its 32-byte public key. */
#define JWK_ED25519_LEN 32

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

/*
 * The public members of a key of ours, base64url: RSA n and e, EC x and
 * y, OKP x (b NULL). Which keys are ours is jwt_key_alg's to say (RFC 8725
 * §3.1: one alg per key), so the JWK's alg is the one the verifier pins.
 */
struct jwk_pub {
	const char *alg;        /* "RS256", "ES256", "EdDSA" */
	char *a;                /* RSA n; EC and OKP x */
	char *b;                /* RSA e; EC y; NULL for OKP */
};

static void
jwk_pub_free(struct jwk_pub *m)
{
	free(m->a);
	free(m->b);
}

/* One P-256 coordinate (OSSL_PKEY_PARAM_EC_PUB_X or _Y), left-padded, base64url. */
static char *
jwk_coord_b64(EVP_PKEY *pub, const char *name)
{
	unsigned char bin[JWK_P256_COORD];
	BIGNUM *bn = NULL;
	char *out = NULL;

	if (EVP_PKEY_get_bn_param(pub, name, &bn) != 1 ||
	    BN_bn2binpad(bn, bin, sizeof(bin)) != (int)sizeof(bin))
		log_err("cannot read EC coordinate %s", name);
	else
		out = b64url_encode_alloc(bin, sizeof(bin));
	BN_free(bn);
	ERR_clear_error();
	return out;
}

/* Fill m for pub. Return 0, or -1 (logged) when pub is no key of ours. */
static int
jwk_pub_read(EVP_PKEY *pub, struct jwk_pub *m)
{
	unsigned char raw[JWK_ED25519_LEN];
	size_t rawlen = sizeof(raw);

	memset(m, 0, sizeof(*m));
	if ((m->alg = jwt_key_alg(pub)) == NULL)
		return -1;
	if (strcmp(m->alg, "RS256") == 0) {
		m->a = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_N);
		m->b = jwk_param_b64(pub, OSSL_PKEY_PARAM_RSA_E);
	} else if (strcmp(m->alg, "ES256") == 0) {
		m->a = jwk_coord_b64(pub, OSSL_PKEY_PARAM_EC_PUB_X);
		m->b = jwk_coord_b64(pub, OSSL_PKEY_PARAM_EC_PUB_Y);
	} else {
		if (EVP_PKEY_get_raw_public_key(pub, raw, &rawlen) != 1 ||
		    rawlen != sizeof(raw)) {
			log_err("cannot read the Ed25519 public key");
			ERR_clear_error();
			return -1;
		}
		m->a = b64url_encode_alloc(raw, rawlen);
		m->b = NULL;
		return m->a == NULL ? -1 : 0;
	}
	if (m->a == NULL || m->b == NULL) {
		jwk_pub_free(m);
		return -1;
	}
	return 0;
}

int
jwk_thumbprint(EVP_PKEY *pub, char kid[JWK_KID_LEN + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	struct jwk_pub m;
	char *canon = NULL;
	size_t cap;
	int len, rc = -1;

	if (jwk_pub_read(pub, &m) != 0)
		return -1;
	/*
	 * RFC 7638 §3.2-3.3: the required members only, in lexicographic
	 * order, no whitespace: e, kty, n for RSA; crv, kty, x, y for EC
	 * (RFC 7638 §3.2); crv, kty, x for OKP (RFC 8037 §2). The base64url
	 * values need no JSON escaping, so the string is built directly.
	 */
	cap = strlen(m.a) + (m.b != NULL ? strlen(m.b) : 0) +
	    sizeof("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"\",\"y\":\"\"}");
	if ((canon = malloc(cap)) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	if (strcmp(m.alg, "RS256") == 0)
		len = snprintf(canon, cap, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", m.b, m.a);
	else if (strcmp(m.alg, "ES256") == 0)
		len = snprintf(canon, cap, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    m.a, m.b);
	else
		len = snprintf(canon, cap, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", m.a);
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
	jwk_pub_free(&m);
	return rc;
}

/* Add string members to obj, NULL-terminated name/value pairs. Return 0 or -1. */
static int
jwk_add_strs(json_object *obj, ...)
{
	const char *key, *val;
	json_object *s;
	va_list ap;
	int rc = 0;

	va_start(ap, obj);
	while (rc == 0 && (key = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		if ((s = json_object_new_string(val)) == NULL)
			rc = -1;
		else if (json_object_object_add(obj, key, s) != 0) {
			json_object_put(s);
			rc = -1;
		}
	}
	va_end(ap);
	return rc;
}

json_object *
jwk_from_pkey(EVP_PKEY *pub, const char *kid)
{
	json_object *obj = NULL;
	struct jwk_pub m;
	int r;

	if (kid == NULL || jwk_pub_read(pub, &m) != 0)
		return NULL;
	/*
	 * RFC 7517 §4, RFC 7518 §6.2.1 and §6.3.1, RFC 8037 §2: public members
	 * only. json-c keeps insertion order, so the output reads as SPEC §3
	 * and the issue show them.
	 */
	if ((obj = json_object_new_object()) == NULL)
		r = -1;
	else if (strcmp(m.alg, "RS256") == 0)
		r = jwk_add_strs(obj, "kty", "RSA", "use", "sig", "alg", m.alg, "kid", kid,
		    "n", m.a, "e", m.b, (const char *)NULL);
	else if (strcmp(m.alg, "ES256") == 0)
		r = jwk_add_strs(obj, "kty", "EC", "crv", "P-256", "x", m.a, "y", m.b,
		    "alg", m.alg, "use", "sig", "kid", kid, (const char *)NULL);
	else
		r = jwk_add_strs(obj, "kty", "OKP", "crv", "Ed25519", "x", m.a,
		    "alg", m.alg, "use", "sig", "kid", kid, (const char *)NULL);
	if (r != 0) {
		log_err("cannot build JWK");
		json_object_put(obj);
		obj = NULL;
	}
	jwk_pub_free(&m);
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

EVP_PKEY *
jwk_ec_public(const char *x_b64url, const char *y_b64url)
{
	unsigned char pt[1 + 2 * JWK_P256_COORD];
	size_t nx = 0, ny = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	/* SEC 1 §2.3.3: the uncompressed point 04 || x || y. */
	pt[0] = 0x04;
	if (x_b64url == NULL || y_b64url == NULL ||
	    b64url_decode(pt + 1, JWK_P256_COORD, &nx, x_b64url, strlen(x_b64url)) != 0 ||
	    b64url_decode(pt + 1 + JWK_P256_COORD, JWK_P256_COORD, &ny, y_b64url,
	    strlen(y_b64url)) != 0 || nx != JWK_P256_COORD || ny != JWK_P256_COORD) {
		log_err("EC coordinates are not canonical base64url of 32 bytes each");
		return NULL;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		log_err("cannot build the EC public key (a point not on P-256?)");
		pkey = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *
jwk_okp_public(const char *x_b64url)
{
	unsigned char raw[JWK_ED25519_LEN];
	size_t n = 0;
	EVP_PKEY *pkey;

	if (x_b64url == NULL ||
	    b64url_decode(raw, sizeof(raw), &n, x_b64url, strlen(x_b64url)) != 0 ||
	    n != sizeof(raw)) {
		log_err("Ed25519 x is not canonical base64url of 32 bytes");
		return NULL;
	}
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n)) == NULL)
		log_err("cannot build the Ed25519 public key");
	ERR_clear_error();
	return pkey;
}
