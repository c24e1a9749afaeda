/*
 * t/capture.h: stderr captured on a pipe, for the unit tests of what the
 * library writes there (t/unit/log.c, t/unit/event.c). capture_start()
 * moves stderr onto the pipe for the rest of the test (TAP stays on
 * stdout); drain() returns everything written since its last call, also
 * left in cap_got / cap_len.
 */
#ifndef JWTAUTH_T_CAPTURE_H
#define JWTAUTH_T_CAPTURE_H

#include <fcntl.h>
#include <unistd.h>

static int cap_fd = -1;
static char cap_got[8192];
static size_t cap_len;

static int
capture_start(void)
{
	int fds[2];

	if (pipe(fds) != 0)
		return -1;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0 || dup2(fds[1], STDERR_FILENO) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	cap_fd = fds[0];
	return 0;
}

static const char *
drain(void)
{
	ssize_t n;

	cap_len = 0;
	while (cap_len < sizeof(cap_got) - 1 &&
	    (n = read(cap_fd, cap_got + cap_len, sizeof(cap_got) - 1 - cap_len)) > 0)
		cap_len += (size_t)n;
	cap_got[cap_len] = '\0';
	return cap_got;
}

static size_t
count_newlines(const char *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n')
			k++;
	return k;
}

#endif
