/*
 * refresh.h: opaque refresh tokens (SPEC §4): 32 random bytes from
 * libsodium, base64url without padding; stored only as their SHA-256.
 */
#ifndef JWTAUTH_REFRESH_H
#define JWTAUTH_REFRESH_H

#include <stddef.h>

#define REFRESH_TOKEN_BYTES 32
#define REFRESH_TOKEN_LEN   43           /* base64url of 32 bytes, no padding */
#define REFRESH_HASH_BYTES  32           /* SHA-256 */
#define REFRESH_HASH_HEX    64

/* Write a new token (REFRESH_TOKEN_LEN chars + NUL) into out[REFRESH_TOKEN_LEN + 1]. Return 0 or -1. */
int refresh_generate(char out[REFRESH_TOKEN_LEN + 1]) __attribute__((warn_unused_result));

/*
 * Hash a presented token (any length up to 4 KiB) as lowercase hex SHA-256
 * into out[REFRESH_HASH_HEX + 1]. Return 0 or -1 (empty or oversized input).
 */
int refresh_hash(char out[REFRESH_HASH_HEX + 1], const char *token, size_t len)
	__attribute__((warn_unused_result));

#endif
