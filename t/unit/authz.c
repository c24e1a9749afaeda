/*
 * t/unit/authz.c: the nginx gateway's decisions and identity headers
 * (lib/authz.c), without nginx or MariaDB: t/authz-*.t drive the program.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "../tap.h"

static struct token_subject
subject(const char *r1, const char *r2)
{
	struct token_subject s;

	memset(&s, 0, sizeof(s));
	s.user_id = 7;
	if (r1 != NULL)
		strcpy(s.roles[s.nroles++], r1);
	if (r2 != NULL)
		strcpy(s.roles[s.nroles++], r2);
	return s;
}

static json_object *
parse(const char *s)
{
	return json_tokener_parse(s);
}

/* The items of list joined by '|'. */
static const char *
items(const char *list)
{
	static char out[256];
	const char *item;
	size_t len, o = 0;

	out[0] = '\0';
	while (authz_list_next(&list, &item, &len) && o + len + 2 < sizeof(out)) {
		if (o > 0)
			out[o++] = '|';
		memcpy(out + o, item, len);
		o += len;
		out[o] = '\0';
	}
	return out;
}

static void
test_lists(void)
{
	is_str(items("Editor Admin"), "Editor|Admin", "list: space-separated");
	is_str(items("  Editor,Admin\t User ,"), "Editor|Admin|User", "list: commas, tabs, runs of separators");
	is_str(items(""), "", "list: empty");
	is_str(items(" , \t"), "", "list: only separators");
	is_str(items(NULL), "", "list: NULL");
}

static void
test_roles(void)
{
	struct token_subject ed = subject("Editor", "User"), none = subject(NULL, NULL);

	ok(authz_role_met(NULL, &none), "no requirement: any token");
	ok(authz_role_met("", &none), "empty requirement: any token");
	ok(authz_role_met(" ", &none), "blank requirement: any token");
	ok(authz_role_met("Editor Admin", &ed), "one of the roles suffices");
	ok(!authz_role_met("Admin", &ed), "a role the token lacks: not met");
	ok(!authz_role_met("editor", &ed), "roles compare exactly (case)");
	ok(!authz_role_met("Edit", &ed), "a prefix of a role is not the role");
	ok(!authz_role_met("EditorX", &ed), "a longer name is not the role");
	ok(!authz_role_met("Admin", &none), "a token without roles meets no role");
}

static void
test_unknown(void)
{
	static const char names[3][ACCOUNT_ROLE_MAX] = { "Admin", "Editor", "User" };
	const char *bad = NULL;
	size_t len = 0;

	ok(!authz_role_unknown("Editor Admin", names, 3, &bad, &len), "known roles");
	ok(!authz_role_unknown("", names, 3, &bad, &len), "no roles: nothing unknown");
	ok(authz_role_unknown("Editor admin User", names, 3, &bad, &len) &&
	    len == 5 && memcmp(bad, "admin", 5) == 0, "'admin' (case) is unknown, and named");
	ok(authz_role_unknown("Admn", names, 3, &bad, &len), "a typo is unknown");
	ok(authz_role_unknown("Admin", names, 0, &bad, &len), "an empty table knows no role");
}

static void
test_audience(void)
{
	json_object *one = parse("{\"aud\":\"https://client1.com\"}");
	json_object *two = parse("{\"aud\":[\"https://x.example\",\"https://client2.com\"]}");
	json_object *none = parse("{\"sub\":\"1\"}");
	json_object *num = parse("{\"aud\":5}");

	ok(authz_audience_met(NULL, one), "no audience required: any");
	ok(authz_audience_met("https://client1.com", one), "the token's aud accepted");
	ok(authz_audience_met("https://client2.com https://client1.com", one), "one of a list");
	ok(!authz_audience_met("https://client2.com", one), "another client's token refused");
	ok(!authz_audience_met("https://client1.co", one), "a prefix of the aud is not the aud");
	ok(authz_audience_met("https://client2.com", two), "aud array: one value suffices");
	ok(!authz_audience_met("https://client1.com", two), "aud array without it: refused");
	ok(!authz_audience_met("https://client1.com", none), "no aud: refused");
	ok(!authz_audience_met("5", num), "an aud that is not a string: refused");
	json_object_put(one);
	json_object_put(two);
	json_object_put(none);
	json_object_put(num);
}

static void
test_decide(void)
{
	struct authz_roles known;
	struct token_subject ed = subject("Editor", "User");
	json_object *c = parse("{\"aud\":\"https://client1.com\"}");

	/* A list read just now: authz_decide does not go to the database. */
	memset(&known, 0, sizeof(known));
	strcpy(known.names[0], "Admin");
	strcpy(known.names[1], "Editor");
	strcpy(known.names[2], "User");
	known.n = 3;
	known.ever = 1;
	known.loaded = time(NULL);

	is_int(authz_decide(&known, NULL, 3600, NULL, NULL, &ed, c), AUTHZ_OK, "no requirement: OK");
	is_int(authz_decide(&known, NULL, 3600, "Admin Editor", "https://client1.com", &ed, c),
	    AUTHZ_OK, "role and audience met: OK");
	is_int(authz_decide(&known, NULL, 3600, "Admin", NULL, &ed, c), AUTHZ_NO_ROLE,
	    "role missing: NO_ROLE");
	is_int(authz_decide(&known, NULL, 3600, NULL, "https://client2.com", &ed, c),
	    AUTHZ_BAD_AUDIENCE, "other audience: BAD_AUDIENCE");
	is_int(authz_decide(&known, NULL, 3600, "Editor Admins", NULL, &ed, c), AUTHZ_UNKNOWN_ROLE,
	    "a role not in the table, even beside one the token holds: UNKNOWN_ROLE");
	is_int((long long)known.nwarned, 1, "the misconfigured role is remembered as logged");
	is_int(authz_decide(&known, NULL, 3600, "Admins", NULL, &ed, c), AUTHZ_UNKNOWN_ROLE,
	    "asked again: UNKNOWN_ROLE");
	is_int((long long)known.nwarned, 1, "and logged only once");
	json_object_put(c);
}

static void
encodes(const char *s, size_t len, const char *want, const char *name)
{
	char *got = authz_encode(s, len);

	is_str(got, want, "%s", name);
	free(got);
}

static void
test_encode(void)
{
	encodes("ada@example.com", 15, "ada@example.com", "plain ASCII unchanged");
	encodes("jos\xc3\xa9@ex.com", 12, "jos%C3%A9@ex.com", "UTF-8 percent-encoded");
	encodes("a b,c%d\r\n\"", 10, "a%20b%2Cc%25d%0D%0A\"", "space, comma, percent, CR LF encoded");
	encodes("x\0y", 3, "x%00y", "NUL encoded, not a cut");
	encodes("", 0, "", "empty");
}

static void
test_identity(void)
{
	struct token_subject sub = subject("Admin", "User");
	struct authz_identity id;
	json_object *c;

	c = parse("{\"sub\":\"42\",\"email\":\"jos\\u00e9@example.com\",\"aud\":\"https://client1.com\"}");
	ok(authz_identity(&sub, c, &id) == 0, "identity built");
	is_str(id.sub, "42", "sub");
	is_str(id.email, "jos%C3%A9@example.com", "email, percent-encoded");
	is_str(id.roles, "Admin,User", "roles, comma-separated");
	is_str(id.client, "https://client1.com", "client: the aud when there is no client_id");
	authz_identity_free(&id);
	json_object_put(c);

	c = parse("{\"sub\":\"42\",\"aud\":[\"https://a.example\",\"https://b.example\"],"
	    "\"client_id\":\"Client1\"}");
	sub = subject(NULL, NULL);
	ok(authz_identity(&sub, c, &id) == 0, "identity built (client_id, no email, no roles)");
	is_str(id.client, "Client1", "client: client_id wins");
	is_str(id.email, "", "no email: empty");
	is_str(id.roles, "", "no roles: empty");
	authz_identity_free(&id);
	json_object_put(c);

	c = parse("{\"sub\":\"42\",\"aud\":[\"https://a.example\",\"https://b.example\"]}");
	ok(authz_identity(&sub, c, &id) == 0, "identity built (aud array)");
	is_str(id.client, "https://a.example", "client: the first aud of an array");
	authz_identity_free(&id);
	json_object_put(c);

	sub = subject("Ad,min", "R\xc3\xb4le");
	c = parse("{\"sub\":\"42\"}");
	ok(authz_identity(&sub, c, &id) == 0, "identity built (odd role names)");
	is_str(id.roles, "Ad%2Cmin,R%C3%B4le", "a comma inside a role cannot split it");
	authz_identity_free(&id);
	json_object_put(c);
}

int
main(void)
{
	test_lists();
	test_roles();
	test_unknown();
	test_audience();
	test_decide();
	test_encode();
	test_identity();
	return done_testing();
}
