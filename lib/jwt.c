/*
 * jwt.c: JWS compact serialization with RS256 (RFC 7518 §3.3), ES256
 * (RFC 7518 §3.4) and EdDSA over Ed25519 (RFC 8037 §3.1), RFC 7515 §7.1,
 * and the JWT claim checks of SPEC §4 (RFC 7519 §4.1, RFC 8725).
 *
 * RFC 8725 §3.1: each key is used with exactly one algorithm, and that
 * algorithm is a function of the key's type (jwt_key_alg): an RSA key of
 * at least 2048 bits is RS256, an EC key on P-256 is ES256, an Ed25519
 * key is EdDSA, anything else is no signing key of ours. The verifier
 * takes the key the kid names and insists that the header's alg is that
 * key's alg, byte for byte; the header never chooses the code path.
 *
 * jwt_verify works from the cheapest and least trusting check to the most
 * expensive: length and shape, strict base64url, the header (parsed from
 * untrusted bytes, so with a depth limit and a full-input check), the key,
 * the signature, and only then the payload and its claims. Nothing in the
 * payload is looked at before the signature over it has been verified.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "jwt.h"
#include "jwtcache.h"
#include "log.h"

/* Decoded size of the longest part that fits in a JWT_MAX_LEN token. */
#define JWT_PART_MAX (JWT_MAX_LEN / 4 * 3 + 3)
/* Nesting limit for JSON from the wire; our tokens nest two levels. */
#define JWT_JSON_DEPTH 16
/* RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used". */
#define JWT_RSA_MIN_BITS 2048

#define JWT_SERIALISE (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The algorithms, in the order of enum jwt_alg; the JWS "alg" names. */
enum jwt_alg { JWT_ALG_RS256, JWT_ALG_ES256, JWT_ALG_EDDSA, JWT_ALG_COUNT };
static const char *const jwt_alg_names[JWT_ALG_COUNT] = { "RS256", "ES256", "EdDSA" };

/* RFC 7518 §3.4: R and S are 32 octets each for P-256. */
#define JWT_ES256_HALF 32
#define JWT_ES256_SIG  (2 * JWT_ES256_HALF)
/* An ECDSA-Sig-Value for P-256 in DER is at most 72 octets. */
#define JWT_ES256_DER_MAX 80
/* RFC 8032 §5.1.6: an Ed25519 signature is 64 octets. */
#define JWT_EDDSA_SIG  64

/* The order n of P-256's base point (SEC 2 §2.4.2), big-endian. */
static const unsigned char jwt_p256_order[JWT_ES256_HALF] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/*
 * Return the enum jwt_alg key is used with, or -1 if it is no key of ours:
 * RSA below 2048 bits (RFC 7518 §3.3), EC on another curve than P-256,
 * RSA-PSS, Ed448, X25519, DSA... Keys come from our own store, so a wrong
 * one is a server fault, not a bad token (logged). RFC 8725 §3.1: the
 * key type is pinned along with the algorithm.
 */
static int
jwt_alg_of(EVP_PKEY *key)
{
	char group[64];
	size_t glen = 0;

	if (key == NULL) {
		log_err("no signing key");
		return -1;
	}
	if (EVP_PKEY_is_a(key, "RSA") == 1) {
		if (EVP_PKEY_get_bits(key) < JWT_RSA_MIN_BITS) {
			log_err("RSA key of %d bits is below %d", EVP_PKEY_get_bits(key),
			    JWT_RSA_MIN_BITS);
			return -1;
		}
		return JWT_ALG_RS256;
	}
	if (EVP_PKEY_is_a(key, "EC") == 1) {
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1 ||
		    OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
			ERR_clear_error();
			log_err("EC key is not on P-256");
			return -1;
		}
		return JWT_ALG_ES256;
	}
	if (EVP_PKEY_is_a(key, "ED25519") == 1)
		return JWT_ALG_EDDSA;
	log_err("signing key of type %s is not RSA, EC P-256 or Ed25519",
	    EVP_PKEY_get0_type_name(key) != NULL ? EVP_PKEY_get0_type_name(key) : "?");
	return -1;
}

const char *
jwt_key_alg(EVP_PKEY *key)
{
	int alg = jwt_alg_of(key);

	return alg < 0 ? NULL : jwt_alg_names[alg];
}

/* The JWS signature length of alg with key: RSA's modulus size, else fixed. */
static size_t
jwt_sig_len(int alg, EVP_PKEY *key)
{
	int ksize;

	switch (alg) {
	case JWT_ALG_RS256:
		ksize = EVP_PKEY_get_size(key);
		return ksize > 0 ? (size_t)ksize : 0;
	case JWT_ALG_ES256:
		return JWT_ES256_SIG;
	case JWT_ALG_EDDSA:
		return JWT_EDDSA_SIG;
	}
	return 0;
}

/*
 * Set up ctx to sign (sign != 0) or verify with alg: RSASSA-PKCS1-v1_5
 * with SHA-256 (RFC 7518 §3.3), ECDSA with SHA-256 (§3.4), or Ed25519,
 * which hashes internally and takes no digest (RFC 8032 §5.1). Return 0
 * or -1.
 */
static int
jwt_md_init(EVP_MD_CTX *ctx, EVP_PKEY *key, int alg, int sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const char *md = alg == JWT_ALG_EDDSA ? NULL : "SHA256";
	int r;

	if (sign)
		r = EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL);
	else
		r = EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL);
	if (r != 1 || (alg == JWT_ALG_RS256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
		log_err("cannot set up %s %s", jwt_alg_names[alg],
		    sign ? "signing" : "verification");
		return -1;
	}
	return 0;
}

/*
 * RFC 7518 §3.4: the ES256 JWS signature is R || S, each a 32-octet
 * big-endian integer; OpenSSL speaks DER (an ECDSA-Sig-Value). Convert
 * der[0..derlen) into out[64]. Return 0 or -1.
 */
static int
jwt_es256_from_der(const unsigned char *der, size_t derlen,
    unsigned char out[JWT_ES256_SIG])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int rc = -1;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen) {
		log_err("OpenSSL returned an unreadable ECDSA signature");
		goto fail;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, JWT_ES256_HALF) != JWT_ES256_HALF ||
	    BN_bn2binpad(s, out + JWT_ES256_HALF, JWT_ES256_HALF) != JWT_ES256_HALF) {
		log_err("ECDSA signature does not fit R || S");
		goto fail;
	}
	rc = 0;
fail:
	ECDSA_SIG_free(es);
	return rc;
}

/*
 * 1 if the 32-octet big-endian v is in 1..n-1 (SEC 1 §4.1.4 step 1: R and
 * S out of that range are refused before any arithmetic), else 0.
 */
static int
jwt_es256_in_range(const unsigned char v[JWT_ES256_HALF])
{
	unsigned char any = 0;

	for (size_t i = 0; i < JWT_ES256_HALF; i++)
		any |= v[i];
	/* Big-endian and equal length: byte order is numeric order. */
	return any != 0 && memcmp(v, jwt_p256_order, JWT_ES256_HALF) < 0;
}

/*
 * The DER form OpenSSL verifies, of the JWS R || S in sig[64]. Return a
 * malloc'd buffer with its length in *derlen, or NULL (R or S out of
 * range, or out of memory). High S is accepted: see doc and jwt.h.
 */
static unsigned char *
jwt_es256_to_der(const unsigned char sig[JWT_ES256_SIG], size_t *derlen)
{
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	int n;

	if (!jwt_es256_in_range(sig) || !jwt_es256_in_range(sig + JWT_ES256_HALF)) {
		log_debug("token refused: ES256 R or S is zero or not below the order");
		return NULL;
	}
	if ((r = BN_bin2bn(sig, JWT_ES256_HALF, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + JWT_ES256_HALF, JWT_ES256_HALF, NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		log_err("out of memory");
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	/* es owns r and s now. */
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0) {
		log_err("cannot encode an ECDSA signature");
		der = NULL;
	} else
		*derlen = (size_t)n;
	ECDSA_SIG_free(es);
	return der;
}

/*
 * Sign input[0..ilen) with key as alg into sig, which has room for
 * jwt_sig_len(alg, key) bytes, exactly what is written. Return 0 or -1.
 */
static int
jwt_sign_input(EVP_PKEY *key, int alg, const char *input, size_t ilen,
    unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char der[JWT_ES256_DER_MAX];
	unsigned char *out = alg == JWT_ALG_ES256 ? der : sig;
	size_t outcap = alg == JWT_ALG_ES256 ? sizeof(der) : siglen, outlen = outcap;
	int rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL || jwt_md_init(ctx, key, alg, 1) != 0)
		goto fail;
	if (EVP_DigestSign(ctx, out, &outlen, (const unsigned char *)input, ilen) != 1 ||
	    (alg != JWT_ALG_ES256 && outlen != siglen)) {
		log_err("%s signing failed", jwt_alg_names[alg]);
		goto fail;
	}
	if (alg == JWT_ALG_ES256 && jwt_es256_from_der(der, outlen, sig) != 0)
		goto fail;
	rc = 0;
fail:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *
jwt_sign_compact(EVP_PKEY *priv, const char *header, size_t hlen,
    const char *payload, size_t plen)
{
	unsigned char *sig = NULL;
	char *out = NULL;
	size_t h64, p64, s64, inlen, cap, siglen;
	int alg;

	if (header == NULL || payload == NULL || (alg = jwt_alg_of(priv)) < 0)
		return NULL;
	/*
	 * Never mint a token our own verifier would refuse as too long; this
	 * also keeps every length below far from overflowing.
	 */
	if ((siglen = jwt_sig_len(alg, priv)) == 0 || siglen > JWT_MAX_LEN ||
	    hlen > JWT_MAX_LEN || plen > JWT_MAX_LEN) {
		log_err("token would exceed %d bytes", JWT_MAX_LEN);
		return NULL;
	}
	h64 = b64url_encoded_len(hlen);
	p64 = b64url_encoded_len(plen);
	s64 = b64url_encoded_len(siglen);
	if (h64 + 1 + p64 + 1 + s64 > JWT_MAX_LEN) {
		log_err("token would exceed %d bytes", JWT_MAX_LEN);
		return NULL;
	}
	cap = h64 + 1 + p64 + 1 + s64 + 1;
	if ((out = malloc(cap)) == NULL || (sig = malloc(siglen)) == NULL) {
		log_err("out of memory");
		goto fail;
	}

	/* RFC 7515 §7.1: BASE64URL(header) "." BASE64URL(payload) is the signing input. */
	if (b64url_encode(out, cap, (const unsigned char *)header, hlen) != 0)
		goto fail;
	out[h64] = '.';
	if (b64url_encode(out + h64 + 1, cap - h64 - 1,
	    (const unsigned char *)payload, plen) != 0)
		goto fail;
	inlen = h64 + 1 + p64;

	if (jwt_sign_input(priv, alg, out, inlen, sig, siglen) != 0)
		goto fail;
	out[inlen] = '.';
	if (b64url_encode(out + inlen + 1, cap - inlen - 1, sig, siglen) != 0)
		goto fail;
	free(sig);
	return out;
fail:
	free(sig);
	free(out);
	return NULL;
}

char *
jwt_sign(EVP_PKEY *priv, const char *kid, json_object *claims)
{
	json_object *hdr = NULL, *v;
	const char *hs, *ps, *alg;
	size_t hlen, plen;
	char *token = NULL;

	if ((alg = jwt_key_alg(priv)) == NULL)
		return NULL;
	if (kid == NULL || *kid == '\0' || strlen(kid) > JWT_KID_MAX ||
	    !json_object_is_type(claims, json_type_object)) {
		log_err("bad kid or claims");
		return NULL;
	}
	/* SPEC §4; RFC 9068 §2.1: typ "at+jwt" marks an OAuth access token. */
	if ((hdr = json_object_new_object()) == NULL)
		goto oom;
	if ((v = json_object_new_string(alg)) == NULL)
		goto oom;
	if (json_object_object_add(hdr, "alg", v) != 0) {
		json_object_put(v);
		goto oom;
	}
	if ((v = json_object_new_string("at+jwt")) == NULL)
		goto oom;
	if (json_object_object_add(hdr, "typ", v) != 0) {
		json_object_put(v);
		goto oom;
	}
	if ((v = json_object_new_string(kid)) == NULL)
		goto oom;
	if (json_object_object_add(hdr, "kid", v) != 0) {
		json_object_put(v);
		goto oom;
	}
	/*
	 * Plain, and without json-c's default "\/" escaping of slashes (valid
	 * JSON either way; this keeps URLs in iss and aud as written).
	 */
	if ((hs = json_object_to_json_string_length(hdr, JWT_SERIALISE, &hlen)) == NULL ||
	    (ps = json_object_to_json_string_length(claims, JWT_SERIALISE, &plen)) == NULL)
		goto oom;
	token = jwt_sign_compact(priv, hs, hlen, ps, plen);
	json_object_put(hdr);
	return token;
oom:
	log_err("cannot build the token header or payload");
	json_object_put(hdr);
	return NULL;
}

/*
 * Parse len bytes at buf as exactly one JSON object. Return it (caller
 * puts it) or NULL. json-c 0.16 stops at the end of the first value and
 * would otherwise let trailing bytes (a NUL, say) through, hence the
 * parse-end check; whitespace after the object is consumed by json-c and
 * is valid JSON text (RFC 8259 §2). The depth limit bounds the work and
 * the stack spent on a header nobody has authenticated yet.
 */
static json_object *
jwt_parse_object(const char *buf, size_t len)
{
	json_tokener *tok;
	json_object *obj;

	if (len == 0 || len > JWT_PART_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(JWT_JSON_DEPTH)) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/*
 * Return the string in v, or NULL if v is not a string or holds an
 * embedded NUL (json-c keeps "\u0000" inside strings, and C would compare
 * only the part before it).
 */
static const char *
jwt_str_value(json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/*
 * Read the NumericDate member key (RFC 7519 §2) of obj into *out.
 * Return 1 if present and valid, 0 if absent, -1 if not an integer: a
 * double (also 1e400, which json-c makes inf), a string, a bool, or a
 * value json-c clamped to the int64 limits because it did not fit.
 */
static int
jwt_get_time(json_object *obj, const char *key, long long *out)
{
	json_object *v;
	int64_t t;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	t = json_object_get_int64(v);
	if (t == INT64_MAX || t == INT64_MIN)
		return -1;
	*out = (long long)t;
	return 1;
}

/*
 * Set *alg to the enum jwt_alg the header's alg names. RFC 8725 §3.1: the
 * algorithm is pinned by the key, so alg is compared, never obeyed; a name
 * no key of ours can have (none, HS256, rs256...) is refused here already,
 * before any key is looked up. Whether it is the alg of the key kid names
 * is checked once the key is known (jwt_check_signature).
 */
static enum jwt_rc
jwt_header_alg(json_object *hdr, int *alg)
{
	const char *name;
	json_object *v;

	*alg = -1;
	if (json_object_object_get_ex(hdr, "alg", &v) && (name = jwt_str_value(v)) != NULL)
		for (int i = 0; i < JWT_ALG_COUNT; i++)
			if (strcmp(name, jwt_alg_names[i]) == 0)
				*alg = i;
	if (*alg < 0) {
		log_debug("token refused: alg is not RS256, ES256 or EdDSA");
		return JWT_BAD_ALG;
	}
	return JWT_OK;
}

/*
 * RFC 8725 §3.1, §3.10, §3.11 and RFC 7515 §4.1: the header checks. Set *alg to
 * the enum jwt_alg the header names, *kid to its kid.
 */
static enum jwt_rc
jwt_check_header(json_object *hdr, int *alg, const char **kid)
{
	static const char *const refused[] = { "jwk", "jku", "x5u", "x5c", "crit" };
	const char *typ;
	json_object *v;
	size_t i;

	if (jwt_header_alg(hdr, alg) != JWT_OK)
		return JWT_BAD_ALG;
	/*
	 * Keys come only from our key store. A header that embeds or points
	 * to a key (jwk, jku, x5u, x5c) is refused rather than ignored, and
	 * so is crit: we understand no extension (RFC 7515 §4.1.11).
	 */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (json_object_object_get_ex(hdr, refused[i], NULL)) {
			log_debug("token refused: header has \"%s\"", refused[i]);
			return JWT_BAD_ALG;
		}
	}
	if (!json_object_object_get_ex(hdr, "kid", &v) ||
	    (*kid = jwt_str_value(v)) == NULL || **kid == '\0' ||
	    strlen(*kid) > JWT_KID_MAX) {
		log_debug("token refused: no usable kid");
		return JWT_UNKNOWN_KID;
	}
	/*
	 * RFC 8725 §3.11, RFC 9068 §4: explicit typing. Only a token typed as
	 * an access token is one, so that no other JWT signed with our keys
	 * (an ID token, say) can stand in for it. typ is a media type, which
	 * RFC 7515 §4.1.9 compares case-insensitively, with "application/"
	 * optional.
	 */
	if (!json_object_object_get_ex(hdr, "typ", &v) || (typ = jwt_str_value(v)) == NULL ||
	    (strcasecmp(typ, "at+jwt") != 0 && strcasecmp(typ, "application/at+jwt") != 0)) {
		log_debug("token refused: typ is not at+jwt");
		return JWT_BAD_TYPE;
	}
	return JWT_OK;
}

/*
 * Verify sig over input[0..ilen) with key, whose alg the header named
 * (halg). RFC 8725 §3.1: the header's alg must be exactly the key's.
 */
static enum jwt_rc
jwt_check_signature(EVP_PKEY *key, int halg, const char *input, size_t ilen,
    const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	size_t want, derlen = 0;
	enum jwt_rc rc = JWT_ERROR;
	int alg;

	if ((alg = jwt_alg_of(key)) < 0 || (want = jwt_sig_len(alg, key)) == 0)
		return JWT_ERROR;
	if (alg != halg) {
		log_debug("token refused: alg %s on a %s key", jwt_alg_names[halg],
		    jwt_alg_names[alg]);
		return JWT_BAD_ALG;
	}
	/*
	 * The signature is exactly the length its algorithm defines (RFC 8017
	 * §8.2.2 step 1: k octets for RSA; RFC 7518 §3.4: 64 octets of R || S,
	 * so a DER signature is refused; RFC 8032 §5.1.7: 64 octets). Checked
	 * before OpenSSL sees it.
	 */
	if (slen != want) {
		log_debug("token refused: %s signature of %zu bytes, not %zu",
		    jwt_alg_names[alg], slen, want);
		return JWT_BAD_SIGNATURE;
	}
	if (alg == JWT_ALG_ES256) {
		if ((der = jwt_es256_to_der(sig, &derlen)) == NULL)
			return JWT_BAD_SIGNATURE;
		sig = der;
		slen = derlen;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	if (jwt_md_init(ctx, key, alg, 0) != 0)
		goto fail;
	if (EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)input, ilen) == 1) {
		rc = JWT_OK;
	} else {
		/* 0 is a bad signature; OpenSSL also reports a malformed one as < 0. */
		log_debug("token refused: bad signature");
		rc = JWT_BAD_SIGNATURE;
	}
fail:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

/* aud (RFC 7519 §4.1.3): a string, or an array of strings one of which we accept. */
static enum jwt_rc
jwt_check_audience(json_object *claims, const struct jwt_verify_opts *opts)
{
	json_object *aud, *v;
	const char *s;
	size_t i, n;
	int accepted = 0;

	if (!json_object_object_get_ex(claims, "aud", &aud))
		return JWT_BAD_AUDIENCE;
	if (json_object_is_type(aud, json_type_string)) {
		if ((s = jwt_str_value(aud)) == NULL)
			return JWT_BAD_AUDIENCE;
		return opts->aud_check(opts->aud_arg, s) == 1 ? JWT_OK : JWT_BAD_AUDIENCE;
	}
	if (!json_object_is_type(aud, json_type_array))
		return JWT_BAD_AUDIENCE;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(aud, i);
		/* Every element must be a string, not just the accepted one. */
		if ((s = jwt_str_value(v)) == NULL)
			return JWT_BAD_AUDIENCE;
		if (!accepted && opts->aud_check(opts->aud_arg, s) == 1)
			accepted = 1;
	}
	return accepted ? JWT_OK : JWT_BAD_AUDIENCE;
}

/* SPEC §4 claim checks on a payload whose signature has been verified. */
static enum jwt_rc
jwt_check_claims(json_object *claims, const struct jwt_verify_opts *opts)
{
	long long exp = 0, nbf = 0, iat = 0, lo, hi;
	json_object *v;
	const char *iss;
	int r, r2;

	/* RFC 7519 §4.1.4 with SPEC §4's skew, computed without overflow. */
	if (__builtin_sub_overflow(opts->now, (long long)opts->skew, &lo) ||
	    __builtin_add_overflow(opts->now, (long long)opts->skew, &hi)) {
		log_err("clock out of range");
		return JWT_ERROR;
	}
	/* exp is required (SPEC §4), so absent and ill-typed both mean expired. */
	if (jwt_get_time(claims, "exp", &exp) != 1 || exp <= lo) {
		log_debug("token refused: expired or no valid exp");
		return JWT_EXPIRED;
	}
	/* nbf (§4.1.5) and iat (§4.1.6) are optional; ill-typed is malformed. */
	if ((r = jwt_get_time(claims, "nbf", &nbf)) < 0 ||
	    (r2 = jwt_get_time(claims, "iat", &iat)) < 0) {
		log_debug("token refused: nbf or iat is not an integer");
		return JWT_MALFORMED;
	}
	if ((r == 1 && nbf > hi) || (r2 == 1 && iat > hi)) {
		log_debug("token refused: nbf or iat in the future");
		return JWT_NOT_YET_VALID;
	}
	/* iss (§4.1.1): exactly our issuer. */
	if (!json_object_object_get_ex(claims, "iss", &v) ||
	    (iss = jwt_str_value(v)) == NULL || strcmp(iss, opts->issuer) != 0) {
		log_debug("token refused: wrong issuer");
		return JWT_BAD_ISSUER;
	}
	if (jwt_check_audience(claims, opts) != JWT_OK) {
		log_debug("token refused: no accepted audience");
		return JWT_BAD_AUDIENCE;
	}
	return JWT_OK;
}

/*
 * A token remembered by the cache (same bytes as one verified before) is
 * still good if its kid names the very key that verified it and its
 * claims pass again now. Return 1 if so, 0 if the full path must judge it.
 */
static int
jwt_cached_ok(json_object *pay, EVP_PKEY *vkey, const char *kid,
    const struct jwt_verify_opts *opts)
{
	EVP_PKEY *key = opts->key_lookup(opts->key_arg, kid);

	if (key == NULL || (key != vkey && EVP_PKEY_eq(key, vkey) != 1)) {
		ERR_clear_error();
		return 0;
	}
	return jwt_check_claims(pay, opts) == JWT_OK;
}

/*
 * SPEC §4: at most 8 KiB, exactly three parts (RFC 7515 §7.1). Set *d1
 * and *d2 to the two dots. Return 0, or -1 for a malformed token.
 */
static int
jwt_split(const char *token, size_t len, const char **d1, const char **d2)
{
	if (token == NULL || len == 0 || len > JWT_MAX_LEN)
		return -1;
	if ((*d1 = memchr(token, '.', len)) == NULL ||
	    (*d2 = memchr(*d1 + 1, '.', len - (size_t)(*d1 + 1 - token))) == NULL ||
	    memchr(*d2 + 1, '.', len - (size_t)(*d2 + 1 - token)) != NULL)
		return -1;
	return 0;
}

/*
 * Strict base64url (no padding, no whitespace, canonical bits) of the
 * three parts into hbuf and pbuf (JWT_PART_MAX + 1 bytes each, decoded
 * text NUL-terminated for json-c) and sig (JWT_PART_MAX). Return 0 or -1.
 */
static int
jwt_decode(const char *token, size_t len, const char *d1, const char *d2,
    unsigned char *hbuf, size_t *hlen, unsigned char *pbuf, size_t *plen,
    unsigned char *sig, size_t *slen)
{
	if (b64url_decode(hbuf, JWT_PART_MAX, hlen, token, (size_t)(d1 - token)) != 0 ||
	    b64url_decode(pbuf, JWT_PART_MAX, plen, d1 + 1, (size_t)(d2 - d1 - 1)) != 0 ||
	    b64url_decode(sig, JWT_PART_MAX, slen, d2 + 1,
	    len - (size_t)(d2 + 1 - token)) != 0)
		return -1;
	hbuf[*hlen] = '\0';
	pbuf[*plen] = '\0';
	return 0;
}

enum jwt_rc
jwt_verify_signature(EVP_PKEY *key, const char *token, size_t len)
{
	unsigned char hbuf[JWT_PART_MAX + 1], pbuf[JWT_PART_MAX + 1], sig[JWT_PART_MAX];
	const char *d1, *d2;
	size_t hlen, plen, slen;
	json_object *hdr;
	enum jwt_rc rc;
	int alg;

	if (jwt_split(token, len, &d1, &d2) != 0 ||
	    jwt_decode(token, len, d1, d2, hbuf, &hlen, pbuf, &plen, sig, &slen) != 0 ||
	    (hdr = jwt_parse_object((const char *)hbuf, hlen)) == NULL)
		return JWT_MALFORMED;
	if ((rc = jwt_header_alg(hdr, &alg)) == JWT_OK)
		rc = jwt_check_signature(key, alg, token, (size_t)(d2 - token), sig, slen);
	json_object_put(hdr);
	return rc;
}

enum jwt_rc
jwt_verify(const char *token, size_t len, const struct jwt_verify_opts *opts,
    json_object **claims)
{
	/* One spare byte each: the decoded text is NUL-terminated for json-c. */
	unsigned char hbuf[JWT_PART_MAX + 1], pbuf[JWT_PART_MAX + 1], sig[JWT_PART_MAX];
	unsigned char digest[JWTCACHE_DIGEST];
	json_object *hdr = NULL, *pay = NULL;
	const char *d1, *d2, *kid = NULL;
	size_t hlen, plen, slen;
	EVP_PKEY *key;
	enum jwt_rc rc;
	int alg = -1;

	if (claims != NULL)
		*claims = NULL;
	if (opts == NULL || opts->issuer == NULL || opts->key_lookup == NULL ||
	    opts->aud_check == NULL) {
		log_err("verification options incomplete");
		return JWT_ERROR;
	}

	if (jwt_split(token, len, &d1, &d2) != 0)
		return JWT_MALFORMED;

	if (opts->cache != NULL) {
		const char *ckid;
		EVP_PKEY *ckey;

		jwtcache_digest(opts->cache, token, len, digest);
		pay = jwtcache_find(opts->cache, digest, &ckey, &ckid);
		if (pay != NULL) {
			if (jwt_cached_ok(pay, ckey, ckid, opts)) {
				if (claims != NULL)
					*claims = json_object_get(pay);
				return JWT_OK;
			}
			/* Expired, key gone, client gone: let the full path say which. */
			jwtcache_drop(opts->cache, digest);
			pay = NULL;
		}
	}

	if (jwt_decode(token, len, d1, d2, hbuf, &hlen, pbuf, &plen, sig, &slen) != 0)
		return JWT_MALFORMED;

	if ((hdr = jwt_parse_object((const char *)hbuf, hlen)) == NULL) {
		rc = JWT_MALFORMED;
		goto fail;
	}
	if ((rc = jwt_check_header(hdr, &alg, &kid)) != JWT_OK)
		goto fail;
	if ((key = opts->key_lookup(opts->key_arg, kid)) == NULL) {
		log_debug("token refused: unknown kid");
		rc = JWT_UNKNOWN_KID;
		goto fail;
	}
	/* RFC 7515 §5.2 step 8: over the encoded header and payload as received. */
	if ((rc = jwt_check_signature(key, alg, token, (size_t)(d2 - token), sig,
	    slen)) != JWT_OK)
		goto fail;

	if ((pay = jwt_parse_object((const char *)pbuf, plen)) == NULL) {
		log_debug("token refused: payload is not a JSON object");
		rc = JWT_MALFORMED;
		goto fail;
	}
	if ((rc = jwt_check_claims(pay, opts)) != JWT_OK)
		goto fail;

	if (opts->cache != NULL)
		jwtcache_put(opts->cache, digest, key, kid, pay);
	json_object_put(hdr);
	if (claims != NULL)
		*claims = pay;
	else
		json_object_put(pay);
	return JWT_OK;
fail:
	json_object_put(hdr);
	json_object_put(pay);
	return rc;
}

const char *
jwt_strerror(enum jwt_rc rc)
{
	switch (rc) {
	case JWT_OK:
		return "The token is valid.";
	case JWT_MALFORMED:
		return "The token is malformed.";
	case JWT_BAD_ALG:
		return "The token algorithm is not allowed.";
	case JWT_UNKNOWN_KID:
		return "The signing key is unknown.";
	case JWT_BAD_SIGNATURE:
		return "The signature is invalid.";
	case JWT_EXPIRED:
		return "The token has expired.";
	case JWT_NOT_YET_VALID:
		return "The token is not yet valid.";
	case JWT_BAD_ISSUER:
		return "The issuer is invalid.";
	case JWT_BAD_AUDIENCE:
		return "The audience is invalid.";
	case JWT_BAD_TYPE:
		return "The token type is not allowed.";
	case JWT_ERROR:
		break;
	}
	return "The token could not be verified.";
}
