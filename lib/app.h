/*
 * app.h: what every jwtauth program holds for its whole life: the
 * configuration, one database connection, the key store and the caches.
 * One per process (the FastCGI programs are single-threaded).
 */
#ifndef JWTAUTH_APP_H
#define JWTAUTH_APP_H

#include <time.h>

#include "cfg.h"
#include "pwhash.h"

struct db;
struct jwtcache;
struct keys;

struct app_audiences {
	char **urls;            /* ClientURL of every registered client */
	size_t n;
	time_t loaded;          /* 0: never */
	int failed;             /* the last reload could not read the database */
};

struct app {
	struct cfg cfg;
	struct db *db;
	struct keys *keys;
	struct pw_cost cost;
	struct app_audiences aud;
	struct jwtcache *verified;      /* access tokens verified lately (jwtcache.h) */
};

/*
 * Read the configuration (cfg_path()), start logging as progname, open the
 * database handle (which connects lazily if MariaDB is down), the key
 * store and the verified-token cache. Return 0, or -1 with err (errlen bytes) telling why: a bad
 * config, out of memory.
 */
int app_open(struct app *app, const char *progname, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void app_close(struct app *app);

#endif
