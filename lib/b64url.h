/*
 * b64url.h: base64url without padding (RFC 4648 §5, RFC 7515 §2), on top of
 * libsodium's codec. Decoding is strict: no padding, no whitespace, no
 * characters outside the URL-safe alphabet, no non-canonical trailing bits.
 */
#ifndef JWTAUTH_B64URL_H
#define JWTAUTH_B64URL_H

#include <stddef.h>

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t b64url_encoded_len(size_t n);

/*
 * Encode bin[0..len) into out (outcap bytes, room for the NUL included).
 * Return 0, or -1 if out is too small.
 */
int b64url_encode(char *out, size_t outcap, const unsigned char *bin, size_t len)
	__attribute__((warn_unused_result));

/* Same, into a malloc'd string (caller frees); NULL on failure. */
char *b64url_encode_alloc(const unsigned char *bin, size_t len);

/*
 * Decode exactly the len characters at s into out (outcap bytes); *outlen
 * gets the decoded size. Return 0, or -1 if anything in s is not canonical
 * unpadded base64url or out is too small.
 */
int b64url_decode(unsigned char *out, size_t outcap, size_t *outlen,
    const char *s, size_t len) __attribute__((warn_unused_result));

#endif
