/*
 * product.h: the Products resource (SPEC §5), stored in MariaDB so that
 * every worker and every host sees one truth. Prices are exact decimals:
 * they travel as text ("999.99") from the request to the DECIMAL(18,2)
 * column and back, never through a binary floating-point value.
 */
#ifndef JWTAUTH_PRODUCT_H
#define JWTAUTH_PRODUCT_H

#include <stddef.h>

struct db;

#define PRODUCT_NAME_MAX   (100 * 4 + 1)   /* VARCHAR(100) utf8mb4 */
#define PRODUCT_DESC_MAX   (500 * 4 + 1)   /* VARCHAR(500) utf8mb4 */
#define PRODUCT_PRICE_MAX  24              /* DECIMAL(18,2) as text */

struct product {
	long long id;
	char name[PRODUCT_NAME_MAX];
	char description[PRODUCT_DESC_MAX];
	int description_null;
	char price[PRODUCT_PRICE_MAX];
};

/* A product as a request gives it (borrowed strings; description may be NULL). */
struct product_input {
	const char *name;
	size_t name_len;
	const char *description;
	size_t description_len;
	const char *price;              /* exact decimal text, e.g. "10.00" */
};

enum product_rc {
	PRODUCT_OK = 0,
	PRODUCT_NOT_FOUND = 1,
	PRODUCT_UNAVAILABLE = -1        /* database failure: 503 */
};

/* Call fn for every product in Id order; fn returns non-zero to stop. */
typedef int (*product_fn)(void *arg, const struct product *p);
enum product_rc product_all(struct db *db, product_fn fn, void *arg)
	__attribute__((warn_unused_result));

enum product_rc product_get(struct db *db, long long id, struct product *p)
	__attribute__((warn_unused_result));

/* Insert; p gets the stored row (its new Id, the price as stored). */
enum product_rc product_add(struct db *db, const struct product_input *in, struct product *p)
	__attribute__((warn_unused_result));

enum product_rc product_update(struct db *db, long long id, const struct product_input *in)
	__attribute__((warn_unused_result));

enum product_rc product_delete(struct db *db, long long id)
	__attribute__((warn_unused_result));

#endif
