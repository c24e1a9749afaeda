/*
 * throttle.h: per-account login throttling (SPEC §3 Login: 429 with
 * Retry-After), stored in MariaDB so that every worker and every host
 * sees the same count.
 *
 * The count is kept per email address whether or not an account exists,
 * so that a 429 tells an attacker nothing about which addresses are
 * registered. The window is fixed: it starts at the first failure and,
 * once it has passed, the next attempt starts a new one.
 */
#ifndef JWTAUTH_THROTTLE_H
#define JWTAUTH_THROTTLE_H

#include <stddef.h>

struct db;

enum throttle_rc {
	THROTTLE_OK = 0,          /* go on and check the password */
	THROTTLE_LIMITED = 1,     /* too many failures: answer 429 */
	THROTTLE_UNAVAILABLE = -1
};

/*
 * Count this attempt before the password is checked, atomically, so that
 * concurrent guesses cannot slip past the limit: the attempt is a failure
 * until throttle_success() says otherwise. More than max_failures counted
 * within window seconds gives THROTTLE_LIMITED and *retry_after, the
 * seconds until the window ends (at least 1).
 */
enum throttle_rc throttle_attempt(struct db *db, const char *email, size_t len,
    unsigned int max_failures, unsigned int window, long long *retry_after)
	__attribute__((warn_unused_result));

/* A successful login clears the count (SPEC: a success resets it). */
enum throttle_rc throttle_success(struct db *db, const char *email, size_t len)
	__attribute__((warn_unused_result));

#endif
