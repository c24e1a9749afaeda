/*
 * fault.h: test-only fault points: a process that kills itself at a named
 * point, to prove that what it leaves behind is consistent (a rotation
 * interrupted between its statements rolls back whole).
 *
 * Compiled in only with JWTAUTH_FAULT_INJECTION defined (configure
 * --enable-fault-injection, or the test program t/fault/refresh-token-fault
 * built from the same sources); otherwise fault_point() is an empty macro
 * and no production binary holds any of this.
 *
 * At fault_point(name) the process raises SIGKILL (no handler, no cleanup,
 * no COMMIT: as a crash or the OOM killer would end it) when:
 * - the environment variable JWTAUTH_FAULT names that point (a list of
 *   names separated by commas may name several), and
 * - JWTAUTH_FAULT_ONCE is unset, or names a file that this process manages
 *   to remove. FastCGI programs keep the environment they started with and
 *   multiwatch restarts a dead worker with the same one: the file makes a
 *   point fire once in all, across every worker, until a test creates it
 *   again.
 */
#ifndef JWTAUTH_FAULT_H
#define JWTAUTH_FAULT_H

/* 1 when this build has fault points, else 0. */
int fault_enabled(void);

#ifdef JWTAUTH_FAULT_INJECTION
void fault_point(const char *name);
#else
#define fault_point(name) ((void)0)
#endif

#endif
