/*
 * jwtcache.c: the verified-token cache (see jwtcache.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"
#include "jwtcache.h"

struct jwtcache_entry {
	unsigned char d[JWTCACHE_DIGEST];
	EVP_PKEY *key;                  /* a reference; NULL: the slot is empty */
	json_object *claims;            /* a reference */
	char kid[JWT_KID_MAX + 1];
};

struct jwtcache {
	/*
	 * A random key makes the digest, and so the slot a token lands in,
	 * unpredictable: nobody can choose tokens that keep evicting another
	 * client's entry.
	 */
	unsigned char hkey[crypto_generichash_KEYBYTES];
	unsigned long hits, misses;
	size_t n;
	struct jwtcache_entry e[];
};

struct jwtcache *
jwtcache_new(size_t slots)
{
	struct jwtcache *c;

	if (slots == 0 || slots > SIZE_MAX / sizeof(struct jwtcache_entry) - 1)
		return NULL;
	if ((c = calloc(1, sizeof(*c) + slots * sizeof(c->e[0]))) == NULL)
		return NULL;
	c->n = slots;
	crypto_generichash_keygen(c->hkey);
	return c;
}

static void
entry_clear(struct jwtcache_entry *e)
{
	EVP_PKEY_free(e->key);
	json_object_put(e->claims);
	memset(e, 0, sizeof(*e));
}

void
jwtcache_free(struct jwtcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->e[i]);
	sodium_memzero(c->hkey, sizeof(c->hkey));
	free(c);
}

void
jwtcache_digest(const struct jwtcache *c, const char *token, size_t len,
    unsigned char d[JWTCACHE_DIGEST])
{
	/* Cannot fail with these sizes (32-byte output, 32-byte key). */
	(void)crypto_generichash(d, JWTCACHE_DIGEST, (const unsigned char *)token,
	    len, c->hkey, sizeof(c->hkey));
}

static struct jwtcache_entry *
slot(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST])
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return &c->e[h % c->n];
}

json_object *
jwtcache_find(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST],
    EVP_PKEY **key, const char **kid)
{
	struct jwtcache_entry *e = slot(c, d);

	if (e->key == NULL || sodium_memcmp(e->d, d, JWTCACHE_DIGEST) != 0) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	*key = e->key;
	*kid = e->kid;
	return e->claims;
}

void
jwtcache_put(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST],
    EVP_PKEY *key, const char *kid, json_object *claims)
{
	struct jwtcache_entry *e = slot(c, d);
	size_t klen = strlen(kid);

	if (klen > JWT_KID_MAX || EVP_PKEY_up_ref(key) != 1)
		return;
	entry_clear(e);
	memcpy(e->d, d, JWTCACHE_DIGEST);
	memcpy(e->kid, kid, klen + 1);
	e->key = key;
	e->claims = json_object_get(claims);
}

void
jwtcache_drop(struct jwtcache *c, const unsigned char d[JWTCACHE_DIGEST])
{
	struct jwtcache_entry *e = slot(c, d);

	if (e->key != NULL && sodium_memcmp(e->d, d, JWTCACHE_DIGEST) == 0)
		entry_clear(e);
}

void
jwtcache_stats(const struct jwtcache *c, unsigned long *hits, unsigned long *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}
