/*
 * t/unit/reqjson.c: strict JSON bodies and typed getters (lib/reqjson.c):
 * every rule of reqjson.h, with hostile inputs (trailing garbage, 10000
 * levels of nesting, invalid UTF-8, NUL, duplicate keys, huge numbers,
 * wrong types) and the exact bytes of the validation answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "http.h"
#include "log.h"
#include "reqjson.h"
#include "../tap.h"

/* s with control and non-ASCII bytes shown as \xNN, so that a test name stays one TAP line. */
static const char *
vis(const char *s, size_t len)
{
	static char out[200];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 8 < sizeof(out); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	if (n + 8 >= sizeof(out))
		n += (size_t)snprintf(out + n, sizeof(out) - n, "...");
	out[n] = '\0';
	return out;
}

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *s;
	size_t len;
	enum rj_parse_rc rc;
} parses[] = {
	{ S("{}"), RJ_PARSE_OK },
	{ S("{\"a\":1}"), RJ_PARSE_OK },
	{ S(" \t\r\n{\"a\":1} \t\r\n"), RJ_PARSE_OK },
	{ S("{\"a\":[1,2.5,-3e2,true,false,null,\"x\",{\"b\":{}}]}"), RJ_PARSE_OK },
	{ S("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}"), RJ_PARSE_OK },
	{ S("{\"a\":\"\\\\u0000\"}"), RJ_PARSE_OK },            /* a backslash, then text u0000 */
	{ S("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}"), RJ_PARSE_OK },
	{ S("{\"a\":1e400}"), RJ_PARSE_OK },                    /* valid JSON; getters judge it */
	{ S("{\"a\":99999999999999999999999}"), RJ_PARSE_OK },
	{ S("{\"a\":-0}"), RJ_PARSE_OK },
	{ S("{\"a\":0.5E-3}"), RJ_PARSE_OK },
	{ S("{\"a\":1,\"a\":2}"), RJ_PARSE_DUPLICATE },         /* exact duplicate (issue 16) */
	{ S("{\"a\":{\"b\":1,\"B\":2}}"), RJ_PARSE_OK },        /* nested objects are not checked */

	{ S(""), RJ_PARSE_INVALID },
	{ S("   "), RJ_PARSE_INVALID },
	{ S("{"), RJ_PARSE_INVALID },
	{ S("{\"a\":1"), RJ_PARSE_INVALID },
	{ S("{\"a\":1}x"), RJ_PARSE_INVALID },
	{ S("{\"a\":1}}"), RJ_PARSE_INVALID },
	{ S("{} {}"), RJ_PARSE_INVALID },
	{ S("{}\0"), RJ_PARSE_INVALID },
	{ S("\xef\xbb\xbf{}"), RJ_PARSE_INVALID },               /* BOM */
	{ S("{'a':1}"), RJ_PARSE_INVALID },
	{ S("{\"a\":'x'}"), RJ_PARSE_INVALID },
	{ S("{a:1}"), RJ_PARSE_INVALID },
	{ S("{\"a\":NaN}"), RJ_PARSE_INVALID },
	{ S("{\"a\":nan}"), RJ_PARSE_INVALID },
	{ S("{\"a\":Infinity}"), RJ_PARSE_INVALID },
	{ S("{\"a\":-Infinity}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1.}"), RJ_PARSE_INVALID },
	{ S("{\"a\":.5}"), RJ_PARSE_INVALID },
	{ S("{\"a\":01}"), RJ_PARSE_INVALID },
	{ S("{\"a\":+1}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1e}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1e+}"), RJ_PARSE_INVALID },
	{ S("{\"a\":0x10}"), RJ_PARSE_INVALID },
	{ S("{\"a\":-}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1.2.3}"), RJ_PARSE_INVALID },
	{ S("{\"a\":True}"), RJ_PARSE_INVALID },
	{ S("{\"a\":tru}"), RJ_PARSE_INVALID },
	{ S("{\"a\":nul}"), RJ_PARSE_INVALID },
	{ S("{\"a\":undefined}"), RJ_PARSE_INVALID },
	{ S("{\"a\":/*c*/1}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1 // c\n}"), RJ_PARSE_INVALID },
	{ S("{\"a\":1,}"), RJ_PARSE_INVALID },
	{ S("{\"a\" 1}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\\u0000\"}"), RJ_PARSE_INVALID },         /* NUL inside a value */
	{ S("{\"a\\u0000b\":1}"), RJ_PARSE_INVALID },           /* json-c would cut the key to "a" */
	{ S("{\"Email\\u0000x\":\"a@b\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"x\0y\"}"), RJ_PARSE_INVALID },             /* raw NUL byte */
	{ S("{\"a\":\"x\ty\"}"), RJ_PARSE_INVALID },             /* raw TAB in a string */
	{ S("{\"a\":\"x\ny\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\\x41\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\\'\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\\u00g0\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\\u00\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"abc}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\xc3\x28\"}"), RJ_PARSE_INVALID },         /* bad continuation */
	{ S("{\"a\":\"\xc0\xaf\"}"), RJ_PARSE_INVALID },         /* overlong '/' */
	{ S("{\"a\":\"\xe0\x80\xaf\"}"), RJ_PARSE_INVALID },     /* overlong, 3 bytes */
	{ S("{\"a\":\"\xf0\x80\x80\xaf\"}"), RJ_PARSE_INVALID }, /* overlong, 4 bytes */
	{ S("{\"a\":\"\xed\xa0\x80\"}"), RJ_PARSE_INVALID },     /* UTF-8 encoded surrogate */
	{ S("{\"a\":\"\xf4\x90\x80\x80\"}"), RJ_PARSE_INVALID }, /* above U+10FFFF */
	{ S("{\"a\":\"\xf8\x88\x80\x80\x80\"}"), RJ_PARSE_INVALID },
	{ S("{\"a\":\"\xe2\x82\"}"), RJ_PARSE_INVALID },         /* truncated */
	{ S("{\"a\":\"\x80\"}"), RJ_PARSE_INVALID },             /* stray continuation */
	{ S("{\"a\":\"\xff\"}"), RJ_PARSE_INVALID },
	{ S("{\"\xc3\x28\":1}"), RJ_PARSE_INVALID },             /* in a key */
	{ S("{\"a\":1}\xc3\xa9"), RJ_PARSE_INVALID },            /* outside strings */

	{ S("[1]"), RJ_PARSE_NOT_OBJECT },
	{ S("[]"), RJ_PARSE_NOT_OBJECT },
	{ S("1"), RJ_PARSE_NOT_OBJECT },
	{ S("  -12.5e1  "), RJ_PARSE_NOT_OBJECT },
	{ S("\"s\""), RJ_PARSE_NOT_OBJECT },
	{ S("true"), RJ_PARSE_NOT_OBJECT },
	{ S("null"), RJ_PARSE_NOT_OBJECT },

	{ S("{\"email\":\"a\",\"Email\":\"b\"}"), RJ_PARSE_DUPLICATE },
	{ S("{\"EMAIL\":1,\"x\":2,\"email\":3}"), RJ_PARSE_DUPLICATE },
	/* Issue 16: json-c keeps the last of two equal names; refused instead. */
	{ S("{\"Email\":\"a\",\"Email\":\"b\"}"), RJ_PARSE_DUPLICATE },
	{ S("{\"a\":1,\"b\":{\"c\":1,\"d\":[1,{\"e\":2}]},\"a\":3}"), RJ_PARSE_DUPLICATE },
	{ S("{\"a:\":1,\"a\":2}"), RJ_PARSE_OK },            /* ':' inside a name */
	{ S("{\"a\":\"x:y\",\"b\":{\"a\":1,\"c\":[{\"a\":2}]}}"), RJ_PARSE_OK },
	{ S("{\"\\u0045mail\":\"a\",\"Email\":\"b\"}"), RJ_PARSE_DUPLICATE },   /* escaped */
};

static const struct {
	const char *num;
	const char *want;       /* NULL: refused */
} decimals[] = {
	{ "10", "10.00" },
	{ "10.5", "10.50" },
	{ "10.00", "10.00" },
	{ "0", "0.00" },
	{ "-0", "0.00" },
	{ "0.0", "0.00" },
	{ "-5", "-5.00" },
	{ "0.125", "0.13" },            /* half away from zero, from the text: the double is 0.125 exactly */
	{ "0.124", "0.12" },
	{ "-0.125", "-0.13" },
	{ "0.005", "0.01" },            /* the double 0.005 is below it: text, not binary */
	{ "1.005", "1.01" },
	{ "2.675", "2.68" },
	{ "0.0049999999", "0.00" },
	{ "-0.001", "0.00" },           /* never "-0.00" */
	{ "-0.005", "-0.01" },
	{ "0.995", "1.00" },
	{ "99.995", "100.00" },
	{ "1e2", "100.00" },
	{ "1E+2", "100.00" },
	{ "1.5e-1", "0.15" },
	{ "123.456e1", "1234.56" },
	{ "12345e-2", "123.45" },
	{ "12345e-4", "1.23" },
	{ "5e-3", "0.01" },
	{ "5e-4", "0.00" },
	{ "0e99999999", "0.00" },
	{ "0.000000000000000000001", "0.00" },
	{ "1e-400", "0.00" },
	{ "1e-99999999999999999999", "0.00" },
	{ "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001", "0.00" },
	{ "9999999999999999.99", "9999999999999999.99" },
	{ "9999999999999999.994", "9999999999999999.99" },
	{ "1e15", "1000000000000000.00" },
	{ "0000", NULL },
	{ "9999999999999999.995", NULL },  /* rounds to 10^16 */
	{ "10000000000000000", NULL },
	{ "1e16", NULL },
	{ "-1e16", NULL },
	{ "1e400", NULL },
	{ "1e99999999999999999999", NULL },
	{ "18446744073709551615", NULL },
	{ "99999999999999999999999", NULL },
	{ "", NULL },
	{ "-", NULL },
	{ "01", NULL },
	{ "1.", NULL },
	{ ".5", NULL },
	{ "+1", NULL },
	{ "1e", NULL },
	{ "1e+", NULL },
	{ "NaN", NULL },
	{ "Infinity", NULL },
	{ "1 ", NULL },
	{ " 1", NULL },
	{ "0x10", NULL },
	{ "1,5", NULL },
};

static const struct {
	const char *s;
	int want;
} emails[] = {
	{ "a@b", 1 },
	{ "user@example.com", 1 },
	{ "a b@c", 1 },                 /* ASP.NET's check is that loose */
	{ "@b", 0 },
	{ "a@", 0 },
	{ "@", 0 },
	{ "a@@b", 0 },
	{ "a@b@c", 0 },
	{ "ab", 0 },
	{ "", 0 },
	{ "a\n@b", 0 },
	{ "a@b\r", 0 },
};

static const struct {
	const char *s;
	size_t len;
	int valid;
	size_t chars;
} utf8s[] = {
	{ S(""), 1, 0 },
	{ S("hello"), 1, 5 },
	{ S("h\xc3\xa9llo"), 1, 5 },
	{ S("\xe2\x82\xac"), 1, 1 },
	{ S("\xf0\x9f\x98\x80"), 1, 1 },        /* one code point, two UTF-16 units */
	{ S("\xef\xbf\xbf\xf4\x8f\xbf\xbf"), 1, 2 },
	{ S("\xc3"), 0, 0 },
	{ S("\xc0\x80"), 0, 0 },
	{ S("\xed\xbf\xbf"), 0, 0 },
	{ S("\xf4\x90\x80\x80"), 0, 0 },
	{ S("\xfe"), 0, 0 },
};

static json_object *
parse_ok(const char *s)
{
	json_object *o = NULL;

	if (rj_parse(s, strlen(s), &o) != RJ_PARSE_OK)
		return NULL;
	return o;
}

/* Serialise e's errors as they would be sent; "" if none. */
static const char *
errors_text(const struct rj_errors *e)
{
	if (e->errors == NULL)
		return "";
	return json_object_to_json_string_ext(e->errors,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
test_getters(void)
{
	struct rj_errors errs;
	json_object *o, *v;
	const char *str;
	size_t len;
	int b;
	char dec[RJ_DECIMAL_MAX];
	double d;

	o = parse_ok("{\"Email\":\"a@b.c\",\"nUll\":null,\"num\":5,\"obj\":{},\"arr\":[],"
	    "\"t\":true,\"f\":false,\"sbool\":\"true\",\"price\":10.5,\"iprice\":-3,"
	    "\"sprice\":\"10\",\"big\":1e400,\"clamped\":18446744073709551615,"
	    "\"round\":0.125,\"tiny\":-0.001}");
	if (!ok(o != NULL, "getters: body parses"))
		return;
	rj_errors_init(&errs);

	ok(rj_get(o, "email", &v) == 1 && json_object_is_type(v, json_type_string), "rj_get \"email\" finds Email");
	ok(rj_get(o, "EMAIL", &v) == 1, "rj_get \"EMAIL\" finds Email");
	ok(rj_get(o, "Emai", &v) == 0 && v == NULL, "rj_get: no prefix match");
	ok(rj_get(o, "null", &v) == 1 && v == NULL, "rj_get: present and null");
	ok(rj_get(NULL, "a", &v) == 0, "rj_get on NULL");

	is_int(rj_string(o, "email", &str, &len, &errs), RJ_OK, "rj_string: string");
	is_mem(str, len, "a@b.c", 5, "rj_string: value and length");
	is_int(rj_string(o, "Missing", &str, &len, &errs), RJ_ABSENT, "rj_string: absent");
	ok(str == NULL && len == 0, "rj_string: absent gives NULL, 0");
	is_int(rj_string(o, "Null", &str, &len, &errs), RJ_NULL, "rj_string: null");
	is_int((long long)errs.count, 0, "absent and null record nothing");
	is_int(rj_string(o, "Num", &str, &len, &errs), RJ_WRONG_TYPE, "rj_string: number");
	is_int(rj_string(o, "Obj", &str, &len, &errs), RJ_WRONG_TYPE, "rj_string: object");
	is_int(rj_string(o, "Arr", &str, &len, &errs), RJ_WRONG_TYPE, "rj_string: array");
	is_int(rj_string(o, "T", &str, &len, &errs), RJ_WRONG_TYPE, "rj_string: bool");
	is_str(errors_text(&errs),
	    "{\"Num\":[\"The JSON value could not be converted to System.String.\"],"
	    "\"Obj\":[\"The JSON value could not be converted to System.String.\"],"
	    "\"Arr\":[\"The JSON value could not be converted to System.String.\"],"
	    "\"T\":[\"The JSON value could not be converted to System.String.\"]}",
	    "wrong types recorded under the caller's field names, in order");
	rj_errors_free(&errs);

	is_int(rj_bool(o, "t", &b, &errs), RJ_OK, "rj_bool: true");
	is_int(b, 1, "rj_bool: 1");
	is_int(rj_bool(o, "F", &b, &errs), RJ_OK, "rj_bool: false");
	is_int(b, 0, "rj_bool: 0");
	is_int(rj_bool(o, "none", &b, &errs), RJ_ABSENT, "rj_bool: absent");
	is_int(rj_bool(o, "sbool", &b, &errs), RJ_WRONG_TYPE, "rj_bool: \"true\" is a string");
	is_int(rj_bool(o, "num", &b, &errs), RJ_WRONG_TYPE, "rj_bool: number");
	is_int(rj_bool(o, "null", &b, &errs), RJ_WRONG_TYPE, "rj_bool: null (a .NET bool is not nullable)");
	is_str(errors_text(&errs),
	    "{\"sbool\":[\"The JSON value could not be converted to System.Boolean.\"],"
	    "\"num\":[\"The JSON value could not be converted to System.Boolean.\"],"
	    "\"null\":[\"The JSON value could not be converted to System.Boolean.\"]}",
	    "rj_bool errors");
	rj_errors_free(&errs);

	is_int(rj_decimal(o, "Price", dec, sizeof(dec), &d, &errs), RJ_OK, "rj_decimal: 10.5");
	is_str(dec, "10.50", "rj_decimal: text 10.50");
	ok(d == 10.5, "rj_decimal: double 10.5");
	is_int(rj_decimal(o, "iprice", dec, sizeof(dec), &d, &errs), RJ_OK, "rj_decimal: integer -3");
	ok(strcmp(dec, "-3.00") == 0 && d == -3.0, "rj_decimal: -3.00 and -3.0");
	is_int(rj_decimal(o, "round", dec, sizeof(dec), NULL, &errs), RJ_OK, "rj_decimal: 0.125");
	is_str(dec, "0.13", "rj_decimal: 0.125 rounds half away from zero");
	is_int(rj_decimal(o, "tiny", dec, sizeof(dec), &d, &errs), RJ_OK, "rj_decimal: -0.001");
	ok(strcmp(dec, "0.00") == 0 && d < 0, "rj_decimal: -0.001 stores 0.00 but the double is negative");
	is_int(rj_decimal(o, "none", dec, sizeof(dec), &d, &errs), RJ_ABSENT, "rj_decimal: absent");
	is_int((long long)errs.count, 0, "no errors so far");
	is_int(rj_decimal(o, "sprice", dec, sizeof(dec), &d, &errs), RJ_WRONG_TYPE, "rj_decimal: string");
	is_int(rj_decimal(o, "null", dec, sizeof(dec), &d, &errs), RJ_WRONG_TYPE, "rj_decimal: null");
	is_int(rj_decimal(o, "big", dec, sizeof(dec), &d, &errs), RJ_WRONG_TYPE, "rj_decimal: 1e400");
	is_int(rj_decimal(o, "clamped", dec, sizeof(dec), &d, &errs), RJ_WRONG_TYPE,
	    "rj_decimal: an integer json-c clamped");
	is_int(rj_decimal(o, "t", dec, sizeof(dec), &d, &errs), RJ_WRONG_TYPE, "rj_decimal: bool");
	is_str(dec, "", "rj_decimal: out is empty on failure");
	is_int(rj_decimal(o, "price", dec, 5, &d, NULL), RJ_WRONG_TYPE, "rj_decimal: out too small");
	is_int((long long)errs.count, 5, "five decimal errors (none without errs)");
	ok(rj_errors_has(&errs, "sprice") && !rj_errors_has(&errs, "price"), "rj_errors_has");
	rj_errors_free(&errs);
	ok(!rj_errors_has(&errs, "sprice") && errs.count == 0, "rj_errors_free empties the set");
	json_object_put(o);

	/* Strings with NUL built by hand (a parsed body cannot hold one). */
	o = json_object_new_object();
	json_object_object_add(o, "Name", json_object_new_string_len("a\0b", 3));
	json_object_object_add(o, "name2", json_object_new_string_len("", 0));
	is_int(rj_string(o, "name", &str, &len, &errs), RJ_WRONG_TYPE, "rj_string: embedded NUL refused");
	is_int(rj_string(o, "NAME2", &str, &len, &errs), RJ_OK, "rj_string: empty string");
	ok(str != NULL && len == 0, "rj_string: empty string is \"\", 0");
	json_object_object_add(o, "NAME", json_object_new_string("last"));
	is_int(rj_string(o, "name", &str, &len, NULL), RJ_OK, "outside a parsed body, the last match wins");
	is_str(str, "last", "the last match");
	rj_errors_free(&errs);
	json_object_put(o);

	/* Exact duplicates: json-c would keep the last value; refused (issue 16). */
	o = NULL;
	is_int(rj_parse("{\"Email\":\"first\",\"Email\":\"second\"}",
	    strlen("{\"Email\":\"first\",\"Email\":\"second\"}"), &o), RJ_PARSE_DUPLICATE,
	    "exact duplicate refused");
	ok(o == NULL, "exact duplicate: no object");
}

static void
test_errors_send(void)
{
	struct http_req req;
	struct rj_errors errs;
	const char *resp;
	size_t len;
	static const char want[] =
	    "Status: 400 Bad Request\r\n"
	    "Content-Type: application/problem+json; charset=utf-8\r\n\r\n"
	    "{\"type\":\"https://tools.ietf.org/html/rfc9110#section-15.5.1\","
	    "\"title\":\"One or more validation errors occurred.\",\"status\":400,"
	    "\"errors\":{\"Firstname\":[\"First name is required.\"],"
	    "\"Password\":[\"Password is required.\",\"Password must be at least 6 characters long.\"],"
	    "\"Email\":[\"Invalid email address.\"]}}";

	if (http_req_init(&req, NULL, -1) != 0)
		return;
	rj_errors_init(&errs);
	is_int(rj_errors_send(&req, &errs), 0, "no errors: nothing sent");
	is_int(http_status(&req), 0, "no errors: no answer");
	rj_error(&errs, "Firstname", "First name is required.");
	rj_error(&errs, "Password", "Password is required.");
	rj_error(&errs, "Email", "Invalid email address.");
	rj_error(&errs, "Password", "Password must be at least 6 characters long.");
	is_int((long long)errs.count, 4, "four messages");
	is_int(rj_errors_send(&req, &errs), 1, "errors: sent");
	resp = http_response(&req, &len);
	if (!is_mem(resp, len, want, sizeof(want) - 1, "the SPEC §2 validation answer, fields in order"))
		diag("got: %.*s", (int)len, resp != NULL ? resp : "");
	ok(errs.errors == NULL && errs.count == 0, "the set is empty after sending");
	rj_errors_free(&errs);
	http_req_free(&req);

	if (http_req_init(&req, NULL, -1) != 0)
		return;
	rj_errors_init(&errs);
	rj_error(&errs, "X", "y");
	errs.failed = 1;        /* as after running out of memory */
	is_int(rj_errors_send(&req, &errs), 1, "failed set: answered");
	is_int(http_status(&req), 500, "failed set: 500");
	rj_errors_free(&errs);
	http_req_free(&req);
}

static void
check_body(const char *name, const char *body, size_t len, int want_rc, const char *want)
{
	struct http_req req;
	json_object *o = NULL;
	const char *resp;
	size_t rlen;

	if (http_req_init(&req, NULL, -1) != 0)
		return;
	req.body = body;
	req.body_len = len;
	is_int(rj_body(&req, &o), want_rc, "rj_body %s: rc", name);
	resp = http_response(&req, &rlen);
	if (want == NULL)
		ok(resp == NULL && o != NULL, "rj_body %s: no answer, object given", name);
	else if (!is_mem(resp, rlen, want, strlen(want), "rj_body %s: answer", name))
		diag("got: %.*s", (int)rlen, resp != NULL ? resp : "");
	json_object_put(o);
	http_req_free(&req);
}

int
main(void)
{
	char *deep;
	size_t n;
	char dec[RJ_DECIMAL_MAX];
	json_object *o;

	log_init("t-reqjson", LOG_LVL_ERROR);

	for (size_t i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		json_object *p = (json_object *)&n;     /* must be overwritten */
		enum rj_parse_rc rc = rj_parse(parses[i].s, parses[i].len, &p);

		ok(rc == parses[i].rc && (rc == RJ_PARSE_OK) == (p != NULL),
		    "rj_parse %s -> %d", vis(parses[i].s, parses[i].len), parses[i].rc);
		if (rc != parses[i].rc)
			diag("got %d", rc);
		json_object_put(rc == RJ_PARSE_OK ? p : NULL);
	}

	/* 10000 levels of nesting, in an object and bare. */
	n = 10000;
	if ((deep = malloc(2 * n + 16)) != NULL) {
		size_t k = 0;

		memcpy(deep, "{\"a\":", 5);
		k = 5;
		memset(deep + k, '[', n);
		k += n;
		memset(deep + k, ']', n);
		k += n;
		deep[k++] = '}';
		is_int(rj_parse(deep, k, &o), RJ_PARSE_INVALID, "10000 nested arrays: invalid (depth)");
		for (size_t i = 0; i < n; i++)
			memcpy(deep + 2 * i, "{[", 2);
		is_int(rj_parse(deep, 2 * n, &o), RJ_PARSE_INVALID, "10000 unclosed levels: invalid");
		free(deep);
	}
	/* The depth limit itself: 32 levels parse, 33 do not. */
	{
		char buf[128];
		size_t k = 0;

		memcpy(buf, "{\"a\":", 5);
		k = 5;
		memset(buf + k, '[', 31);
		k += 31;
		memset(buf + k, ']', 31);
		k += 31;
		buf[k++] = '}';
		ok(rj_parse(buf, k, &o) == RJ_PARSE_OK, "depth 32 (object and 31 arrays) parses");
		json_object_put(o);
		k = 5;
		memset(buf + k, '[', 32);
		k += 32;
		memset(buf + k, ']', 32);
		k += 32;
		buf[k++] = '}';
		is_int(rj_parse(buf, k, &o), RJ_PARSE_INVALID, "depth 33 is refused");
	}

	is_str(rj_parse_strerror(RJ_PARSE_INVALID), "The request body is not valid JSON.", "message: invalid");
	is_str(rj_parse_strerror(RJ_PARSE_NOT_OBJECT), "The request body must be a JSON object.",
	    "message: not an object");
	is_str(rj_parse_strerror(RJ_PARSE_DUPLICATE), "The request body has the same property name twice.",
	    "message: duplicate");
	is_str(rj_parse_strerror(RJ_PARSE_ERROR), "Internal server error.", "message: error");

	check_body("valid", S("{\"a\":1}"), 0, NULL);
	check_body("empty", S(""), -1,
	    "Status: 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
	    "{\"message\":\"The request body is not valid JSON.\"}");
	check_body("trailing garbage", S("{\"a\":1}x"), -1,
	    "Status: 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
	    "{\"message\":\"The request body is not valid JSON.\"}");
	check_body("array", S("[]"), -1,
	    "Status: 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
	    "{\"message\":\"The request body must be a JSON object.\"}");
	check_body("case duplicate", S("{\"a\":1,\"A\":2}"), -1,
	    "Status: 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
	    "{\"message\":\"The request body has the same property name twice.\"}");
	{
		struct http_req req;

		if (http_req_init(&req, NULL, -1) == 0) {
			o = NULL;
			is_int(rj_body(&req, &o), -1, "rj_body without a body (route without HTTP_BODY_JSON)");
			is_int(http_status(&req), 400, "rj_body without a body: 400");
			http_req_free(&req);
		}
	}

	for (size_t i = 0; i < sizeof(decimals) / sizeof(decimals[0]); i++) {
		int rc = rj_decimal_text(decimals[i].num, strlen(decimals[i].num), dec, sizeof(dec));

		if (decimals[i].want != NULL) {
			if (!ok(rc == 0 && strcmp(dec, decimals[i].want) == 0, "decimal %s -> %s",
			    decimals[i].num, decimals[i].want))
				diag("rc %d, got \"%s\"", rc, dec);
		} else
			ok(rc == -1 && dec[0] == '\0', "decimal \"%s\" refused", decimals[i].num);
	}
	ok(rj_decimal_text("10", 2, dec, 5) == -1, "decimal: buffer of 5 too small for 10.00");
	ok(rj_decimal_text("10", 2, dec, 6) == 0 && strcmp(dec, "10.00") == 0, "decimal: buffer of 6 fits");
	ok(rj_decimal_text("-9999999999999999.99", 20, dec, sizeof(dec)) == 0 &&
	    strcmp(dec, "-9999999999999999.99") == 0, "decimal: the longest value fits RJ_DECIMAL_MAX");
	ok(rj_decimal_text("123", 2, dec, sizeof(dec)) == 0 && strcmp(dec, "12.00") == 0,
	    "decimal: reads only len bytes");

	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++)
		is_int(rj_email_valid(emails[i].s, strlen(emails[i].s)), emails[i].want,
		    "email \"%s\"", vis(emails[i].s, strlen(emails[i].s)));
	is_int(rj_email_valid("a@b\0c", 5), 0, "email with NUL inside");

	for (size_t i = 0; i < sizeof(utf8s) / sizeof(utf8s[0]); i++) {
		is_int(rj_utf8_valid(utf8s[i].s, utf8s[i].len), utf8s[i].valid, "utf8 valid %s",
		    vis(utf8s[i].s, utf8s[i].len));
		if (utf8s[i].valid)
			is_int((long long)rj_utf8_len(utf8s[i].s, utf8s[i].len), (long long)utf8s[i].chars,
			    "utf8 length %s", vis(utf8s[i].s, utf8s[i].len));
	}
	{
		char fifty[101];

		for (int i = 0; i < 50; i++)
			memcpy(fifty + 2 * i, "\xc3\xa9", 2);
		is_int((long long)rj_utf8_len(fifty, 100), 50, "50 x e-acute: 100 bytes, 50 characters");
	}

	test_getters();
	test_errors_send();
	return done_testing();
}
