/*
 * product.c: the Products resource (see product.h).
 */
#include "config.h"

#include <string.h>

#include "db.h"
#include "product.h"

/*
 * SQL_CACHE: the two reads every client repeats may be answered from
 * MariaDB's query cache when the server runs it on demand (query_cache_type
 * = DEMAND, contrib/mariadb/jwtauth.cnf). MariaDB invalidates a table's
 * cached results when a write to it commits, so an answer is never older
 * than the last committed write; with the cache off the hint is ignored.
 */
static const char sql_all[] =
    "SELECT SQL_CACHE Id, Name, Description, Price FROM Products ORDER BY Id";
static const char sql_one[] =
    "SELECT SQL_CACHE Id, Name, Description, Price FROM Products WHERE Id = ?";

struct row {
	struct product p;
	product_fn fn;
	void *arg;
};

#define PRODUCT_COLS(p) { \
	DB_OUT_INT(&(p)->id), \
	DB_OUT_STR((p)->name, sizeof((p)->name)), \
	DB_OUT_STR_N((p)->description, sizeof((p)->description), &(p)->description_null), \
	DB_OUT_STR((p)->price, sizeof((p)->price)), \
}

static int
row_cb(void *arg)
{
	struct row *r = arg;

	return r->fn(r->arg, &r->p);
}

enum product_rc
product_all(struct db *db, product_fn fn, void *arg)
{
	struct row r = { .fn = fn, .arg = arg };
	struct db_col c[] = PRODUCT_COLS(&r.p);

	if (db_query_latest(db, sql_all, NULL, 0, c, DB_NPARAMS(c), row_cb, &r, NULL) != DB_OK)
		return PRODUCT_UNAVAILABLE;
	return PRODUCT_OK;
}

enum product_rc
product_get(struct db *db, long long id, struct product *p)
{
	size_t n = 0;
	struct db_param prm[] = { DB_INT(id) };
	struct db_col c[] = PRODUCT_COLS(p);

	memset(p, 0, sizeof(*p));
	if (db_query_latest(db, sql_one, prm, 1, c, DB_NPARAMS(c), NULL, NULL, &n) != DB_OK)
		return PRODUCT_UNAVAILABLE;
	return n == 1 ? PRODUCT_OK : PRODUCT_NOT_FOUND;
}

static void
input_params(const struct product_input *in, struct db_param p[3])
{
	p[0] = DB_STRN(in->name, in->name_len);
	p[1] = in->description != NULL ? DB_STRN(in->description, in->description_len) : DB_NULLP;
	/* Bound as text: MariaDB converts it to DECIMAL exactly. */
	p[2] = DB_STR(in->price);
}

enum product_rc
product_add(struct db *db, const struct product_input *in, struct product *p)
{
	struct db_param prm[3];
	unsigned long long id = 0;

	input_params(in, prm);
	if (db_exec(db, "INSERT INTO Products (Name, Description, Price) VALUES (?, ?, ?)",
	    prm, 3, NULL, &id) != DB_OK)
		return PRODUCT_UNAVAILABLE;
	/* Answer with the row as stored, as the tutorial answers with its entity. */
	switch (product_get(db, (long long)id, p)) {
	case PRODUCT_OK:
		return PRODUCT_OK;
	default:
		return PRODUCT_UNAVAILABLE;
	}
}

enum product_rc
product_update(struct db *db, long long id, const struct product_input *in)
{
	struct db_param prm[4];
	struct product p;

	input_params(in, prm);
	prm[3] = DB_INT(id);
	if (db_exec(db, "UPDATE Products SET Name = ?, Description = ?, Price = ? WHERE Id = ?",
	    prm, 4, NULL, NULL) != DB_OK)
		return PRODUCT_UNAVAILABLE;
	/* Affected rows do not tell "no such row" from "nothing changed": look. */
	return product_get(db, id, &p);
}

enum product_rc
product_delete(struct db *db, long long id)
{
	struct db_param prm[] = { DB_INT(id) };
	unsigned long long n = 0;

	if (db_exec(db, "DELETE FROM Products WHERE Id = ?", prm, 1, &n, NULL) != DB_OK)
		return PRODUCT_UNAVAILABLE;
	return n == 1 ? PRODUCT_OK : PRODUCT_NOT_FOUND;
}
