/*
 * refresh.c: opaque refresh tokens (SPEC §4). A token is 32 bytes from
 * libsodium's CSPRNG, base64url without padding; the database keeps only
 * its SHA-256, so a leaked table yields no usable token.
 */
#include "config.h"

#include <sodium.h>

#include "b64url.h"
#include "log.h"
#include "refresh.h"

#define REFRESH_INPUT_MAX 4096  /* longest presented token we hash */

int
refresh_generate(char out[REFRESH_TOKEN_LEN + 1])
{
	unsigned char raw[REFRESH_TOKEN_BYTES];
	int rc = -1;

	/* Idempotent and thread-safe; fails only if no entropy source works. */
	if (sodium_init() < 0) {
		log_err("sodium_init failed");
		return -1;
	}
	randombytes_buf(raw, sizeof(raw));
	if (b64url_encode(out, REFRESH_TOKEN_LEN + 1, raw, sizeof(raw)) != 0) {
		log_err("cannot encode refresh token");
		goto fail;
	}
	rc = 0;
fail:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int
refresh_hash(char out[REFRESH_HASH_HEX + 1], const char *token, size_t len)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	/* A presented token is untrusted input: bound it before hashing. */
	if (token == NULL || len == 0 || len > REFRESH_INPUT_MAX)
		return -1;
	if (crypto_hash_sha256(digest, (const unsigned char *)token, len) != 0) {
		log_err("crypto_hash_sha256 failed");
		return -1;
	}
	sodium_bin2hex(out, REFRESH_HASH_HEX + 1, digest, sizeof(digest));
	sodium_memzero(digest, sizeof(digest));
	return 0;
}
