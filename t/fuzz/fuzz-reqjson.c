/*
 * fuzz-reqjson.c: request bodies (lib/reqjson.c) and the account rules
 * (lib/account.c), through the path the programs take (lib/api.c).
 *
 * The input is a request body. rj_parse must refuse it or return an
 * object; on an object, every getter the programs use runs on every field
 * name they read, then api_account_input for Register, Login and
 * UpdateProfile, and the recorded errors are answered as the 400 problem,
 * whose bytes must be valid JSON. The input is also given whole to the
 * pure helpers (rj_decimal_text, rj_utf8_*, rj_blank, rj_email_valid),
 * each with a property of its own.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "account.h"
#include "api.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"
#include "reqjson.h"

/* Every string field a program reads (SPEC §3, §5). */
static const char *const string_fields[] = {
	"Firstname", "Lastname", "Email", "Password", "ClientId",
	"RefreshToken", "Name", "Description",
};

/* The answer req got must be a 400 problem (or a 500) whose body is one JSON object. */
static void
check_answer(struct http_req *req)
{
	const char *resp, *body;
	size_t len;
	json_tokener *tok;
	json_object *obj;

	FUZZ_CHECK((resp = http_response(req, &len)) != NULL);
	FUZZ_CHECK(http_status(req) == 400 || http_status(req) == 500);
	FUZZ_CHECK((body = strstr(resp, "\r\n\r\n")) != NULL);
	body += 4;
	FUZZ_CHECK((tok = json_tokener_new()) != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)(len - (size_t)(body - resp)));
	FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object));
	FUZZ_CHECK(json_tokener_get_parse_end(tok) == len - (size_t)(body - resp));
	json_object_put(obj);
	json_tokener_free(tok);
}

/* "-"? 1*16DIGIT "." 2DIGIT, and never "-0.00". */
static void
check_decimal(const char *out)
{
	const char *p = out;
	size_t n;

	if (*p == '-')
		p++;
	n = strspn(p, "0123456789");
	FUZZ_CHECK(n >= 1 && n <= RJ_DECIMAL_INT_DIGITS);
	FUZZ_CHECK(n == 1 || p[0] != '0');
	FUZZ_CHECK(p[n] == '.' && strspn(p + n + 1, "0123456789") == 2 && p[n + 3] == '\0');
	FUZZ_CHECK(strcmp(out, "-0.00") != 0);
}

static void
fields(json_object *body, struct http_req *req)
{
	struct rj_errors errs;
	struct account_input in;
	const char *s;
	size_t len;
	char dec[RJ_DECIMAL_MAX];
	double val;
	int b, n;

	rj_errors_init(&errs);
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		switch (rj_string(body, string_fields[i], &s, &len, &errs)) {
		case RJ_OK:
			/* No NUL inside, and the lexical pass let only UTF-8 through. */
			FUZZ_CHECK(s != NULL && strlen(s) == len);
			FUZZ_CHECK(rj_utf8_valid(s, len));
			break;
		case RJ_WRONG_TYPE:
			FUZZ_CHECK(rj_errors_has(&errs, string_fields[i]));
			/* FALLTHROUGH */
		default:
			FUZZ_CHECK(s == NULL && len == 0);
			break;
		}
	}
	if (rj_bool(body, "IsLogoutFromAllDevices", &b, &errs) == RJ_OK)
		FUZZ_CHECK(b == 0 || b == 1);
	if (rj_decimal(body, "Price", dec, sizeof(dec), &val, &errs) == RJ_OK)
		check_decimal(dec);
	else
		FUZZ_CHECK(dec[0] == '\0');
	(void)api_required_string(body, "ClientId", "ClientId is required.", &s, &len, &errs);
	rj_errors_free(&errs);

	/* As the programs do, each into its own error set and answer. */
	for (int which = ACCOUNT_CHECK_REGISTER; which <= ACCOUNT_CHECK_UPDATE; which++) {
		rj_errors_init(&errs);
		n = api_account_input(body, (enum account_check)which, &in, &errs);
		FUZZ_CHECK(n >= 0 && (unsigned int)n == errs.count);
		if (which == ACCOUNT_CHECK_REGISTER && n == 0) {
			/* Valid for Register: then valid for Login and Update too. */
			FUZZ_CHECK(in.email.p != NULL && rj_email_valid(in.email.p, in.email.len));
			FUZZ_CHECK(rj_utf8_len(in.password.p, in.password.len) >= 6);
		}
		if (rj_errors_send(req, &errs)) {
			FUZZ_CHECK(n > 0 || errs.failed);
			check_answer(req);
			http_req_free(req);
			FUZZ_CHECK(http_req_init(req, NULL, -1) == 0);
		} else {
			FUZZ_CHECK(n == 0);
		}
		rj_errors_free(&errs);
	}
}

/*
 * An independent reference for rj_decimal_text, by plain string
 * arithmetic: write the number out in full, then round half away from
 * zero at the third decimal. Return 1 with ref set, 0 if s is not an
 * RFC 8259 number or is out of range, -1 if too long to write out (no
 * verdict).
 */
static int
ref_decimal(const char *s, size_t len, char *ref, size_t refsz)
{
	char digits[512], h[1024], d3[3], *p;
	size_t i = 0, nd = 0, ilen, hl = 0, n;
	long e = 0, point;
	int neg = 0, eneg = 0, nonzero = 0, carry;

	if (i < len && s[i] == '-')
		neg = 1, i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return 0;
	if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return 0;               /* no leading zeros (RFC 8259 §6) */
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (nd == sizeof(digits))
			return -1;
		digits[nd++] = s[i];
	}
	ilen = nd;
	if (i < len && s[i] == '.') {
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (nd == sizeof(digits))
				return -1;
			digits[nd++] = s[i];
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len || s[i] < '0' || s[i] > '9')
			return 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((e = e * 10 + (s[i] - '0')) > 100000)
				e = 100000;
	}
	if (i != len)
		return 0;
	for (i = 0; i < nd; i++)
		nonzero |= digits[i] != '0';
	if (len > 4096)
		return 0;               /* rj_decimal_text's documented limit */
	if (!nonzero) {
		snprintf(ref, refsz, "0.00");
		return 1;
	}
	if (e > 300)
		return -1;
	point = (long)ilen + (eneg ? -e : e);
	if (point < -300 || point > 300)
		return -1;
	/*
	 * h = the value in hundredths, written out: a leading '0' (room for
	 * a carry), the integer digits, then the first two decimals.
	 */
	h[hl++] = '0';
	for (long k = 0; k < point; k++)
		h[hl++] = (size_t)k < nd ? digits[k] : '0';
	for (long k = 0; k < 3; k++) {
		long at = point + k;    /* index into digits of decimal k + 1 */

		d3[k] = at >= 0 && at < (long)nd ? digits[at] : '0';
	}
	h[hl++] = d3[0];
	h[hl++] = d3[1];
	/* Half away from zero: the third decimal decides alone. */
	carry = d3[2] >= '5';
	for (size_t k = hl; carry && k-- > 0; ) {
		carry = h[k] == '9';
		h[k] = carry ? '0' : (char)(h[k] + 1);
	}
	p = h;
	n = hl;
	while (n > 3 && *p == '0')
		p++, n--;
	if (n - 2 > RJ_DECIMAL_INT_DIGITS)
		return 0;
	nonzero = 0;
	for (size_t k = 0; k < n; k++)
		nonzero |= p[k] != '0';
	snprintf(ref, refsz, "%s%.*s.%.2s", neg && nonzero ? "-" : "", (int)(n - 2), p,
	    p + n - 2);
	return 1;
}

/* The pure helpers on the raw bytes. */
static void
helpers(const char *s, size_t size)
{
	char dec[RJ_DECIMAL_MAX], small[5], ref[64];
	size_t chars;
	int r = ref_decimal(s, size, ref, sizeof(ref));

	if (r >= 0) {
		if (r == 1) {
			FUZZ_CHECK(rj_decimal_text(s, size, dec, sizeof(dec)) == 0);
			FUZZ_CHECK(strcmp(dec, ref) == 0);
		} else {
			FUZZ_CHECK(rj_decimal_text(s, size, dec, sizeof(dec)) != 0);
		}
	}
	if (rj_decimal_text(s, size, dec, sizeof(dec)) == 0) {
		check_decimal(dec);
		/* A buffer too small fails cleanly, never cut short. */
		if (rj_decimal_text(s, size, small, sizeof(small)) == 0)
			FUZZ_CHECK(strcmp(small, dec) == 0);
		else
			FUZZ_CHECK(strlen(dec) >= sizeof(small) && small[0] == '\0');
	}
	chars = rj_utf8_len(s, size);
	FUZZ_CHECK(chars <= size);
	if (rj_utf8_valid(s, size)) {
		/* Each character is 1 to 4 bytes. */
		FUZZ_CHECK(size <= 4 * chars);
	} else {
		FUZZ_CHECK(size > 0 && !rj_blank(s, size));
	}
	if (rj_email_valid(s, size))
		FUZZ_CHECK(memchr(s, '@', size) != NULL && s[0] != '@' && s[size - 1] != '@');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct http_req req;
	json_object *body = (json_object *)1;
	enum rj_parse_rc rc;

	if (!ready) {
		log_init("fuzz-reqjson", LOG_LVL_ERROR);
		ready = 1;
	}
	helpers((const char *)data, size);

	rc = rj_parse((const char *)data, size, &body);
	FUZZ_CHECK(rj_parse_strerror(rc) != NULL);
	if (rc != RJ_PARSE_OK) {
		FUZZ_CHECK(body == NULL);
		FUZZ_CHECK(rc == RJ_PARSE_INVALID || rc == RJ_PARSE_NOT_OBJECT ||
		    rc == RJ_PARSE_DUPLICATE);
		return 0;
	}
	FUZZ_CHECK(json_object_is_type(body, json_type_object));
	/* Nothing but RFC 8259 text gets here, and that is UTF-8 (§8.1). */
	FUZZ_CHECK(rj_utf8_valid((const char *)data, size));
	FUZZ_CHECK(http_req_init(&req, NULL, -1) == 0);
	fields(body, &req);
	http_req_free(&req);
	json_object_put(body);
	return 0;
}
