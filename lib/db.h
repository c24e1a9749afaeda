/*
 * db.h: MariaDB access over Connector/C.
 *
 * One connection per process, opened at start-up (or at the first request
 * if MariaDB was down then) and kept across requests. Prepared statements
 * only: each SQL text is prepared once per connection and cached by its
 * address, so pass string literals. utf8mb4; connect/read/write timeouts
 * from the config. Each session runs with a strict sql_mode, time_zone
 * '+00:00' and READ COMMITTED (why: db.c).
 *
 * Losing the server: a connection idle for a while is pinged before use and
 * re-opened if it went away (wait_timeout). A read that fails because the
 * server went away is retried once on a new connection. A write outside a
 * transaction that lost its connection is never retried (it may have been
 * applied). db_transaction() redoes the whole transaction from its first
 * statement on deadlock or Galera certification conflict (1213, at any
 * statement or at COMMIT), lock-wait timeout (1205), a Galera node that is
 * not ready (1047) or a connection lost before COMMIT was sent; a
 * connection lost during COMMIT gives DB_UNAVAILABLE, because the outcome
 * is unknown (STYLE: never blindly retry a rotation that may have
 * committed). A statement outside a transaction is its own transaction
 * and is redone by the same rule on 1213 and 1047. At most a few attempts
 * in all, with a short random back-off between them.
 *
 * More than one machine (SPEC §11): db_host may list several servers (the
 * nodes of a Galera cluster). A connection goes to the host that worked
 * last, else to the next one that answers; a node that died or left the
 * cluster is left for the next. Whether the server is a Galera node is
 * asked once per connection: db_query_latest() then waits for the node
 * to catch up with the cluster (wsrep_sync_wait); on a plain server it is
 * db_query().
 */
#ifndef JWTAUTH_DB_H
#define JWTAUTH_DB_H

#include <stddef.h>
#include <string.h>

struct cfg;
struct db;

enum db_rc {
	DB_OK = 0,
	DB_DUPLICATE = 1,       /* unique key violated (1062) */
	DB_RETRY = 2,           /* deadlock or lock-wait timeout: redo the transaction */
	DB_ABORT = 3,           /* a db_tx_fn asks for ROLLBACK; db_transaction returns it as is */
	DB_UNAVAILABLE = -1,    /* cannot reach the server, or any other failure: answer 503 */
};

enum db_type { DB_TYPE_NULL = 0, DB_TYPE_INT, DB_TYPE_STR, DB_TYPE_BLOB };

/* A statement parameter. */
struct db_param {
	enum db_type type;
	long long i;
	const void *p;
	size_t len;
};

#define DB_INT(v)       ((struct db_param){ .type = DB_TYPE_INT, .i = (long long)(v) })
#define DB_STRN(s, n)   ((struct db_param){ .type = DB_TYPE_STR, .p = (s), .len = (n) })
#define DB_STR(s)       DB_STRN((s), strlen(s))
#define DB_BLOB(b, n)   ((struct db_param){ .type = DB_TYPE_BLOB, .p = (b), .len = (n) })
#define DB_NULLP        ((struct db_param){ .type = DB_TYPE_NULL })

/*
 * A result column: where the value of each row goes. DB_TYPE_STR values
 * are NUL-terminated in buf (cap bytes, the NUL included); DB_TYPE_BLOB
 * values are raw bytes. A value that does not fit is an error
 * (DB_UNAVAILABLE, logged), never a silent truncation. is_null, when not
 * NULL, is set to 1 for SQL NULL (the buffer then holds "" or 0).
 */
struct db_col {
	enum db_type type;
	long long *i;           /* DB_TYPE_INT */
	void *buf;              /* DB_TYPE_STR / DB_TYPE_BLOB */
	size_t cap;
	size_t *len;            /* optional: length of the value */
	int *is_null;           /* optional */
};

#define DB_OUT_INT(pi)             ((struct db_col){ .type = DB_TYPE_INT, .i = (pi) })
#define DB_OUT_INT_N(pi, pnull)    ((struct db_col){ .type = DB_TYPE_INT, .i = (pi), .is_null = (pnull) })
#define DB_OUT_STR(b, c)           ((struct db_col){ .type = DB_TYPE_STR, .buf = (b), .cap = (c) })
#define DB_OUT_STR_N(b, c, pnull)  ((struct db_col){ .type = DB_TYPE_STR, .buf = (b), .cap = (c), .is_null = (pnull) })
#define DB_OUT_BLOB(b, c, plen)    ((struct db_col){ .type = DB_TYPE_BLOB, .buf = (b), .cap = (c), .len = (plen) })

#define DB_NPARAMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Called once per row after the columns are filled. Return 0 to go on,
 * non-zero to stop reading (the rest of the result is discarded). It must
 * not call db_* on the same handle (refused with DB_UNAVAILABLE).
 */
typedef int (*db_row_fn)(void *arg);

/*
 * Create the handle and try to connect. Return 0 with *out set even when
 * the server is down (the next statement tries again), -1 only on a bad
 * config or out of memory.
 */
int db_open(struct db **out, const struct cfg *cfg) __attribute__((warn_unused_result));
void db_close(struct db *db);

/*
 * Run an INSERT/UPDATE/DELETE. affected and insert_id may be NULL.
 * Return DB_OK, DB_DUPLICATE, DB_RETRY or DB_UNAVAILABLE.
 */
enum db_rc db_exec(struct db *db, const char *sql,
    const struct db_param *params, size_t nparams,
    unsigned long long *affected, unsigned long long *insert_id)
	__attribute__((warn_unused_result));

/*
 * Run a SELECT. For each row the columns are filled and fn(arg) is called;
 * with fn NULL, reading stops after the first row. *nrows (may be NULL)
 * gets the number of rows delivered. Return as db_exec.
 */
enum db_rc db_query(struct db *db, const char *sql,
    const struct db_param *params, size_t nparams,
    const struct db_col *cols, size_t ncols,
    db_row_fn fn, void *arg, size_t *nrows)
	__attribute__((warn_unused_result));

/*
 * db_query for a read that must see every write committed before it
 * started, through any node: the refresh-token lookup and reuse check,
 * the signing keys after a rotation, a product after an update.
 */
enum db_rc db_query_latest(struct db *db, const char *sql,
    const struct db_param *params, size_t nparams,
    const struct db_col *cols, size_t ncols,
    db_row_fn fn, void *arg, size_t *nrows)
	__attribute__((warn_unused_result));

/* 1 if the current connection is to a Galera node (wsrep_on), else 0. */
int db_is_galera(const struct db *db);

/*
 * Run fn inside BEGIN ... COMMIT. fn returns DB_OK to commit; anything
 * else rolls back and is returned, except DB_RETRY (and a connection lost
 * before COMMIT), which roll back and call fn again from the start, up to
 * a few attempts with a short random back-off. fn must therefore read
 * everything it decides on inside the transaction and keep no state across
 * attempts except through arg, which it must reset itself.
 */
typedef enum db_rc (*db_tx_fn)(struct db *db, void *arg);
enum db_rc db_transaction(struct db *db, db_tx_fn fn, void *arg)
	__attribute__((warn_unused_result));

/* The MariaDB error number of the last failure (0 if none), for tests and logs. */
unsigned int db_last_errno(const struct db *db);

#endif
