/*
 * db.c: MariaDB access over Connector/C (see db.h).
 *
 * Everything goes through server-side prepared statements: values travel
 * as bound parameters and never become SQL text. Statements are prepared
 * lazily and cached per connection; losing the connection drops the cache,
 * and the next use prepares again on the new connection.
 *
 * Connector/C's own auto-reconnect stays off: it re-opens the socket
 * behind our back, which silently invalidates every prepared statement and
 * loses any open transaction. We reconnect ourselves, at points where we
 * know what was and was not sent (STYLE: reconnect, re-prepare, retry once,
 * but never blindly retry a write that may have been applied).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sodium.h>

#include "cfg.h"
#include "db.h"
#include "log.h"

/* Ping a connection before use when it has been idle this long (s). */
#define DB_IDLE_PING    10
/* db_transaction: attempts in all, the first included. */
#define DB_TX_ATTEMPTS  5
/* Most parameters or result columns one statement may have. */
#define DB_MAX_BINDS    32
/* Most statements kept prepared at once; beyond, the least recently used goes. */
#define DB_CACHE_MAX    64
/* How much of the SQL text a log line shows. */
#define DB_LOG_SQL      80

struct db_stmt {
	const char *key;        /* the caller's pointer, for the fast lookup */
	char *sql;              /* our copy: the caller's text may not be a literal */
	int latest;             /* prepared for db_query_latest (see db_stmt_get) */
	MYSQL_STMT *stmt;
	unsigned long long used;        /* LRU stamp */
};

struct db {
	MYSQL *mysql;           /* NULL while not connected */

	/* Copied from the cfg, which the caller may wipe or free. */
	struct cfg_host hosts[CFG_HOSTS_MAX];
	size_t nhosts;
	size_t cur;             /* the host tried first: the last one that worked */
	size_t last;            /* the host of the last connection (nhosts: none yet) */
	int galera;             /* the server is a Galera node (wsrep_on) */
	char socket[CFG_STR_MAX];
	char name[CFG_STR_MAX];
	char user[CFG_STR_MAX];
	char password[CFG_STR_MAX];     /* wiped in db_close */
	unsigned int port;
	unsigned int connect_timeout;
	unsigned int read_timeout;
	unsigned int write_timeout;

	struct db_stmt *cache;
	size_t ncache;
	size_t capcache;
	unsigned long long tick;

	int in_tx;              /* inside db_transaction's fn */
	enum db_rc tx_err;      /* first failure of the current attempt, DB_OK if none */
	int in_fetch;           /* inside a db_row_fn */
	unsigned int last_errno;
	time_t last_use;        /* CLOCK_MONOTONIC seconds */
};

/* One statement call, as db_exec and db_query describe it. */
struct db_call {
	const char *sql;
	const struct db_param *params;
	size_t nparams;
	int is_query;
	const struct db_col *cols;
	size_t ncols;
	db_row_fn fn;
	void *arg;
	size_t nrows;                   /* out: rows delivered */
	unsigned long long affected;    /* out */
	unsigned long long insert_id;   /* out */
	int latest;             /* must see every write committed cluster-wide */
	int sent;               /* out: the execute reached the wire */
	int lost;               /* out: the connection died on the way */
};

static time_t
db_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ts.tv_sec;
}

static void
db_touch(struct db *db)
{
	db->last_use = db_now();
}

/*
 * Error numbers after which the connection cannot be trusted: the server
 * went away between statements (2006) or during one (2013), killed us
 * (1927) or is shutting down (1053); a protocol desync (2014, 2027) leaves
 * the session in an unknown state; CR_STMT_CLOSED means Connector/C already
 * dropped it.
 */
static int
db_errno_dead(unsigned int err)
{
	switch (err) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_MALFORMED_PACKET:
	case CR_SERVER_LOST_EXTENDED:
	case CR_STMT_CLOSED:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
		return 1;
	default:
		return 0;
	}
}

/*
 * Copy a server error message for the log with every '...'-quoted part
 * blanked: MariaDB quotes the offending value in some messages ("Duplicate
 * entry 'a@b.c' for key ...", "Incorrect integer value: '...'"), and values
 * never reach the log. Truncating the copy is harmless: it is only logged.
 */
static void
db_redact(char *dst, size_t dstlen, const char *msg)
{
	size_t n = 0;
	int quoted = 0;

	for (; *msg != '\0' && n + 1 < dstlen; msg++) {
		if (*msg == '\'') {
			quoted = !quoted;
			dst[n++] = '\'';
			if (quoted && n + 1 < dstlen)
				dst[n++] = '?';
		} else if (!quoted)
			dst[n++] = *msg;
	}
	dst[n] = '\0';
}

/* Close the connection and every statement prepared on it. */
static void
db_disconnect(struct db *db)
{
	/*
	 * mysql_close first: it detaches the statements, so that closing
	 * them afterwards only frees memory and never touches a dead socket.
	 */
	if (db->mysql != NULL) {
		mysql_close(db->mysql);
		db->mysql = NULL;
	}
	for (size_t i = 0; i < db->ncache; i++) {
		if (mysql_stmt_close(db->cache[i].stmt) != 0)
			log_debug("closing a detached statement failed");
		free(db->cache[i].sql);
	}
	db->ncache = 0;
}

/*
 * Classify a failure, log it once, and drop the connection if it is dead
 * (*lost set). Return DB_DUPLICATE, DB_RETRY or DB_UNAVAILABLE. what is
 * the SQL text or the command that failed; it holds no values.
 */
static enum db_rc
db_fail(struct db *db, unsigned int err, const char *msg, const char *what, int *lost)
{
	char redacted[MYSQL_ERRMSG_SIZE];
	const char *shown;

	db->last_errno = err;
	if (msg == NULL)
		msg = "";
	/* Client-side messages (2xxx and up) hold no values: shown as they are. */
	if (err < CR_MIN_ERROR) {
		db_redact(redacted, sizeof(redacted), msg);
		shown = redacted;
	} else
		shown = msg;

	switch (err) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
		/* An expected outcome (email taken): the caller decides. */
		log_debug("duplicate key (%u) in \"%.*s\"", err, DB_LOG_SQL, what);
		return DB_DUPLICATE;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		/* Galera: a certification conflict or a brute-force abort is
		 * 1213 too, at any statement or at COMMIT (SPEC §11). */
		log_info("%u %s in \"%.*s\": retryable", err, shown, DB_LOG_SQL, what);
		return DB_RETRY;
	case ER_UNKNOWN_COM_ERROR:
		/*
		 * 1047 "WSREP has not yet prepared node for application use":
		 * a Galera node outside the primary component (cut off, or
		 * still joining). Nothing ran; the node may stay like this for
		 * long, so the redo goes to the next configured host.
		 */
		log_warn("%u %s in \"%.*s\": node not ready, trying the next host",
		    err, shown, DB_LOG_SQL, what);
		db_disconnect(db);
		db->cur = (db->cur + 1) % db->nhosts;
		return DB_RETRY;
	default:
		break;
	}
	if (db_errno_dead(err)) {
		log_warn("connection lost (%u %s) in \"%.*s\"", err, shown, DB_LOG_SQL, what);
		db_disconnect(db);
		/* With several hosts, a node that died is tried last. */
		db->cur = (db->cur + 1) % db->nhosts;
		*lost = 1;
		return DB_UNAVAILABLE;
	}
	log_err("%u %s in \"%.*s\"", err, shown, DB_LOG_SQL, what);
	return DB_UNAVAILABLE;
}

/*
 * Column col of the first row of a plain (unprepared) query on a new
 * session, into out (cap bytes). DB_OK, or DB_UNAVAILABLE for an error,
 * no row, a NULL, or a value that does not fit.
 */
static enum db_rc
db_session_value(struct db *db, const char *sql, unsigned int col, char *out, size_t cap)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	enum db_rc rc = DB_UNAVAILABLE;

	if (mysql_query(db->mysql, sql) != 0)
		return DB_UNAVAILABLE;
	if ((res = mysql_store_result(db->mysql)) == NULL)
		return DB_UNAVAILABLE;
	if ((row = mysql_fetch_row(res)) != NULL && col < mysql_num_fields(res) &&
	    row[col] != NULL && strlen(row[col]) < cap) {
		memcpy(out, row[col], strlen(row[col]) + 1);
		rc = DB_OK;
	}
	mysql_free_result(res);
	return rc;
}

/*
 * Open a connection to host i and set the session up. Return DB_OK or
 * DB_UNAVAILABLE (logged).
 */
static enum db_rc
db_connect_host(struct db *db, size_t i)
{
	MYSQL *m;
	my_bool off = 0, on = 1;
	unsigned int no_infile = 0;
	unsigned int lockwait;
	char set[64];
	const char *host, *sock;
	unsigned int port;
	char wsrep[32] = "0", ready[8] = "";
	int n, lost = 0;

	if ((m = mysql_init(NULL)) == NULL) {
		log_err("mysql_init: out of memory");
		return DB_UNAVAILABLE;
	}
	if (mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &db->connect_timeout) != 0 ||
	    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &db->read_timeout) != 0 ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &db->write_timeout) != 0 ||
	    mysql_options(m, MYSQL_OPT_RECONNECT, &off) != 0 ||
	    mysql_options(m, MYSQL_REPORT_DATA_TRUNCATION, &on) != 0 ||
	    /* No LOAD DATA LOCAL: a hostile server could read our files. */
	    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &no_infile) != 0) {
		log_err("mysql_options: %s", mysql_error(m));
		mysql_close(m);
		return DB_UNAVAILABLE;
	}

	/* A socket path means a local server; otherwise TCP to host:port. */
	if (db->socket[0] != '\0') {
		host = "localhost";
		sock = db->socket;
	} else {
		host = db->hosts[i].name;
		sock = NULL;
	}
	port = db->hosts[i].port != 0 ? db->hosts[i].port : db->port;
	/* No CLIENT_MULTI_STATEMENTS: one statement per call, always. */
	if (mysql_real_connect(m, host, db->user, db->password, db->name,
	    port, sock, 0) == NULL) {
		db->last_errno = mysql_errno(m);
		log_warn("cannot connect to MariaDB at %s:%u (%u %s)", host, port,
		    mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return DB_UNAVAILABLE;
	}
	db->mysql = m;

	/*
	 * The session, whatever the server's defaults:
	 * - strict sql_mode: a value that does not fit is an error, never
	 *   silently cut or zeroed;
	 * - time_zone UTC, matching the schema's UTC_TIMESTAMP() columns, so
	 *   NOW() and UNIX_TIMESTAMP() agree with them on every node;
	 * - innodb_lock_wait_timeout below the read timeout, so that a lock
	 *   wait ends in a clean 1205 (statement not applied, DB_RETRY)
	 *   rather than the client giving up mid-statement (outcome unknown).
	 */
	if (mysql_query(m, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,"
	    "NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
	    "NO_ENGINE_SUBSTITUTION', SESSION time_zone = '+00:00'") != 0) {
		(void)db_fail(db, mysql_errno(m), mysql_error(m), "SET SESSION", &lost);
		goto fail;
	}
	if (db->read_timeout > 0) {
		lockwait = db->read_timeout >= 2 ? db->read_timeout - 1 : 1;
		n = snprintf(set, sizeof(set),
		    "SET SESSION innodb_lock_wait_timeout = %u", lockwait);
		if (n < 0 || (size_t)n >= sizeof(set)) {
			log_err("session SET statement too long");
			goto fail;
		}
		if (mysql_query(m, set) != 0) {
			(void)db_fail(db, mysql_errno(m), mysql_error(m), set, &lost);
			goto fail;
		}
	}
	/*
	 * READ COMMITTED rather than InnoDB's REPEATABLE READ. Correctness
	 * never rests on the snapshot: every decision that matters is a
	 * conditional UPDATE whose affected-row count is checked, and an
	 * UPDATE always reads the latest committed row under either level
	 * (and Galera certifies on write sets, not snapshots). What READ
	 * COMMITTED buys is fewer gap and next-key locks on the non-unique
	 * index scans (revoking a token family, purging), hence fewer
	 * deadlocks between those and concurrent INSERTs, and reads that see
	 * what others committed. Needs binlog_format ROW or MIXED (MariaDB's
	 * default; Galera requires ROW).
	 */
	if (mysql_query(m, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") != 0) {
		(void)db_fail(db, mysql_errno(m), mysql_error(m), "SET SESSION TRANSACTION", &lost);
		goto fail;
	}
	/*
	 * A Galera node? Asked once per connection: only then do the reads
	 * that must see the latest write wait for the cluster (db_stmt_get).
	 * A server built without wsrep has no such variable (1193): plain.
	 */
	if (db_session_value(db, "SELECT @@wsrep_on", 0, wsrep, sizeof(wsrep)) != DB_OK) {
		if (mysql_errno(m) != ER_UNKNOWN_SYSTEM_VARIABLE) {
			(void)db_fail(db, mysql_errno(m), mysql_error(m), "SELECT @@wsrep_on", &lost);
			goto fail;
		}
		strcpy(wsrep, "0");
	}
	db->galera = strtoll(wsrep, NULL, 10) != 0;
	/*
	 * A Galera node outside the primary component (cut off, or still
	 * joining) answers a read that waits for the cluster with 1205 and
	 * anything else with 1047: a worker that connected to it would
	 * answer 503 while the next host serves. Such a node is passed over
	 * as if it were down.
	 */
	/* SHOW, because a node that is not ready refuses most SELECTs. */
	if (db->galera && (db_session_value(db, "SHOW GLOBAL STATUS LIKE 'wsrep_ready'", 1,
	    ready, sizeof(ready)) != DB_OK || strcmp(ready, "ON") != 0)) {
		log_warn("MariaDB at %s:%u is a Galera node that is not ready (wsrep_ready): "
		    "trying the next host", host, port);
		goto fail;
	}
	db_touch(db);
	return DB_OK;

fail:
	db_disconnect(db);
	return DB_UNAVAILABLE;
}

/*
 * Connect to the first host that answers, starting with the one that
 * worked last (SPEC §11: a worker whose node died moves on to the next).
 * All down: DB_UNAVAILABLE, after at most one connect timeout per host.
 */
static enum db_rc
db_connect(struct db *db)
{
	size_t first = db->cur;

	for (size_t k = 0; k < db->nhosts; k++) {
		size_t i = (first + k) % db->nhosts;

		if (db_connect_host(db, i) == DB_OK) {
			if (db->last != db->nhosts && i != db->last)
				log_info("connected to database host %zu of %zu (was host %zu)",
				    i + 1, db->nhosts, db->last + 1);
			db->cur = i;
			db->last = i;
			return DB_OK;
		}
	}
	return DB_UNAVAILABLE;
}

/*
 * Make sure there is a connection to run a statement on. Outside a
 * transaction, a connection idle for long is pinged first and replaced if
 * it went away (wait_timeout); inside one, the connection must never be
 * replaced, since the transaction would silently end with it.
 */
static enum db_rc
db_ready(struct db *db)
{
	time_t now;

	if (db->in_tx) {
		if (db->mysql == NULL) {
			if (db->tx_err == DB_OK)
				db->tx_err = DB_RETRY;
			return db->tx_err;
		}
		return DB_OK;
	}
	if (db->mysql != NULL) {
		now = db_now();
		if (now == 0 || now - db->last_use > DB_IDLE_PING) {
			if (mysql_ping(db->mysql) != 0) {
				db->last_errno = mysql_errno(db->mysql);
				log_info("idle connection went away (%u %s): reconnecting",
				    mysql_errno(db->mysql), mysql_error(db->mysql));
				db_disconnect(db);
			} else
				db_touch(db);
		}
	}
	if (db->mysql == NULL)
		return db_connect(db);
	return DB_OK;
}

static size_t
db_stmt_lru(const struct db *db)
{
	size_t old = 0;

	for (size_t i = 1; i < db->ncache; i++)
		if (db->cache[i].used < db->cache[old].used)
			old = i;
	return old;
}

/*
 * Find the prepared statement for sql, or prepare and cache it. The
 * lookup is by pointer first (callers pass literals), confirmed by
 * content, then by content alone. Return DB_OK with *out set, or a
 * failure (c->lost set when the connection died).
 */
static enum db_rc
db_stmt_get(struct db *db, struct db_call *c, MYSQL_STMT **out)
{
	struct db_stmt *e = NULL;
	MYSQL_STMT *st;
	char *copy;
	char msg[MYSQL_ERRMSG_SIZE];
	unsigned int err;
	size_t i;
	int prep;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].key == c->sql && db->cache[i].latest == c->latest &&
		    strcmp(db->cache[i].sql, c->sql) == 0)
			break;
	if (i == db->ncache)
		for (i = 0; i < db->ncache; i++)
			if (db->cache[i].latest == c->latest && strcmp(db->cache[i].sql, c->sql) == 0)
				break;
	if (i < db->ncache) {
		e = &db->cache[i];
		e->key = c->sql;
		e->used = ++db->tick;
		*out = e->stmt;
		return DB_OK;
	}

	if ((copy = strdup(c->sql)) == NULL) {
		log_err("out of memory");
		return DB_UNAVAILABLE;
	}
	if ((st = mysql_stmt_init(db->mysql)) == NULL) {
		log_err("mysql_stmt_init: out of memory");
		free(copy);
		return DB_UNAVAILABLE;
	}
	/*
	 * SPEC §11: on a Galera node a read sees what this node applied so
	 * far, which may lag a commit made through another node by a few
	 * milliseconds. wsrep_sync_wait=1 makes this one SELECT first wait
	 * until the node caught up with the whole cluster. Prepared as one
	 * statement (SET STATEMENT ... FOR), so it costs no round trip; on a
	 * plain server the text is left as it is. Such reads skip the query
	 * cache: a node's cache could otherwise answer before the wait.
	 */
	if (c->latest && db->galera) {
		static const char pre[] = "SET STATEMENT wsrep_sync_wait = 1 FOR ";
		size_t len = strlen(c->sql);
		char *full;

		if ((full = malloc(sizeof(pre) + len)) == NULL) {
			log_err("out of memory");
			(void)mysql_stmt_close(st);
			free(copy);
			return DB_UNAVAILABLE;
		}
		memcpy(full, pre, sizeof(pre) - 1);
		memcpy(full + sizeof(pre) - 1, c->sql, len + 1);
		prep = mysql_stmt_prepare(st, full, (unsigned long)(sizeof(pre) - 1 + len));
		free(full);
	} else
		prep = mysql_stmt_prepare(st, c->sql, (unsigned long)strlen(c->sql));
	if (prep != 0) {
		enum db_rc rc;

		err = mysql_stmt_errno(st);
		/* Copied: db_fail may close the connection, which rewrites it. */
		(void)snprintf(msg, sizeof(msg), "%s", mysql_stmt_error(st));
		rc = db_fail(db, err, msg, c->sql, &c->lost);
		if (mysql_stmt_close(st) != 0)
			log_debug("closing a failed statement failed");
		free(copy);
		return rc;
	}

	if (db->ncache == db->capcache && db->capcache < DB_CACHE_MAX) {
		size_t ncap = db->capcache == 0 ? 16 : db->capcache * 2;
		struct db_stmt *n;

		if (ncap > DB_CACHE_MAX)
			ncap = DB_CACHE_MAX;
		if ((n = realloc(db->cache, ncap * sizeof(*n))) == NULL) {
			log_err("out of memory");
			(void)mysql_stmt_close(st);
			free(copy);
			return DB_UNAVAILABLE;
		}
		db->cache = n;
		db->capcache = ncap;
	}
	if (db->ncache == db->capcache) {
		/* Full: a program with this many distinct texts builds SQL at run time. */
		e = &db->cache[db_stmt_lru(db)];
		log_debug("statement cache full: dropping \"%.*s\"", DB_LOG_SQL, e->sql);
		if (mysql_stmt_close(e->stmt) != 0)
			log_debug("closing an evicted statement failed");
		free(e->sql);
	} else
		e = &db->cache[db->ncache++];
	e->key = c->sql;
	e->sql = copy;
	e->latest = c->latest;
	e->stmt = st;
	e->used = ++db->tick;
	*out = st;
	return DB_OK;
}

/* Close a cached statement and forget it. */
static void
db_stmt_evict(struct db *db, MYSQL_STMT *st)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].stmt != st)
			continue;
		if (mysql_stmt_close(st) != 0)
			log_debug("closing a failed statement failed");
		free(db->cache[i].sql);
		db->cache[i] = db->cache[--db->ncache];
		return;
	}
}

/*
 * A statement-level failure: take errno and message from the statement.
 * Unless the failure is an expected one (duplicate, lock conflict), the
 * statement is dropped from the cache and prepared afresh next time:
 * after a schema change (CR_NEW_STMT_METADATA, 1615) or a statement the
 * server forgot (1243) it would otherwise fail for ever.
 */
static enum db_rc
db_stmt_fail(struct db *db, MYSQL_STMT *st, struct db_call *c)
{
	char msg[MYSQL_ERRMSG_SIZE];
	unsigned int err;
	enum db_rc rc;

	err = mysql_stmt_errno(st);
	(void)snprintf(msg, sizeof(msg), "%s", mysql_stmt_error(st));
	/* Before db_fail, which may free st along with the connection. */
	if (mysql_stmt_free_result(st) != 0)
		log_debug("mysql_stmt_free_result failed");
	rc = db_fail(db, err, msg, c->sql, &c->lost);
	if (rc == DB_UNAVAILABLE && !c->lost)
		db_stmt_evict(db, st);
	return rc;
}

static enum db_rc
db_misuse(struct db *db, const struct db_call *c, const char *why)
{
	log_err("%s in \"%.*s\"", why, DB_LOG_SQL, c->sql);
	return DB_UNAVAILABLE;
}

static int
db_bind_params(const struct db_call *c, MYSQL_BIND *b, long long *ival)
{
	static char empty[1];

	memset(b, 0, c->nparams * sizeof(*b));
	for (size_t i = 0; i < c->nparams; i++) {
		const struct db_param *p = &c->params[i];

		switch (p->type) {
		case DB_TYPE_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_TYPE_INT:
			ival[i] = p->i;
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ival[i];
			break;
		case DB_TYPE_STR:
		case DB_TYPE_BLOB:
			if (p->p == NULL && p->len != 0)
				return -1;
			if (p->len > 0xffffffffUL)
				return -1;
			b[i].buffer_type = p->type == DB_TYPE_STR ?
			    MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			/* A NULL buffer would read as SQL NULL: an empty value is not. */
			b[i].buffer = p->p != NULL ? (void *)(uintptr_t)p->p : empty;
			b[i].buffer_length = (unsigned long)p->len;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int
db_bind_cols(const struct db_call *c, MYSQL_BIND *b, unsigned long *len,
    my_bool *isnull, my_bool *err)
{
	memset(b, 0, c->ncols * sizeof(*b));
	for (size_t i = 0; i < c->ncols; i++) {
		const struct db_col *col = &c->cols[i];

		b[i].length = &len[i];
		b[i].is_null = &isnull[i];
		b[i].error = &err[i];
		switch (col->type) {
		case DB_TYPE_INT:
			if (col->i == NULL)
				return -1;
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = col->i;
			break;
		case DB_TYPE_STR:
			/* Room for the NUL we add. */
			if (col->buf == NULL || col->cap == 0 || col->cap - 1 > 0xffffffffUL)
				return -1;
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = col->buf;
			b[i].buffer_length = (unsigned long)(col->cap - 1);
			break;
		case DB_TYPE_BLOB:
			if ((col->buf == NULL && col->cap != 0) || col->cap > 0xffffffffUL)
				return -1;
			b[i].buffer_type = MYSQL_TYPE_BLOB;
			b[i].buffer = col->buf;
			b[i].buffer_length = (unsigned long)col->cap;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/*
 * Copy one fetched row out to the caller's columns. Return -1 (logged)
 * when a value did not fit: Connector/C then wrote a prefix, and a prefix
 * of a hash or a key is worse than no value.
 */
static int
db_store_row(const struct db_call *c, const MYSQL_BIND *b, const unsigned long *len,
    const my_bool *isnull, const my_bool *err)
{
	for (size_t i = 0; i < c->ncols; i++) {
		const struct db_col *col = &c->cols[i];

		if (isnull[i]) {
			if (col->type == DB_TYPE_INT)
				*col->i = 0;
			else if (col->type == DB_TYPE_STR)
				((char *)col->buf)[0] = '\0';
		} else if (err[i] || (col->type != DB_TYPE_INT && len[i] > b[i].buffer_length)) {
			if (col->type == DB_TYPE_INT)
				log_err("column %zu of \"%.*s\": value does not fit a long long",
				    i, DB_LOG_SQL, c->sql);
			else
				log_err("column %zu of \"%.*s\": value of %lu bytes does not fit in %lu",
				    i, DB_LOG_SQL, c->sql, len[i], b[i].buffer_length);
			return -1;
		} else if (col->type == DB_TYPE_STR)
			((char *)col->buf)[len[i]] = '\0';
		if (col->is_null != NULL)
			*col->is_null = isnull[i] ? 1 : 0;
		if (col->len != NULL)
			*col->len = isnull[i] ? 0 : (size_t)len[i];
	}
	return 0;
}

/* Run one statement once, on the current connection or a new one. */
static enum db_rc
db_run(struct db *db, struct db_call *c)
{
	MYSQL_BIND pb[DB_MAX_BINDS], rb[DB_MAX_BINDS];
	long long ival[DB_MAX_BINDS];
	unsigned long len[DB_MAX_BINDS];
	my_bool isnull[DB_MAX_BINDS], err[DB_MAX_BINDS];
	MYSQL_STMT *st = NULL;
	enum db_rc rc;
	int r;

	c->nrows = 0;
	c->sent = 0;
	c->lost = 0;
	if (c->nparams > DB_MAX_BINDS || c->ncols > DB_MAX_BINDS)
		return db_misuse(db, c, "too many parameters or columns");
	if (c->nparams > 0 && c->params == NULL)
		return db_misuse(db, c, "parameters missing");
	if (c->ncols > 0 && c->cols == NULL)
		return db_misuse(db, c, "columns missing");
	if ((rc = db_ready(db)) != DB_OK)
		return rc;
	if ((rc = db_stmt_get(db, c, &st)) != DB_OK)
		return rc;

	if (mysql_stmt_param_count(st) != c->nparams)
		return db_misuse(db, c, "wrong number of parameters");
	if (mysql_stmt_field_count(st) != (c->is_query ? c->ncols : 0))
		return db_misuse(db, c, c->is_query ? "wrong number of columns" :
		    "db_exec on a statement that returns rows");
	if (db_bind_params(c, pb, ival) != 0)
		return db_misuse(db, c, "bad parameter");
	if (c->nparams > 0 && mysql_stmt_bind_param(st, pb) != 0)
		return db_stmt_fail(db, st, c);
	/* Checked before executing, so that no result is left half-read. */
	if (c->is_query && db_bind_cols(c, rb, len, isnull, err) != 0)
		return db_misuse(db, c, "bad result column");

	c->sent = 1;
	if (mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, c);

	if (!c->is_query) {
		c->affected = mysql_stmt_affected_rows(st);
		c->insert_id = mysql_stmt_insert_id(st);
		db_touch(db);
		return DB_OK;
	}

	/*
	 * The whole result is read before the first row is handed out: the
	 * connection is then idle while fn runs however long it takes, and a
	 * connection lost while reading happens before any row was delivered,
	 * so that a read can be retried without delivering a row twice.
	 */
	if (mysql_stmt_bind_result(st, rb) != 0 || mysql_stmt_store_result(st) != 0)
		return db_stmt_fail(db, st, c);
	db_touch(db);
	for (;;) {
		memset(isnull, 0, c->ncols * sizeof(*isnull));
		memset(err, 0, c->ncols * sizeof(*err));
		r = mysql_stmt_fetch(st);
		if (r == MYSQL_NO_DATA)
			break;
		if (r != 0 && r != MYSQL_DATA_TRUNCATED)
			return db_stmt_fail(db, st, c);
		if (db_store_row(c, rb, len, isnull, err) != 0) {
			rc = DB_UNAVAILABLE;
			goto out;
		}
		c->nrows++;
		if (c->fn == NULL)
			break;
		db->in_fetch = 1;
		r = c->fn(c->arg);
		db->in_fetch = 0;
		if (r != 0)
			break;
	}
	rc = DB_OK;
out:
	if (mysql_stmt_free_result(st) != 0)
		log_debug("mysql_stmt_free_result failed");
	return rc;
}

/*
 * Sleep a random 1..5 ms after attempt 1, doubling with each attempt:
 * colliding transactions then redo at different times instead of
 * colliding again.
 */
static void
db_backoff(int attempt)
{
	struct timespec ts;
	uint32_t base = 1000U << (attempt - 1);         /* microseconds */
	uint32_t us = base + randombytes_uniform(base * 4);

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/*
 * The one retry rule (SPEC §11), for transactions and for statements
 * outside one: after failed attempt number `attempt`, may another one run?
 * If so, sleep the jittered back-off first and return 1. At most
 * DB_TX_ATTEMPTS attempts in all.
 */
static int
db_again(struct db *db, int attempt)
{
	if (attempt >= DB_TX_ATTEMPTS) {
		log_warn("still conflicting after %d attempts (last error %u)",
		    attempt, db->last_errno);
		return 0;
	}
	db_backoff(attempt);
	return 1;
}

/*
 * The policy around db_run: inside a transaction, the first failure ends
 * the attempt (a later statement would run in a transaction that the
 * server already rolled back, i.e. autocommitted); outside one, a read
 * that lost its connection, or any statement that lost it before being
 * sent, runs once more on a new connection.
 */
static enum db_rc
db_statement(struct db *db, struct db_call *c)
{
	enum db_rc rc;

	if (db->in_fetch) {
		rc = db_misuse(db, c, "statement run from a row callback");
		if (db->in_tx && db->tx_err == DB_OK)
			db->tx_err = rc;
		return rc;
	}
	if (db->in_tx) {
		if (db->tx_err != DB_OK)
			return db->tx_err;
		rc = db_run(db, c);
		/* STYLE: a connection lost before COMMIT: redo the transaction. */
		if (c->lost)
			rc = DB_RETRY;
		if ((rc == DB_RETRY || rc == DB_UNAVAILABLE) && db->tx_err == DB_OK)
			db->tx_err = rc;
		return rc;
	}
	/*
	 * Outside a transaction a statement is its own transaction, and it
	 * is redone by the same rule as db_transaction's (db_again): a 1213
	 * (deadlock, Galera certification conflict) or a 1047 (node not
	 * ready) means nothing was applied. A 1205 is not redone here: the
	 * statement already waited out the lock timeout, and waiting again
	 * would take the request past the client's patience.
	 */
	for (int attempt = 1; ; attempt++) {
		rc = db_run(db, c);
		if (rc == DB_UNAVAILABLE && c->lost &&
		    (!c->sent || (c->is_query && c->nrows == 0))) {
			log_info("retrying \"%.*s\" once on a new connection", DB_LOG_SQL, c->sql);
			rc = db_run(db, c);
		}
		if (rc != DB_RETRY || db->last_errno == ER_LOCK_WAIT_TIMEOUT ||
		    (c->is_query && c->nrows > 0) || !db_again(db, attempt))
			return rc;
	}
}

enum db_rc
db_exec(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
    unsigned long long *affected, unsigned long long *insert_id)
{
	struct db_call c = { .sql = sql, .params = params, .nparams = nparams };
	enum db_rc rc;

	if (affected != NULL)
		*affected = 0;
	if (insert_id != NULL)
		*insert_id = 0;
	if (db == NULL || sql == NULL)
		return DB_UNAVAILABLE;
	if ((rc = db_statement(db, &c)) != DB_OK)
		return rc;
	if (affected != NULL)
		*affected = c.affected;
	if (insert_id != NULL)
		*insert_id = c.insert_id;
	return DB_OK;
}

static enum db_rc
db_select(struct db *db, int latest, const char *sql, const struct db_param *params,
    size_t nparams, const struct db_col *cols, size_t ncols, db_row_fn fn, void *arg,
    size_t *nrows)
{
	struct db_call c = { .sql = sql, .params = params, .nparams = nparams,
	    .is_query = 1, .cols = cols, .ncols = ncols, .fn = fn, .arg = arg,
	    .latest = latest };
	enum db_rc rc;

	if (nrows != NULL)
		*nrows = 0;
	if (db == NULL || sql == NULL)
		return DB_UNAVAILABLE;
	rc = db_statement(db, &c);
	if (nrows != NULL)
		*nrows = c.nrows;
	return rc;
}

enum db_rc
db_query(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
    const struct db_col *cols, size_t ncols, db_row_fn fn, void *arg, size_t *nrows)
{
	return db_select(db, 0, sql, params, nparams, cols, ncols, fn, arg, nrows);
}

enum db_rc
db_query_latest(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
    const struct db_col *cols, size_t ncols, db_row_fn fn, void *arg, size_t *nrows)
{
	return db_select(db, 1, sql, params, nparams, cols, ncols, fn, arg, nrows);
}

int
db_is_galera(const struct db *db)
{
	return db != NULL && db->mysql != NULL && db->galera;
}

/* Roll back, if there is still a connection; a failure leaves it untrusted. */
static void
db_rollback(struct db *db)
{
	if (db->mysql == NULL)
		return;
	if (mysql_rollback(db->mysql) != 0) {
		log_warn("ROLLBACK failed (%u %s): dropping the connection",
		    mysql_errno(db->mysql), mysql_error(db->mysql));
		/* The server rolls back what a closed session left open. */
		db_disconnect(db);
	}
}

/* One attempt: BEGIN, fn, COMMIT. DB_RETRY means redo it. */
static enum db_rc
db_tx_once(struct db *db, db_tx_fn fn, void *arg)
{
	enum db_rc frc, err;
	unsigned int e;
	int lost = 0;

	if (db_ready(db) != DB_OK)
		return DB_UNAVAILABLE;
	/*
	 * A connection gone although idle for less than DB_IDLE_PING (killed,
	 * short wait_timeout) fails here: nothing was done yet, so a new
	 * attempt on a new connection is safe.
	 */
	if (mysql_query(db->mysql, "START TRANSACTION") != 0) {
		err = db_fail(db, mysql_errno(db->mysql), mysql_error(db->mysql),
		    "START TRANSACTION", &lost);
		return lost || err == DB_RETRY ? DB_RETRY : DB_UNAVAILABLE;
	}

	db->in_tx = 1;
	db->tx_err = DB_OK;
	frc = fn(db, arg);
	db->in_tx = 0;
	err = db->tx_err;
	db->tx_err = DB_OK;

	if (err != DB_OK || frc != DB_OK) {
		db_rollback(db);
		/*
		 * A statement that failed with a deadlock, a lock-wait timeout
		 * or a lost connection: whatever fn concluded from it, the
		 * transaction is redone from its first read.
		 */
		if (err == DB_RETRY || frc == DB_RETRY)
			return DB_RETRY;
		if (frc == DB_OK) {
			log_err("a statement failed but the transaction function "
			    "returned DB_OK: rolled back");
			return DB_UNAVAILABLE;
		}
		if (frc != DB_ABORT && frc != DB_DUPLICATE && frc != DB_UNAVAILABLE) {
			log_err("transaction function returned %d: rolled back", (int)frc);
			return DB_UNAVAILABLE;
		}
		return frc;
	}

	/*
	 * STYLE (Galera): every statement may have reported success and the
	 * COMMIT still fail with 1213 when certification finds a conflict;
	 * nothing was committed, so the transaction is redone.
	 */
	if (mysql_commit(db->mysql) != 0) {
		e = mysql_errno(db->mysql);
		err = db_fail(db, e, mysql_error(db->mysql), "COMMIT", &lost);
		if (lost) {
			/* The COMMIT may or may not have been applied: never redo. */
			log_err("connection lost during COMMIT: outcome unknown");
			return DB_UNAVAILABLE;
		}
		db_rollback(db);
		return err == DB_RETRY ? DB_RETRY : DB_UNAVAILABLE;
	}
	db_touch(db);
	return DB_OK;
}

enum db_rc
db_transaction(struct db *db, db_tx_fn fn, void *arg)
{
	enum db_rc rc;

	if (db == NULL || fn == NULL)
		return DB_UNAVAILABLE;
	if (db->in_tx || db->in_fetch) {
		log_err("db_transaction called inside a transaction or a row callback");
		return DB_UNAVAILABLE;
	}
	for (int attempt = 1; ; attempt++) {
		rc = db_tx_once(db, fn, arg);
		if (rc != DB_RETRY)
			return rc;
		if (!db_again(db, attempt))
			return DB_UNAVAILABLE;
	}
}

/* A cfg string field, checked to be terminated within its array. */
static int
db_copy_str(char *dst, const char *src, const char *what)
{
	if (memchr(src, '\0', CFG_STR_MAX) == NULL) {
		log_err("config %s is not terminated", what);
		return -1;
	}
	memcpy(dst, src, CFG_STR_MAX);
	return 0;
}

int
db_open(struct db **out, const struct cfg *cfg)
{
	struct db *db;
	int n;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	if (memchr(cfg->db_host, '\0', CFG_STR_MAX) == NULL) {
		log_err("config db_host is not terminated");
		goto fail;
	}
	if ((n = cfg_hosts(cfg->db_host, db->hosts, CFG_HOSTS_MAX)) < 0) {
		log_err("config db_host: not a list of hosts");
		goto fail;
	}
	db->nhosts = (size_t)n;
	db->last = db->nhosts;
	if (db_copy_str(db->socket, cfg->db_socket, "db_socket") != 0 ||
	    db_copy_str(db->name, cfg->db_name, "db_name") != 0 ||
	    db_copy_str(db->user, cfg->db_user, "db_user") != 0 ||
	    db_copy_str(db->password, cfg->db_password, "db_password") != 0)
		goto fail;
	if (db->name[0] == '\0' || db->user[0] == '\0' ||
	    (db->socket[0] == '\0' && db->nhosts == 0)) {
		log_err("config needs db_name, db_user and db_host or db_socket");
		goto fail;
	}
	db->port = cfg->db_port;
	db->connect_timeout = cfg->db_connect_timeout;
	db->read_timeout = cfg->db_read_timeout;
	db->write_timeout = cfg->db_write_timeout;

	/* A server down at start-up is not fatal: each statement tries again. */
	if (db_connect(db) != DB_OK)
		log_warn("MariaDB unavailable at start-up: will retry at the next statement");
	*out = db;
	return 0;

fail:
	sodium_memzero(db->password, sizeof(db->password));
	free(db);
	return -1;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db->cache);
	sodium_memzero(db->password, sizeof(db->password));
	free(db);
}

unsigned int
db_last_errno(const struct db *db)
{
	return db != NULL ? db->last_errno : 0;
}
