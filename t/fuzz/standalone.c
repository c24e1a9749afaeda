/*
 * standalone.c: a main() for the harnesses when libFuzzer is not there
 * (gcc, make check). Runs LLVMFuzzerTestOneInput once over every file
 * named on the command line, and over every regular file directly inside
 * each directory named, in name order so that runs are reproducible.
 *
 * Exit 0 when every input ran (a failed property aborts before that),
 * 1 when an input could not be read or no input was found at all: a
 * replay over an empty or missing corpus must not pass silently.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *buf = NULL, *p;
	size_t len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap != 0 ? cap * 2 : 4096;
			if ((p = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = p;
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	/* Exactly len bytes, as libFuzzer passes them: ASan sees any over-read. */
	if ((p = malloc(len != 0 ? len : 1)) == NULL) {
		free(buf);
		return -1;
	}
	if (len != 0)
		memcpy(p, buf, len);
	free(buf);
	fprintf(stderr, "running %s (%zu bytes)\n", path, len);
	(void)LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file in dir; add the count to *ran. Return 0 or -1. */
static int
run_dir(const char *dir, unsigned long *ran)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, **np, path[4096];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			if ((np = realloc(names, cap * sizeof(*names))) == NULL) {
				rc = -1;
				break;
			}
			names = np;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

		if (rc == 0 && (w < 0 || (size_t)w >= sizeof(path))) {
			fprintf(stderr, "%s/%s: path too long\n", dir, names[i]);
			rc = -1;
		}
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				rc = -1;
			else
				(*ran)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char *argv[])
{
	unsigned long ran = 0;
	struct stat st;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &ran) != 0)
				rc = 1;
		} else if (run_file(argv[i]) != 0) {
			rc = 1;
		} else {
			ran++;
		}
	}
	fprintf(stderr, "%s: %lu inputs run\n", argc > 0 ? argv[0] : "fuzz", ran);
	if (ran == 0) {
		fprintf(stderr, "no input found\n");
		rc = 1;
	}
	return rc;
}
