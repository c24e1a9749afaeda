/*
 * fuzz-authz.c: the nginx gateway's lists and header values (lib/authz.c).
 *
 * Input: a location's requirement list (up to the first '\n', then cut at
 * a NUL, as a FastCGI parameter is a C string), then the token's roles,
 * one per line.
 *
 * Properties:
 * - authz_list_next yields non-empty items free of separators, in order,
 *   covering every other byte of the list exactly once;
 * - authz_role_met is true exactly when the list is empty or one of its
 *   items equals one of the roles, byte for byte;
 * - authz_role_unknown is false exactly when every item is one of the
 *   roles taken as the Roles table;
 * - authz_encode of the whole input is a safe header value (http.h) with
 *   no ',' and decodes back to the input byte for byte.
 */
#include "config.h"

#include <string.h>

#include "authz.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"

static int
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void
check_encode(const uint8_t *data, size_t size)
{
	char *enc = authz_encode((const char *)data, size);
	size_t i, o = 0;

	FUZZ_CHECK(enc != NULL);
	FUZZ_CHECK(http_header_value_ok(enc));
	FUZZ_CHECK(strchr(enc, ',') == NULL && strchr(enc, ' ') == NULL);
	for (i = 0; enc[i] != '\0'; o++) {
		int c = (unsigned char)enc[i];

		if (enc[i] == '%') {
			FUZZ_CHECK(hexval(enc[i + 1]) >= 0 && hexval(enc[i + 2]) >= 0);
			c = hexval(enc[i + 1]) * 16 + hexval(enc[i + 2]);
			i += 3;
		} else {
			i++;
		}
		FUZZ_CHECK(o < size && c == data[o]);
	}
	FUZZ_CHECK(o == size);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static char names[ACCOUNT_ROLES_MAX][ACCOUNT_ROLE_MAX];
	struct token_subject sub;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t nlen = nl != NULL ? (size_t)(nl - data) : size;
	char *need = malloc(nlen + 1);
	const char *cur, *item, *bad;
	size_t len, badlen, covered = 0, others = 0, i, j;
	int any = 0, all = 1, empty = 1;

	if (!ready) {
		log_init("fuzz-authz", LOG_LVL_ERROR);
		ready = 1;
	}
	FUZZ_CHECK(need != NULL);
	memcpy(need, data, nlen);
	need[nlen] = '\0';
	nlen = strlen(need);

	/* The roles: the lines after the first, as many as a token holds. */
	memset(&sub, 0, sizeof(sub));
	for (const uint8_t *p = nl; p != NULL && sub.nroles < ACCOUNT_ROLES_MAX; ) {
		const uint8_t *start = p + 1, *end = memchr(start, '\n', size - (size_t)(start - data));
		size_t rlen = (end != NULL ? (size_t)(end - start) : size - (size_t)(start - data));

		if (rlen < ACCOUNT_ROLE_MAX && memchr(start, '\0', rlen) == NULL) {
			memcpy(sub.roles[sub.nroles], start, rlen);
			sub.roles[sub.nroles][rlen] = '\0';
			memcpy(names[sub.nroles], sub.roles[sub.nroles], rlen + 1);
			sub.nroles++;
		}
		p = end;
	}

	/* The items, and what they must be, by brute force. */
	cur = need;
	item = need;
	while (authz_list_next(&cur, &item, &len)) {
		int found = 0;

		empty = 0;
		FUZZ_CHECK(len > 0 && item >= need && item + len <= need + nlen);
		for (i = 0; i < len; i++)
			FUZZ_CHECK(!is_sep(item[i]));
		FUZZ_CHECK(item + len == need + nlen || is_sep(item[len]));
		covered += len;
		for (j = 0; j < sub.nroles; j++)
			if (strlen(sub.roles[j]) == len && memcmp(sub.roles[j], item, len) == 0)
				found = 1;
		any |= found;
		all &= found;
	}
	for (i = 0; i < nlen; i++)
		others += !is_sep(need[i]);
	FUZZ_CHECK(covered == others);
	FUZZ_CHECK(authz_role_met(need, &sub) == (empty || any));
	FUZZ_CHECK(authz_role_unknown(need, (const char (*)[ACCOUNT_ROLE_MAX])names, sub.nroles,
	    &bad, &badlen) == !all);

	check_encode(data, size);
	free(need);
	return 0;
}
