/*
 * t/unit/db.c: lib/db.c against a live MariaDB (run by t/db.t, which
 * starts a throw-away server and sets JWTAUTH_CONFIG).
 *
 * The tests make their own scratch tables (db_test_*), so that they depend
 * on nothing in sql/schema.sql. Failures are provoked for real: a deadlock
 * between two connections (a forked child), a lock-wait timeout, a server
 * that drops an idle session (wait_timeout), a session killed from another
 * connection, and a server that is not there at all.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "../tap.h"

static struct cfg cfg;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
count_k(struct db *db, const char *pattern)
{
	struct db_param p[] = { DB_STR(pattern) };
	long long n = -1;
	struct db_col c[] = { DB_OUT_INT(&n) };

	if (db_query(db, "SELECT COUNT(*) FROM db_test_t WHERE k LIKE ?",
	    p, DB_NPARAMS(p), c, DB_NPARAMS(c), NULL, NULL, NULL) != DB_OK)
		return -1;
	return n;
}

static long long
connection_id(struct db *db)
{
	long long id = -1;
	struct db_col c[] = { DB_OUT_INT(&id) };

	if (db_query(db, "SELECT CONNECTION_ID()", NULL, 0, c, 1, NULL, NULL, NULL) != DB_OK)
		return -1;
	return id;
}

static long long
lock_v(struct db *db, int id)
{
	struct db_param p[] = { DB_INT(id) };
	long long v = -1;
	struct db_col c[] = { DB_OUT_INT(&v) };

	if (db_query(db, "SELECT v FROM db_test_lock WHERE id = ?", p, 1, c, 1,
	    NULL, NULL, NULL) != DB_OK)
		return -1;
	return v;
}

static enum db_rc
insert_k(struct db *db, const char *k, long long n)
{
	struct db_param p[] = { DB_STR(k), DB_INT(n) };

	return db_exec(db, "INSERT INTO db_test_t (k, n) VALUES (?, ?)",
	    p, DB_NPARAMS(p), NULL, NULL);
}

static void
test_setup(struct db *db)
{
	static const char *const ddl[] = {
		"DROP TABLE IF EXISTS db_test_t",
		"DROP TABLE IF EXISTS db_test_lock",
		/* utf8mb4_bin: the round trip compares bytes. */
		"CREATE TABLE db_test_t ("
		"  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
		"  k VARCHAR(64) NOT NULL UNIQUE,"
		"  n BIGINT NULL,"
		"  s VARCHAR(100) NULL,"
		"  b VARBINARY(64) NULL"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		"CREATE TABLE db_test_lock ("
		"  id INT NOT NULL PRIMARY KEY,"
		"  v INT NOT NULL"
		") ENGINE=InnoDB",
		"INSERT INTO db_test_lock (id, v) SELECT seq, 0 FROM seq_1_to_100",
	};
	int fails = 0;

	for (size_t i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++)
		if (db_exec(db, ddl[i], NULL, 0, NULL, NULL) != DB_OK) {
			diag("setup failed: %s (%u)", ddl[i], db_last_errno(db));
			fails++;
		}
	is_int(fails, 0, "scratch tables created");
}

static void
test_session(struct db *db)
{
	char tz[16], iso[32], mode[256];
	struct db_col c[] = { DB_OUT_STR(tz, sizeof(tz)), DB_OUT_STR(iso, sizeof(iso)),
	    DB_OUT_STR(mode, sizeof(mode)) };
	size_t n;

	is_int(db_query(db, "SELECT @@session.time_zone, @@session.tx_isolation, @@session.sql_mode",
	    NULL, 0, c, 3, NULL, NULL, &n), DB_OK, "session variables read");
	is_int((long long)n, 1, "one row");
	is_str(tz, "+00:00", "session time zone is UTC");
	is_str(iso, "READ-COMMITTED", "isolation READ COMMITTED");
	ok(strstr(mode, "STRICT_ALL_TABLES") != NULL, "sql_mode strict (%s)", mode);
}

static void
test_roundtrip(struct db *db)
{
	static const char emoji[] = "h\xc3\xa9llo \xf0\x9f\x99\x82 w\xc3\xb6rld";
	static const unsigned char blob[] = { 0, 'a', 0, 0, 0xff, 0, 'z' };
	unsigned long long affected = 99, id = 0;
	long long n = 7, gotid = 0, chars = 0, bytes = 0;
	char s[101];
	unsigned char b[64];
	size_t blen = 99, slen = 99, rows = 99;
	int n_null = 7, s_null = 7, b_null = 7;

	{
		struct db_param p[] = { DB_STR("rt"), DB_INT(LLONG_MIN), DB_STR(emoji),
		    DB_BLOB(blob, sizeof(blob)) };

		is_int(db_exec(db, "INSERT INTO db_test_t (k, n, s, b) VALUES (?, ?, ?, ?)",
		    p, DB_NPARAMS(p), &affected, &id), DB_OK, "insert INT, STR, BLOB");
		is_int((long long)affected, 1, "one row affected");
		ok(id > 0, "insert_id set (%llu)", id);
	}
	{
		struct db_param p[] = { DB_STR("rt") };
		struct db_col c[] = { DB_OUT_INT(&gotid), DB_OUT_INT_N(&n, &n_null),
		    DB_OUT_STR_N(s, sizeof(s), &s_null), DB_OUT_BLOB(b, sizeof(b), &blen) };

		c[2].len = &slen;
		c[3].is_null = &b_null;
		is_int(db_query(db, "SELECT id, n, s, b FROM db_test_t WHERE k = ?",
		    p, 1, c, DB_NPARAMS(c), NULL, NULL, &rows), DB_OK, "select it back");
		is_int((long long)rows, 1, "one row");
		is_int(gotid, (long long)id, "id is the insert_id");
		is_int(n, LLONG_MIN, "INT LLONG_MIN round trip");
		is_str(s, emoji, "utf8mb4 string (emoji) round trip");
		is_int((long long)slen, (long long)strlen(emoji), "string length reported");
		is_mem(b, blen, blob, sizeof(blob), "BLOB with NUL bytes round trip");
		ok(n_null == 0 && s_null == 0 && b_null == 0, "is_null 0 for values");
	}
	{
		/* 13 characters in 18 bytes: the emoji took 4 bytes, not '?'. */
		struct db_param p[] = { DB_STR("rt") };
		struct db_col c[] = { DB_OUT_INT(&chars), DB_OUT_INT(&bytes) };

		is_int(db_query(db, "SELECT CHAR_LENGTH(s), LENGTH(s) FROM db_test_t WHERE k = ?",
		    p, 1, c, 2, NULL, NULL, NULL), DB_OK, "lengths read");
		is_int(chars, 13, "stored as 13 characters");
		is_int(bytes, 18, "stored as 18 bytes (4-byte UTF-8 kept)");
	}
	{
		struct db_param p[] = { DB_STR("rt2"), DB_INT(LLONG_MAX), DB_STRN("", 0),
		    DB_BLOB(NULL, 0) };

		is_int(db_exec(db, "INSERT INTO db_test_t (k, n, s, b) VALUES (?, ?, ?, ?)",
		    p, DB_NPARAMS(p), NULL, NULL), DB_OK, "insert empty string and empty blob");
	}
	{
		struct db_param p[] = { DB_STR("rt2") };
		struct db_col c[] = { DB_OUT_INT(&n), DB_OUT_STR_N(s, sizeof(s), &s_null),
		    DB_OUT_BLOB(b, sizeof(b), &blen) };

		c[2].is_null = &b_null;
		s_null = b_null = 7;
		strcpy(s, "junk");
		is_int(db_query(db, "SELECT n, s, b FROM db_test_t WHERE k = ?",
		    p, 1, c, 3, NULL, NULL, NULL), DB_OK, "select empty values");
		is_int(n, LLONG_MAX, "INT LLONG_MAX round trip");
		ok(s[0] == '\0' && s_null == 0, "empty string is not NULL");
		ok(blen == 0 && b_null == 0, "empty blob is not NULL");
	}
	{
		struct db_param p[] = { DB_STR("nul"), DB_NULLP, DB_NULLP, DB_NULLP };

		is_int(db_exec(db, "INSERT INTO db_test_t (k, n, s, b) VALUES (?, ?, ?, ?)",
		    p, DB_NPARAMS(p), NULL, NULL), DB_OK, "insert NULLs");
	}
	{
		struct db_param p[] = { DB_STR("nul") };
		long long n2 = 5;
		struct db_col c[] = { DB_OUT_INT_N(&n, &n_null), DB_OUT_STR_N(s, sizeof(s), &s_null),
		    DB_OUT_BLOB(b, sizeof(b), &blen), DB_OUT_INT(&n2) };
		long long isnull_sql = -1;
		struct db_col c2[] = { DB_OUT_INT(&isnull_sql) };

		c[2].is_null = &b_null;
		n = 5;
		n_null = s_null = b_null = 7;
		strcpy(s, "junk");
		blen = 99;
		is_int(db_query(db, "SELECT n, s, b, n FROM db_test_t WHERE k = ?",
		    p, 1, c, 4, NULL, NULL, NULL), DB_OK, "select NULLs");
		ok(n_null == 1 && s_null == 1 && b_null == 1, "is_null 1 for each NULL");
		ok(n == 0 && s[0] == '\0' && blen == 0, "NULL leaves 0, \"\" and length 0");
		is_int(n2, 0, "NULL into an INT without is_null gives 0");
		is_int(db_query(db, "SELECT n IS NULL AND s IS NULL AND b IS NULL FROM db_test_t WHERE k = ?",
		    p, 1, c2, 1, NULL, NULL, NULL), DB_OK, "NULLs checked by SQL");
		is_int(isnull_sql, 1, "DB_NULLP stored SQL NULL");
	}
}

static void
test_reuse(struct db *db)
{
	char buf[64];
	long long v = 0;
	struct db_col c[] = { DB_OUT_INT(&v) };
	int bad = 0;

	for (int i = 0; i < 1000; i++) {
		struct db_param p[] = { DB_INT(i) };

		if (db_query(db, "SELECT ? + 1", p, 1, c, 1, NULL, NULL, NULL) != DB_OK ||
		    v != i + 1)
			bad++;
	}
	is_int(bad, 0, "one statement run 1000 times");

	/* Same text from another address (the content lookup). */
	bad = 0;
	for (int i = 0; i < 100; i++) {
		struct db_param p[] = { DB_INT(i) };

		strcpy(buf, "SELECT ? + 1");
		if (db_query(db, buf, p, 1, c, 1, NULL, NULL, NULL) != DB_OK || v != i + 1)
			bad++;
	}
	is_int(bad, 0, "same SQL from a buffer");

	/* Another text at an address the cache has seen: must not reuse. */
	{
		struct db_param p[] = { DB_INT(40) };

		strcpy(buf, "SELECT ? + 2");
		is_int(db_query(db, buf, p, 1, c, 1, NULL, NULL, NULL), DB_OK,
		    "new text in a reused buffer");
		is_int(v, 42, "it ran the new text");
	}

	/* More distinct texts than the cache holds: evictions, then reuse. */
	bad = 0;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 150; i++) {
			struct db_param p[] = { DB_INT(i) };

			if (snprintf(buf, sizeof(buf), "SELECT ? * %d", i + 1) >= (int)sizeof(buf) ||
			    db_query(db, buf, p, 1, c, 1, NULL, NULL, NULL) != DB_OK ||
			    v != (long long)i * (i + 1))
				bad++;
		}
	is_int(bad, 0, "300 runs of 150 distinct statements");
}

static void
test_duplicate(struct db *db)
{
	struct db_param p[] = { DB_STR("rt") };

	is_int(db_exec(db, "INSERT INTO db_test_t (k) VALUES (?)", p, 1, NULL, NULL),
	    DB_DUPLICATE, "unique violation is DB_DUPLICATE");
	is_int(db_last_errno(db), 1062, "errno 1062");
	is_int(count_k(db, "rt"), 1, "connection still usable, one row");
}

static void
test_truncation(struct db *db)
{
	struct db_param p[] = { DB_STR("rt") };
	char small[18], fit[19];
	unsigned char b6[6], b7[7];
	size_t blen = 0;
	long long v = 0;

	{
		struct db_col c[] = { DB_OUT_STR(small, sizeof(small)) };

		is_int(db_query(db, "SELECT s FROM db_test_t WHERE k = ?", p, 1, c, 1,
		    NULL, NULL, NULL), DB_UNAVAILABLE, "string one byte too long for the buffer: error");
	}
	{
		struct db_col c[] = { DB_OUT_STR(fit, sizeof(fit)) };

		is_int(db_query(db, "SELECT s FROM db_test_t WHERE k = ?", p, 1, c, 1,
		    NULL, NULL, NULL), DB_OK, "string that exactly fits (NUL included)");
		is_int((long long)strlen(fit), 18, "all of it");
	}
	{
		struct db_col c[] = { DB_OUT_BLOB(b6, sizeof(b6), &blen) };

		is_int(db_query(db, "SELECT b FROM db_test_t WHERE k = ?", p, 1, c, 1,
		    NULL, NULL, NULL), DB_UNAVAILABLE, "blob too long for the buffer: error");
	}
	{
		struct db_col c[] = { DB_OUT_BLOB(b7, sizeof(b7), &blen) };

		is_int(db_query(db, "SELECT b FROM db_test_t WHERE k = ?", p, 1, c, 1,
		    NULL, NULL, NULL), DB_OK, "blob that exactly fits");
		is_int((long long)blen, 7, "all of it");
	}
	{
		struct db_col c[] = { DB_OUT_INT(&v) };

		is_int(db_query(db, "SELECT CAST(18446744073709551615 AS UNSIGNED)", NULL, 0, c, 1,
		    NULL, NULL, NULL), DB_UNAVAILABLE, "unsigned 2^64-1 into a long long: error");
	}
	is_int(count_k(db, "rt"), 1, "next statement runs after a truncation");
}

struct rows {
	long long n;
	long long sum;
	int calls;
	int stop_at;
	int order_ok;
	struct db *db;
	enum db_rc nested;
};

static int
row_cb(void *arg)
{
	struct rows *r = arg;

	if (r->n != r->calls)
		r->order_ok = 0;
	r->calls++;
	r->sum += r->n;
	if (r->db != NULL)
		r->nested = insert_k(r->db, "nested", 1);
	return r->stop_at != 0 && r->calls == r->stop_at;
}

static void
test_rows(struct db *db)
{
	struct rows r;
	struct db_col c[] = { DB_OUT_INT(&r.n) };
	size_t nrows;
	int bad = 0;
	char k[16];

	for (int i = 0; i < 10; i++) {
		(void)snprintf(k, sizeof(k), "cb%d", i);
		if (insert_k(db, k, i) != DB_OK)
			bad++;
	}
	is_int(bad, 0, "10 rows inserted");

	memset(&r, 0, sizeof(r));
	r.order_ok = 1;
	is_int(db_query(db, "SELECT n FROM db_test_t WHERE k LIKE 'cb%' ORDER BY n",
	    NULL, 0, c, 1, row_cb, &r, &nrows), DB_OK, "query with row callback");
	is_int(r.calls, 10, "callback saw every row");
	is_int(r.sum, 45, "with every value");
	ok(r.order_ok, "in order");
	is_int((long long)nrows, 10, "nrows 10");

	memset(&r, 0, sizeof(r));
	r.stop_at = 3;
	is_int(db_query(db, "SELECT n FROM db_test_t WHERE k LIKE 'cb%' ORDER BY n",
	    NULL, 0, c, 1, row_cb, &r, &nrows), DB_OK, "callback stops early");
	is_int(r.calls, 3, "no call after stopping");
	is_int((long long)nrows, 3, "nrows counts delivered rows");

	r.n = -1;
	is_int(db_query(db, "SELECT n FROM db_test_t WHERE k LIKE 'cb%' ORDER BY n DESC",
	    NULL, 0, c, 1, NULL, NULL, &nrows), DB_OK, "no callback: first row");
	is_int((long long)nrows, 1, "nrows 1");
	is_int(r.n, 9, "first row's value");

	memset(&r, 0, sizeof(r));
	r.n = 77;
	is_int(db_query(db, "SELECT n FROM db_test_t WHERE k = 'none'",
	    NULL, 0, c, 1, row_cb, &r, &nrows), DB_OK, "empty result");
	ok(nrows == 0 && r.calls == 0 && r.n == 77, "no row, no call, buffer untouched");

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.nested = DB_OK;
	r.stop_at = 1;
	is_int(db_query(db, "SELECT n FROM db_test_t WHERE k LIKE 'cb%' ORDER BY n",
	    NULL, 0, c, 1, row_cb, &r, &nrows), DB_OK, "query whose callback runs a statement");
	is_int(r.nested, DB_UNAVAILABLE, "a statement from a row callback is refused");
	is_int(count_k(db, "nested"), 0, "and did not run");
}

static void
test_misuse(struct db *db)
{
	long long v;
	struct db_col c[] = { DB_OUT_INT(&v), DB_OUT_INT(&v) };
	struct db_param p[] = { DB_INT(1), DB_INT(2) };
	char longk[80];

	is_int(db_query(db, "SELECT ?", p, 2, c, 1, NULL, NULL, NULL), DB_UNAVAILABLE,
	    "wrong number of parameters refused");
	is_int(db_query(db, "SELECT 1", NULL, 0, c, 2, NULL, NULL, NULL), DB_UNAVAILABLE,
	    "wrong number of columns refused");
	is_int(db_exec(db, "SELECT 1", NULL, 0, NULL, NULL), DB_UNAVAILABLE,
	    "db_exec of a SELECT refused");
	is_int(db_exec(db, "INSERT INTO db_test_t (k) VALUS (1)", NULL, 0, NULL, NULL),
	    DB_UNAVAILABLE, "syntax error is DB_UNAVAILABLE");
	is_int(db_last_errno(db), 1064, "errno 1064");

	memset(longk, 'x', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = '\0';
	is_int(insert_k(db, longk, 1), DB_UNAVAILABLE, "65 characters into VARCHAR(64) refused");
	is_int(db_last_errno(db), 1406, "errno 1406 (strict mode, not truncated)");
	is_int(db_query(db, "SELECT 1", NULL, 0, c, 1, NULL, NULL, NULL), DB_OK,
	    "connection fine after misuse");
}

/* --- transactions ------------------------------------------------------- */

struct txarg {
	int attempts;
	int mode;
	enum db_rc inner;
	struct db *other;
};

static enum db_rc
tx_insert2(struct db *db, void *arg)
{
	struct txarg *t = arg;
	enum db_rc rc;

	t->attempts++;
	if ((rc = insert_k(db, "tx1", 1)) != DB_OK)
		return rc;
	return insert_k(db, "tx2", 2);
}

static enum db_rc
tx_abort(struct db *db, void *arg)
{
	struct txarg *t = arg;
	enum db_rc rc;

	t->attempts++;
	if ((rc = insert_k(db, "tx3", 3)) != DB_OK)
		return rc;
	return DB_ABORT;
}

static enum db_rc
tx_dup(struct db *db, void *arg)
{
	enum db_rc rc;

	(void)arg;
	if ((rc = insert_k(db, "tx4", 4)) != DB_OK)
		return rc;
	return insert_k(db, "tx1", 5);
}

static enum db_rc
tx_ignore_error(struct db *db, void *arg)
{
	struct txarg *t = arg;

	if (insert_k(db, "tx5", 5) != DB_OK)
		return DB_UNAVAILABLE;
	/* The failure is noted and then ignored, as a careless fn would. */
	t->inner = db_exec(db, "UPDATE db_test_t SET n = WHERE k = 'tx5'", NULL, 0, NULL, NULL);
	return DB_OK;
}

static enum db_rc
tx_nested_inner(struct db *db, void *arg)
{
	(void)arg;
	return insert_k(db, "tx-inner", 6);
}

static enum db_rc
tx_nested(struct db *db, void *arg)
{
	struct txarg *t = arg;

	t->inner = db_transaction(db, tx_nested_inner, NULL);
	return insert_k(db, "tx-outer", 7);
}

static enum db_rc
tx_always_retry(struct db *db, void *arg)
{
	struct txarg *t = arg;

	(void)db;
	t->attempts++;
	return DB_RETRY;
}

static enum db_rc
tx_weird(struct db *db, void *arg)
{
	(void)arg;
	if (insert_k(db, "tx-weird", 8) != DB_OK)
		return DB_UNAVAILABLE;
	return (enum db_rc)42;
}

static void
test_transactions(struct db *db, struct db *db2)
{
	struct txarg t;
	double t0;

	memset(&t, 0, sizeof(t));
	is_int(db_transaction(db, tx_insert2, &t), DB_OK, "transaction commits");
	is_int(t.attempts, 1, "in one attempt");
	is_int(count_k(db2, "tx_"), 2, "both rows visible to another connection");

	memset(&t, 0, sizeof(t));
	is_int(db_transaction(db, tx_abort, &t), DB_ABORT, "DB_ABORT returned as is");
	is_int(t.attempts, 1, "not redone");
	is_int(count_k(db2, "tx3"), 0, "DB_ABORT left nothing");
	is_int(count_k(db, "tx3"), 0, "not even on its own connection");

	is_int(db_transaction(db, tx_dup, NULL), DB_DUPLICATE, "DB_DUPLICATE from fn returned");
	is_int(count_k(db2, "tx4"), 0, "its earlier insert rolled back");

	memset(&t, 0, sizeof(t));
	is_int(db_transaction(db, tx_ignore_error, &t), DB_UNAVAILABLE,
	    "fn returning DB_OK after a failed statement: not committed");
	is_int(t.inner, DB_UNAVAILABLE, "the statement had failed");
	is_int(count_k(db2, "tx5"), 0, "its earlier insert rolled back");

	memset(&t, 0, sizeof(t));
	t.inner = DB_OK;
	is_int(db_transaction(db, tx_nested, &t), DB_OK, "outer transaction commits");
	is_int(t.inner, DB_UNAVAILABLE, "nested db_transaction refused");
	is_int(count_k(db2, "tx-inner"), 0, "nested fn never ran");
	is_int(count_k(db2, "tx-outer"), 1, "outer insert committed");

	memset(&t, 0, sizeof(t));
	t0 = now();
	is_int(db_transaction(db, tx_always_retry, &t), DB_UNAVAILABLE,
	    "DB_RETRY forever gives DB_UNAVAILABLE");
	is_int(t.attempts, 5, "after 5 attempts");
	ok(now() - t0 < 1.0, "with a short back-off (%.3f s)", now() - t0);

	is_int(db_transaction(db, tx_weird, NULL), DB_UNAVAILABLE,
	    "fn returning a value outside the enum: DB_UNAVAILABLE");
	is_int(count_k(db2, "tx-weird"), 0, "and rolled back");
}

/* --- deadlock and lock wait, against a forked second connection --------- */

struct lockarg {
	int attempts;
	int rfd, wfd;           /* pipe ends to the other process */
	int failed;
	enum db_rc after;       /* a statement run after the deadlock */
};

static int
sync_send(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

static int
sync_wait(int fd)
{
	char ch;

	return read(fd, &ch, 1) == 1 ? 0 : -1;
}

/*
 * Parent: lock row 1, let the child lock rows 2..100 and wait for row 1,
 * then ask for row 2: a cycle. InnoDB rolls back the lighter transaction
 * (ours, one row against 99), and db_transaction must redo it.
 */
static enum db_rc
dl_parent(struct db *db, void *arg)
{
	struct lockarg *a = arg;
	enum db_rc rc;

	a->attempts++;
	if ((rc = db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id = 1",
	    NULL, 0, NULL, NULL)) != DB_OK)
		return rc;
	if (a->attempts == 1) {
		if (sync_send(a->wfd) != 0 || sync_wait(a->rfd) != 0) {
			a->failed = 1;
			return DB_ABORT;
		}
		/* Let the child's UPDATE of row 1 start waiting. */
		usleep(100000);
	}
	rc = db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id = 2", NULL, 0, NULL, NULL);
	if (rc == DB_RETRY) {
		/*
		 * The server already rolled the transaction back: a careless
		 * fn carrying on must not get this autocommitted.
		 */
		a->after = insert_k(db, "dl-after", 1);
	}
	return rc;
}

static enum db_rc
dl_child(struct db *db, void *arg)
{
	struct lockarg *a = arg;
	enum db_rc rc;

	a->attempts++;
	if ((rc = db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id >= 2",
	    NULL, 0, NULL, NULL)) != DB_OK)
		return rc;
	if (a->attempts == 1 && sync_send(a->wfd) != 0)
		return DB_ABORT;
	return db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id = 1", NULL, 0, NULL, NULL);
}

/*
 * The child's exit status: bit 7 failure, bit 4 "saw 1213", bits 0-3 the
 * number of attempts. It uses only its own connection, never the parent's,
 * and leaves with _exit so that nothing of the parent's is closed or
 * flushed twice.
 */
static void
dl_child_main(int rfd, int wfd)
{
	struct lockarg a = { .rfd = rfd, .wfd = wfd };
	struct db *db;
	enum db_rc rc;
	int st;

	if (db_open(&db, &cfg) != 0 || sync_wait(rfd) != 0)
		_exit(128);
	rc = db_transaction(db, dl_child, &a);
	st = (rc == DB_OK ? 0 : 128) | (db_last_errno(db) == 1213 ? 16 : 0) | (a.attempts & 15);
	db_close(db);
	_exit(st);
}

static pid_t
fork_child(void (*fn)(int, int), int *rfd, int *wfd)
{
	int p2c[2], c2p[2];
	pid_t pid;

	if (pipe(p2c) != 0 || pipe(c2p) != 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		fn(p2c[0], c2p[1]);
		_exit(127);
	}
	close(p2c[0]);
	close(c2p[1]);
	*rfd = c2p[0];
	*wfd = p2c[1];
	return pid;
}

static int
child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_deadlock(struct db *db)
{
	struct lockarg a = { 0 };
	enum db_rc rc;
	pid_t pid;
	int st, child_attempts, child_1213;

	if ((pid = fork_child(dl_child_main, &a.rfd, &a.wfd)) < 0) {
		ok(0, "fork");
		return;
	}
	rc = db_transaction(db, dl_parent, &a);
	/* Closed first: a child still waiting on the pipe sees EOF, not a hang. */
	close(a.rfd);
	close(a.wfd);
	st = child_status(pid);
	child_attempts = st < 0 ? -1 : (st & 15);
	child_1213 = st >= 0 && (st & 16);
	diag("deadlock: parent %d attempt(s), child %d attempt(s)", a.attempts, child_attempts);

	is_int(rc, DB_OK, "deadlocked transaction ends in DB_OK");
	ok(st >= 0 && (st & 128) == 0, "the other side's transaction too");
	ok(!a.failed, "processes synchronised");
	is_int(a.attempts + child_attempts, 3, "exactly one side redone once");
	ok((a.attempts == 2 && db_last_errno(db) == 1213) ||
	    (child_attempts == 2 && child_1213), "the redone side saw 1213");
	if (a.attempts == 2) {
		is_int(a.after, DB_RETRY, "statement after the deadlock refused");
		is_int(count_k(db, "dl-after"), 0, "and not autocommitted");
	}
	is_int(lock_v(db, 1), 2, "row 1 updated once by each, none lost or doubled");
	is_int(lock_v(db, 2), 2, "row 2 likewise");
	is_int(lock_v(db, 3), 1, "row 3 by the child only");
}

/* Child for the lock-wait test: hold row 3 until told to let go. */
static enum db_rc
lw_child(struct db *db, void *arg)
{
	struct lockarg *a = arg;
	enum db_rc rc;

	if ((rc = db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id = 3",
	    NULL, 0, NULL, NULL)) != DB_OK)
		return rc;
	if (sync_send(a->wfd) != 0 || sync_wait(a->rfd) != 0)
		return DB_ABORT;
	return DB_OK;
}

static void
lw_child_main(int rfd, int wfd)
{
	struct lockarg a = { .rfd = rfd, .wfd = wfd };
	struct db *db;
	enum db_rc rc;

	if (db_open(&db, &cfg) != 0)
		_exit(128);
	rc = db_transaction(db, lw_child, &a);
	db_close(db);
	_exit(rc == DB_OK ? 0 : 1);
}

/* Parent: its first attempt times out on the lock, then it lets the child go. */
static enum db_rc
lw_parent(struct db *db, void *arg)
{
	struct lockarg *a = arg;
	enum db_rc rc;

	a->attempts++;
	rc = db_exec(db, "UPDATE db_test_lock SET v = v + 1 WHERE id = 3", NULL, 0, NULL, NULL);
	if (a->attempts == 1 && sync_send(a->wfd) != 0)
		a->failed = 1;
	return rc;
}

static void
test_lock_wait(struct db *db)
{
	struct lockarg a = { 0 };
	struct db_param p[] = { DB_INT(1) };
	enum db_rc rc;
	double t0, dt;
	pid_t pid;

	is_int(db_exec(db, "SET SESSION innodb_lock_wait_timeout = ?", p, 1, NULL, NULL),
	    DB_OK, "lock wait timeout set to 1 s");
	if ((pid = fork_child(lw_child_main, &a.rfd, &a.wfd)) < 0) {
		ok(0, "fork");
		return;
	}
	if (sync_wait(a.rfd) != 0)
		a.failed = 1;

	t0 = now();
	rc = db_exec(db, "UPDATE db_test_lock SET v = v + 100 WHERE id = 3", NULL, 0, NULL, NULL);
	dt = now() - t0;
	is_int(rc, DB_RETRY, "lock-wait timeout outside a transaction: DB_RETRY");
	is_int(db_last_errno(db), 1205, "errno 1205");
	ok(dt > 0.9 && dt < 3.0, "after the 1 s timeout (%.2f s)", dt);

	rc = db_transaction(db, lw_parent, &a);
	is_int(rc, DB_OK, "transaction that timed out on a lock is redone and commits");
	is_int(a.attempts, 2, "in two attempts");
	close(a.rfd);
	close(a.wfd);
	is_int(child_status(pid), 0, "lock holder committed");
	ok(!a.failed, "processes synchronised");
	is_int(lock_v(db, 3), 3, "row 3: child +1, parent +1, timed-out statement nothing");
}

/* --- losing the server -------------------------------------------------- */

static enum db_rc
set_wait_timeout(struct db *db)
{
	return db_exec(db, "SET SESSION wait_timeout = 1", NULL, 0, NULL, NULL);
}

static void
test_gone_away(struct db *db)
{
	long long id1, id2;
	unsigned int e;

	id1 = connection_id(db);
	is_int(set_wait_timeout(db), DB_OK, "wait_timeout set to 1 s");
	sleep(2);
	id2 = connection_id(db);
	ok(id2 > 0, "read after the server dropped the idle session succeeds");
	ok(id2 != id1, "on a new connection (%lld, was %lld)", id2, id1);

	/* A write whose statement was already prepared reaches the wire: not retried. */
	is_int(insert_k(db, "gone1", 1), DB_OK, "insert prepared on this connection");
	is_int(set_wait_timeout(db), DB_OK, "wait_timeout set to 1 s again");
	sleep(2);
	is_int(insert_k(db, "gone2", 2), DB_UNAVAILABLE, "write on a dropped session: DB_UNAVAILABLE, not retried");
	e = db_last_errno(db);
	ok(e == 2006 || e == 2013 || e == 1927, "errno says the connection was lost (%u)", e);
	is_int(count_k(db, "gone2"), 0, "write not applied");
	is_int(insert_k(db, "gone3", 3), DB_OK, "next write runs on a new connection");

	/* A write that failed at PREPARE never ran: retried. */
	is_int(set_wait_timeout(db), DB_OK, "wait_timeout set to 1 s again");
	sleep(2);
	{
		struct db_param p[] = { DB_STR("gone4") };

		is_int(db_exec(db, "INSERT INTO db_test_t (k, n) VALUES (?, 4)", p, 1, NULL, NULL),
		    DB_OK, "write failing at PREPARE is retried on a new connection");
	}
	is_int(count_k(db, "gone4"), 1, "applied once");

	/* Idle longer than the ping threshold: pinged and replaced first. */
	is_int(insert_k(db, "gone5", 5), DB_OK, "insert prepared on this connection");
	is_int(set_wait_timeout(db), DB_OK, "wait_timeout set to 1 s again");
	diag("idling 11 s to pass the ping threshold");
	sleep(11);
	is_int(insert_k(db, "gone6", 6), DB_OK, "write after a long idle succeeds (ping, reconnect)");
	is_int(count_k(db, "gone6"), 1, "applied once");
}

static void
test_killed(struct db *db, struct db *db2)
{
	long long id1, id2;

	id1 = connection_id(db);
	{
		struct db_param p[] = { DB_INT(id1) };

		is_int(db_exec(db2, "KILL CONNECTION ?", p, 1, NULL, NULL), DB_OK,
		    "connection killed from another one");
	}
	id2 = connection_id(db);
	ok(id2 > 0, "read on the killed connection succeeds (retried once)");
	ok(id2 != id1, "on a new connection (%lld, was %lld)", id2, id1);
}

static enum db_rc
tx_killed(struct db *db, void *arg)
{
	struct txarg *t = arg;
	enum db_rc rc, rc2;

	t->attempts++;
	if ((rc = insert_k(db, t->attempts == 1 ? "kill-a" : "kill-b", 1)) != DB_OK)
		return rc;
	if (t->attempts == 1) {
		struct db_param p[] = { DB_INT(connection_id(db)) };

		if (db_exec(t->other, "KILL CONNECTION ?", p, 1, NULL, NULL) != DB_OK)
			return DB_ABORT;
	}
	rc = insert_k(db, "kill-c", 2);
	t->inner = rc;
	/* A careless fn carrying on: this must not autocommit on a new connection. */
	rc2 = insert_k(db, "kill-d", 3);
	(void)rc2;
	return DB_OK;
}

static void
test_killed_in_tx(struct db *db, struct db *db2)
{
	struct txarg t;

	memset(&t, 0, sizeof(t));
	t.other = db2;
	is_int(db_transaction(db, tx_killed, &t), DB_OK,
	    "transaction whose connection was killed is redone and commits");
	is_int(t.attempts, 2, "in two attempts");
	is_int(count_k(db2, "kill-a"), 0, "first attempt's insert gone");
	is_int(count_k(db2, "kill-b"), 1, "second attempt's insert committed");
	is_int(count_k(db2, "kill-c"), 1, "statement after the kill not applied twice");
	is_int(count_k(db2, "kill-d"), 1, "nor one run after the failure");
}

static enum db_rc
tx_never(struct db *db, void *arg)
{
	int *called = arg;

	(void)db;
	*called = 1;
	return DB_OK;
}

static void
test_down(void)
{
	struct cfg down = cfg;
	struct db *db = NULL;
	long long v;
	struct db_col c[] = { DB_OUT_INT(&v) };
	double t0;
	int called = 0;

	(void)snprintf(down.db_socket, sizeof(down.db_socket), "/nonexistent/jwtauth-db-test.sock");
	t0 = now();
	is_int(db_open(&db, &down), 0, "db_open succeeds with the server down");
	ok(db != NULL, "and gives a handle");
	if (db == NULL)
		return;
	is_int(db_query(db, "SELECT 1", NULL, 0, c, 1, NULL, NULL, NULL), DB_UNAVAILABLE,
	    "query with the server down: DB_UNAVAILABLE");
	is_int(db_last_errno(db), 2002, "errno 2002 (cannot connect)");
	is_int(insert_k(db, "down", 1), DB_UNAVAILABLE, "write with the server down: DB_UNAVAILABLE");
	is_int(db_transaction(db, tx_never, &called), DB_UNAVAILABLE,
	    "transaction with the server down: DB_UNAVAILABLE");
	ok(!called, "without running fn");
	ok(now() - t0 < 2.0, "all of it quickly (%.3f s)", now() - t0);
	db_close(db);

	down = cfg;
	down.db_name[0] = '\0';
	db = (struct db *)(void *)&called;     /* anything but NULL */
	is_int(db_open(&db, &down), -1, "db_open refuses a config without db_name");
	ok(db == NULL, "and sets no handle");
}

/*
 * SPEC §11: several hosts. The first one listed is down (nothing listens
 * on its port): the handle connects to the next. When that connection is
 * lost, the worker reconnects without a restart, through the host list
 * (the dead one is tried and skipped). On a plain server
 * db_query_latest is db_query.
 */
static void
test_hosts(void)
{
	struct cfg multi = cfg;
	struct db *db = NULL, *killer = NULL;
	const char *port = getenv("DB_TEST_PORT"), *dead = getenv("DB_TEST_DEAD_PORT");
	const char *pw = getenv("DB_TEST_PASSWORD");
	long long v = 0, id1, id2;
	struct db_col c[] = { DB_OUT_INT(&v) };
	int n;

	if (port == NULL || dead == NULL || pw == NULL) {
		ok(0, "t/db.t sets DB_TEST_PORT, DB_TEST_DEAD_PORT, DB_TEST_PASSWORD");
		return;
	}
	multi.db_socket[0] = '\0';
	n = snprintf(multi.db_host, sizeof(multi.db_host), "127.0.0.1:%s, 127.0.0.1:%s", dead, port);
	(void)snprintf(multi.db_password, sizeof(multi.db_password), "%s", pw);
	ok(n > 0 && (size_t)n < sizeof(multi.db_host), "host list: dead node first");
	is_int(db_open(&db, &multi), 0, "db_open with a list of hosts");
	if (db == NULL)
		return;
	is_int(db_query(db, "SELECT 7", NULL, 0, c, 1, NULL, NULL, NULL), DB_OK,
	    "a query runs: the live host answered");
	is_int(v, 7, "with its result");
	is_int(db_is_galera(db), 0, "a plain server is no Galera node");
	v = 0;
	is_int(db_query_latest(db, "SELECT 8", NULL, 0, c, 1, NULL, NULL, NULL), DB_OK,
	    "db_query_latest on a plain server");
	is_int(v, 8, "with its result");

	id1 = connection_id(db);
	/* The same account may kill its own sessions. */
	is_int(db_open(&killer, &multi), 0, "a second handle on the same list");
	{
		struct db_param p[] = { DB_INT(id1) };

		is_int(db_exec(killer, "KILL CONNECTION ?", p, 1, NULL, NULL), DB_OK,
		    "the worker's connection is killed");
	}
	id2 = connection_id(db);
	ok(id2 > 0 && id2 != id1, "the next read reconnects through the list (%lld, was %lld)",
	    id2, id1);
	is_int(insert_k(db, "hosts1", 1), DB_OK, "and writes");
	db_close(db);
	db_close(killer);

	multi.db_host[0] = '\0';
	(void)snprintf(multi.db_host, sizeof(multi.db_host), "127.0.0.1:%s,127.0.0.1:%s", dead, dead);
	is_int(db_open(&db, &multi), 0, "db_open with every host down");
	if (db == NULL)
		return;
	is_int(db_query(db, "SELECT 1", NULL, 0, c, 1, NULL, NULL, NULL), DB_UNAVAILABLE,
	    "every host down: DB_UNAVAILABLE (503)");
	is_int(db_last_errno(db), 2002, "errno 2002 (cannot connect)");
	db_close(db);
	sodium_memzero(multi.db_password, sizeof(multi.db_password));
}

int
main(void)
{
	char err[512];
	struct db *db = NULL, *db2 = NULL;
	long long one = 0;
	struct db_col c[] = { DB_OUT_INT(&one) };

	log_init("t/unit/db", LOG_LVL_INFO);
	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	if (getenv("JWTAUTH_CONFIG") == NULL) {
		printf("1..0 # SKIP needs a live MariaDB: run t/db.t\n");
		return 0;
	}
	if (cfg_load_default(&cfg, err, sizeof(err)) != 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}

	is_int(db_open(&db, &cfg), 0, "db_open");
	is_int(db_open(&db2, &cfg), 0, "db_open a second handle");
	if (db == NULL || db2 == NULL) {
		printf("Bail out! no handle\n");
		return 1;
	}
	is_int(db_query(db, "SELECT 1", NULL, 0, c, 1, NULL, NULL, NULL), DB_OK, "connected");
	is_int(one, 1, "SELECT 1 gives 1");

	test_setup(db);
	test_session(db);
	test_roundtrip(db);
	test_reuse(db);
	test_duplicate(db);
	test_truncation(db);
	test_rows(db);
	test_misuse(db);
	test_transactions(db, db2);
	test_deadlock(db);
	test_lock_wait(db);
	test_killed(db, db2);
	test_killed_in_tx(db, db2);
	test_gone_away(db);
	test_down();
	test_hosts();

	ok(db_exec(db, "DROP TABLE db_test_t", NULL, 0, NULL, NULL) == DB_OK &&
	    db_exec(db, "DROP TABLE db_test_lock", NULL, 0, NULL, NULL) == DB_OK,
	    "scratch tables dropped");
	db_close(db);
	db_close(db2);
	cfg_wipe(&cfg);
	return done_testing();
}
