/*
 * t/unit/b64url.c: base64url encoding and strict decoding (lib/b64url.c).
 * Known answers from RFC 4648 §10, written in the URL-safe alphabet and
 * without padding (RFC 7515 §2).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "../tap.h"

static const struct {
	const char *bin;
	const char *b64;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

/* Each must be refused by the decoder; the name says why. */
static const struct {
	const char *s;
	size_t len;
	const char *why;
} bad[] = {
	{ "Zg==", 4, "padding \"==\"" },
	{ "Zm8=", 4, "padding \"=\"" },
	{ "Zg=", 3, "single \"=\"" },
	{ "=", 1, "only padding" },
	{ "Z", 1, "length 1 mod 4" },
	{ "Zm9vY", 5, "length 5 (1 mod 4)" },
	{ "Zh", 2, "non-canonical trailing bits (Zh for Zg)" },
	{ "Zm9", 3, "non-canonical trailing bits (Zm9 for Zm8)" },
	{ "Zm9vYmF", 7, "non-canonical trailing bits (Zm9vYmF for Zm9vYmE)" },
	{ "Zm9vYg_", 7, "non-canonical trailing bits in a 3-char group" },
	{ "Zm 9v", 5, "space inside" },
	{ " Zm9v", 5, "leading space" },
	{ "Zm9v ", 5, "trailing space" },
	{ "Zm9v\n", 5, "trailing newline" },
	{ "Zm\r\n9v", 6, "CRLF inside" },
	{ "Zm\t9v", 5, "tab inside" },
	{ "+_8", 3, "\"+\" from the standard alphabet" },
	{ "-/8", 3, "\"/\" from the standard alphabet" },
	{ "Zm9v.", 5, "\".\"" },
	{ "Zm9v\0Zm9v", 9, "NUL inside the counted length" },
	{ "Zm9\xc3\xa9", 5, "non-ASCII byte" },
	{ "A\xc6_z", 4, "byte above 0x7f (libsodium 1.0.18 reads it as '_')" },
	{ "Zm9v\x80\xff\xc3\xa9", 8, "bytes above 0x7f in a whole group" },
	{ "Zm9v!", 5, "\"!\"" },
};

int
main(void)
{
	char enc[64];
	unsigned char dec[64];
	size_t n, i;
	char *s;

	/* Encoding: RFC 4648 §10 vectors. */
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t blen = strlen(rfc4648[i].bin);

		is_int((long long)b64url_encoded_len(blen),
		    (long long)strlen(rfc4648[i].b64),
		    "encoded_len(%zu)", blen);
		memset(enc, 'X', sizeof(enc));
		ok(b64url_encode(enc, sizeof(enc),
		    (const unsigned char *)rfc4648[i].bin, blen) == 0,
		    "encode \"%s\" succeeds", rfc4648[i].bin);
		is_str(enc, rfc4648[i].b64, "encode \"%s\"", rfc4648[i].bin);
		s = b64url_encode_alloc((const unsigned char *)rfc4648[i].bin, blen);
		is_str(s, rfc4648[i].b64, "encode_alloc \"%s\"", rfc4648[i].bin);
		free(s);

		memset(dec, 0xAA, sizeof(dec));
		n = 999;
		ok(b64url_decode(dec, sizeof(dec), &n, rfc4648[i].b64,
		    strlen(rfc4648[i].b64)) == 0,
		    "decode \"%s\" succeeds", rfc4648[i].b64);
		is_mem(dec, n, rfc4648[i].bin, blen, "decode \"%s\"",
		    rfc4648[i].b64);
	}

	/* The URL-safe alphabet: 0xfb 0xff encodes with "-" and "_". */
	{
		static const unsigned char fbff[] = { 0xfb, 0xff };
		static const unsigned char all[] = {
			0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b,
			0x30, 0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97,
			0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f, 0x82, 0x18, 0xa3,
			0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
			0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb,
			0xf3, 0xdf, 0xbf,
		};
		const char *alphabet =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

		ok(b64url_encode(enc, sizeof(enc), fbff, sizeof(fbff)) == 0,
		    "encode fb ff succeeds");
		is_str(enc, "-_8", "encode fb ff uses - and _");
		ok(b64url_decode(dec, sizeof(dec), &n, "-_8", 3) == 0,
		    "decode -_8 succeeds");
		is_mem(dec, n, fbff, sizeof(fbff), "decode -_8");

		s = b64url_encode_alloc(all, sizeof(all));
		is_str(s, alphabet, "every alphabet character in order");
		free(s);
		ok(b64url_decode(dec, sizeof(dec), &n, alphabet,
		    strlen(alphabet)) == 0, "decode the whole alphabet");
		is_mem(dec, n, all, sizeof(all), "whole alphabet round trip");
	}

	/* Output buffer sizes: exact fits, one short fails. */
	ok(b64url_encode(enc, 9, (const unsigned char *)"foobar", 6) == 0,
	    "encode into exactly len + 1");
	ok(b64url_encode(enc, 8, (const unsigned char *)"foobar", 6) == -1,
	    "encode refuses a buffer without room for the NUL");
	ok(b64url_encode(enc, 3, (const unsigned char *)"fo", 2) == -1,
	    "encode refuses a short buffer (partial group)");
	ok(b64url_encode(NULL, 10, (const unsigned char *)"f", 1) == -1,
	    "encode refuses a NULL output");
	ok(b64url_decode(dec, 6, &n, "Zm9vYmFy", 8) == 0 && n == 6,
	    "decode into exactly the decoded size");
	n = 999;
	ok(b64url_decode(dec, 5, &n, "Zm9vYmFy", 8) == -1,
	    "decode refuses a short buffer");
	is_int((long long)n, 0, "outlen is 0 after a failure");
	ok(b64url_decode(dec, 0, &n, "", 0) == 0 && n == 0,
	    "decode the empty string");
	ok(b64url_decode(NULL, 0, &n, "Zg", 2) == -1,
	    "decode with no output buffer refuses non-empty input");

	/* Decoding only looks at the len characters given. */
	ok(b64url_decode(dec, sizeof(dec), &n, "Zm9vYmFy", 4) == 0 && n == 3 &&
	    memcmp(dec, "foo", 3) == 0, "decode a prefix by length");

	/* Strictness: every malformed input is refused, and wiped. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(dec, 0xAA, sizeof(dec));
		n = 999;
		ok(b64url_decode(dec, sizeof(dec), &n, bad[i].s, bad[i].len) == -1,
		    "refuse %s", bad[i].why);
		ok(n == 0 && dec[0] == 0 && dec[1] == 0,
		    "nothing decoded left behind (%s)", bad[i].why);
	}

	return done_testing();
}
