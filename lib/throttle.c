/*
 * throttle.c: per-account login throttling (see throttle.h).
 */
#include "config.h"

#include "db.h"
#include "throttle.h"

/*
 * One statement counts the attempt and restarts an expired window, so two
 * workers can never both see the old count. MariaDB applies the SET list
 * left to right: both assignments test the old WindowStart, because it is
 * reassigned last.
 */
static const char sql_count[] =
    "INSERT INTO LoginThrottle (Email, FailedCount, WindowStart) "
    "VALUES (?, 1, UTC_TIMESTAMP()) "
    "ON DUPLICATE KEY UPDATE "
    "FailedCount = IF(WindowStart + INTERVAL ? SECOND <= UTC_TIMESTAMP(), 1, FailedCount + 1), "
    "WindowStart = IF(WindowStart + INTERVAL ? SECOND <= UTC_TIMESTAMP(), "
    "UTC_TIMESTAMP(), WindowStart)";

static const char sql_read[] =
    "SELECT FailedCount, "
    "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), WindowStart + INTERVAL ? SECOND) "
    "FROM LoginThrottle WHERE Email = ?";

enum throttle_rc
throttle_attempt(struct db *db, const char *email, size_t len,
    unsigned int max_failures, unsigned int window, long long *retry_after)
{
	long long count = 0, left = 0;
	size_t n = 0;
	struct db_param pc[] = { DB_STRN(email, len), DB_INT(window), DB_INT(window) };
	struct db_param pr[] = { DB_INT(window), DB_STRN(email, len) };
	struct db_col c[] = { DB_OUT_INT(&count), DB_OUT_INT(&left) };

	*retry_after = 0;
	if (db_exec(db, sql_count, pc, DB_NPARAMS(pc), NULL, NULL) != DB_OK)
		return THROTTLE_UNAVAILABLE;
	if (db_query(db, sql_read, pr, DB_NPARAMS(pr), c, DB_NPARAMS(c), NULL, NULL, &n) != DB_OK)
		return THROTTLE_UNAVAILABLE;
	/* This attempt is counted: more than max_failures means the
	 * max_failures before it all failed within the window. */
	if (n == 1 && count > (long long)max_failures && left > 0) {
		*retry_after = left;
		return THROTTLE_LIMITED;
	}
	return THROTTLE_OK;
}

enum throttle_rc
throttle_success(struct db *db, const char *email, size_t len)
{
	struct db_param p[] = { DB_STRN(email, len) };

	if (db_exec(db, "DELETE FROM LoginThrottle WHERE Email = ?", p, 1, NULL, NULL) != DB_OK)
		return THROTTLE_UNAVAILABLE;
	return THROTTLE_OK;
}
