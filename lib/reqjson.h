/*
 * reqjson.h: JSON request bodies (SPEC §2): strict parsing, case-insensitive
 * field lookup, typed getters that record validation errors, and the
 * validation-problem accumulator.
 *
 * A handler reads a body like this:
 *
 *	json_object *body;
 *	struct rj_errors errs;
 *	const char *email;
 *	size_t elen;
 *
 *	if (rj_body(req, &body) != 0)
 *		return;                         (400 or 500 answered)
 *	rj_errors_init(&errs);
 *	if (rj_string(body, "Email", &email, &elen, &errs) != RJ_OK)
 *		rj_error(&errs, "Email", "Email is required.");
 *	...
 *	if (rj_errors_send(req, &errs))
 *		goto done;                      (400 problem answered)
 *
 * Parsing (rj_parse) is stricter than json-c alone, which accepts more
 * than RFC 8259. Before json-c sees the body, a lexical pass refuses:
 * invalid UTF-8 (RFC 8259 §8.1; overlong forms, surrogates, > U+10FFFF),
 * control bytes inside strings (§7), escapes other than \" \\ \/ \b \f
 * \n \r \t \uXXXX, the escape \u0000 (json-c keeps it inside values and
 * silently cuts keys at it), and any token that is not JSON: single-quoted
 * strings, NaN, Infinity, comments, numbers such as "1." or "01". json-c
 * then parses in strict mode with a depth limit of RJ_MAX_DEPTH, the whole
 * input must be consumed (trailing whitespace allowed), and the top level
 * must be an object. Numbers too large for a double (1e400) are valid JSON
 * and are kept; the typed getters judge them.
 *
 * Duplicate names: json-c keeps the last value of a name repeated exactly,
 * as System.Text.Json does. Two top-level names equal except for case
 * ("email" and "Email") are refused as RJ_PARSE_DUPLICATE, since which one
 * the client meant cannot be known and field lookup ignores case.
 *
 * Getters look a name up ASCII-case-insensitively among the members of an
 * object (for the top level of a parsed body the match is unique; in other
 * objects the last matching member in json-c's order wins). A value of the
 * wrong type records, under the field's name as given by the caller, the
 * message ASP.NET Core's System.Text.Json binder writes ("The JSON value
 * could not be converted to System.String.") and returns RJ_WRONG_TYPE:
 * SPEC §2's 400 for a field of the wrong type, with the other fields'
 * errors listed alongside.
 */
#ifndef JWTAUTH_REQJSON_H
#define JWTAUTH_REQJSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "http.h"

#define RJ_MAX_DEPTH 32

/* Messages of the 400 {"message":...} answers of rj_body. */
#define RJ_MSG_INVALID "The request body is not valid JSON."
#define RJ_MSG_NOT_OBJECT "The request body must be a JSON object."
#define RJ_MSG_DUPLICATE "The request body has the same property name twice."

/* Messages recorded by the getters for a value of the wrong type. */
#define RJ_MSG_STRING "The JSON value could not be converted to System.String."
#define RJ_MSG_BOOL "The JSON value could not be converted to System.Boolean."
#define RJ_MSG_DECIMAL "The JSON value could not be converted to System.Decimal."

/* DECIMAL(18,2) (SPEC §5 Price): 16 integer digits, 2 decimals. */
#define RJ_DECIMAL_INT_DIGITS 16
#define RJ_DECIMAL_SCALE 2
#define RJ_DECIMAL_MAX 24               /* "-9999999999999999.99" and NUL, with room */

enum rj_parse_rc {
	RJ_PARSE_OK = 0,
	RJ_PARSE_INVALID,               /* not JSON by the rules above */
	RJ_PARSE_NOT_OBJECT,            /* valid JSON, but the top level is not an object */
	RJ_PARSE_DUPLICATE,             /* two top-level names equal but for case */
	RJ_PARSE_ERROR = -1             /* out of memory (json-c 0.16 reports its own as RJ_PARSE_INVALID) */
};

/*
 * Parse len bytes of buf. On RJ_PARSE_OK *out is the object (caller calls
 * json_object_put); otherwise *out is NULL.
 */
enum rj_parse_rc rj_parse(const char *buf, size_t len, json_object **out)
	__attribute__((warn_unused_result));

/* The 400 message for rc (RJ_MSG_*), or HTTP_MSG_INTERNAL for RJ_PARSE_ERROR. */
const char *rj_parse_strerror(enum rj_parse_rc rc);

/*
 * Put a parsed request body (NULL is fine) after wiping its string values:
 * bodies hold passwords and refresh tokens (issue 16).
 */
void rj_free(json_object *body);

/*
 * rj_parse on req->body (a route with HTTP_BODY_JSON; an empty or absent
 * body is invalid). Return 0 with *out set, or -1 after answering 400
 * {"message":rj_parse_strerror(rc)} (500 when out of memory).
 */
int rj_body(struct http_req *req, json_object **out)
	__attribute__((warn_unused_result));

/* 1 if s holds valid UTF-8 (RFC 3629 §4), else 0. */
int rj_utf8_valid(const char *s, size_t len);

/*
 * Length in characters (Unicode code points) of valid UTF-8, as MariaDB's
 * utf8mb4 VARCHAR(n) counts: the "at most 50 characters" rules of SPEC §3.
 */
size_t rj_utf8_len(const char *s, size_t len);

/*
 * ASP.NET Core's [EmailAddress]: exactly one '@', neither first nor last,
 * and no CR or LF. Return 1 if valid, else 0.
 */
int rj_email_valid(const char *s, size_t len);

/*
 * 1 if valid UTF-8 s is empty or only white space as .NET's
 * string.IsNullOrWhiteSpace sees it (the test behind ASP.NET's [Required]):
 * U+0009..000D, U+0020, U+0085, U+00A0, U+1680, U+2000..200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000. Else 0.
 */
int rj_blank(const char *s, size_t len);

/*
 * Find the member of obj named name, ignoring ASCII case (see above).
 * Return 1 with *val set if present (*val is NULL for a JSON null, which
 * json-c represents as NULL), 0 if absent or obj is not an object.
 */
int rj_get(json_object *obj, const char *name, json_object **val);

/*
 * The validation errors of SPEC §2: field -> messages, in the order added.
 * rj_error never fails: running out of memory marks the set, and
 * rj_errors_send then answers 500.
 */
struct rj_errors {
	json_object *errors;            /* NULL until the first error */
	unsigned int count;
	int failed;
};

void rj_errors_init(struct rj_errors *e);
void rj_error(struct rj_errors *e, const char *field, const char *msg);
/* 1 if an error was recorded for field, else 0. */
int rj_errors_has(const struct rj_errors *e, const char *field);
/*
 * If errors were recorded, answer 400 with the problem body (http_problem)
 * and return 1; if memory ran out, answer 500 and return 1; else return 0.
 * The set is empty afterwards.
 */
int rj_errors_send(struct http_req *req, struct rj_errors *e)
	__attribute__((warn_unused_result));
void rj_errors_free(struct rj_errors *e);

enum rj_rc {
	RJ_OK = 0,                      /* present with the expected type */
	RJ_ABSENT,                      /* no such member */
	RJ_NULL,                        /* null, for a type that allows it (string) */
	RJ_WRONG_TYPE                   /* anything else: an error was recorded in errs */
};

/*
 * String member: *str (borrowed from obj) and *len in bytes. Embedded NUL
 * is RJ_WRONG_TYPE. errs may be NULL (nothing recorded).
 */
enum rj_rc rj_string(json_object *obj, const char *name, const char **str,
    size_t *len, struct rj_errors *errs);

/* Boolean member (true/false only; null is RJ_WRONG_TYPE, as for a .NET bool). */
enum rj_rc rj_bool(json_object *obj, const char *name, int *val, struct rj_errors *errs);

/*
 * Number member for a DECIMAL(18,2) column: out (outsz >= RJ_DECIMAL_MAX)
 * gets the exact value rounded half away from zero to 2 decimals, as
 * MariaDB itself rounds on insert ("10.00", "-0.13", never "-0.00"), made
 * from the number's JSON text, not from a double; *val (may be NULL) gets
 * the double json-c read, for range rules such as Price >= 0. A string,
 * null, or a value with more than 16 integer digits after rounding is
 * RJ_WRONG_TYPE.
 */
enum rj_rc rj_decimal(json_object *obj, const char *name, char *out, size_t outsz,
    double *val, struct rj_errors *errs);

/*
 * The conversion of rj_decimal on a JSON number text of len bytes
 * (RFC 8259 §6 grammar). Return 0, or -1 if the text is not a JSON number,
 * is out of range, or out is too small.
 */
int rj_decimal_text(const char *num, size_t len, char *out, size_t outsz)
	__attribute__((warn_unused_result));

#endif
