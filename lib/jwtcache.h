/*
 * jwtcache.h: a per-process memory of tokens whose signature has already
 * been verified, so that a client presenting the same access token again
 * (as every client does until it expires) costs neither the RSA check nor
 * the decoding, only the claim checks.
 *
 * An entry is keyed by a keyed BLAKE2b-256 digest of the whole compact
 * token (key random per process): a hit means these exact bytes, header,
 * payload and signature, verified before. It keeps a reference to the key
 * that verified them, so jwt_verify can insist that the kid still names
 * that same key (a key removed or replaced is noticed on the next hit),
 * and the parsed payload, on which exp, nbf, iat, iss and aud are checked
 * again on every hit. Only successes are remembered.
 *
 * Fixed size, direct-mapped: a new token simply replaces whatever shared
 * its slot, so memory stays bounded whatever tokens arrive.
 */
#ifndef JWTAUTH_JWTCACHE_H
#define JWTAUTH_JWTCACHE_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#define JWTCACHE_DIGEST 32

struct jwtcache;

/* A cache of slots entries (at least 1). NULL when out of memory. */
struct jwtcache *jwtcache_new(size_t slots) __attribute__((warn_unused_result));
void jwtcache_free(struct jwtcache *c);

/* The slot key of token[0..len). */
void jwtcache_digest(const struct jwtcache *c, const char *token, size_t len,
    unsigned char d[JWTCACHE_DIGEST]);

/*
 * The entry for digest d: its payload (borrowed) with *key and *kid set
 * (borrowed), or NULL when these bytes were not verified here lately.
 * Counts a hit or a miss.
 */
json_object *jwtcache_find(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST],
    EVP_PKEY **key, const char **kid);

/*
 * Remember that the token with digest d verified under key (named kid),
 * with payload claims. Takes a reference to key and to claims; on any
 * failure it remembers nothing (the cache is only ever an optimisation).
 */
void jwtcache_put(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST],
    EVP_PKEY *key, const char *kid, json_object *claims);

/* Forget the entry for d, if any (its token no longer verifies). */
void jwtcache_drop(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST]);

/* Hits and misses of jwtcache_find since jwtcache_new. */
void jwtcache_stats(const struct jwtcache *c, unsigned long *hits, unsigned long *misses);

#endif
