/*
 * t/unit/jwt.c: RS256, ES256 and EdDSA JWS signing and JWT verification
 * (lib/jwt.c).
 *
 * The known answers are RFC 7515 Appendix A.2 (RSASSA-PKCS1-v1_5 is
 * deterministic, so our signature must equal the RFC's byte for byte),
 * A.3 (ES256: ECDSA is randomised, so the RFC's signature is verified and
 * ours checked by the RFC's key) and RFC 8037 A.4 (Ed25519, deterministic:
 * byte for byte). RFC 8725 §3.1: a header alg that is not the alg of the
 * key its kid names is refused, whichever way round.
 * Every refusal of SPEC §4 is then tried on tokens that are otherwise
 * valid and signed with the right key, so that only the check under test
 * can be the one that fires.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "jwk.h"
#include "jwt.h"
#include "jwtcache.h"
#include "../tap.h"

/* ---- RFC 7515 Appendix A.2 ---------------------------------------------- */

static const char a2_header[] = "{\"alg\":\"RS256\"}";
static const char a2_payload[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
static const char a2_compact[] =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/* The A.2 RSA key as a JWK: n, e, d, p, q, dp, dq, qi. */
static const char *const a2_jwk[8] = {
	"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
	"AQAB",
	"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
	"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
	"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
	"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
	"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
	"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
};

/* Test-only: an RSA private key from its JWK members (RFC 7518 §6.3.2). */
static EVP_PKEY *
rsa_private_from_jwk(const char *const v[8])
{
	static const char *const names[8] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *bn[8] = { NULL };
	unsigned char buf[512];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t i, n;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto fail;
	for (i = 0; i < 8; i++) {
		if (b64url_decode(buf, sizeof(buf), &n, v[i], strlen(v[i])) != 0 ||
		    (bn[i] = BN_bin2bn(buf, (int)n, NULL)) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]) != 1)
			goto fail;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		pkey = NULL;
fail:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	return pkey;
}

/* ---- key store and audience callbacks --------------------------------- */

#define RING 8

struct keyring {
	const char *kid[RING];
	EVP_PKEY *key[RING];
};

static EVP_PKEY *
ring_lookup(void *arg, const char *kid)
{
	struct keyring *r = arg;

	for (size_t i = 0; i < RING; i++)
		if (r->kid[i] != NULL && strcmp(r->kid[i], kid) == 0)
			return r->key[i];
	return NULL;
}

static int client1_gone;       /* test_cache: client1 deleted meanwhile */

static int
aud_ok(void *arg, const char *aud)
{
	(void)arg;
	return (!client1_gone && strcmp(aud, "https://client1.com") == 0) ||
	    strcmp(aud, "https://client2.com") == 0;
}

/* ---- fixtures ---------------------------------------------------------- */

#define NOW  1700000000LL
#define SKEW 60

#define ISS  "\"iss\":\"https://auth.example\""
#define AUD  "\"aud\":\"https://client1.com\""
#define SUB  "\"sub\":\"1\""
#define IAT  "\"iat\":1700000000"
#define NBF  "\"nbf\":1700000000"
#define EXP  "\"exp\":1700003600"
#define GOOD "{" ISS "," AUD "," SUB "," IAT "," NBF "," EXP "}"

#define HDR_GOOD "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}"

static char kid1[JWK_KID_LEN + 1];
static struct keyring ring;
static struct jwt_verify_opts opts;

/* Replace every "$KID" in tmpl with kid1, into a static buffer. */
static const char *
subst(const char *tmpl)
{
	static char out[16384];
	const char *p;
	size_t o = 0, kl = strlen(kid1);

	for (p = tmpl; *p != '\0' && o + kl + 1 < sizeof(out); ) {
		if (strncmp(p, "$KID", 4) == 0) {
			memcpy(out + o, kid1, kl);
			o += kl;
			p += 4;
		} else
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

/* Sign exactly these header and payload bytes ("$KID" substituted in the header). */
static char *
mint_len(EVP_PKEY *key, const char *hdr, const char *pay, size_t plen)
{
	char h[1024];
	const char *s = subst(hdr);

	if (strlen(s) >= sizeof(h))
		return NULL;
	memcpy(h, s, strlen(s) + 1);
	return jwt_sign_compact(key, h, strlen(h), pay, plen);
}

static char *
mint(EVP_PKEY *key, const char *hdr, const char *pay)
{
	return mint_len(key, hdr, pay, strlen(pay));
}

/*
 * Verify token (len bytes) and check the result: rc as wanted, and claims
 * set exactly on success. Takes ownership of nothing.
 */
static void
expect_len(const char *token, size_t len, enum jwt_rc want, const char *name)
{
	json_object *sentinel = json_object_new_object();
	json_object *claims = sentinel;
	enum jwt_rc rc;

	if (token == NULL) {
		ok(0, "%s (could not mint the token)", name);
		json_object_put(sentinel);
		return;
	}
	rc = jwt_verify(token, len, &opts, &claims);
	if (!is_int(rc, want, "%s", name))
		diag("%s", jwt_strerror(rc));
	/* With a cache, the second look (a hit when the first succeeded) must agree. */
	if (opts.cache != NULL) {
		json_object *again = NULL;

		is_int(jwt_verify(token, len, &opts, &again), want, "%s (again, cached)", name);
		json_object_put(again);
	}
	if (want == JWT_OK)
		ok(claims != NULL && claims != sentinel &&
		    json_object_is_type(claims, json_type_object),
		    "%s: claims returned", name);
	else
		ok(claims == NULL, "%s: claims NULL", name);
	if (claims != sentinel)
		json_object_put(claims);
	json_object_put(sentinel);
}

static void
expect(const char *token, enum jwt_rc want, const char *name)
{
	expect_len(token, token != NULL ? strlen(token) : 0, want, name);
}

/* Mint with the good key and header, check, free. */
static void
claims_case(const char *payload, enum jwt_rc want, const char *name)
{
	char *t = mint(ring.key[0], HDR_GOOD, payload);

	expect(t, want, name);
	free(t);
}

static void
header_case(const char *hdr, enum jwt_rc want, const char *name)
{
	char *t = mint(ring.key[0], hdr, GOOD);

	expect(t, want, name);
	free(t);
}

/* A copy of token with its part i (0, 1, 2) replaced by repl. */
static char *
replace_part(const char *token, int i, const char *repl)
{
	const char *d1 = strchr(token, '.'), *d2 = strchr(d1 + 1, '.');
	const char *start = i == 0 ? token : i == 1 ? d1 + 1 : d2 + 1;
	const char *end = i == 0 ? d1 : i == 1 ? d2 : token + strlen(token);
	size_t pre = (size_t)(start - token), rl = strlen(repl), post = strlen(end);
	char *out = malloc(pre + rl + post + 1);

	if (out == NULL)
		return NULL;
	memcpy(out, token, pre);
	memcpy(out + pre, repl, rl);
	memcpy(out + pre + rl, end, post + 1);
	return out;
}

/* A copy of token with its signature re-encoded with delta bytes more or fewer. */
static char *
resize_signature(const char *token, int delta)
{
	unsigned char sig[600];
	size_t n;
	char *enc, *out;
	const char *s = strrchr(token, '.') + 1;

	if (b64url_decode(sig, sizeof(sig), &n, s, strlen(s)) != 0)
		return NULL;
	if (delta > 0)
		sig[n++] = 0x01;
	else
		n--;
	if ((enc = b64url_encode_alloc(sig, n)) == NULL)
		return NULL;
	out = replace_part(token, 2, enc);
	free(enc);
	return out;
}

static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 1);

	if (out != NULL) {
		memcpy(out, a, la);
		memcpy(out + la, b, lb + 1);
	}
	return out;
}

/* ---- the tests --------------------------------------------------------- */

static void
test_rfc7515_a2(void)
{
	EVP_PKEY *priv, *pub;
	EVP_MD_CTX *ctx;
	unsigned char sig[256];
	size_t n;
	char *t;
	const char *dot;
	struct keyring a2ring = { { "2011-04-29" }, { NULL } };
	struct jwt_verify_opts a2opts = {
		.issuer = "joe", .now = 1300819000, .skew = 60,
		.key_lookup = ring_lookup, .key_arg = &a2ring,
		.aud_check = aud_ok,
	};
	json_object *claims = NULL;

	priv = rsa_private_from_jwk(a2_jwk);
	ok(priv != NULL, "A.2: private key built from its JWK");
	if (priv == NULL)
		return;

	t = jwt_sign_compact(priv, a2_header, strlen(a2_header),
	    a2_payload, strlen(a2_payload));
	is_str(t, a2_compact, "A.2: compact JWS equals RFC 7515 byte for byte");
	free(t);

	/* A.2.2: validate the RFC's signature with the public half only. */
	pub = jwk_rsa_public(a2_jwk[0], a2_jwk[1]);
	ok(pub != NULL, "A.2: public key from n and e");
	dot = strrchr(a2_compact, '.');
	ok(b64url_decode(sig, sizeof(sig), &n, dot + 1, strlen(dot + 1)) == 0 &&
	    n == 256, "A.2: signature is 256 bytes");
	ctx = EVP_MD_CTX_new();
	ok(pub != NULL && ctx != NULL &&
	    EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, pub, NULL) == 1 &&
	    EVP_DigestVerify(ctx, sig, n, (const unsigned char *)a2_compact,
	    (size_t)(dot - a2_compact)) == 1, "A.2: RFC signature verifies");
	EVP_MD_CTX_free(ctx);

	/* The RFC token has no kid, so our verifier cannot pick a key. */
	a2ring.key[0] = pub;
	is_int(jwt_verify(a2_compact, strlen(a2_compact), &a2opts, &claims),
	    JWT_UNKNOWN_KID, "A.2: jwt_verify refuses the kid-less RFC token");
	ok(claims == NULL, "A.2: no claims");

	/*
	 * The same payload under a header with a kid: the signature checks,
	 * exp and iss pass, and only the missing aud is refused, which shows
	 * every earlier step accepted it.
	 */
	{
		static const char h[] = "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"2011-04-29\"}";

		t = jwt_sign_compact(priv, h, strlen(h), a2_payload, strlen(a2_payload));
	}
	ok(t != NULL, "A.2 payload signed with a kid");
	if (t != NULL)
		is_int(jwt_verify(t, strlen(t), &a2opts, &claims), JWT_BAD_AUDIENCE,
		    "A.2 payload with kid: verified up to the absent aud");
	ok(claims == NULL, "A.2 payload with kid: no claims");
	a2opts.now = 1300819380 + 60;
	if (t != NULL)
		is_int(jwt_verify(t, strlen(t), &a2opts, &claims), JWT_EXPIRED,
		    "A.2 payload with kid: exp == now - skew is expired");
	free(t);

	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void
test_roundtrip(void)
{
	json_object *claims, *got = NULL, *v;
	unsigned char buf[1024];
	size_t n;
	char *t, want[256];
	const char *d1, *d2;

	claims = json_object_new_object();
	json_object_object_add(claims, "iss", json_object_new_string("https://auth.example"));
	json_object_object_add(claims, "aud", json_object_new_string("https://client1.com"));
	json_object_object_add(claims, "sub", json_object_new_string("42"));
	json_object_object_add(claims, "iat", json_object_new_int64(NOW));
	json_object_object_add(claims, "nbf", json_object_new_int64(NOW));
	json_object_object_add(claims, "exp", json_object_new_int64(NOW + 3600));
	v = json_object_new_array();
	json_object_array_add(v, json_object_new_string("Admin"));
	json_object_array_add(v, json_object_new_string("User"));
	json_object_object_add(claims, "role", v);

	t = jwt_sign(ring.key[0], kid1, claims);
	ok(t != NULL, "jwt_sign succeeds");
	json_object_put(claims);
	if (t == NULL)
		return;

	/* SPEC §4: the header, byte for byte. */
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(want, sizeof(want), "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", kid1);
	ok(b64url_decode(buf, sizeof(buf) - 1, &n, t, (size_t)(d1 - t)) == 0,
	    "header decodes");
	buf[n] = '\0';
	is_str((char *)buf, want, "header is {alg,typ,kid} plain");
	ok(b64url_decode(buf, sizeof(buf) - 1, &n, d1 + 1, (size_t)(d2 - d1 - 1)) == 0,
	    "payload decodes");
	buf[n] = '\0';
	is_str((char *)buf,
	    "{\"iss\":\"https://auth.example\",\"aud\":\"https://client1.com\","
	    "\"sub\":\"42\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700003600,"
	    "\"role\":[\"Admin\",\"User\"]}", "payload is the claims, plain");

	is_int(jwt_verify(t, strlen(t), &opts, &got), JWT_OK, "round trip verifies");
	ok(got != NULL && json_object_object_get_ex(got, "sub", &v) &&
	    strcmp(json_object_get_string(v), "42") == 0, "claims come back");
	json_object_put(got);
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "claims pointer may be NULL");

	/* Any single bit flipped anywhere in the signature breaks it. */
	{
		char *c = strdup(t);
		size_t last = strlen(c) - 1;

		/* Flip a middle character of the signature to another alphabet one. */
		c[last - 20] = c[last - 20] == 'A' ? 'B' : 'A';
		expect(c, JWT_BAD_SIGNATURE, "signature with one character changed");
		free(c);
	}

	/* Within the length: the token need not be NUL-terminated. */
	{
		size_t tl = strlen(t);
		char *c = malloc(tl + 5);

		memcpy(c, t, tl);
		memcpy(c + tl, "XXXX", 5);
		expect_len(c, tl, JWT_OK, "only len bytes are read");
		free(c);
	}
	free(t);

	ok(jwt_sign(ring.key[0], NULL, NULL) == NULL, "jwt_sign refuses NULL kid/claims");
	claims = json_object_new_array();
	ok(jwt_sign(ring.key[0], kid1, claims) == NULL, "jwt_sign refuses non-object claims");
	json_object_put(claims);
}

static void
test_structure(void)
{
	char *good = mint(ring.key[0], HDR_GOOD, GOOD), *t, *u;
	const char *d1, *d2;
	char buf[16384];
	size_t gl;

	if (good == NULL) {
		ok(0, "mint the reference token");
		return;
	}
	expect(good, JWT_OK, "reference token is valid");
	gl = strlen(good);
	d1 = strchr(good, '.');
	d2 = strchr(d1 + 1, '.');

	/* Parts. */
	expect("", JWT_MALFORMED, "empty token");
	{
		json_object *c = json_object_new_object(), *keep = c;

		is_int(jwt_verify(NULL, 10, &opts, &c), JWT_MALFORMED, "NULL token");
		ok(c == NULL, "NULL token: claims NULL");
		json_object_put(keep);
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(d2 - good), good);
	expect(buf, JWT_MALFORMED, "2 parts");
	snprintf(buf, sizeof(buf), "%.*s", (int)(d1 - good), good);
	expect(buf, JWT_MALFORMED, "1 part");
	snprintf(buf, sizeof(buf), "%s.%s", good, d2 + 1);
	expect(buf, JWT_MALFORMED, "4 parts");
	snprintf(buf, sizeof(buf), "%s.", good);
	expect(buf, JWT_MALFORMED, "trailing dot (4 parts)");
	expect("..", JWT_MALFORMED, "three empty parts");

	/* base64url strictness. */
	t = replace_part(good, 0, "eyJhbGciOiJSUzI1NiJ9==");
	expect(t, JWT_MALFORMED, "padded header");
	free(t);
	snprintf(buf, sizeof(buf), "%s=", good);
	expect(buf, JWT_MALFORMED, "padded signature ('=')");
	snprintf(buf, sizeof(buf), "%.*s=%s", (int)(d2 - good), good, d2);
	expect(buf, JWT_MALFORMED, "padded payload ('=')");
	snprintf(buf, sizeof(buf), " %s", good);
	expect(buf, JWT_MALFORMED, "leading space");
	snprintf(buf, sizeof(buf), "%s\n", good);
	expect(buf, JWT_MALFORMED, "trailing newline");
	snprintf(buf, sizeof(buf), "%.*s %s", (int)(d1 - good), good, d1);
	expect(buf, JWT_MALFORMED, "space before a dot");
	snprintf(buf, sizeof(buf), "%.*s\r\n%s", (int)(d2 - good - 3), good, d2 - 3);
	expect(buf, JWT_MALFORMED, "CRLF inside the payload");
	memcpy(buf, good, gl + 1);
	buf[5] = '+';
	expect(buf, JWT_MALFORMED, "'+' from the standard alphabet");
	memcpy(buf, good, gl + 1);
	buf[gl - 3] = '/';
	expect(buf, JWT_MALFORMED, "'/' from the standard alphabet");
	memcpy(buf, good, gl + 1);
	buf[3] = '\0';
	expect_len(buf, gl, JWT_MALFORMED, "NUL inside the token");

	/* Signature length and content. */
	t = replace_part(good, 2, "");
	expect(t, JWT_BAD_SIGNATURE, "stripped signature");
	free(t);
	t = resize_signature(good, -1);
	expect(t, JWT_BAD_SIGNATURE, "signature one byte short");
	free(t);
	t = resize_signature(good, +1);
	expect(t, JWT_BAD_SIGNATURE, "signature one byte long");
	free(t);
	u = mint(ring.key[1], HDR_GOOD, GOOD);
	expect(u, JWT_BAD_SIGNATURE, "signature by another key");
	if (u != NULL) {
		t = replace_part(good, 2, strrchr(u, '.') + 1);
		expect(t, JWT_BAD_SIGNATURE, "signature part taken from another key's token");
		free(t);
	}
	free(u);

	/* Tampering. */
	{
		char *pay = b64url_encode_alloc((const unsigned char *)
		    "{" ISS "," AUD ",\"sub\":\"2\"," IAT "," NBF "," EXP "}",
		    strlen(GOOD));
		char *hdr = b64url_encode_alloc((const unsigned char *)subst(
		    "{\"alg\":\"RS256\",\"typ\":\"AT+JWT\",\"kid\":\"$KID\"}"),
		    strlen(subst("{\"alg\":\"RS256\",\"typ\":\"AT+JWT\",\"kid\":\"$KID\"}")));

		t = pay != NULL ? replace_part(good, 1, pay) : NULL;
		expect(t, JWT_BAD_SIGNATURE, "tampered payload (sub changed)");
		free(t);
		t = hdr != NULL ? replace_part(good, 0, hdr) : NULL;
		expect(t, JWT_BAD_SIGNATURE, "tampered header (typ changed to AT+JWT)");
		free(t);
		free(pay);
		free(hdr);
	}

	/* Non-object or trailing garbage, signed so that only the parse can fail. */
	header_case("[\"RS256\"]", JWT_MALFORMED, "header is an array");
	header_case("\"RS256\"", JWT_MALFORMED, "header is a string");
	header_case("", JWT_MALFORMED, "header is empty");
	header_case(HDR_GOOD "x", JWT_MALFORMED, "trailing garbage after the header");
	header_case(HDR_GOOD "{}", JWT_MALFORMED, "second object after the header");
	/* RFC 8259 §2: whitespace around a value is part of valid JSON text. */
	header_case(HDR_GOOD " ", JWT_OK, "trailing space after the header is JSON whitespace");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"", JWT_MALFORMED, "unterminated header");
	header_case("{'alg':'RS256','kid':'$KID'}", JWT_MALFORMED, "single-quoted header");
	claims_case("[1]", JWT_MALFORMED, "payload is an array");
	claims_case("1700003600", JWT_MALFORMED, "payload is a number");
	claims_case("null", JWT_MALFORMED, "payload is null");
	claims_case(GOOD "x", JWT_MALFORMED, "trailing garbage after the payload");
	claims_case(GOOD "\n", JWT_OK, "trailing newline after the payload is JSON whitespace");
	claims_case(GOOD "\n.", JWT_MALFORMED, "garbage after trailing whitespace");
	t = mint_len(ring.key[0], HDR_GOOD, GOOD "\0", strlen(GOOD) + 1);
	expect(t, JWT_MALFORMED, "NUL after the payload");
	free(t);
	/* Depth limit on untrusted JSON. */
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"x\":"
	    "[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", JWT_OK, "header nested 15 deep");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"x\":"
	    "[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", JWT_MALFORMED,
	    "header nested 16 deep (json-c's default would take 32)");

	/* Length: exactly JWT_MAX_LEN is accepted, one more is refused. */
	{
		char pay[JWT_MAX_LEN];
		char *exact = NULL;

		size_t hlen = strlen(subst(HDR_GOOD)), base, pad;
		int k;

		/* Find the padding that makes the token exactly 8 KiB, then sign once. */
		base = strlen("{" ISS "," AUD "," EXP ",\"pad\":\"\"}");
		for (pad = 5000; pad < 6500; pad++)
			if (b64url_encoded_len(hlen) + 1 + b64url_encoded_len(base + pad) +
			    1 + 342 == JWT_MAX_LEN)
				break;
		k = snprintf(pay, sizeof(pay), "{" ISS "," AUD "," EXP ",\"pad\":\"%*s\"}",
		    (int)pad, "");
		if (k > 0 && (size_t)k < sizeof(pay) && (exact = mint(ring.key[0], HDR_GOOD, pay)) != NULL &&
		    strlen(exact) != JWT_MAX_LEN) {
			free(exact);
			exact = NULL;
		}
		ok(exact != NULL, "mint a token of exactly %d bytes", JWT_MAX_LEN);
		if (exact != NULL) {
			expect(exact, JWT_OK, "token of exactly 8 KiB");
			t = concat(exact, "A");
			expect(t, JWT_MALFORMED, "token of 8 KiB + 1 (length refused before base64)");
			free(t);
			/* And jwt_sign_compact will not mint one. */
			snprintf(pay, sizeof(pay), "{" ISS "," AUD "," EXP ",\"pad\":\"%*s\"}", 6200, "");
			t = mint(ring.key[0], HDR_GOOD, pay);
			ok(t == NULL, "jwt_sign_compact refuses to mint over 8 KiB");
			free(t);
		}
		free(exact);
	}
	free(good);
}

static void
test_header(void)
{
	/* RFC 8725 §3.1: names that are no alg of any key of ours. */
	header_case("{\"alg\":\"none\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg none");
	header_case("{\"alg\":\"None\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg None");
	header_case("{\"alg\":\"NONE\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg NONE");
	header_case("{\"alg\":\"HS256\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg HS256");
	header_case("{\"alg\":\"RS384\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg RS384");
	header_case("{\"alg\":\"PS256\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg PS256");
	header_case("{\"alg\":\"rs256\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg rs256");
	header_case("{\"alg\":\"RS256 \",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg with a trailing space");
	header_case("{\"alg\":\"RS256\\u0000\",\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg with an embedded NUL");
	header_case("{\"alg\":[\"RS256\"],\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg is an array");
	header_case("{\"alg\":null,\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg is null");
	header_case("{\"kid\":\"$KID\"}", JWT_BAD_ALG, "alg missing");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"alg\":\"none\"}", JWT_BAD_ALG,
	    "duplicate alg, last one none");

	/* The classic forgeries: alg none with an empty signature; HS256. */
	{
		char *h = b64url_encode_alloc((const unsigned char *)"{\"alg\":\"none\"}",
		    strlen("{\"alg\":\"none\"}"));
		char *p = b64url_encode_alloc((const unsigned char *)GOOD, strlen(GOOD));
		char buf[2048];

		snprintf(buf, sizeof(buf), "%s.%s.", h, p);
		expect(buf, JWT_BAD_ALG, "unsigned token (alg none, empty signature)");
		free(h);
		h = b64url_encode_alloc((const unsigned char *)subst(
		    "{\"alg\":\"HS256\",\"kid\":\"$KID\"}"),
		    strlen(subst("{\"alg\":\"HS256\",\"kid\":\"$KID\"}")));
		snprintf(buf, sizeof(buf), "%s.%s.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", h, p);
		expect(buf, JWT_BAD_ALG, "HS256 token with an HMAC-sized signature");
		free(h);
		free(p);
	}

	/* Keys named in the token are never used. */
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}",
	    JWT_BAD_ALG, "jwk header present");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"jku\":\"https://evil.example/jwks\"}",
	    JWT_BAD_ALG, "jku header present");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"x5u\":\"https://evil.example/cert\"}",
	    JWT_BAD_ALG, "x5u header present");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"x5c\":[\"MIIB\"]}",
	    JWT_BAD_ALG, "x5c header present");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"crit\":[\"exp\"],\"exp\":1}",
	    JWT_BAD_ALG, "crit header present");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\",\"jku\":null}",
	    JWT_BAD_ALG, "jku header present even as null");

	/* kid. */
	header_case("{\"alg\":\"RS256\"}", JWT_UNKNOWN_KID, "kid missing");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"nosuchkey\"}", JWT_UNKNOWN_KID, "kid unknown");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"\"}", JWT_UNKNOWN_KID, "kid empty");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":42}", JWT_UNKNOWN_KID, "kid is a number");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":[\"$KID\"]}", JWT_UNKNOWN_KID, "kid is an array");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":null}", JWT_UNKNOWN_KID, "kid is null");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\\u0000x\"}", JWT_UNKNOWN_KID,
	    "NUL inside kid (prefix is a known kid)");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID$KID$KID\"}", JWT_UNKNOWN_KID,
	    "kid over JWT_KID_MAX");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}", JWT_OK, "minimal header is enough");

	/* RFC 8725 §3.11, RFC 9068 §4: explicitly typed as an access token. */
	header_case("{\"alg\":\"RS256\",\"kid\":\"$KID\"}", JWT_BAD_TYPE, "typ missing");
	header_case("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}", JWT_BAD_TYPE, "typ JWT");
	header_case("{\"alg\":\"RS256\",\"typ\":\"jwt\",\"kid\":\"$KID\"}", JWT_BAD_TYPE, "typ jwt");
	header_case("{\"alg\":\"RS256\",\"typ\":\"id+jwt\",\"kid\":\"$KID\"}", JWT_BAD_TYPE, "typ id+jwt");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt \",\"kid\":\"$KID\"}", JWT_BAD_TYPE,
	    "typ with a trailing space");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\\u0000\",\"kid\":\"$KID\"}", JWT_BAD_TYPE,
	    "typ with an embedded NUL");
	header_case("{\"alg\":\"RS256\",\"typ\":[\"at+jwt\"],\"kid\":\"$KID\"}", JWT_BAD_TYPE,
	    "typ is an array");
	header_case("{\"alg\":\"RS256\",\"typ\":null,\"kid\":\"$KID\"}", JWT_BAD_TYPE, "typ is null");
	header_case("{\"alg\":\"RS256\",\"typ\":\"text/at+jwt\",\"kid\":\"$KID\"}", JWT_BAD_TYPE,
	    "typ text/at+jwt");
	header_case("{\"alg\":\"RS256\",\"typ\":\"AT+JWT\",\"kid\":\"$KID\"}", JWT_OK,
	    "typ AT+JWT (media types compare case-insensitively, RFC 7515 §4.1.9)");
	header_case("{\"alg\":\"RS256\",\"typ\":\"application/at+jwt\",\"kid\":\"$KID\"}", JWT_OK,
	    "typ application/at+jwt");
	header_case("{\"alg\":\"RS256\",\"typ\":\"Application/AT+JWT\",\"kid\":\"$KID\"}", JWT_OK,
	    "typ Application/AT+JWT");

	/* RFC 8725 §3.1: the key's alg, not another one. */
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", JWT_BAD_ALG,
	    "RS256 header, kid names an EC key");
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", JWT_BAD_ALG,
	    "RS256 header, kid names an Ed25519 key");
	/* A key of the wrong type or size in our own store is our fault. */
	header_case("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"small\"}", JWT_ERROR,
	    "kid names an RSA-1024 key");
	header_case("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"p384\"}", JWT_ERROR,
	    "kid names an EC P-384 key");
}

static void
test_claims(void)
{
	/* exp: required integer, in the future with skew. */
	claims_case("{" ISS "," AUD "," IAT "}", JWT_EXPIRED, "exp missing");
	claims_case("{" ISS "," AUD ",\"exp\":\"1700003600\"}", JWT_EXPIRED, "exp is a string");
	claims_case("{" ISS "," AUD ",\"exp\":1700003600.0}", JWT_EXPIRED, "exp is a float");
	claims_case("{" ISS "," AUD ",\"exp\":1.7e9}", JWT_EXPIRED, "exp in exponent notation");
	claims_case("{" ISS "," AUD ",\"exp\":true}", JWT_EXPIRED, "exp is a bool");
	claims_case("{" ISS "," AUD ",\"exp\":null}", JWT_EXPIRED, "exp is null");
	claims_case("{" ISS "," AUD ",\"exp\":[1700003600]}", JWT_EXPIRED, "exp is an array");
	claims_case("{" ISS "," AUD ",\"exp\":1e400}", JWT_EXPIRED, "exp 1e400 (inf)");
	claims_case("{" ISS "," AUD ",\"exp\":99999999999999999999}", JWT_EXPIRED,
	    "exp 99999999999999999999 (clamped)");
	claims_case("{" ISS "," AUD ",\"exp\":18446744073709551615}", JWT_EXPIRED,
	    "exp UINT64_MAX");
	claims_case("{" ISS "," AUD ",\"exp\":10000000000000000000}", JWT_EXPIRED,
	    "exp above INT64_MAX");
	claims_case("{" ISS "," AUD ",\"exp\":9223372036854775807}", JWT_EXPIRED,
	    "exp INT64_MAX (indistinguishable from clamped)");
	claims_case("{" ISS "," AUD ",\"exp\":-99999999999999999999}", JWT_EXPIRED,
	    "exp hugely negative (clamped)");
	claims_case("{" ISS "," AUD ",\"exp\":1699990000}", JWT_EXPIRED, "exp in the past");
	claims_case("{" ISS "," AUD ",\"exp\":1699999940}", JWT_EXPIRED, "exp == now - skew");
	claims_case("{" ISS "," AUD ",\"exp\":1699999941}", JWT_OK, "exp == now - skew + 1 (within skew)");
	claims_case("{" ISS "," AUD ",\"exp\":1700000000}", JWT_OK, "exp == now (within skew)");
	claims_case("{" ISS "," AUD ",\"exp\":4102444800}", JWT_OK, "exp far ahead (2100)");
	claims_case("{" ISS "," AUD ",\"exp\":1700003600,\"exp\":1}", JWT_EXPIRED,
	    "duplicate exp, last one past");

	/* nbf and iat: optional, not in the future beyond the skew. */
	claims_case("{" ISS "," AUD "," EXP ",\"nbf\":1700000061}", JWT_NOT_YET_VALID, "nbf in the future");
	claims_case("{" ISS "," AUD "," EXP ",\"nbf\":1700000060}", JWT_OK, "nbf within skew");
	claims_case("{" ISS "," AUD "," EXP ",\"iat\":1700000061}", JWT_NOT_YET_VALID, "iat in the future");
	claims_case("{" ISS "," AUD "," EXP ",\"iat\":1700000060}", JWT_OK, "iat within skew");
	claims_case("{" ISS "," AUD "," EXP ",\"iat\":1600000000,\"nbf\":1600000000}", JWT_OK,
	    "iat and nbf in the past");
	claims_case("{" ISS "," AUD "," EXP ",\"nbf\":\"1700000000\"}", JWT_MALFORMED, "nbf is a string");
	claims_case("{" ISS "," AUD "," EXP ",\"iat\":1700000000.5}", JWT_MALFORMED, "iat is a float");
	claims_case("{" ISS "," AUD "," EXP ",\"nbf\":1e400}", JWT_MALFORMED, "nbf 1e400");
	claims_case("{" ISS "," AUD "," EXP ",\"iat\":-99999999999999999999}", JWT_MALFORMED,
	    "iat clamped to INT64_MIN");
	claims_case("{" ISS "," AUD "," EXP ",\"nbf\":99999999999999999999}", JWT_MALFORMED,
	    "nbf clamped");

	/* iss. */
	claims_case("{\"iss\":\"https://evil.example\"," AUD "," EXP "}", JWT_BAD_ISSUER, "wrong iss");
	claims_case("{" AUD "," EXP "}", JWT_BAD_ISSUER, "iss missing");
	claims_case("{\"iss\":5," AUD "," EXP "}", JWT_BAD_ISSUER, "iss is a number");
	claims_case("{\"iss\":[\"https://auth.example\"]," AUD "," EXP "}", JWT_BAD_ISSUER, "iss is an array");
	claims_case("{\"iss\":\"https://auth.example\\u0000evil\"," AUD "," EXP "}", JWT_BAD_ISSUER,
	    "NUL inside iss");
	claims_case("{\"iss\":\"https://auth.example/\"," AUD "," EXP "}", JWT_BAD_ISSUER,
	    "iss with a trailing slash");
	claims_case("{\"iss\":\"https://auth.exampl\"," AUD "," EXP "}", JWT_BAD_ISSUER, "iss prefix");

	/* aud. */
	claims_case("{" ISS ",\"aud\":\"https://evil.example\"," EXP "}", JWT_BAD_AUDIENCE, "wrong aud");
	claims_case("{" ISS "," EXP "}", JWT_BAD_AUDIENCE, "aud missing");
	claims_case("{" ISS ",\"aud\":[\"https://evil.example\",\"https://client2.com\"]," EXP "}",
	    JWT_OK, "aud array with one good value");
	claims_case("{" ISS ",\"aud\":[\"https://evil.example\",\"https://other.example\"]," EXP "}",
	    JWT_BAD_AUDIENCE, "aud array with no good value");
	claims_case("{" ISS ",\"aud\":[]," EXP "}", JWT_BAD_AUDIENCE, "aud empty array");
	claims_case("{" ISS ",\"aud\":[\"https://client1.com\",5]," EXP "}", JWT_BAD_AUDIENCE,
	    "aud array with a non-string");
	claims_case("{" ISS ",\"aud\":5," EXP "}", JWT_BAD_AUDIENCE, "aud is a number");
	claims_case("{" ISS ",\"aud\":{\"x\":\"https://client1.com\"}," EXP "}", JWT_BAD_AUDIENCE,
	    "aud is an object");
	claims_case("{" ISS ",\"aud\":\"https://client1.com\\u0000x\"," EXP "}", JWT_BAD_AUDIENCE,
	    "NUL inside aud");
	claims_case("{" ISS ",\"aud\":[\"https://client1.com\\u0000x\"]," EXP "}", JWT_BAD_AUDIENCE,
	    "NUL inside an aud array element");

	/* Order: claims are judged only after the signature. */
	{
		char *t = mint(ring.key[1], HDR_GOOD, "{" ISS "," EXP "}");

		expect(t, JWT_BAD_SIGNATURE, "bad signature wins over a missing aud");
		free(t);
		t = mint(ring.key[1], HDR_GOOD, "not json");
		expect(t, JWT_BAD_SIGNATURE, "bad signature wins over a garbage payload");
		free(t);
	}
}

static void
test_misc(void)
{
	char *t = mint(ring.key[0], HDR_GOOD, GOOD);
	struct jwt_verify_opts o = opts;
	json_object *c = NULL;

	is_int(jwt_verify(t, strlen(t), NULL, &c), JWT_ERROR, "NULL opts");
	o.issuer = NULL;
	is_int(jwt_verify(t, strlen(t), &o, &c), JWT_ERROR, "NULL issuer");
	o = opts;
	o.aud_check = NULL;
	is_int(jwt_verify(t, strlen(t), &o, &c), JWT_ERROR, "NULL aud_check");
	o = opts;
	o.skew = 0;
	o.now = 1700003600;
	is_int(jwt_verify(t, strlen(t), &o, &c), JWT_EXPIRED, "exp == now without skew");
	o.now = 1700003599;
	is_int(jwt_verify(t, strlen(t), &o, &c), JWT_OK, "exp == now + 1 without skew");
	json_object_put(c);
	c = NULL;
	free(t);

	is_str(jwt_strerror(JWT_MALFORMED), "The token is malformed.", "strerror MALFORMED");
	is_str(jwt_strerror(JWT_EXPIRED), "The token has expired.", "strerror EXPIRED");
	is_str(jwt_strerror(JWT_BAD_SIGNATURE), "The signature is invalid.", "strerror BAD_SIGNATURE");
	is_str(jwt_strerror(JWT_UNKNOWN_KID), "The signing key is unknown.", "strerror UNKNOWN_KID");
	is_str(jwt_strerror(JWT_BAD_ALG), "The token algorithm is not allowed.", "strerror BAD_ALG");
	is_str(jwt_strerror(JWT_NOT_YET_VALID), "The token is not yet valid.", "strerror NOT_YET_VALID");
	is_str(jwt_strerror(JWT_BAD_ISSUER), "The issuer is invalid.", "strerror BAD_ISSUER");
	is_str(jwt_strerror(JWT_BAD_AUDIENCE), "The audience is invalid.", "strerror BAD_AUDIENCE");
	ok(jwt_strerror(JWT_ERROR) != NULL && strchr(jwt_strerror(JWT_ERROR), '"') == NULL,
	    "strerror ERROR is quotable");
	ok(jwt_sign_compact(ring.key[5], "{}", 2, "{}", 2) == NULL, "refuse to sign with an EC P-384 key");
	ok(jwt_sign_compact(ring.key[3], "{}", 2, "{}", 2) == NULL, "refuse to sign with RSA-1024");
	c = json_object_new_object();
	ok(jwt_sign(ring.key[5], "p384", c) == NULL, "jwt_sign refuses an EC P-384 key");
	json_object_put(c);
	is_str(jwt_key_alg(ring.key[0]), "RS256", "jwt_key_alg: RSA-2048 is RS256");
	is_str(jwt_key_alg(ring.key[2]), "ES256", "jwt_key_alg: EC P-256 is ES256");
	is_str(jwt_key_alg(ring.key[4]), "EdDSA", "jwt_key_alg: Ed25519 is EdDSA");
	ok(jwt_key_alg(ring.key[3]) == NULL, "jwt_key_alg: RSA-1024 is none");
	ok(jwt_key_alg(ring.key[5]) == NULL, "jwt_key_alg: EC P-384 is none");
	ok(jwt_key_alg(NULL) == NULL, "jwt_key_alg: NULL is none");
}

/* ---- ES256 and EdDSA ----------------------------------------------------- */

/* RFC 7515 A.3.1: the P-256 key (x, y, d) and the ES256 JWS. */
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_d[] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
static const char a3_compact[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 8037 A.1 key and A.4 JWS (Ed25519). */
static const char a4_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char a4_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char a4_compact[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* Test-only: a P-256 key from JWK members; d NULL for the public key alone. */
static EVP_PKEY *
ec_from_jwk(const char *x, const char *y, const char *d)
{
	unsigned char pt[65], buf[32];
	size_t n1 = 0, n2 = 0, n;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL;

	pt[0] = 0x04;   /* SEC 1 §2.3.3: uncompressed point */
	if (b64url_decode(pt + 1, 32, &n1, x, strlen(x)) != 0 || n1 != 32 ||
	    b64url_decode(pt + 33, 32, &n2, y, strlen(y)) != 0 || n2 != 32 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1)
		goto fail;
	if (d != NULL && (b64url_decode(buf, sizeof(buf), &n, d, strlen(d)) != 0 || n != 32 ||
	    (bn = BN_bin2bn(buf, 32, NULL)) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1))
		goto fail;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	    params) != 1)
		pkey = NULL;
fail:
	BN_clear_free(bn);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Test-only: an Ed25519 key from its JWK d (private) or x (public). */
static EVP_PKEY *
ed_from_jwk(const char *b64, int private)
{
	unsigned char raw[32];
	size_t n = 0;

	if (b64url_decode(raw, sizeof(raw), &n, b64, strlen(b64)) != 0 || n != 32)
		return NULL;
	return private ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, n) :
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
}

static void
test_rfc7515_a3(void)
{
	EVP_PKEY *pub = ec_from_jwk(a3_x, a3_y, NULL), *priv = ec_from_jwk(a3_x, a3_y, a3_d);
	const char *dot = strrchr(a3_compact, '.');
	char *t, *rs;
	char hdr[] = "{\"alg\":\"ES256\"}";

	if (!ok(pub != NULL && priv != NULL, "A.3: P-256 key built from its JWK"))
		goto out;
	is_int(jwt_verify_signature(pub, a3_compact, strlen(a3_compact)), JWT_OK,
	    "A.3: the RFC's ES256 signature (R || S) verifies");
	t = strdup(a3_compact);
	t[dot - a3_compact + 5] = t[dot - a3_compact + 5] == 'A' ? 'B' : 'A';
	is_int(jwt_verify_signature(pub, t, strlen(t)), JWT_BAD_SIGNATURE,
	    "A.3: one character of R changed: refused");
	free(t);

	/* ECDSA is randomised: ours cannot equal the RFC's, but must verify under its key. */
	t = jwt_sign_compact(priv, hdr, strlen(hdr), "{\"iss\":\"joe\"}", 13);
	ok(t != NULL && strlen(strrchr(t, '.') + 1) == 86, "A.3 key: our signature is 86 base64url "
	    "characters (64 bytes)");
	if (t != NULL)
		is_int(jwt_verify_signature(pub, t, strlen(t)), JWT_OK,
		    "A.3 key: our ES256 signature verifies with the RFC's public key");
	free(t);

	/* The same R || S under the RS256 name: refused before any arithmetic. */
	rs = b64url_encode_alloc((const unsigned char *)"{\"alg\":\"RS256\"}", 15);
	t = rs != NULL ? replace_part(a3_compact, 0, rs) : NULL;
	if (t != NULL)
		is_int(jwt_verify_signature(pub, t, strlen(t)), JWT_BAD_ALG,
		    "A.3 with alg RS256 on the EC key: refused");
	free(t);
	free(rs);
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void
test_rfc8037_a4(void)
{
	EVP_PKEY *priv = ed_from_jwk(a4_d, 1), *pub = ed_from_jwk(a4_x, 0);
	const char *d1 = strchr(a4_compact, '.'), *d2 = strrchr(a4_compact, '.');
	char hdr[] = "{\"alg\":\"EdDSA\"}", pay[] = "Example of Ed25519 signing";
	char *t;

	if (!ok(priv != NULL && pub != NULL, "A.4: Ed25519 key built from its JWK"))
		goto out;
	ok((size_t)(d1 - a4_compact) == b64url_encoded_len(strlen(hdr)) &&
	    (size_t)(d2 - d1 - 1) == b64url_encoded_len(strlen(pay)), "A.4: parts as the RFC has them");
	t = jwt_sign_compact(priv, hdr, strlen(hdr), pay, strlen(pay));
	is_str(t, a4_compact, "A.4: compact JWS equals RFC 8037 byte for byte");
	free(t);
	is_int(jwt_verify_signature(pub, a4_compact, strlen(a4_compact)), JWT_OK,
	    "A.4: the RFC's EdDSA signature verifies with the public key");
	t = strdup(a4_compact);
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'K' ? 'L' : 'K';
	is_int(jwt_verify_signature(pub, t, strlen(t)), JWT_BAD_SIGNATURE,
	    "A.4: one character changed: refused");
	free(t);
	is_int(jwt_verify_signature(ring.key[2], a4_compact, strlen(a4_compact)), JWT_BAD_ALG,
	    "A.4 on an EC key: alg EdDSA refused");
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
}

/* The signature part of token, decoded into sig (room for 600). Return its length or 0. */
static size_t
sig_of(const char *token, unsigned char *sig)
{
	const char *s = strrchr(token, '.') + 1;
	size_t n = 0;

	return b64url_decode(sig, 600, &n, s, strlen(s)) == 0 ? n : 0;
}

/* A copy of token with signature bytes sig[0..n). */
static char *
with_sig(const char *token, const unsigned char *sig, size_t n)
{
	char *enc = b64url_encode_alloc(sig, n), *out;

	if (enc == NULL)
		return NULL;
	out = replace_part(token, 2, enc);
	free(enc);
	return out;
}

static void
sig_case(const char *token, const unsigned char *sig, size_t n, enum jwt_rc want,
    const char *name)
{
	char *t = with_sig(token, sig, n);

	expect(t, want, name);
	free(t);
}

/*
 * Mint a token with ring key k under header hdr, check that it verifies
 * with a 64-byte signature (ES256 and EdDSA both have one), that 63, 65
 * and 0 bytes are refused, and so is the signature of ring key other (of
 * the same type, unpublished) under the same header. Return the token
 * (caller frees) with its signature in sig, or NULL.
 */
static char *
sig64_token(int k, int other, const char *hdr, const char *alg, unsigned char sig[600])
{
	char *t = mint(ring.key[k], hdr, GOOD), *u;
	unsigned char bad[600];
	char name[64];

	snprintf(name, sizeof(name), "%s token on its own key", alg);
	expect(t, JWT_OK, name);
	if (t == NULL || sig_of(t, sig) != 64) {
		ok(0, "%s signature is 64 bytes", alg);
		free(t);
		return NULL;
	}
	snprintf(name, sizeof(name), "%s signature of 63 bytes", alg);
	sig_case(t, sig, 63, JWT_BAD_SIGNATURE, name);
	memcpy(bad, sig, 64);
	bad[64] = 0;
	snprintf(name, sizeof(name), "%s signature of 65 bytes", alg);
	sig_case(t, bad, 65, JWT_BAD_SIGNATURE, name);
	snprintf(name, sizeof(name), "%s signature empty", alg);
	sig_case(t, sig, 0, JWT_BAD_SIGNATURE, name);
	u = mint(ring.key[other], hdr, GOOD);
	snprintf(name, sizeof(name), "%s signed by another key under the kid", alg);
	expect(u, JWT_BAD_SIGNATURE, name);
	free(u);
	return t;
}

/* v (32 bytes, big-endian) = m - v. */
static void
be_sub_from(unsigned char *v, const unsigned char *m)
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = (int)m[i] - (int)v[i] - borrow;

		borrow = d < 0;
		v[i] = (unsigned char)(d + (borrow ? 256 : 0));
	}
}

static const unsigned char p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static void
test_es256(void)
{
	unsigned char sig[600], bad[600], *der = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r, *s;
	char *t;
	int dlen;

	/* Lengths: the JWS form is exactly 64 bytes. */
	t = sig64_token(2, 6, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "ES256", sig);
	if (t == NULL)
		return;
	sig_case(t, sig, 32, JWT_BAD_SIGNATURE, "ES256 signature of R alone");

	/* The same signature in OpenSSL's DER form, as a naive signer sends it. */
	if ((r = BN_bin2bn(sig, 32, NULL)) != NULL && (s = BN_bin2bn(sig + 32, 32, NULL)) != NULL &&
	    (es = ECDSA_SIG_new()) != NULL && ECDSA_SIG_set0(es, r, s) == 1 &&
	    (dlen = i2d_ECDSA_SIG(es, &der)) > 0) {
		sig_case(t, der, (size_t)dlen, JWT_BAD_SIGNATURE, "ES256 signature in DER form");
		/* Padded or cut to 64 bytes, DER still is not R || S. */
		memset(bad, 0, sizeof(bad));
		memcpy(bad, der, (size_t)dlen < 64 ? (size_t)dlen : 64);
		sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 DER signature squeezed into 64 bytes");
	} else
		ok(0, "DER form of the ES256 signature");
	ECDSA_SIG_free(es);
	OPENSSL_free(der);

	/* R and S must be in 1..n-1 (SEC 1 §4.1.4). */
	memcpy(bad, sig, 64);
	memset(bad, 0, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 R = 0");
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 S = 0");
	memset(bad, 0, 64);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 R = S = 0");
	memcpy(bad, sig, 64);
	memcpy(bad, p256_n, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 R = n");
	memcpy(bad, sig, 64);
	memcpy(bad + 32, p256_n, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 S = n");
	memcpy(bad, sig, 64);
	memset(bad + 32, 0xff, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 S = 2^256 - 1");
	/* R + n would still be R modulo n: refused by range, not by the math. */
	memcpy(bad, sig, 64);
	memset(bad, 0xff, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 R = 2^256 - 1");
	memcpy(bad, sig + 32, 32);
	memcpy(bad + 32, sig, 32);
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "ES256 R and S swapped");

	/*
	 * High S: (R, n - S) is the same signature's twin, valid ECDSA over
	 * the same bytes. Accepted (jwt.h says why); one of the pair is high.
	 */
	memcpy(bad, sig, 64);
	be_sub_from(bad + 32, p256_n);
	sig_case(t, bad, 64, JWT_OK, "ES256 (R, n - S), the high/low-S twin: accepted");
	free(t);
}

static void
test_eddsa(void)
{
	/* L, the order of Ed25519's base point, little-endian (RFC 8032 §5.1). */
	static const unsigned char ell[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
		0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	unsigned char sig[600], bad[600];
	unsigned int carry = 0;
	char *t;

	t = sig64_token(4, 7, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "EdDSA", sig);
	if (t == NULL)
		return;
	memcpy(bad, sig, 64);
	bad[10] ^= 0x01;
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "EdDSA signature with one bit of R flipped");
	/* RFC 8032 §5.1.7: S must be below L; S + L is the same S modulo L. */
	memcpy(bad, sig, 64);
	for (int i = 0; i < 32; i++) {
		unsigned int v = (unsigned int)bad[32 + i] + ell[i] + carry;

		bad[32 + i] = (unsigned char)v;
		carry = v >> 8;
	}
	sig_case(t, bad, 64, JWT_BAD_SIGNATURE, "EdDSA S + L (non-canonical S)");
	free(t);
}

/* RFC 8725 §3.1: every header alg against every key type, signed by the kid's own key or not. */
static void
test_alg_confusion(void)
{
	static const struct {
		int signer;
		const char *hdr;
		const char *name;
	} cases[] = {
		{ 2, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}", "ES256 header on the RSA kid, signed by an EC key" },
		{ 0, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}", "ES256 header on the RSA kid, RSA signature" },
		{ 4, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"$KID\"}", "EdDSA header on the RSA kid" },
		{ 0, "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "RS256 header on the EC kid" },
		{ 4, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "EdDSA header on the EC kid" },
		{ 2, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "EdDSA header on the EC kid, EC signature" },
		{ 2, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "ES256 header on the Ed25519 kid" },
		{ 0, "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "RS256 header on the Ed25519 kid" },
		{ 2, "{\"alg\":\"ES384\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "ES384 on the EC kid" },
		{ 2, "{\"alg\":\"es256\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "es256 (lower case) on the EC kid" },
		{ 2, "{\"alg\":\"ES256K\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "ES256K on the EC kid" },
		{ 4, "{\"alg\":\"Ed25519\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "Ed25519 (a crv, not an alg) on the OKP kid" },
		{ 4, "{\"alg\":\"EDDSA\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "EDDSA (case) on the OKP kid" },
		{ 2, "{\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}", "none on the EC kid" },
		{ 4, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", "HS256 on the OKP kid" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = mint(ring.key[cases[i].signer], cases[i].hdr, GOOD);

		expect(t, JWT_BAD_ALG, cases[i].name);
		free(t);
	}
	/* And the HMAC of the EC key's public point, under HS256: no key is HMAC. */
	{
		char *h = b64url_encode_alloc((const unsigned char *)"{\"alg\":\"HS256\",\"kid\":\"ec\"}", 26);
		char *p = b64url_encode_alloc((const unsigned char *)GOOD, strlen(GOOD));
		char buf[2048];

		snprintf(buf, sizeof(buf), "%s.%s.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", h, p);
		expect(buf, JWT_BAD_ALG, "HS256 token naming the EC kid");
		free(h);
		free(p);
	}
}

static void
test_sign_algs(void)
{
	json_object *claims = json_object_new_object(), *got = NULL;
	unsigned char buf[256];
	size_t n;
	char *t;
	static const struct { int key; const char *kid, *hdr; } k[] = {
		{ 2, "ec", "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"ec\"}" },
		{ 4, "ed", "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}" },
	};

	json_object_object_add(claims, "iss", json_object_new_string("https://auth.example"));
	json_object_object_add(claims, "aud", json_object_new_string("https://client1.com"));
	json_object_object_add(claims, "exp", json_object_new_int64(NOW + 3600));
	for (size_t i = 0; i < 2; i++) {
		t = jwt_sign(ring.key[k[i].key], k[i].kid, claims);
		if (!ok(t != NULL, "jwt_sign with %s", k[i].kid))
			continue;
		ok(b64url_decode(buf, sizeof(buf) - 1, &n, t, (size_t)(strchr(t, '.') - t)) == 0,
		    "%s: header decodes", k[i].kid);
		buf[n] = '\0';
		is_str((char *)buf, k[i].hdr, "%s: header names the key's alg", k[i].kid);
		is_int(jwt_verify(t, strlen(t), &opts, &got), JWT_OK, "%s: round trip", k[i].kid);
		json_object_put(got);
		got = NULL;
		free(t);
	}
	json_object_put(claims);
}

/* Hits and misses since the last call. */
static void
expect_counts(unsigned long hits, unsigned long misses, const char *name)
{
	static unsigned long h0, m0;
	unsigned long h, m;

	jwtcache_stats(opts.cache, &h, &m);
	ok(h - h0 == hits && m - m0 == misses, "%s: %lu hit(s), %lu miss(es)", name, hits, misses);
	if (h - h0 != hits || m - m0 != misses)
		diag("got %lu hit(s), %lu miss(es)", h - h0, m - m0);
	h0 = h;
	m0 = m;
}

/*
 * The cache may only ever save work: whatever changed since a token was
 * first verified (its key unpublished or replaced under the same kid, the
 * clock past exp, its client deleted) must give the answer the full path
 * gives, and a token differing in any byte is not a hit.
 */
static void
test_cache(void)
{
	char *t = mint(ring.key[0], HDR_GOOD, GOOD);
	char *u = mint(ring.key[0], HDR_GOOD, "{" ISS "," AUD ",\"sub\":\"2\"," EXP "}");
	char *forged = t != NULL ? strdup(t) : NULL;
	struct jwtcache *one = jwtcache_new(1);
	json_object *c = NULL;

	ok(jwtcache_new(0) == NULL, "a cache has at least one slot");
	if (!ok(t != NULL && u != NULL && forged != NULL && one != NULL, "cache fixtures"))
		goto out;
	opts.cache = one;
	expect_counts(0, 0, "start");

	is_int(jwt_verify(t, strlen(t), &opts, &c), JWT_OK, "first look: full path");
	expect_counts(0, 1, "first look");
	json_object_put(c);
	c = NULL;
	is_int(jwt_verify(t, strlen(t), &opts, &c), JWT_OK, "second look: from the cache");
	expect_counts(1, 0, "second look");
	ok(c != NULL && json_object_is_type(c, json_type_object), "a hit returns the claims");
	json_object_put(c);
	c = NULL;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "a hit without claims wanted");
	expect_counts(1, 0, "hit, claims not wanted");

	/* The same header and payload with another signature: never a hit. */
	forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
	is_int(jwt_verify(forged, strlen(forged), &opts, NULL), JWT_BAD_SIGNATURE,
	    "a changed signature is checked, not remembered");
	expect_counts(0, 1, "changed signature");

	ring.kid[0] = NULL;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_UNKNOWN_KID, "key unpublished since: refused");
	ring.kid[0] = kid1;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "key published again: accepted");

	opts.now = 1700003600 + SKEW;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_EXPIRED, "expired since: refused");
	opts.now = NOW;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "clock back: accepted");

	client1_gone = 1;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_BAD_AUDIENCE, "client deleted since: refused");
	client1_gone = 0;

	/* One slot: u evicts t, and t is then verified in full again. */
	/* Each change above: a hit that no longer held, dropped; then a miss. */
	expect_counts(3, 2, "changes since caching");
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "t cached");
	is_int(jwt_verify(u, strlen(u), &opts, NULL), JWT_OK, "u replaces it");
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "t again");
	expect_counts(0, 3, "one slot: every switch is a miss");
out:
	opts.cache = NULL;
	jwtcache_free(one);
	free(forged);
	free(u);
	free(t);
}

/* kid1 names another key than the one that verified a cached token. */
static void
test_cache_key_replaced(void)
{
	char *t = mint(ring.key[0], HDR_GOOD, GOOD);
	struct jwtcache *c = jwtcache_new(8);
	EVP_PKEY *k0 = ring.key[0];

	if (!ok(t != NULL && c != NULL, "key-replaced fixtures"))
		goto out;
	opts.cache = c;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "cached under key 0");
	ring.key[0] = ring.key[1];
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_BAD_SIGNATURE,
	    "kid now names another key: the signature is checked again, and fails");
	ring.key[0] = k0;
	is_int(jwt_verify(t, strlen(t), &opts, NULL), JWT_OK, "the old key back: accepted");
out:
	opts.cache = NULL;
	jwtcache_free(c);
	free(t);
}

int
main(void)
{
	ring.key[0] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ring.key[1] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ring.key[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ring.key[3] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ring.key[4] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ring.key[5] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ring.key[6] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ring.key[7] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!ok(ring.key[0] != NULL && ring.key[1] != NULL && ring.key[2] != NULL &&
	    ring.key[3] != NULL && ring.key[4] != NULL && ring.key[5] != NULL &&
	    ring.key[6] != NULL && ring.key[7] != NULL, "generate test keys") ||
	    !ok(jwk_thumbprint(ring.key[0], kid1) == 0, "kid of the test key"))
		return done_testing();
	/* key[1], key[6] and key[7] are not published: they only sign forgeries. */
	ring.kid[0] = kid1;
	ring.kid[2] = "ec";
	ring.kid[3] = "small";
	ring.kid[4] = "ed";
	ring.kid[5] = "p384";

	opts.issuer = "https://auth.example";
	opts.now = NOW;
	opts.skew = SKEW;
	opts.key_lookup = ring_lookup;
	opts.key_arg = &ring;
	opts.aud_check = aud_ok;
	opts.aud_arg = NULL;

	test_rfc7515_a2();
	test_rfc7515_a3();
	test_rfc8037_a4();
	test_roundtrip();
	test_sign_algs();
	test_structure();
	test_header();
	test_alg_confusion();
	test_es256();
	test_eddsa();
	test_claims();
	test_misc();
	test_cache();
	test_cache_key_replaced();

	/* Every case once more through a small cache, each token looked at twice. */
	if ((opts.cache = jwtcache_new(4)) != NULL) {
		test_roundtrip();
		test_structure();
		test_header();
		test_alg_confusion();
		test_es256();
		test_eddsa();
		test_claims();
		jwtcache_free(opts.cache);
		opts.cache = NULL;
	} else
		ok(0, "cache for the second pass");

	for (size_t i = 0; i < RING; i++)
		EVP_PKEY_free(ring.key[i]);
	return done_testing();
}
