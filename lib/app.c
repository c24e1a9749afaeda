/*
 * app.c: a program's lifetime state (see app.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "db.h"
#include "jwtcache.h"
#include "keys.h"
#include "log.h"

/* Slots in the verified-token cache: about 1 KiB each for our tokens. */
#define APP_VERIFIED_TOKENS 64

int
app_open(struct app *app, const char *progname, char *err, size_t errlen)
{
	memset(app, 0, sizeof(*app));
	log_init(progname, LOG_LVL_INFO);
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		goto fail;
	}
	cfg_defaults(&app->cfg);
	if (cfg_load_default(&app->cfg, err, errlen) != 0)
		goto fail;
	log_set_level(app->cfg.log_level);
	if (app->cfg.log_target == LOG_TO_SYSLOG)
		log_syslog(app->cfg.log_facility);
	app->cost.opslimit = app->cfg.argon2_opslimit;
	app->cost.memlimit = app->cfg.argon2_memlimit;
	if (db_open(&app->db, &app->cfg) != 0) {
		snprintf(err, errlen, "cannot set up the database handle");
		goto fail;
	}
	if (keys_open(&app->keys, &app->cfg) != 0) {
		snprintf(err, errlen, "cannot set up the key store");
		goto fail;
	}
	/*
	 * A client re-sends its access token until it expires; a few dozen
	 * recent ones per worker cover the clients it is serving at a time.
	 */
	if ((app->verified = jwtcache_new(APP_VERIFIED_TOKENS)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* The handles keep their own copies of the secrets they need. */
	cfg_wipe(&app->cfg);
	return 0;
fail:
	log_err("%s", err);
	app_close(app);
	return -1;
}

void
app_close(struct app *app)
{
	for (size_t i = 0; i < app->aud.n; i++)
		free(app->aud.urls[i]);
	free(app->aud.urls);
	jwtcache_free(app->verified);
	keys_close(app->keys);
	db_close(app->db);
	cfg_wipe(&app->cfg);
	memset(app, 0, sizeof(*app));
}
