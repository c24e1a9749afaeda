/*
 * t/unit/jwk.c: JWK export and RFC 7638 thumbprints (lib/jwk.c).
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

static const char *
member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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

	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ok(ec != NULL, "generate an EC key");
	ok(jwk_thumbprint(ec, kid) == -1, "thumbprint refuses a non-RSA key");
	ok(jwk_from_pkey(ec, "x") == NULL, "jwk_from_pkey refuses a non-RSA key");
	EVP_PKEY_free(ec);
	ok(jwk_thumbprint(NULL, kid) == -1, "thumbprint refuses NULL");

	return done_testing();
}
