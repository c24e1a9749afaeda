/*
 * argon2-probe: the limit of POST /api/Auth/Login in `make bench` (issue 6).
 * How many Argon2id verifications per second this machine does at the
 * configured cost ($JWTAUTH_CONFIG, as the programs read it), with one
 * process per core, through the very function a login calls (pw_verify).
 *
 *   argon2-probe [-j PROCESSES] [-t SECONDS]
 *
 * Prints one line of key=value pairs; per_second is the sum over the
 * processes of completed verifications divided by each one's own elapsed
 * time (so that a half-finished last hash is not counted as zero), and
 * cpu_us_per_hash the CPU time (user + system) the processes spent per
 * verification: what one costs whatever else the machine is doing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "pwhash.h"

static const char password[] = "Password@123";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verify until seconds have passed; write "count elapsed" to fd. */
static int
child(const char *hash, double seconds, int fd)
{
	double start = now(), t = start;
	unsigned long n = 0;
	char line[64];
	int len;

	do {
		if (pw_verify(hash, password, sizeof(password) - 1) != PW_OK)
			return 1;
		n++;
		t = now();
	} while (t - start < seconds);
	len = snprintf(line, sizeof(line), "%lu %.6f\n", n, t - start);
	if (len < 0 || (size_t)len >= sizeof(line) || write(fd, line, (size_t)len) != len)
		return 1;
	return 0;
}

static long
number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

int
main(int argc, char **argv)
{
	struct cfg cfg;
	struct pw_cost cost;
	char err[512], hash[PW_HASH_MAX];
	long procs = sysconf(_SC_NPROCESSORS_ONLN), seconds = 3;
	int fds[2], c, failed = 0;
	unsigned long total = 0;
	double rate = 0, cpu;
	struct rusage ru;
	FILE *in;

	while ((c = getopt(argc, argv, "j:t:")) != -1) {
		switch (c) {
		case 'j':
			procs = number(optarg, 1, 256);
			break;
		case 't':
			seconds = number(optarg, 1, 600);
			break;
		default:
			procs = -1;
		}
		if (procs < 1 || seconds < 1) {
			fputs("usage: argon2-probe [-j PROCESSES] [-t SECONDS]\n", stderr);
			return 2;
		}
	}
	if (procs < 1)
		procs = 1;

	cfg_defaults(&cfg);
	if (getenv("JWTAUTH_CONFIG") != NULL && cfg_load_default(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "argon2-probe: %s\n", err);
		return 1;
	}
	cfg_wipe(&cfg);
	cost.opslimit = cfg.argon2_opslimit;
	cost.memlimit = cfg.argon2_memlimit;
	if (pw_hash(hash, password, sizeof(password) - 1, &cost) != 0) {
		fputs("argon2-probe: hashing failed\n", stderr);
		return 1;
	}

	if (pipe(fds) != 0) {
		perror("argon2-probe: pipe");
		return 1;
	}
	for (long i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("argon2-probe: fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			_exit(child(hash, (double)seconds, fds[1]));
		}
	}
	close(fds[1]);
	if ((in = fdopen(fds[0], "r")) == NULL) {
		perror("argon2-probe: fdopen");
		return 1;
	}
	for (long i = 0; i < procs; i++) {
		unsigned long n;
		double elapsed;

		if (fscanf(in, "%lu %lf", &n, &elapsed) != 2 || elapsed <= 0) {
			failed = 1;
			break;
		}
		total += n;
		rate += (double)n / elapsed;
	}
	fclose(in);
	for (long i = 0; i < procs; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (failed) {
		fputs("argon2-probe: a probe process failed\n", stderr);
		return 1;
	}
	if (getrusage(RUSAGE_CHILDREN, &ru) != 0) {
		perror("argon2-probe: getrusage");
		return 1;
	}
	/* total > 0: each process verified at least once. */
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	printf("argon2id opslimit=%llu memlimit=%zu procs=%ld seconds=%ld hashes=%lu "
	    "per_second=%.2f cpu_us_per_hash=%.0f\n",
	    cost.opslimit, cost.memlimit, procs, seconds, total, rate, cpu / (double)total);
	return 0;
}
