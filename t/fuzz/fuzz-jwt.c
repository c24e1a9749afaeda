/*
 * fuzz-jwt.c: JWS compact parsing and JWT verification (lib/jwt.c).
 *
 * Every input is tried three ways:
 *  1. as a compact token, verified as a bearer token would be;
 *  2. as the JSON header of a token whose payload is good and that is
 *     signed with the test key: the header checks (alg pinned, no jwk,
 *     jku, x5u, x5c or crit, a usable kid) run on fuzzed JSON, and a
 *     header they accept must then pass the signature check;
 *  3. as the JSON payload of a token with a good header, signed with the
 *     test key: the claim checks (exp, nbf, iat, iss, aud) run on fuzzed
 *     JSON behind a valid signature, which a fuzzer could never forge;
 *  4. as the signature of an ES256 token with a good header and payload
 *     (issue 14): the R || S form, its length and range checks and the
 *     conversion to DER run on fuzzed bytes.
 *
 * The keys are a fixed RSA-2048 and a fixed EC P-256 test key (below,
 * generated for this harness and used nowhere else); their kids are their
 * RFC 7638 thumbprints, which the seed tokens name. The clock is fixed so
 * that the seeds never expire.
 */
#include "config.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <json-c/json.h>

#include "b64url.h"
#include "fuzz.h"
#include "jwk.h"
#include "jwt.h"
#include "log.h"

#define FUZZ_NOW 1700000000LL
#define FUZZ_SKEW 60
#define FUZZ_ISSUER "https://auth.example"

/* Test key only: never use it for anything but this harness. */
static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCVtxl2ZPFFekMz\n"
    "M2YynNP0oY0fD8m8ks/4aoHyH19YUqu/OyevtxS/PcxlblY+h9wyjf4S4owWpIef\n"
    "Zcdbhl/LVQQu0e9QRnAmP+mmq+Se2O3a48Dm9mJp7sCf+G0Mh+fNkvl6AtcGpeiV\n"
    "r4IcwcadQJM9q2iYJ7vY7CLPX32cBhWA6CFCo3mV3HGKtmwcRomBwO8BuUCeF2Pw\n"
    "yVJWf9BGKoGtY9ikKrCpu7u5B089l6P4k7yvOJAL+iRQie4lHBEvj3GIdDYGjBQM\n"
    "l8QHo7zwcdOXZKo1KPdSfhrvY1uy/OmdojRSugJqr2Xr0SO3/zNLMBFF1Mnh8kDe\n"
    "c0UW9Qe9AgMBAAECggEACcyRsJObzRnbAyNmmYJ1Rwo54+ITKLINRaum9LOD+JJ0\n"
    "plAXYWNgysGfOrZVk8MtsOtlSVQlqie7rr2pJj7tzy+x1eSsvrrVhVNiliOjE5iM\n"
    "POryScuvllJnrjDC5nKQw/5OMOO1sjwytHVn1T0DpHBBEuTAtFDJdUHDZ4JPBOKx\n"
    "XZlVfs2q0ltJTikgGKABD1EWg1saCmKFbTuz98L5KEQLDcAsOO9gDUZhUZECbmCO\n"
    "D2uvXZ3CACdxpQs6m4V6uMKU4MT6W+7owZRlHhQkuzR15/WmWsR3EjgLLz+IHimi\n"
    "/9Sc59DrbZlV9rmbKo3BvM/M6GiNF2wCj0A+PyYbOwKBgQDSFIOX39Lb2XsavAhr\n"
    "02GO+w9EdsXjXwiGYNiYCRyFPFJm+bz4rv8BFWnonAX/0thAtpAAT+wLmF4yTu7x\n"
    "mjcQuU5UAgcnuawUivUWte6AT2OCGjOhq0EKTUcjMk582xC0UFqvWA1kA9SkncWX\n"
    "KBdynLlIfa6zPV4tjfIUhCGxfwKBgQC2cLzMdXSUyEeyVKq0DsJxPdhRzRHlpazZ\n"
    "77hRS96ZHcP5DeAcMueICDGPy/gW90Q17pEDOZpsZ9NXSPYM0gdVX4ccybl4Hov8\n"
    "fkElqq0aDaIj/MFpb2OBE7XTG2x1tFZ9XkB2imzsyokEzM11N6wN/l/DqqtECBb8\n"
    "aVBPu7cswwKBgAKCijvzSaKky4q7OmKHaP/7UehgfubDiOeKGqxeV3/kA5wFWdOi\n"
    "y5sotVY5Hv06eKj1RW0rh0dwL5fsR4CNdiD2BdCNIabA2iR4sIrv64SO7kJsq7c/\n"
    "w4wq9jGedT+aom11FFBJ/gb24MCCvgybRwRwiOorzj2H+ysSKhVCquBjAoGBAILQ\n"
    "s4+naMCGG2KzcvNI4gNw5PtCn+KauSZLzU39qM8BmNOsL1YI6huQRHlnN6zAABjr\n"
    "xu8ZDrFMgS3FEyh+MOP2a1spCeQngxi5Lt1jVFuqCujjA4wmYqLbDzUgJNUBSkL6\n"
    "oh5dg10GnNjkQS4bjTM7gk86wTM22cSDfyKs5tshAoGAQPttrD7rryyhHjlWh+IJ\n"
    "iLOh5SeiuPjTedkZp6sG+pHN8eu1gaPxAR2w8VY/HiXMN9r/P5bDkSU62WZGVSsr\n"
    "mMyiFoAW5QcC5L2CRrmZKGXolbFYKVE5Q9a/ccf4i45Wv4rVbS9rAcCrhUizPIzP\n"
    "IAPzzgjTKFrtvrobI/Ua38M=\n"
    "-----END PRIVATE KEY-----\n"
    ;

/* Test key only (P-256): never use it for anything but this harness. */
static const char ec_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguQyQ/azFotED0ZFe\n"
    "OCFMBz7XJASLX0BLEauOzsDvIVahRANCAARXM38V9qGxuRrCVPZ4OvzCxIrc1y3q\n"
    "zrcR3VnKouX65EOBY8wcSjh3ut/fCGf0JVJFtPy/CX0lyyllk8/p7f/3\n"
    "-----END PRIVATE KEY-----\n"
    ;

/* The payload of variant 2 and the header of variant 3 ($KID: the test kid). */
static const char good_payload[] =
    "{\"iss\":\"" FUZZ_ISSUER "\",\"aud\":\"https://client1.com\",\"sub\":\"1\","
    "\"jti\":\"5b0f8a51-0d4c-4c7e-9a51-8e0e54a7c1aa\",\"iat\":1700000000,"
    "\"nbf\":1700000000,\"exp\":1700003600,\"email\":\"a@b.c\",\"name\":\"A\","
    "\"role\":[\"User\"]}";

static EVP_PKEY *test_key, *ec_key;
static char test_kid[JWK_KID_LEN + 1], ec_kid[JWK_KID_LEN + 1];
static char *ec_prefix;         /* BASE64URL(ES256 header) "." BASE64URL(good payload) "." */
static char good_header[128];
static size_t good_header_len;

static EVP_PKEY *
lookup(void *arg, const char *kid)
{
	(void)arg;
	FUZZ_CHECK(kid != NULL && strlen(kid) <= JWT_KID_MAX);
	if (strcmp(kid, ec_kid) == 0)
		return ec_key;
	return strcmp(kid, test_kid) == 0 ? test_key : NULL;
}

static int
aud_ok(void *arg, const char *aud)
{
	(void)arg;
	return strcmp(aud, "https://client1.com") == 0 ||
	    strcmp(aud, "https://client2.com") == 0;
}

static const struct jwt_verify_opts opts = {
	.issuer = FUZZ_ISSUER,
	.now = FUZZ_NOW,
	.skew = FUZZ_SKEW,
	.key_lookup = lookup,
	.aud_check = aud_ok,
};

static void
init(void)
{
	BIO *bio;
	int n;

	log_init("fuzz-jwt", LOG_LVL_ERROR);
	bio = BIO_new_mem_buf(test_key_pem, (int)sizeof(test_key_pem) - 1);
	FUZZ_CHECK(bio != NULL);
	test_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	FUZZ_CHECK(test_key != NULL);
	FUZZ_CHECK(jwk_thumbprint(test_key, test_kid) == 0);
	n = snprintf(good_header, sizeof(good_header),
	    "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", test_kid);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(good_header));
	good_header_len = (size_t)n;

	bio = BIO_new_mem_buf(ec_key_pem, (int)sizeof(ec_key_pem) - 1);
	FUZZ_CHECK(bio != NULL);
	ec_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	FUZZ_CHECK(ec_key != NULL && jwk_thumbprint(ec_key, ec_kid) == 0);
	{
		char hdr[128], *tok, *dot;

		n = snprintf(hdr, sizeof(hdr),
		    "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", ec_kid);
		FUZZ_CHECK(n > 0 && (size_t)n < sizeof(hdr));
		tok = jwt_sign_compact(ec_key, hdr, (size_t)n, good_payload, sizeof(good_payload) - 1);
		FUZZ_CHECK(tok != NULL && (dot = strrchr(tok, '.')) != NULL);
		dot[1] = '\0';
		ec_prefix = tok;
	}
}

/* A member of obj that must be a string without NUL, or NULL. */
static const char *
str_member(json_object *obj, const char *name)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/*
 * What every JWT_OK must satisfy (SPEC §4): an object whose exp is an
 * integer in the future (with skew) and whose iss is ours.
 */
static void
check_accepted(json_object *claims)
{
	json_object *v;
	const char *iss;

	FUZZ_CHECK(json_object_is_type(claims, json_type_object));
	FUZZ_CHECK(json_object_object_get_ex(claims, "exp", &v));
	FUZZ_CHECK(json_object_is_type(v, json_type_int));
	FUZZ_CHECK(json_object_get_int64(v) > FUZZ_NOW - FUZZ_SKEW);
	FUZZ_CHECK((iss = str_member(claims, "iss")) != NULL);
	FUZZ_CHECK(strcmp(iss, FUZZ_ISSUER) == 0);
}

static enum jwt_rc
verify(const char *tok, size_t len)
{
	json_object *claims = (json_object *)1;
	enum jwt_rc rc = jwt_verify(tok, len, &opts, &claims);

	FUZZ_CHECK(jwt_strerror(rc) != NULL);
	if (rc == JWT_OK) {
		check_accepted(claims);
		json_object_put(claims);
	} else {
		FUZZ_CHECK(claims == NULL);
	}
	return rc;
}

/* 1. The input as a compact token. */
static void
as_token(const uint8_t *data, size_t size)
{
	const char *tok = (const char *)data;
	const char *d1, *d2;
	unsigned char *hdr, *pay;
	size_t hlen, plen;
	char *again;

	if (verify(tok, size) != JWT_OK)
		return;
	FUZZ_CHECK((d1 = memchr(tok, '.', size)) != NULL);
	FUZZ_CHECK((d2 = memchr(d1 + 1, '.', size - (size_t)(d1 + 1 - tok))) != NULL);
	/* ECDSA signs with a random k: an ES256 token's signature is 64 bytes. */
	if (size - (size_t)(d2 + 1 - tok) == b64url_encoded_len(64))
		return;
	/*
	 * Accepted: then it is three canonical parts, and since
	 * RSASSA-PKCS1-v1_5 is deterministic, signing its decoded header and
	 * payload again must give back the very same token, byte for byte.
	 */
	hdr = malloc(size);
	pay = malloc(size);
	FUZZ_CHECK(hdr != NULL && pay != NULL);
	FUZZ_CHECK(b64url_decode(hdr, size, &hlen, tok, (size_t)(d1 - tok)) == 0);
	FUZZ_CHECK(b64url_decode(pay, size, &plen, d1 + 1, (size_t)(d2 - d1 - 1)) == 0);
	again = jwt_sign_compact(test_key, (const char *)hdr, hlen, (const char *)pay, plen);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(strlen(again) == size && memcmp(again, tok, size) == 0);
	free(again);
	free(hdr);
	free(pay);
}

/*
 * BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(256 zero bytes):
 * a token of the right shape whose signature is certainly wrong, for the
 * checks that come before the signature. NULL when too long to encode.
 */
static char *
unsigned_token(const char *hdr, size_t hlen, const char *pay, size_t plen)
{
	static const unsigned char zero[256];
	size_t h64 = b64url_encoded_len(hlen), p64 = b64url_encoded_len(plen);
	size_t s64 = b64url_encoded_len(sizeof(zero)), cap = h64 + p64 + s64 + 3;
	char *t;

	if (hlen > JWT_MAX_LEN || plen > JWT_MAX_LEN || (t = malloc(cap)) == NULL)
		return NULL;
	FUZZ_CHECK(b64url_encode(t, cap, (const unsigned char *)hdr, hlen) == 0);
	t[h64] = '.';
	FUZZ_CHECK(b64url_encode(t + h64 + 1, cap - h64 - 1, (const unsigned char *)pay, plen) == 0);
	t[h64 + 1 + p64] = '.';
	FUZZ_CHECK(b64url_encode(t + h64 + p64 + 2, cap - h64 - p64 - 2, zero, sizeof(zero)) == 0);
	return t;
}

/* 2. The input as the header of a well-signed token. */
static void
as_header(const uint8_t *data, size_t size)
{
	const char *hdr = (const char *)data;
	char *tok;
	enum jwt_rc rc;

	/*
	 * Signing costs a millisecond; the header is judged before the
	 * signature, so a wrong signature first finds out whether the header
	 * passes. Only then is the token signed for real.
	 */
	if ((tok = unsigned_token(hdr, size, good_payload, sizeof(good_payload) - 1)) == NULL)
		return;
	rc = verify(tok, strlen(tok));
	free(tok);
	if (rc != JWT_BAD_SIGNATURE) {
		/* Refused on the header alone, or the whole token is too long. */
		FUZZ_CHECK(rc == JWT_MALFORMED || rc == JWT_BAD_ALG || rc == JWT_UNKNOWN_KID);
		return;
	}
	if ((tok = jwt_sign_compact(test_key, hdr, size, good_payload,
	    sizeof(good_payload) - 1)) == NULL)
		return;         /* too long to be a token */
	rc = verify(tok, strlen(tok));
	/* A header that passed once, now with the right signature: accepted. */
	FUZZ_CHECK(rc == JWT_OK);
	free(tok);
}

/* 3. The input as the payload of a well-signed token. */
static void
as_payload(const uint8_t *data, size_t size)
{
	json_tokener *jt;
	json_object *obj;
	char *tok;
	enum jwt_rc rc;
	int is_object;

	/*
	 * Signing costs a millisecond: sign only what json-c itself takes for
	 * an object. Other payloads fail in the same parser that variant 2
	 * already exercises with every input.
	 */
	if (size == 0 || size > JWT_MAX_LEN || (jt = json_tokener_new()) == NULL)
		return;
	obj = json_tokener_parse_ex(jt, (const char *)data, (int)size);
	is_object = json_object_is_type(obj, json_type_object);
	json_object_put(obj);
	json_tokener_free(jt);
	if (!is_object)
		return;
	if ((tok = jwt_sign_compact(test_key, good_header, good_header_len,
	    (const char *)data, size)) == NULL)
		return;
	rc = verify(tok, strlen(tok));
	/* The header and the signature are good: only the claims may be refused. */
	FUZZ_CHECK(rc == JWT_OK || rc == JWT_MALFORMED || rc == JWT_EXPIRED ||
	    rc == JWT_NOT_YET_VALID || rc == JWT_BAD_ISSUER || rc == JWT_BAD_AUDIENCE);
	free(tok);
}

/* 4. The input as the signature of an ES256 token (issue 14). */
static void
as_es256_signature(const uint8_t *data, size_t size)
{
	size_t plen = strlen(ec_prefix), cap;
	char *tok;
	enum jwt_rc rc;

	if (size > 512)
		return;
	cap = plen + b64url_encoded_len(size) + 1;
	tok = malloc(cap);
	FUZZ_CHECK(tok != NULL);
	memcpy(tok, ec_prefix, plen);
	FUZZ_CHECK(b64url_encode(tok + plen, cap - plen, data, size) == 0);
	rc = verify(tok, strlen(tok));
	/* Header and payload are good: the signature alone decides. */
	FUZZ_CHECK(rc == JWT_BAD_SIGNATURE || (rc == JWT_OK && size == 64));
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		init();
		ready = 1;
	}
	as_token(data, size);
	as_header(data, size);
	as_payload(data, size);
	as_es256_signature(data, size);
	ERR_clear_error();
	return 0;
}
