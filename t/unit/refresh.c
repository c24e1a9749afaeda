/*
 * t/unit/refresh.c: refresh token generation and hashing (lib/refresh.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "refresh.h"
#include "../tap.h"

static int
urlsafe_only(const char *s)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	return strspn(s, alphabet) == strlen(s);
}

int
main(void)
{
	char a[REFRESH_TOKEN_LEN + 1], b[REFRESH_TOKEN_LEN + 1];
	char h[REFRESH_HASH_HEX + 1], h2[REFRESH_HASH_HEX + 1];
	char *big;

	/* Generation. */
	memset(a, 'X', sizeof(a));
	ok(refresh_generate(a) == 0, "generate succeeds");
	is_int((long long)strlen(a), REFRESH_TOKEN_LEN, "token is 43 characters");
	ok(urlsafe_only(a), "token uses only the base64url alphabet");
	ok(refresh_generate(b) == 0, "generate a second token");
	ok(strcmp(a, b) != 0, "two tokens differ");
	is_int((long long)strlen(b), REFRESH_TOKEN_LEN, "second token is 43 characters");
	/* 32 bytes = 256 bits: the last of 43 characters carries 4 bits and 2 zero bits. */
	ok(strchr("AEIMQUYcgkosw048", a[REFRESH_TOKEN_LEN - 1]) != NULL,
	    "last character is canonical for 32 bytes");

	/* Hashing: FIPS 180-2 / NIST known answers for SHA-256. */
	ok(refresh_hash(h, "abc", 3) == 0, "hash \"abc\"");
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "SHA-256(\"abc\")");
	ok(refresh_hash(h, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56) == 0,
	    "hash the 448-bit message");
	is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "SHA-256 of the 448-bit message");
	ok(refresh_hash(h, "abcd", 3) == 0 &&
	    strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	    "only len bytes are hashed");
	is_int((long long)strlen(h), REFRESH_HASH_HEX, "hash is 64 hex digits");
	ok(strspn(h, "0123456789abcdef") == REFRESH_HASH_HEX, "hash is lowercase hex");

	ok(refresh_hash(h, a, strlen(a)) == 0 && refresh_hash(h2, a, strlen(a)) == 0 &&
	    strcmp(h, h2) == 0, "hashing is deterministic");
	ok(refresh_hash(h2, b, strlen(b)) == 0 && strcmp(h, h2) != 0,
	    "different tokens hash differently");

	/* Rejections. */
	ok(refresh_hash(h, "", 0) == -1, "refuse an empty token");
	ok(refresh_hash(h, NULL, 5) == -1, "refuse a NULL token");
	big = malloc(4097);
	if (big == NULL)
		return 1;
	memset(big, 'A', 4097);
	ok(refresh_hash(h, big, 4096) == 0, "accept 4096 bytes");
	ok(refresh_hash(h, big, 4097) == -1, "refuse 4097 bytes");
	free(big);

	return done_testing();
}
