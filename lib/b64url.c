/*
 * b64url.c: base64url without padding (RFC 4648 §5; RFC 7515 §2 "Base64url
 * Encoding"), a thin strict layer over libsodium's codec.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "b64url.h"
#include "log.h"

#define B64URL_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Longest input whose encoding length cannot overflow a size_t. */
#define B64URL_MAX_BIN ((SIZE_MAX / 4 - 1) * 3)

/*
 * RFC 4648 §5 without the "=" padding: 4 characters per 3 bytes, and 2 or 3
 * characters for a final group of 1 or 2 bytes.
 */
size_t
b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 != 0 ? n % 3 + 1 : 0);
}

int
b64url_encode(char *out, size_t outcap, const unsigned char *bin, size_t len)
{
	static const unsigned char empty[1];

	if (out == NULL || len > B64URL_MAX_BIN)
		return -1;
	/*
	 * sodium_bin2base64 aborts the process (sodium_misuse) when the
	 * buffer is too small, so the size is checked here first.
	 */
	if (outcap < b64url_encoded_len(len) + 1)
		return -1;
	if (bin == NULL) {
		if (len != 0)
			return -1;
		bin = empty;
	}
	sodium_bin2base64(out, outcap, bin, len, B64URL_VARIANT);
	return 0;
}

char *
b64url_encode_alloc(const unsigned char *bin, size_t len)
{
	char *out;
	size_t cap;

	if (len > B64URL_MAX_BIN)
		return NULL;
	cap = b64url_encoded_len(len) + 1;
	if ((out = malloc(cap)) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	if (b64url_encode(out, cap, bin, len) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* RFC 4648 §5: the URL-safe alphabet. */
static int
b64url_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * sodium_base642bin with ignore == NULL and b64_end == NULL is strict: it
 * fails on any ASCII character outside the URL-safe alphabet (so on "=",
 * on whitespace and on NUL), on a length of 1 mod 4, on non-zero unused
 * bits in the last character (non-canonical encodings, RFC 4648 §3.5), and
 * when the output does not fit. Passing an end pointer instead would make
 * it stop at the first bad character and report success on the prefix.
 *
 * But libsodium 1.0.18 (Debian 12) decodes every byte from 0x80 to 0xff
 * as if it were '_' (found by t/fuzz/fuzz-b64url: "A\xc6_z" decoded to
 * the bytes of "A__z"), so the alphabet is checked here first.
 */
int
b64url_decode(unsigned char *out, size_t outcap, size_t *outlen,
    const char *s, size_t len)
{
	unsigned char dummy[1];
	size_t n = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (s == NULL && len != 0)
		return -1;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!b64url_char_ok((unsigned char)s[i])) {
			if (out != NULL)
				sodium_memzero(out, outcap);
			return -1;
		}
	}
	if (out == NULL) {
		if (outcap != 0)
			return -1;
		out = dummy;
	}
	if (sodium_base642bin(out, outcap, s, len, NULL, &n, NULL,
	    B64URL_VARIANT) != 0) {
		/* Leave no partial output behind: callers may decode secrets. */
		if (out != dummy)
			sodium_memzero(out, outcap);
		return -1;
	}
	if (outlen != NULL)
		*outlen = n;
	return 0;
}
