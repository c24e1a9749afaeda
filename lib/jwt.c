/*
 * jwt.c: JWS compact serialization, RS256 only (RFC 7515 §7.1, RFC 7518
 * §3.3), and the JWT claim checks of SPEC §4 (RFC 7519 §4.1, RFC 8725).
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

#include <openssl/err.h>
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

/*
 * Return 0 if key is an RSA key we may use with RS256, -1 if not. Keys
 * come from our own store, so a wrong one is a server fault, not a bad
 * token. RFC 8725 §3.1: the key type is pinned along with the algorithm,
 * so that an EC or RSA-PSS key can never select another verification path.
 */
static int
jwt_key_usable(EVP_PKEY *key)
{
	if (key == NULL || EVP_PKEY_is_a(key, "RSA") != 1) {
		log_err("signing key is not an RSA key");
		return -1;
	}
	if (EVP_PKEY_get_bits(key) < JWT_RSA_MIN_BITS) {
		log_err("RSA key of %d bits is below %d", EVP_PKEY_get_bits(key),
		    JWT_RSA_MIN_BITS);
		return -1;
	}
	return 0;
}

/*
 * Set up ctx for RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), to sign
 * (sign != 0) or to verify. Return 0 or -1.
 */
static int
jwt_md_init(EVP_MD_CTX *ctx, EVP_PKEY *key, int sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	int r;

	if (sign)
		r = EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key, NULL);
	else
		r = EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key, NULL);
	if (r != 1 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
		log_err("cannot set up RS256 %s", sign ? "signing" : "verification");
		return -1;
	}
	return 0;
}

char *
jwt_sign_compact(EVP_PKEY *priv, const char *header, size_t hlen,
    const char *payload, size_t plen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	char *out = NULL;
	size_t h64, p64, s64, inlen, cap, siglen = 0;
	int ksize;

	if (header == NULL || payload == NULL || jwt_key_usable(priv) != 0)
		return NULL;
	/*
	 * Never mint a token our own verifier would refuse as too long; this
	 * also keeps every length below far from overflowing.
	 */
	if ((ksize = EVP_PKEY_get_size(priv)) <= 0 || hlen > JWT_MAX_LEN ||
	    plen > JWT_MAX_LEN) {
		log_err("token would exceed %d bytes", JWT_MAX_LEN);
		return NULL;
	}
	h64 = b64url_encoded_len(hlen);
	p64 = b64url_encoded_len(plen);
	s64 = b64url_encoded_len((size_t)ksize);
	if (h64 + 1 + p64 + 1 + s64 > JWT_MAX_LEN) {
		log_err("token would exceed %d bytes", JWT_MAX_LEN);
		return NULL;
	}
	cap = h64 + 1 + p64 + 1 + s64 + 1;
	if ((out = malloc(cap)) == NULL || (sig = malloc((size_t)ksize)) == NULL) {
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

	if ((ctx = EVP_MD_CTX_new()) == NULL || jwt_md_init(ctx, priv, 1) != 0)
		goto fail;
	siglen = (size_t)ksize;
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)out, inlen) != 1 ||
	    siglen != (size_t)ksize) {
		log_err("RS256 signing failed");
		goto fail;
	}
	out[inlen] = '.';
	if (b64url_encode(out + inlen + 1, cap - inlen - 1, sig, siglen) != 0)
		goto fail;

	EVP_MD_CTX_free(ctx);
	free(sig);
	return out;
fail:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(out);
	return NULL;
}

char *
jwt_sign(EVP_PKEY *priv, const char *kid, json_object *claims)
{
	json_object *hdr = NULL, *v;
	const char *hs, *ps;
	size_t hlen, plen;
	char *token = NULL;

	if (kid == NULL || *kid == '\0' || strlen(kid) > JWT_KID_MAX ||
	    !json_object_is_type(claims, json_type_object)) {
		log_err("bad kid or claims");
		return NULL;
	}
	/* SPEC §4; RFC 9068 §2.1: typ "at+jwt" marks an OAuth access token. */
	if ((hdr = json_object_new_object()) == NULL)
		goto oom;
	if ((v = json_object_new_string("RS256")) == NULL)
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

/* RFC 8725 §3.1, §3.10, §3.11 and RFC 7515 §4.1: the header checks. Set *kid. */
static enum jwt_rc
jwt_check_header(json_object *hdr, const char **kid)
{
	static const char *const refused[] = { "jwk", "jku", "x5u", "x5c", "crit" };
	const char *alg, *typ;
	json_object *v;
	size_t i;

	/* The algorithm is pinned: alg is compared, never obeyed. */
	if (!json_object_object_get_ex(hdr, "alg", &v) ||
	    (alg = jwt_str_value(v)) == NULL || strcmp(alg, "RS256") != 0) {
		log_debug("token refused: alg is not RS256");
		return JWT_BAD_ALG;
	}
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

/* Verify sig over input[0..ilen) with key. */
static enum jwt_rc
jwt_check_signature(EVP_PKEY *key, const char *input, size_t ilen,
    const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *ctx;
	enum jwt_rc rc = JWT_ERROR;
	int ksize;

	if (jwt_key_usable(key) != 0 || (ksize = EVP_PKEY_get_size(key)) <= 0)
		return JWT_ERROR;
	/*
	 * RFC 8017 §8.2.2 step 1: the signature is exactly k octets. Checked
	 * here, before OpenSSL sees it, so that no short, long or empty
	 * signature ever reaches the RSA code.
	 */
	if (slen != (size_t)ksize) {
		log_debug("token refused: signature of %zu bytes, key has %d",
		    slen, ksize);
		return JWT_BAD_SIGNATURE;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		log_err("out of memory");
		return JWT_ERROR;
	}
	if (jwt_md_init(ctx, key, 0) != 0)
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

	if (claims != NULL)
		*claims = NULL;
	if (opts == NULL || opts->issuer == NULL || opts->key_lookup == NULL ||
	    opts->aud_check == NULL) {
		log_err("verification options incomplete");
		return JWT_ERROR;
	}

	/* SPEC §4: at most 8 KiB, exactly three parts (RFC 7515 §7.1). */
	if (token == NULL || len == 0 || len > JWT_MAX_LEN)
		return JWT_MALFORMED;
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
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

	/* Strict base64url: no padding, no whitespace, canonical bits. */
	if (b64url_decode(hbuf, JWT_PART_MAX, &hlen, token, (size_t)(d1 - token)) != 0 ||
	    b64url_decode(pbuf, JWT_PART_MAX, &plen, d1 + 1, (size_t)(d2 - d1 - 1)) != 0 ||
	    b64url_decode(sig, sizeof(sig), &slen, d2 + 1,
	    len - (size_t)(d2 + 1 - token)) != 0)
		return JWT_MALFORMED;
	hbuf[hlen] = '\0';
	pbuf[plen] = '\0';

	if ((hdr = jwt_parse_object((const char *)hbuf, hlen)) == NULL) {
		rc = JWT_MALFORMED;
		goto fail;
	}
	if ((rc = jwt_check_header(hdr, &kid)) != JWT_OK)
		goto fail;
	if ((key = opts->key_lookup(opts->key_arg, kid)) == NULL) {
		log_debug("token refused: unknown kid");
		rc = JWT_UNKNOWN_KID;
		goto fail;
	}
	/* RFC 7515 §5.2 step 8: over the encoded header and payload as received. */
	if ((rc = jwt_check_signature(key, token, (size_t)(d2 - token), sig,
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
