/*
 * fuzz-b64url.c: strict base64url (lib/b64url.c, RFC 4648 §5 without
 * padding, as RFC 7515 §2 uses it).
 *
 * Properties:
 * - decoding is strict: whatever decodes is canonical, so encoding the
 *   result gives back the input byte for byte;
 * - decode(encode(x)) == x for any bytes x, with b64url_encoded_len
 *   exactly the length written;
 * - a buffer one byte too small is refused, never overrun (the buffers
 *   are malloc'd at their exact sizes so that ASan sees one byte past).
 */
#include "config.h"

#include <string.h>

#include "b64url.h"
#include "fuzz.h"
#include "log.h"

static void
decode_strict(const char *s, size_t len)
{
	/* At most 3 bytes per 4 characters, rounded up. */
	size_t cap = len / 4 * 3 + 3, n = (size_t)-1, n2;
	unsigned char *out = malloc(cap), *exact;
	char *back;

	FUZZ_CHECK(out != NULL);
	if (b64url_decode(out, cap, &n, s, len) != 0) {
		FUZZ_CHECK(n == 0);
		free(out);
		return;
	}
	FUZZ_CHECK(n <= cap && b64url_encoded_len(n) == len);
	FUZZ_CHECK((back = b64url_encode_alloc(out, n)) != NULL);
	FUZZ_CHECK(strlen(back) == len && memcmp(back, s, len) == 0);
	free(back);

	/* The exact size works; one less is refused without a write past it. */
	FUZZ_CHECK((exact = malloc(n != 0 ? n : 1)) != NULL);
	FUZZ_CHECK(b64url_decode(exact, n, &n2, s, len) == 0 && n2 == n);
	FUZZ_CHECK(n == 0 || memcmp(exact, out, n) == 0);
	if (n > 0)
		FUZZ_CHECK(b64url_decode(exact, n - 1, &n2, s, len) != 0 && n2 == 0);
	free(exact);
	free(out);
}

static void
round_trip(const uint8_t *data, size_t size)
{
	size_t elen = b64url_encoded_len(size), n = 0;
	char *enc = malloc(elen + 1);
	unsigned char *dec = malloc(size != 0 ? size : 1);

	FUZZ_CHECK(enc != NULL && dec != NULL);
	/* No room for the NUL: refused. Then exactly enough. */
	FUZZ_CHECK(b64url_encode(enc, elen, data, size) != 0);
	FUZZ_CHECK(b64url_encode(enc, elen + 1, data, size) == 0);
	FUZZ_CHECK(strlen(enc) == elen);
	FUZZ_CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == elen);
	FUZZ_CHECK(b64url_decode(dec, size, &n, enc, elen) == 0 && n == size);
	FUZZ_CHECK(size == 0 || memcmp(dec, data, size) == 0);
	free(enc);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		log_init("fuzz-b64url", LOG_LVL_ERROR);
		ready = 1;
	}
	decode_strict((const char *)data, size);
	round_trip(data, size);
	return 0;
}
