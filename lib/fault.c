/*
 * fault.c: test-only fault points (see fault.h).
 */
#include "config.h"

#include "fault.h"

#ifdef JWTAUTH_FAULT_INJECTION

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int
fault_enabled(void)
{
	return 1;
}

/* Does the comma-separated list name exactly this point? */
static int
fault_named(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list != '\0') {
		size_t len = strcspn(list, ",");

		if (len == n && strncmp(list, name, n) == 0)
			return 1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

void
fault_point(const char *name)
{
	/* Read at each point and not kept: libfcgi may replace the
	 * environment between requests (STYLE). */
	const char *list = getenv("JWTAUTH_FAULT");
	const char *once = getenv("JWTAUTH_FAULT_ONCE");

	if (list == NULL || !fault_named(list, name))
		return;
	/* unlink succeeds for exactly one process: the point fires once. */
	if (once != NULL && *once != '\0' && unlink(once) != 0)
		return;
	log_warn("fault point %s: SIGKILL", name);
	(void)raise(SIGKILL);
	/* SIGKILL cannot be caught or blocked: never reached. */
	abort();
}

#else

int
fault_enabled(void)
{
	return 0;
}

#endif
