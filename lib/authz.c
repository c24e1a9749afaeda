/*
 * authz.c: the nginx gateway's decisions (see authz.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "db.h"
#include "log.h"

int
authz_list_next(const char **cursor, const char **item, size_t *len)
{
	const char *p = *cursor;

	if (p == NULL)
		return 0;
	p += strspn(p, " \t,");
	if (*p == '\0') {
		*cursor = p;
		return 0;
	}
	*item = p;
	*len = strcspn(p, " \t,");
	*cursor = p + *len;
	return 1;
}

/* 1 if need has no item at all (unset, empty, only separators). */
static int
list_empty(const char *need)
{
	const char *item;
	size_t len;

	return !authz_list_next(&need, &item, &len);
}

/* 1 if item (len bytes) is exactly the string s. */
static int
item_is(const char *item, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(item, s, len) == 0;
}

int
authz_role_met(const char *need, const struct token_subject *sub)
{
	const char *item;
	size_t len;

	if (list_empty(need))
		return 1;
	while (authz_list_next(&need, &item, &len))
		for (size_t i = 0; i < sub->nroles; i++)
			if (item_is(item, len, sub->roles[i]))
				return 1;
	return 0;
}

/* 1 if need names the string aud. */
static int
audience_listed(const char *need, json_object *aud)
{
	const char *item;
	size_t len;

	if (!json_object_is_type(aud, json_type_string))
		return 0;
	while (authz_list_next(&need, &item, &len))
		if (item_is(item, len, json_object_get_string(aud)))
			return 1;
	return 0;
}

int
authz_audience_met(const char *need, json_object *claims)
{
	json_object *aud;

	if (list_empty(need))
		return 1;
	if (!json_object_object_get_ex(claims, "aud", &aud))
		return 0;
	if (!json_object_is_type(aud, json_type_array))
		return audience_listed(need, aud);
	for (size_t i = 0; i < json_object_array_length(aud); i++)
		if (audience_listed(need, json_object_array_get_idx(aud, i)))
			return 1;
	return 0;
}

int
authz_role_unknown(const char *need, const char (*names)[ACCOUNT_ROLE_MAX], size_t n,
    const char **bad, size_t *badlen)
{
	const char *item;
	size_t len, i;

	while (authz_list_next(&need, &item, &len)) {
		for (i = 0; i < n && !item_is(item, len, names[i]); i++)
			;
		if (i == n) {
			*bad = item;
			*badlen = len;
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The Roles table                                                     */
/* ------------------------------------------------------------------ */

struct roles_load {
	char names[AUTHZ_KNOWN_MAX][ACCOUNT_ROLE_MAX];
	char name[ACCOUNT_ROLE_MAX];
	size_t n;
	int overflow;
};

static int
role_add(void *arg)
{
	struct roles_load *l = arg;

	if (l->n == AUTHZ_KNOWN_MAX) {
		l->overflow = 1;
		return 1;
	}
	memcpy(l->names[l->n++], l->name, sizeof(l->name));
	return 0;
}

/*
 * Read the names into known only when the whole query succeeds, so that a
 * failed reload (MariaDB down) keeps the last good list. Every attempt
 * counts as a reload: a dead database is asked once per interval.
 */
static void
roles_reload(struct authz_roles *known, struct db *db)
{
	struct roles_load l = { 0 };
	struct db_col c[] = { DB_OUT_STR(l.name, sizeof(l.name)) };

	known->loaded = time(NULL);
	if (db_query(db, "SELECT Name FROM Roles ORDER BY Name", NULL, 0,
	    c, DB_NPARAMS(c), role_add, &l, NULL) != DB_OK) {
		log_warn("cannot read the role names; %s", known->ever ?
		    "the last list read stays in use" : "answering 503");
		return;
	}
	if (l.overflow)
		log_warn("more than %d roles: locations requiring the others answer 403",
		    AUTHZ_KNOWN_MAX);
	memcpy(known->names, l.names, sizeof(known->names));
	known->n = l.n;
	known->ever = 1;
}

/* Log a misconfigured role once per worker (bounded: see AUTHZ_WARNED_MAX). */
static void
warn_unknown(struct authz_roles *known, const char *bad, size_t len)
{
	for (size_t i = 0; i < known->nwarned; i++)
		if (item_is(bad, len, known->warned[i]))
			return;
	log_err("configuration error: a location requires role \"%.*s\", which the "
	    "Roles table does not have; it answers 403 to every token",
	    (int)(len < 64 ? len : 64), bad);
	if (known->nwarned < AUTHZ_WARNED_MAX && len < ACCOUNT_ROLE_MAX) {
		memcpy(known->warned[known->nwarned], bad, len);
		known->warned[known->nwarned++][len] = '\0';
	}
}

enum authz_rc
authz_decide(struct authz_roles *known, struct db *db, unsigned int refresh,
    const char *roles, const char *audience, const struct token_subject *sub,
    json_object *claims)
{
	const char *bad;
	size_t badlen;

	if (!list_empty(roles)) {
		if (known->loaded == 0 || time(NULL) - known->loaded >= (time_t)refresh)
			roles_reload(known, db);
		if (!known->ever)
			return AUTHZ_UNAVAILABLE;
		if (authz_role_unknown(roles, (const char (*)[ACCOUNT_ROLE_MAX])known->names,
		    known->n, &bad, &badlen)) {
			warn_unknown(known, bad, badlen);
			return AUTHZ_UNKNOWN_ROLE;
		}
	}
	/* The token's own aud was checked against the registered clients by
	 * token_verify; this narrows it to the ones this location accepts. */
	if (!authz_audience_met(audience, claims))
		return AUTHZ_BAD_AUDIENCE;
	if (!authz_role_met(roles, sub))
		return AUTHZ_NO_ROLE;
	return AUTHZ_OK;
}

/* ------------------------------------------------------------------ */
/* Identity headers                                                    */
/* ------------------------------------------------------------------ */

char *
authz_encode(const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f && c != '%' && c != ',') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	*o = '\0';
	return out;
}

/* v encoded when it is a string, else "". */
static char *
string_encoded(json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return authz_encode("", 0);
	return authz_encode(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* The claim name (NULL when absent). */
static json_object *
claim(json_object *claims, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(claims, name, &v) ? v : NULL;
}

/* The roles, each encoded, joined by ','. */
static char *
roles_encoded(const struct token_subject *sub)
{
	char *out = NULL, *one, *grown;
	size_t len = 0, n;

	if ((out = calloc(1, 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < sub->nroles; i++) {
		if ((one = authz_encode(sub->roles[i], strlen(sub->roles[i]))) == NULL)
			goto fail;
		n = strlen(one);
		if ((grown = realloc(out, len + n + 2)) == NULL) {
			free(one);
			goto fail;
		}
		out = grown;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, one, n + 1);
		len += n;
		free(one);
	}
	return out;
fail:
	free(out);
	return NULL;
}

int
authz_identity(const struct token_subject *sub, json_object *claims, struct authz_identity *id)
{
	json_object *client = claim(claims, "client_id");

	/* RFC 9068 §2.2: client_id names the client; a token without it
	 * names the client by the aud it was issued for (the first one). */
	if (client == NULL) {
		client = claim(claims, "aud");
		if (json_object_is_type(client, json_type_array))
			client = json_object_array_get_idx(client, 0);
	}
	id->sub = string_encoded(claim(claims, "sub"));
	id->email = string_encoded(claim(claims, "email"));
	id->roles = roles_encoded(sub);
	id->client = string_encoded(client);
	if (id->sub == NULL || id->email == NULL || id->roles == NULL || id->client == NULL) {
		authz_identity_free(id);
		return -1;
	}
	return 0;
}

void
authz_identity_free(struct authz_identity *id)
{
	free(id->sub);
	free(id->email);
	free(id->roles);
	free(id->client);
	memset(id, 0, sizeof(*id));
}
