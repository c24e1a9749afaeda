/*
 * t/unit/jwk.c: JWK export and RFC 7638 thumbprints (lib/jwk.c) of RSA,
 * EC P-256 and Ed25519 (OKP) keys. Known answers: RFC 7638 §3.1 (RSA),
 * RFC 8037 A.3 (OKP), and for EC the RFC 7515 A.3 key, whose thumbprint
 * no RFC prints: the value below was computed by jwcrypto 1.1 (an
 * independent implementation), JWK(kty="EC", crv="P-256", x=.., y=..)
 * .thumbprint().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwk.h"
#include "../tap.h"

/* RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char rfc7638_e[] = "AQAB";
static const char rfc7638_kid[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 A.3.1: the P-256 key. */
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_kid[] = "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U";

/* RFC 8037 A.1 (the Ed25519 public key) and A.3 (its thumbprint). */
static const char a1_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char a1_kid[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

static const char *
member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * pub (taken and freed) has thumbprint kid and exports exactly as want
 * (kty, crv, x(, y), alg, use, kid; no d).
 */
static void
known_answer(EVP_PKEY *pub, const char *kid, const char *want, const char *what)
{
	char got[JWK_KID_LEN + 1] = "";
	json_object *jwk;

	ok(pub != NULL, "%s: key built from its JWK members", what);
	ok(pub != NULL && jwk_thumbprint(pub, got) == 0, "%s: thumbprint succeeds", what);
	is_str(got, kid, "%s: thumbprint", what);
	jwk = pub != NULL ? jwk_from_pkey(pub, kid) : NULL;
	is_str(jwk != NULL ? json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN) : NULL,
	    want, "%s: the JWK, member for member", what);
	json_object_put(jwk);
	EVP_PKEY_free(pub);
}

int
main(void)
{
	EVP_PKEY *pub, *gen, *back, *ec;
	char kid[JWK_KID_LEN + 1], kid2[JWK_KID_LEN + 1];
	json_object *jwk;
	char want[1024];
	int n, count = 0;

	/* RFC 7638 §3.1 known answer. */
	pub = jwk_rsa_public(rfc7638_n, rfc7638_e);
	ok(pub != NULL, "build the RFC 7638 example key");
	if (pub == NULL)
		return done_testing();
	is_int(EVP_PKEY_get_bits(pub), 2048, "the example key has 2048 bits");
	memset(kid, 'X', sizeof(kid));
	ok(jwk_thumbprint(pub, kid) == 0, "thumbprint succeeds");
	is_str(kid, rfc7638_kid, "RFC 7638 §3.1 thumbprint");
	is_int((long long)strlen(kid), JWK_KID_LEN, "kid is 43 characters");

	/* jwk_from_pkey: exactly kty, use, alg, kid, n, e. */
	jwk = jwk_from_pkey(pub, kid);
	ok(jwk != NULL, "jwk_from_pkey succeeds");
	if (jwk != NULL) {
		json_object_object_foreach(jwk, k, v) {
			(void)k;
			(void)v;
			count++;
		}
		is_int(count, 6, "JWK has exactly six members");
		is_str(member(jwk, "kty"), "RSA", "kty");
		is_str(member(jwk, "use"), "sig", "use");
		is_str(member(jwk, "alg"), "RS256", "alg");
		is_str(member(jwk, "kid"), rfc7638_kid, "kid");
		is_str(member(jwk, "n"), rfc7638_n, "n is the RFC's, byte for byte");
		is_str(member(jwk, "e"), "AQAB", "e is AQAB");
		ok(member(jwk, "d") == NULL && member(jwk, "p") == NULL,
		    "no private members");
		n = snprintf(want, sizeof(want), "{\"kty\":\"RSA\",\"use\":\"sig\","
		    "\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"AQAB\"}",
		    rfc7638_kid, rfc7638_n);
		ok(n > 0 && (size_t)n < sizeof(want), "expected JWK fits");
		is_str(json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN),
		    want, "serialised JWK, in SPEC §3 order");
		json_object_put(jwk);
	}
	ok(jwk_from_pkey(pub, NULL) == NULL, "jwk_from_pkey refuses a NULL kid");
	EVP_PKEY_free(pub);

	/* A generated key round-trips through its JWK. */
	gen = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ok(gen != NULL, "generate RSA-2048");
	if (gen != NULL && jwk_thumbprint(gen, kid) == 0 &&
	    (jwk = jwk_from_pkey(gen, kid)) != NULL) {
		back = jwk_rsa_public(member(jwk, "n"), member(jwk, "e"));
		ok(back != NULL, "rebuild the public key from n and e");
		ok(back != NULL && EVP_PKEY_eq(gen, back) == 1,
		    "rebuilt key equals the generated one");
		ok(back != NULL && jwk_thumbprint(back, kid2) == 0 &&
		    strcmp(kid, kid2) == 0, "same thumbprint from the public half");
		EVP_PKEY_free(back);
		json_object_put(jwk);
	} else {
		ok(0, "thumbprint and JWK of a generated key");
	}
	EVP_PKEY_free(gen);

	/* Rejections. */
	ok(jwk_rsa_public(NULL, "AQAB") == NULL, "refuse a NULL n");
	ok(jwk_rsa_public(rfc7638_n, NULL) == NULL, "refuse a NULL e");
	ok(jwk_rsa_public("", "AQAB") == NULL, "refuse an empty n");
	ok(jwk_rsa_public(rfc7638_n, "AQAB=") == NULL, "refuse padded e");
	ok(jwk_rsa_public(rfc7638_n, "AAEAAQ") == NULL,
	    "refuse e with a leading zero octet (RFC 7518 §6.3.1.2)");
	ok(jwk_rsa_public(rfc7638_n, "AQ+B") == NULL, "refuse e in the standard alphabet");
	ok(jwk_rsa_public("AA", "AQAB") == NULL, "refuse n = 0");

	/* EC P-256: the RFC 7515 A.3 key. */
	n = snprintf(want, sizeof(want), "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\",\"alg\":\"ES256\",\"use\":\"sig\",\"kid\":\"%s\"}", a3_x, a3_y, a3_kid);
	ok(n > 0 && (size_t)n < sizeof(want), "expected EC JWK fits");
	known_answer(jwk_ec_public(a3_x, a3_y), a3_kid, want,
	    "EC P-256 (RFC 7515 A.3 key; kid over crv, kty, x, y as jwcrypto computes it)");

	/* OKP Ed25519: RFC 8037 A.3, byte for byte. */
	n = snprintf(want, sizeof(want), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\","
	    "\"alg\":\"EdDSA\",\"use\":\"sig\",\"kid\":\"%s\"}", a1_x, a1_kid);
	ok(n > 0 && (size_t)n < sizeof(want), "expected OKP JWK fits");
	known_answer(jwk_okp_public(a1_x), a1_kid, want,
	    "OKP Ed25519 (RFC 8037 A.1 key, A.3 thumbprint over crv, kty, x)");

	/* Generated EC and Ed25519 keys round-trip through their JWK. */
	gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (gen != NULL && jwk_thumbprint(gen, kid) == 0 && (jwk = jwk_from_pkey(gen, kid)) != NULL) {
		back = jwk_ec_public(member(jwk, "x"), member(jwk, "y"));
		ok(back != NULL && EVP_PKEY_eq(gen, back) == 1 && jwk_thumbprint(back, kid2) == 0 &&
		    strcmp(kid, kid2) == 0, "a generated P-256 key: rebuilt from x and y, same kid");
		EVP_PKEY_free(back);
		json_object_put(jwk);
	} else
		ok(0, "thumbprint and JWK of a generated P-256 key");
	EVP_PKEY_free(gen);
	gen = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (gen != NULL && jwk_thumbprint(gen, kid) == 0 && (jwk = jwk_from_pkey(gen, kid)) != NULL) {
		back = jwk_okp_public(member(jwk, "x"));
		ok(back != NULL && EVP_PKEY_eq(gen, back) == 1 && jwk_thumbprint(back, kid2) == 0 &&
		    strcmp(kid, kid2) == 0, "a generated Ed25519 key: rebuilt from x, same kid");
		EVP_PKEY_free(back);
		json_object_put(jwk);
	} else
		ok(0, "thumbprint and JWK of a generated Ed25519 key");
	EVP_PKEY_free(gen);

	/* Keys that are none of ours, and bad members. */
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ok(ec != NULL, "generate an EC P-384 key");
	ok(jwk_thumbprint(ec, kid) == -1, "thumbprint refuses an EC P-384 key");
	ok(jwk_from_pkey(ec, "x") == NULL, "jwk_from_pkey refuses an EC P-384 key");
	EVP_PKEY_free(ec);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	ok(ec != NULL && jwk_thumbprint(ec, kid) == -1, "thumbprint refuses an Ed448 key");
	EVP_PKEY_free(ec);
	ok(jwk_thumbprint(NULL, kid) == -1, "thumbprint refuses NULL");
	ok(jwk_ec_public(a3_y, a3_x) == NULL, "x and y swapped: not a point on P-256");
	ok(jwk_ec_public(a3_x, NULL) == NULL, "EC without y");
	ok(jwk_ec_public("AQAB", a3_y) == NULL, "EC x of 3 bytes");
	ok(jwk_ec_public(a3_x, "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0=") == NULL, "EC y padded");
	ok(jwk_okp_public("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR") == NULL, "OKP x of 31 bytes");
	ok(jwk_okp_public(NULL) == NULL, "OKP without x");

	return done_testing();
}
