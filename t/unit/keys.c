/*
 * t/unit/keys.c: the signing-key store (lib/keys.c) against a real MariaDB.
 *
 * Run by t/keys.t, which starts a throw-away MariaDB with t/lib/stack.sh,
 * writes a master key into $KEYS_TEST_DIR and names it in the config
 * ($JWTAUTH_CONFIG). The database starts without any signing key.
 *
 * Each behaviour is seen from outside, as the programs see it: tokens
 * signed with keys_active and checked with jwt_verify through
 * keys_jwt_lookup, the JWKS document, and the rows in SigningKeys.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "b64url.h"
#include "cfg.h"
#include "db.h"
#include "jwk.h"
#include "jwt.h"
#include "keys.h"
#include "log.h"
#include "../tap.h"

#define AUD "https://client1.com"

static struct cfg base;
static struct db *db;
static char dir[512];

/* A copy of the config with other cache and master-key settings. */
static struct cfg
conf(unsigned int refresh, const char *master)
{
	struct cfg c = base;

	c.key_cache_refresh = refresh;
	if (master != NULL)
		snprintf(c.master_key_file, sizeof(c.master_key_file), "%s", master);
	return c;
}

static struct keys *
open_keys(unsigned int refresh, const char *master)
{
	struct cfg c = conf(refresh, master);
	struct keys *k = NULL;

	if (keys_open(&k, &c) != 0) {
		printf("Bail out! keys_open failed\n");
		exit(1);
	}
	return k;
}

static void
path_in_dir(char *out, size_t cap, const char *name)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap) {
		printf("Bail out! path too long\n");
		exit(1);
	}
}

static void
sql(const char *text, const struct db_param *p, size_t np)
{
	if (db_exec(db, text, p, np, NULL, NULL) != DB_OK) {
		printf("Bail out! SQL failed: %s\n", text);
		exit(1);
	}
}

static long long
sql_int(const char *text, const struct db_param *p, size_t np)
{
	long long v = -1;
	struct db_col c[] = { DB_OUT_INT(&v) };

	if (db_query(db, text, p, np, c, 1, NULL, NULL, NULL) != DB_OK) {
		printf("Bail out! SQL failed: %s\n", text);
		exit(1);
	}
	return v;
}

static int
aud_ok(void *arg, const char *aud)
{
	return strcmp(aud, AUD) == 0;
}

/* A token as the programs mint it, signed by k's active key. */
static char *
sign_with(struct keys *k, const char **kid_out)
{
	EVP_PKEY *priv;
	const char *kid;
	json_object *c;
	char *tok;
	long long now = (long long)time(NULL);

	if (keys_active(k, db, &priv, &kid) != KEYS_OK)
		return NULL;
	if (kid_out != NULL)
		*kid_out = kid;
	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(base.issuer));
	json_object_object_add(c, "aud", json_object_new_string(AUD));
	json_object_object_add(c, "sub", json_object_new_string("1"));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "nbf", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + 3600));
	tok = jwt_sign(priv, kid, c);
	json_object_put(c);
	return tok;
}

static enum jwt_rc
verify_with(struct keys *k, const char *tok)
{
	struct keys_lookup_arg ka = { .keys = k, .db = db };
	struct jwt_verify_opts o = {
		.issuer = base.issuer,
		.now = (long long)time(NULL),
		.skew = base.clock_skew,
		.key_lookup = keys_jwt_lookup,
		.key_arg = &ka,
		.aud_check = aud_ok,
	};
	enum jwt_rc rc;

	if (tok == NULL)
		return JWT_ERROR;
	rc = jwt_verify(tok, strlen(tok), &o, NULL);
	return rc;
}

/* The kids of a JWKS document, comma-separated, in order; "" if none. */
static void
jwks_kids(struct keys *k, char *out, size_t cap)
{
	json_object *doc, *arr, *kid;

	out[0] = '\0';
	if ((doc = keys_jwks(k, db)) == NULL) {
		snprintf(out, cap, "(null)");
		return;
	}
	if (!json_object_object_get_ex(doc, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		snprintf(out, cap, "(bad)");
		json_object_put(doc);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "kid", &kid))
			continue;
		if (i > 0)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, json_object_get_string(kid), cap - strlen(out) - 1);
	}
	json_object_put(doc);
}

/* 1 if needle occurs in hay (memmem is a GNU extension). */
static int
contains(const unsigned char *hay, size_t hlen, const unsigned char *needle, size_t nlen)
{
	for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

static void
file_put(const char *path, const char *text, mode_t mode)
{
	int fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) != 0 || close(fd) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void
file_read(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(out, 1, cap - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

static void
test_master_create(void)
{
	char path[600], before[128], after[128];
	struct stat st;
	mode_t old;

	path_in_dir(path, sizeof(path), "created.key");
	(void)unlink(path);
	/* The mode must not depend on the caller's umask. */
	old = umask(0);
	is_int(keys_master_create(path), 0, "keys_master_create creates a new file");
	umask(old);
	memset(&st, 0, sizeof(st));
	ok(stat(path, &st) == 0, "stat it");
	is_int((long long)(st.st_mode & 07777), 0600, "it has mode 0600 whatever the umask");
	ok(S_ISREG(st.st_mode), "a regular file");
	file_read(path, before, sizeof(before));
	is_int((long long)strlen(before), 45, "it holds 44 base64 characters and a newline");
	ok(before[44] == '\n', "ending in a newline");
	is_int(keys_master_create(path), 1, "an existing file is reported, not replaced");
	file_read(path, after, sizeof(after));
	is_str(after, before, "and its content is untouched");
	path_in_dir(path, sizeof(path), "no/such/dir.key");
	is_int(keys_master_create(path), -1, "a path in a missing folder fails");
	sodium_memzero(before, sizeof(before));
	sodium_memzero(after, sizeof(after));
}

/* Keys that cannot be used for signing: every way the master key file can be wrong. */
static void
test_master_refused(const char *what, const char *path)
{
	struct keys *k = open_keys(1, path);
	EVP_PKEY *priv = (EVP_PKEY *)1;
	const char *kid = "x";
	char newkid[JWK_KID_LEN + 1];

	is_int(keys_master_check(k), -1, "%s: keys_master_check refuses it", what);
	is_int(keys_active(k, db, &priv, &kid), KEYS_UNAVAILABLE, "%s: keys_active is unavailable", what);
	ok(priv == NULL && kid == NULL, "%s: and gives no key", what);
	is_int(keys_generate(k, db, 0, newkid), KEYS_UNAVAILABLE, "%s: keys_generate refuses", what);
	keys_close(k);
}

/*
 * Two processes (as two cron jobs on two hosts) run keys_rotate_if_older
 * on the same old key at the same moment: both pass the cheap check, both
 * generate a key, and the check inside the transaction lets one rotate.
 */
static void
race_rotate_if_older(void)
{
	char kid[JWK_KID_LEN + 1];
	struct keys *k;
	struct db *cdb;
	long long before;
	int fds[2], status = 0, rotated = 0;
	char go;
	pid_t pid;

	sql("UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 2 DAY"
	    " WHERE IsActive = 1", NULL, 0);
	before = sql_int("SELECT COUNT(*) FROM SigningKeys", NULL, 0);
	fflush(stdout);
	if (pipe(fds) != 0 || (pid = fork()) == -1) {
		printf("Bail out! pipe or fork failed\n");
		exit(1);
	}
	if (pid == 0) {
		/* Its own connection: a MariaDB handle is not shared across fork. */
		if (db_open(&cdb, &base) != 0 || read(fds[0], &go, 1) != 1)
			_exit(2);
		k = open_keys(1, NULL);
		if (keys_rotate_if_older(k, cdb, 1, &rotated, kid) != KEYS_OK)
			_exit(3);
		_exit(rotated);
	}
	k = open_keys(1, NULL);
	if (write(fds[1], "g", 1) != 1) {
		printf("Bail out! write failed\n");
		exit(1);
	}
	is_int(keys_rotate_if_older(k, db, 1, &rotated, kid), KEYS_OK,
	    "race: keys_rotate_if_older in this process");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) <= 1,
	    "race: and in another, at the same time");
	is_int(rotated + WEXITSTATUS(status), 1, "race: exactly one of them rotated");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys", NULL, 0) - before, 1,
	    "race: one key added");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1", NULL, 0), 1,
	    "race: one active key");
	keys_close(k);
	close(fds[0]);
	close(fds[1]);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The waits below poll the state they wait for, every 50 ms, until a
 * deadline far beyond the interval at stake (a loaded machine must not
 * make them fail): never a fixed sleep. WAIT_DEADLINE_MS from the start.
 */
#define WAIT_DEADLINE_MS 20000
#define WAIT_STEP_US (50 * 1000)

static int
waited_too_long(long long t0)
{
	if (mono_ms() - t0 >= WAIT_DEADLINE_MS)
		return 1;
	usleep(WAIT_STEP_US);
	return 0;
}

/*
 * A signer that holds the active key while another process rotates: it
 * signs with the old key until exactly the old key's RetiredAt, never
 * after (the grace counts from then), and with the new key from then on,
 * never before (verifiers must have had key_cache_refresh to load it).
 */
static void
test_handover(void)
{
	char old[JWK_KID_LEN + 1], new[JWK_KID_LEN + 1];
	struct keys *s = open_keys(2, NULL), *o = open_keys(2, NULL);
	const char *kid;
	EVP_PKEY *priv;
	long long t0, ra, e, last_old = -1, first_new = -1;
	int back = 0;

	/* Settle earlier rotations: no key still handing over, the active one mature. */
	sql("UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL 10 SECOND"
	    " WHERE RetiredAt > UTC_TIMESTAMP() - INTERVAL 10 SECOND", NULL, 0);
	sql("UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 DAY WHERE IsActive = 1",
	    NULL, 0);
	ok(keys_active(s, db, &priv, &kid) == KEYS_OK, "handover: a signer holds the active key");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1 AND KeyId = ?",
	    (struct db_param[]){ DB_STR(kid) }, 1), 1, "handover: it is the active key");
	snprintf(old, sizeof(old), "%s", kid);
	t0 = mono_ms();
	ok(keys_generate(o, db, 0, new) == KEYS_OK, "handover: another process rotates");
	diag("generate took %lld ms", mono_ms() - t0);
	t0 = mono_ms();
	{
		struct db_param a[] = { DB_STR(old) };

		ra = sql_int("SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), RetiredAt) DIV 1000"
		    " FROM SigningKeys WHERE KeyId = ?", a, 1);
	}
	/* t0 follows the commit: RetiredAt is at least key_cache_refresh after it. */
	ok(ra >= 2000 && ra <= 4000, "handover: the old key's RetiredAt is key_cache_refresh + 2 s"
	    " after the rotation, to the second (%lld ms ahead)", ra);
	while ((e = mono_ms() - t0) < ra + 2500) {
		if (keys_active(s, db, &priv, &kid) != KEYS_OK)
			break;
		if (strcmp(kid, old) == 0) {
			last_old = e;
			back |= first_new >= 0;
		} else if (strcmp(kid, new) == 0 && first_new < 0) {
			first_new = e;
		}
		usleep(50 * 1000);
	}
	ok(first_new >= 0, "handover: the new key signs in the end");
	ok(!back, "handover: and the old one never again after that");
	ok(last_old >= 0 && last_old < ra + 20,
	    "handover: the old key never signs after its RetiredAt (last %lld ms, RetiredAt %lld ms)",
	    last_old, ra);
	ok(first_new >= ra - 20, "handover: the new key never signs before it (first %lld ms)",
	    first_new);
	ok(first_new < ra + 1000, "handover: and signs within a second of it");
	keys_close(s);
	keys_close(o);
}

/*
 * The row of kid holds priv sealed: nonce + MAC + ciphertext of its
 * PKCS #8 DER, in which neither the DER nor its last 32 bytes (the
 * private scalar of an EC or Ed25519 key) appear.
 */
static void
check_sealed(const char *kid, EVP_PKEY *priv, const char *what)
{
	unsigned char box[16384], *der = NULL;
	size_t boxlen = 0, n = 0;
	struct db_param pk[] = { DB_STR(kid) };
	struct db_col c[] = { DB_OUT_BLOB(box, sizeof(box), &boxlen) };
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	int derlen = 0;

	ok(db_query(db, "SELECT PrivateKey FROM SigningKeys WHERE KeyId = ?", pk, 1, c, 1,
	    NULL, NULL, &n) == DB_OK && n == 1, "%s: the key's row is there", what);
	ok(priv != NULL && (p8 = EVP_PKEY2PKCS8(priv)) != NULL &&
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) > 32, "%s: the plain PKCS #8 DER", what);
	PKCS8_PRIV_KEY_INFO_free(p8);
	is_int((long long)boxlen, (long long)derlen + 40,
	    "%s: PrivateKey is nonce (24) + MAC (16) + ciphertext of the DER", what);
	ok(der != NULL && !contains(box, boxlen, der, (size_t)derlen) &&
	    !contains(box, boxlen, der + derlen - 32, 32),
	    "%s: neither the DER nor its last 32 bytes appear in the column", what);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
}

/* The alg named in the header of tok, into out; "" if unreadable. */
static void
header_alg(const char *tok, char *out, size_t cap)
{
	unsigned char h[512];
	size_t n = 0;
	json_object *hdr, *v;

	out[0] = '\0';
	if (tok == NULL || strchr(tok, '.') == NULL ||
	    b64url_decode(h, sizeof(h) - 1, &n, tok, (size_t)(strchr(tok, '.') - tok)) != 0)
		return;
	h[n] = '\0';
	if ((hdr = json_tokener_parse((char *)h)) != NULL &&
	    json_object_object_get_ex(hdr, "alg", &v))
		snprintf(out, cap, "%s", json_object_get_string(v));
	json_object_put(hdr);
}

struct alg_listing {
	const char *kid[3];
	const char *alg[3];
};

static int
alg_row(void *arg, const struct keys_info *info)
{
	struct alg_listing *l = arg;

	for (size_t i = 0; i < 3; i++)
		if (l->kid[i] != NULL && strcmp(l->kid[i], info->kid) == 0)
			l->alg[i] = strdup(info->alg);
	return 0;
}

/*
 * SPEC §12: keys of every alg side by side. A signer of RS256 keys rotates
 * to ES256, then to EdDSA: each new key signs with its own alg once
 * mature, the tokens of the keys before it keep verifying, the JWKS
 * publishes each key with its members, keys_list names each one's alg,
 * and every private key is sealed at rest.
 */
static void
test_algs(void)
{
	static const char *const algs[3] = { "RS256", "ES256", "EdDSA" };
	static const char *const kty[3] = { "RSA", "EC", "OKP" };
	struct keys *s = open_keys(1, NULL), *v;
	char kids[3][JWK_KID_LEN + 1], tmp[JWK_KID_LEN + 1], alg[16];
	struct alg_listing l = { { NULL }, { NULL } };
	char *tok[3] = { NULL };
	const char *kid;
	EVP_PKEY *priv;
	json_object *doc, *arr, *m;
	size_t i, j;

	/* The active key, mature and alone: the RS256 one of the earlier tests. */
	sql("UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL 10 SECOND"
	    " WHERE RetiredAt > UTC_TIMESTAMP() - INTERVAL 10 SECOND", NULL, 0);
	sql("UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 DAY WHERE IsActive = 1",
	    NULL, 0);
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			ok(keys_set_alg(s, algs[i]) == 0, "algs: keys_set_alg %s", algs[i]);
			is_int(keys_generate(s, db, 2048, tmp), KEYS_UNAVAILABLE,
			    "algs: %s with a key size is refused", algs[i]);
			is_int(keys_generate(s, db, 0, kids[i]), KEYS_OK, "algs: rotate to %s", algs[i]);
			/* Mature at once, rather than after the hand-over (test_handover times that). */
			sql("UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 1 DAY"
			    " WHERE IsActive = 1", NULL, 0);
		}
		tok[i] = sign_with(s, &kid);
		if (i == 0)
			snprintf(kids[0], sizeof(kids[0]), "%s", kid != NULL ? kid : "");
		is_str(tok[i] != NULL ? kid : NULL, kids[i], "algs: the %s key signs", algs[i]);
		header_alg(tok[i], alg, sizeof(alg));
		is_str(alg, algs[i], "algs: its token's header says alg %s", algs[i]);
		if (i > 0 && keys_active(s, db, &priv, &kid) == KEYS_OK) {
			is_str(jwt_key_alg(priv), algs[i], "algs: the unsealed key is an %s key", algs[i]);
			check_sealed(kids[i], priv, algs[i]);
		}
		/* A fresh verifier (it reads the master key only to check the row bindings). */
		v = open_keys(3600, NULL);
		for (j = 0; j <= i; j++)
			is_int(verify_with(v, tok[j]), JWT_OK, "algs: after %s, the %s token verifies",
			    algs[i], algs[j]);
		keys_close(v);
	}

	/* The JWKS: three keys, newest first, each of its kty with alg and kid. */
	v = open_keys(3600, NULL);
	doc = keys_jwks(v, db);
	ok(doc != NULL && json_object_object_get_ex(doc, "keys", &arr) &&
	    json_object_array_length(arr) >= 3, "algs: the JWKS has the three keys");
	for (i = 0; doc != NULL && i < 3; i++) {
		json_object *jwk = NULL;

		for (j = 0; j < json_object_array_length(arr); j++)
			if (json_object_object_get_ex(json_object_array_get_idx(arr, j), "kid", &m) &&
			    strcmp(json_object_get_string(m), kids[i]) == 0)
				jwk = json_object_array_get_idx(arr, j);
		is_str(jwk != NULL && json_object_object_get_ex(jwk, "kty", &m) ?
		    json_object_get_string(m) : NULL, kty[i], "algs: JWKS kty of the %s key", algs[i]);
		is_str(jwk != NULL && json_object_object_get_ex(jwk, "alg", &m) ?
		    json_object_get_string(m) : NULL, algs[i], "algs: JWKS alg of the %s key", algs[i]);
		ok(jwk != NULL && !json_object_object_get_ex(jwk, "d", NULL),
		    "algs: no d in the %s JWK", algs[i]);
	}
	json_object_put(doc);
	keys_close(v);

	for (i = 0; i < 3; i++)
		l.kid[i] = kids[i];
	ok(keys_list(s, db, alg_row, &l) == 0, "algs: keys_list");
	for (i = 0; i < 3; i++) {
		is_str(l.alg[i], algs[i], "algs: keys_list names the %s key's alg", algs[i]);
		free((char *)l.alg[i]);
	}
	ok(keys_set_alg(s, "es256") == -1 && keys_set_alg(s, "HS256") == -1 &&
	    keys_set_alg(s, NULL) == -1, "algs: keys_set_alg refuses es256, HS256, NULL");
	for (i = 0; i < 3; i++)
		free(tok[i]);
	keys_close(s);
}

struct listing {
	int rows, active, published;
	char first[JWK_KID_LEN + 1];
};

static int
list_row(void *arg, const struct keys_info *info)
{
	struct listing *l = arg;

	if (l->rows++ == 0)
		snprintf(l->first, sizeof(l->first), "%s", info->kid);
	l->active += info->active;
	l->published += info->published;
	return 0;
}

int
main(void)
{
	char err[256], path[600], kid1[JWK_KID_LEN + 1], kid2[JWK_KID_LEN + 1];
	char kid3[JWK_KID_LEN + 1], kid4[JWK_KID_LEN + 1], kids[512], tmp[JWK_KID_LEN + 1];
	struct keys *signer, *verifier, *other, *k;
	const char *d, *kid;
	EVP_PKEY *priv;
	char *tok1 = NULL, *tok2 = NULL;
	unsigned char box[16384], pubder[4096];
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t boxlen = 0, publen = 0, n = 0;
	long long grace, t0;
	int derlen = 0, rotated;
	struct listing l;

	log_init("t/unit/keys", LOG_LVL_ERROR);
	if (sodium_init() < 0 || (d = getenv("KEYS_TEST_DIR")) == NULL) {
		printf("Bail out! KEYS_TEST_DIR is not set (run t/keys.t)\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", d);
	cfg_defaults(&base);
	if (cfg_load_default(&base, err, sizeof(err)) != 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	if (db_open(&db, &base) != 0) {
		printf("Bail out! db_open failed\n");
		return 1;
	}
	grace = (long long)base.access_token_lifetime + base.clock_skew;

	test_master_create();

	/* ---- An empty store ---------------------------------------------- */
	signer = open_keys(1, NULL);
	is_int(keys_active(signer, db, &priv, &kid), KEYS_NONE, "no key yet: KEYS_NONE");
	jwks_kids(signer, kids, sizeof(kids));
	is_str(kids, "", "no key yet: the JWKS is empty");
	is_int(keys_master_check(signer), 0, "the test's master key (0600, base64) is accepted");

	/* ---- Generate: the active key signs, its public key verifies ----- */
	is_int(keys_generate(signer, db, 0, kid1), KEYS_OK, "keys_generate");
	is_int((long long)strlen(kid1), JWK_KID_LEN, "the kid is a 43-character thumbprint");
	tok1 = sign_with(signer, &kid);
	ok(tok1 != NULL, "the active key signs");
	is_str(kid, kid1, "with the new kid");
	/*
	 * Verifiers check each row's binding with a key derived from the
	 * master key (keys.h): one that cannot read it trusts no key, and
	 * says the store is unavailable (503), not that the token is bad.
	 */
	verifier = open_keys(3600, "/nonexistent/master.key");
	is_int(verify_with(verifier, tok1), JWT_UNKNOWN_KID,
	    "a verifier without the master key trusts no key");
	ok(keys_lookup_unavailable(verifier) == 1, "and reports the store unavailable (503)");
	ok(keys_jwks(verifier, db) == NULL, "nor publishes any");
	keys_close(verifier);
	verifier = open_keys(3600, NULL);
	is_int(verify_with(verifier, tok1), JWT_OK, "a verifier with the master key accepts the token");
	ok(keys_lookup_unavailable(verifier) == 0, "and the lookup was not a database failure");
	jwks_kids(verifier, kids, sizeof(kids));
	is_str(kids, kid1, "the JWKS publishes the active key");
	{
		json_object *doc = keys_jwks(verifier, db), *arr, *jwk, *v;
		const char *want[][2] = { { "kty", "RSA" }, { "use", "sig" }, { "alg", "RS256" },
		    { "e", "AQAB" } };

		ok(doc != NULL && json_object_object_get_ex(doc, "keys", &arr) &&
		    json_object_array_length(arr) == 1, "JWKS is {\"keys\":[one key]}");
		jwk = doc != NULL ? json_object_array_get_idx(arr, 0) : NULL;
		for (size_t i = 0; i < 4; i++)
			is_str(jwk != NULL && json_object_object_get_ex(jwk, want[i][0], &v) ?
			    json_object_get_string(v) : NULL, want[i][1], "JWK member %s", want[i][0]);
		ok(jwk != NULL && !json_object_object_get_ex(jwk, "d", NULL) &&
		    !json_object_object_get_ex(jwk, "p", NULL), "no private member is published");
		json_object_put(doc);
	}

	/* ---- At rest: the private key column is sealed -------------------- */
	{
		struct db_param pk[] = { DB_STR(kid1) };
		struct db_col c[] = { DB_OUT_BLOB(box, sizeof(box), &boxlen),
		    DB_OUT_BLOB(pubder, sizeof(pubder), &publen) };
		PKCS8_PRIV_KEY_INFO *p8 = NULL;
		EVP_PKEY *pub;

		ok(db_query(db, "SELECT PrivateKey, PublicKey FROM SigningKeys WHERE KeyId = ?",
		    pk, 1, c, 2, NULL, NULL, &n) == DB_OK && n == 1, "the key's row is there");
		ok(keys_active(signer, db, &priv, &kid) == KEYS_OK &&
		    (p8 = EVP_PKEY2PKCS8(priv)) != NULL &&
		    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) > 0, "the plain PKCS #8 DER");
		PKCS8_PRIV_KEY_INFO_free(p8);
		is_int((long long)boxlen, (long long)derlen + 40,
		    "PrivateKey is nonce (24) + MAC (16) + ciphertext of the DER");
		ok(der != NULL && !contains(box, boxlen, der, (size_t)derlen),
		    "the plain DER does not appear in the column");
		ok(der != NULL && (size_t)derlen > 64 &&
		    !contains(box, boxlen, der + derlen - 64, 64),
		    "nor does any 64-byte tail of it");
		p = box;
		pub = d2i_AutoPrivateKey(NULL, &p, (long)boxlen);
		ok(pub == NULL, "the column is not a DER private key");
		EVP_PKEY_free(pub);
		p = box;
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)boxlen);
		ok(p8 == NULL, "nor DER PKCS #8");
		PKCS8_PRIV_KEY_INFO_free(p8);
		p = pubder;
		pub = d2i_PUBKEY(NULL, &p, (long)publen);
		ok(pub != NULL && jwk_thumbprint(pub, tmp) == 0 && strcmp(tmp, kid1) == 0,
		    "PublicKey is DER SubjectPublicKeyInfo whose RFC 7638 thumbprint is the KeyId");
		EVP_PKEY_free(pub);
		if (der != NULL)
			OPENSSL_clear_free(der, (size_t)derlen);
		der = NULL;
	}

	/* ---- The master key file ------------------------------------------ */
	{
		char key[128];

		path_in_dir(path, sizeof(path), "master.key");
		file_read(base.master_key_file, key, sizeof(key));
		path_in_dir(path, sizeof(path), "world.key");
		file_put(path, key, 0644);
		test_master_refused("a world-readable master key", path);
		path_in_dir(path, sizeof(path), "group.key");
		file_put(path, key, 0640);
		test_master_refused("a group-readable master key", path);
		path_in_dir(path, sizeof(path), "groupw.key");
		file_put(path, key, 0620);
		test_master_refused("a group-writable master key", path);
		path_in_dir(path, sizeof(path), "copy.key");
		file_put(path, key, 0600);
		k = open_keys(1, path);
		is_int(keys_active(k, db, &priv, &kid), KEYS_OK, "the same key in a 0600 copy works");
		keys_close(k);
		test_master_refused("a directory", dir);
		test_master_refused("a missing file", "/nonexistent/master.key");
		path_in_dir(path, sizeof(path), "short.key");
		file_put(path, "c2hvcnQ=\n", 0600);
		test_master_refused("a master key of the wrong size", path);
		path_in_dir(path, sizeof(path), "junk.key");
		key[10] = '*';
		file_put(path, key, 0600);
		test_master_refused("a master key that is not base64", path);
		/* libsodium 1.0.18 decodes bytes >= 0x80 as '/': the reader must not. */
		path_in_dir(path, sizeof(path), "high.key");
		key[10] = (char)0xc6;
		file_put(path, key, 0600);
		test_master_refused("a master key with a byte >= 0x80", path);
		sodium_memzero(key, sizeof(key));

		/* A well-formed key that is not the one the rows were sealed with. */
		path_in_dir(path, sizeof(path), "created.key");
		k = open_keys(1, path);
		is_int(keys_master_check(k), 0, "another valid master key loads");
		priv = (EVP_PKEY *)1;
		is_int(keys_active(k, db, &priv, &kid), KEYS_UNAVAILABLE,
		    "but cannot open the private key: KEYS_UNAVAILABLE");
		ok(priv == NULL, "and gives no key");
		keys_close(k);
	}

	/* ---- A row whose sealed key was swapped is refused ---------------- */
	{
		char kidx[JWK_KID_LEN + 1];
		unsigned char save[16384];
		size_t savelen = 0;
		struct db_param a[] = { DB_STR(kid1) };
		struct db_col c[] = { DB_OUT_BLOB(save, sizeof(save), &savelen) };
		struct db_param swap[2];

		/* A second, inactive key, sealed under the right master key. */
		k = open_keys(1, NULL);
		ok(keys_generate(k, db, 0, kidx) == KEYS_OK, "a second key for the swap test");
		ok(db_query(db, "SELECT PrivateKey FROM SigningKeys WHERE KeyId = ?", a, 1, c, 1,
		    NULL, NULL, &n) == DB_OK && n == 1, "saved the first key's sealed blob");
		swap[0] = DB_STR(kidx);
		swap[1] = DB_STR(kid1);
		/* Make kid1 active again with the sealed key of kidx. */
		sql("UPDATE SigningKeys SET IsActive = 0, RetiredAt = UTC_TIMESTAMP() WHERE KeyId = ?",
		    swap, 1);
		sql("UPDATE SigningKeys SET IsActive = 1, RetiredAt = NULL,"
		    " PrivateKey = (SELECT x.PrivateKey FROM (SELECT PrivateKey FROM SigningKeys"
		    " WHERE KeyId = ?) AS x) WHERE KeyId = ?", swap, 2);
		keys_close(k);
		k = open_keys(1, NULL);
		is_int(keys_active(k, db, &priv, &kid), KEYS_UNAVAILABLE,
		    "a sealed key moved to another row does not sign under that row's kid");
		keys_close(k);
		/* Put things back: kid1 active with its own key, kidx gone. */
		{
			struct db_param back[] = { DB_BLOB(save, savelen), DB_STR(kid1) };
			struct db_param del[] = { DB_STR(kidx) };

			sql("UPDATE SigningKeys SET PrivateKey = ? WHERE KeyId = ?", back, 2);
			sql("DELETE FROM SigningKeys WHERE KeyId = ?", del, 1);
		}
		k = open_keys(1, NULL);
		is_int(keys_active(k, db, &priv, &kid), KEYS_OK, "restored");
		keys_close(k);
		sodium_memzero(save, sizeof(save));
	}

	/* ---- Rotation ----------------------------------------------------- */
	keys_close(signer);
	signer = open_keys(1, NULL);
	free(tok1);
	tok1 = sign_with(signer, NULL);
	is_int(keys_generate(signer, db, 0, kid2), KEYS_OK, "rotate: keys_generate again");
	ok(strcmp(kid1, kid2) != 0, "a new kid");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1", NULL, 0), 1,
	    "exactly one active key");
	{
		struct db_param a[] = { DB_STR(kid1) };

		is_int(sql_int("SELECT IsActive = 0 AND RetiredAt IS NOT NULL FROM SigningKeys"
		    " WHERE KeyId = ?", a, 1), 1, "the old key is retired with RetiredAt set");
	}
	/*
	 * keys.h: a key activated less than key_cache_refresh + 2 seconds ago
	 * may be unknown to other verifiers; the old key signs until then.
	 */
	tok2 = sign_with(signer, &kid);
	is_str(kid, kid1, "right after rotation the signer still signs with the old key");
	free(tok2);
	/* Until key_cache_refresh + 2 s have passed (polled, not slept). */
	t0 = mono_ms();
	while ((tok2 = sign_with(signer, &kid)) != NULL && strcmp(kid, kid1) == 0 &&
	    !waited_too_long(t0))
		free(tok2);
	ok(tok2 != NULL, "the signer goes on signing");
	is_str(kid, kid2, "key_cache_refresh + 2 s later it signs with the new one");
	k = open_keys(1, NULL);
	is_int(verify_with(k, tok1), JWT_OK, "a token of the retired key still verifies (grace)");
	is_int(verify_with(k, tok2), JWT_OK, "a token of the new key verifies");
	jwks_kids(k, kids, sizeof(kids));
	snprintf(path, sizeof(path), "%s,%s", kid2, kid1);
	is_str(kids, path, "JWKS: the active key first, then the retired one");
	keys_close(k);

	memset(&l, 0, sizeof(l));
	is_int(keys_list(signer, db, list_row, &l), 0, "keys_list");
	ok(l.rows == 2 && l.active == 1 && l.published == 2 && strcmp(l.first, kid2) == 0,
	    "keys_list: 2 keys, 1 active, 2 published, newest first");

	/* ---- Past grace: no longer trusted nor published ----------------- */
	{
		struct db_param a[] = { DB_INT(grace + 1), DB_STR(kid1) };

		sql("UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL ? SECOND"
		    " WHERE KeyId = ?", a, 2);
	}
	k = open_keys(1, NULL);
	is_int(verify_with(k, tok1), JWT_UNKNOWN_KID,
	    "retired longer than access_token_lifetime + clock_skew: the token is refused");
	ok(keys_lookup(k, db, kid1) == NULL, "keys_lookup does not find it");
	jwks_kids(k, kids, sizeof(kids));
	is_str(kids, kid2, "and it left the JWKS");
	is_int(verify_with(k, tok2), JWT_OK, "the active key still verifies");
	keys_close(k);
	memset(&l, 0, sizeof(l));
	ok(keys_list(signer, db, list_row, &l) == 0 && l.rows == 2 && l.published == 1,
	    "keys_list: still listed, no longer published");

	/* Grace that ends while the key is cached: counted down in memory. */
	{
		struct db_param a[] = { DB_INT(grace - 3), DB_STR(kid1) };

		sql("UPDATE SigningKeys SET RetiredAt = UTC_TIMESTAMP() - INTERVAL ? SECOND"
		    " WHERE KeyId = ?", a, 2);
	}
	k = open_keys(3600, NULL);
	ok(keys_lookup(k, db, kid1) != NULL, "3 s of grace left: the retired key verifies");
	t0 = mono_ms();
	while (keys_lookup(k, db, kid1) != NULL && !waited_too_long(t0))
		continue;
	ok(keys_lookup(k, db, kid1) == NULL, "once those 3 s passed it does not, without a reload");
	jwks_kids(k, kids, sizeof(kids));
	is_str(kids, kid2, "and it left that process's JWKS");
	is_int((long long)keys_reload_count(k), 1, "one database read for all of that");
	keys_close(k);

	/* ---- Unknown kids do not hammer the database ---------------------- */
	k = open_keys(3600, NULL);
	ok(keys_lookup(k, db, "garbage") == NULL, "an unknown kid is not found");
	for (int i = 0; i < 100; i++)
		if (keys_lookup(k, db, i % 2 ? "garbage" : "more-garbage") != NULL)
			break;
	is_int((long long)keys_reload_count(k), 1,
	    "100 more unknown kids within key_cache_refresh: no reload");
	ok(keys_lookup(k, db, "0123456789012345678901234567890123456789012345678901234567890123456789")
	    == NULL, "an over-long kid is not found");
	ok(keys_lookup_unavailable(k) == 0, "and that is not a database failure");
	/* Another process rotates: this one does not see the key within the interval. */
	other = open_keys(1, NULL);
	is_int(keys_generate(other, db, 0, kid3), KEYS_OK, "another process adds a key");
	ok(keys_lookup(k, db, kid3) == NULL, "not seen within key_cache_refresh (3600 s)");
	is_int((long long)keys_reload_count(k), 1, "still one read");
	keys_close(k);

	/*
	 * A published key written straight into the table (retired just now,
	 * so within grace): the SQL is fast, so what is measured is the
	 * interval, not the time an RSA key generation takes.
	 */
	{
		EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		unsigned char *xder = NULL;
		int xlen = 0;

		ok(x != NULL && jwk_thumbprint(x, kid4) == 0 &&
		    (xlen = i2d_PUBKEY(x, &xder)) > 0, "a key made outside the store");
		k = open_keys(2, NULL);
		ok(keys_lookup(k, db, "garbage") == NULL && keys_reload_count(k) == 1,
		    "refresh 2 s: loaded once");
		{
			char ikid[JWK_KID_LEN + 1];

			is_int(keys_import(other, db, x, ikid), KEYS_OK, "keys_import adds it");
			is_str(ikid, kid4, "under its thumbprint");
			is_int(keys_import(other, db, x, ikid), KEYS_UNAVAILABLE, "but not twice");
		}
		ok(keys_lookup(k, db, kid4) == NULL, "a key added to the table is not seen at once");
		is_int((long long)keys_reload_count(k), 1, "no reload within the interval");
		t0 = mono_ms();
		while (keys_lookup(k, db, kid4) == NULL && !waited_too_long(t0))
			continue;
		ok(keys_lookup(k, db, kid4) != NULL, "seen once the interval has passed");
		is_int((long long)keys_reload_count(k), 2, "with one more read");
		ok(keys_lookup(k, db, kid3) != NULL, "the active key is found too");
		ok(keys_lookup(k, db, kid2) != NULL, "and the key kid3 replaced (in grace)");
		keys_close(k);
		OPENSSL_free(xder);
		EVP_PKEY_free(x);
		/* Junk as a sealed key: never made active below. */
		{
			struct db_param a[] = { DB_STR(kid4) };

			sql("DELETE FROM SigningKeys WHERE KeyId = ?", a, 1);
		}
	}

	/*
	 * ---- Issue 16: rows the master key did not make ----------------------
	 * A database writer inserts a key of its own, as the store writes
	 * keys (KeyId its thumbprint, any PrivateKey bytes), retired just now
	 * so that it sits in the grace window: never trusted, never published.
	 */
	{
		EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		unsigned char *xder = NULL, bind[64];
		size_t bindlen = 0;
		unsigned int bound = 9, refused = 9;
		char xkid[JWK_KID_LEN + 1];
		int xlen = 0;

		ok(x != NULL && jwk_thumbprint(x, xkid) == 0 &&
		    (xlen = i2d_PUBKEY(x, &xder)) > 0, "an attacker's own key");
		{
			struct db_param a[] = { DB_STR(xkid), DB_BLOB("junk", 4),
			    DB_BLOB(xder, (size_t)xlen) };

			sql("INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt,"
			    " RetiredAt) VALUES (?, ?, ?, 0, UTC_TIMESTAMP() - INTERVAL 1 HOUR,"
			    " UTC_TIMESTAMP())", a, 3);
		}
		k = open_keys(1, NULL);
		ok(keys_lookup(k, db, xkid) == NULL, "a key row without a binding is not trusted");
		ok(keys_lookup_unavailable(k) == 0, "  (a bad kid, not an unavailable store)");
		ok(keys_lookup(k, db, kid3) != NULL, "  while the bound keys are");
		jwks_kids(k, kids, sizeof(kids));
		ok(strstr(kids, xkid) == NULL && strstr(kids, kid3) != NULL,
		    "  and it is not published");
		keys_close(k);
		{
			/* A genuine row's binding copied onto the attacker's row. */
			struct db_param a[] = { DB_STR(kid3) };
			struct db_col c[] = { DB_OUT_BLOB(bind, sizeof(bind), &bindlen) };
			struct db_param b[2];

			ok(db_query(db, "SELECT Binding FROM SigningKeys WHERE KeyId = ?", a, 1, c, 1,
			    NULL, NULL, &n) == DB_OK && n == 1 && bindlen == 32,
			    "a generated key's row has a 32-byte binding");
			b[0] = DB_BLOB(bind, bindlen);
			b[1] = DB_STR(xkid);
			sql("UPDATE SigningKeys SET Binding = ? WHERE KeyId = ?", b, 2);
		}
		k = open_keys(1, NULL);
		ok(keys_lookup(k, db, xkid) == NULL, "another row's binding does not make it trusted");
		keys_close(k);
		is_int(keys_bind_rows(other, db, &bound, &refused), 0, "keys_bind_rows");
		ok(bound == 0 && refused == 1, "  refuses to bind the row the master key did not make"
		    " (bound %u, refused %u)", bound, refused);
		k = open_keys(1, NULL);
		ok(keys_lookup(k, db, xkid) == NULL, "  which stays untrusted");
		keys_close(k);
		{
			struct db_param a[] = { DB_STR(xkid) };

			sql("DELETE FROM SigningKeys WHERE KeyId = ?", a, 1);
		}
		OPENSSL_free(xder);
		EVP_PKEY_free(x);

		/* An upgrade: rows made before migration 006 have no binding. */
		sql("UPDATE SigningKeys SET Binding = NULL", NULL, 0);
		k = open_keys(1, NULL);
		ok(keys_lookup(k, db, kid3) == NULL, "unbound, even the active key is not trusted");
		is_int(keys_active(k, db, &priv, &kid), KEYS_UNAVAILABLE, "  nor signs");
		keys_close(k);
		bound = refused = 9;
		is_int(keys_bind_rows(other, db, &bound, &refused), 0, "keys_bind_rows");
		ok(bound == 3 && refused == 0, "  binds the 3 rows the master key made (bound %u,"
		    " refused %u)", bound, refused);
		is_int(keys_bind_rows(other, db, &bound, &refused), 0, "keys_bind_rows again");
		ok(bound == 0 && refused == 0, "  has nothing left to do");
		k = open_keys(1, NULL);
		ok(keys_lookup(k, db, kid3) != NULL && keys_lookup(k, db, kid2) != NULL,
		    "  and the keys are trusted again");
		is_int(keys_active(k, db, &priv, &kid), KEYS_OK, "  and sign");
		keys_close(k);
		k = open_keys(1, "/nonexistent/master.key");
		is_int(keys_bind_rows(k, db, &bound, &refused), -1,
		    "keys_bind_rows without the master key fails");
		keys_close(k);
	}
	keys_close(other);

	/* ---- rotate_if_older ---------------------------------------------- */
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys", NULL, 0), 3, "3 keys so far");
	rotated = -1;
	is_int(keys_rotate_if_older(signer, db, 1, &rotated, tmp), KEYS_OK,
	    "keys_rotate_if_older(1 day) with a fresh key");
	is_int(rotated, 0, "does not rotate");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys", NULL, 0), 3, "no key added");
	{
		struct db_param a[] = { DB_STR(kid3) };

		is_int(sql_int("SELECT IsActive FROM SigningKeys WHERE KeyId = ?", a, 1), 1,
		    "the active key is unchanged");
		sql("UPDATE SigningKeys SET CreatedAt = UTC_TIMESTAMP() - INTERVAL 2 DAY"
		    " WHERE KeyId = ?", a, 1);
	}
	rotated = -1;
	is_int(keys_rotate_if_older(signer, db, 1, &rotated, tmp), KEYS_OK,
	    "keys_rotate_if_older(1 day) with a 2-day-old key");
	is_int(rotated, 1, "rotates");
	ok(strcmp(tmp, kid3) != 0, "to a new key");
	is_int(sql_int("SELECT COUNT(*) FROM SigningKeys WHERE IsActive = 1", NULL, 0), 1,
	    "still exactly one active key");
	race_rotate_if_older();
	test_handover();
	test_algs();
	is_int(keys_rotate_if_older(signer, db, 36501, &rotated, tmp), KEYS_UNAVAILABLE,
	    "more than a century of days is refused");
	ok(keys_generate(signer, db, 1024, tmp) == KEYS_UNAVAILABLE, "a 1024-bit key is refused");

	/* ---- The database is unreachable --------------------------------- */
	{
		struct cfg c = conf(1, NULL);
		struct db *bad;
		struct keys *kb;

		snprintf(c.db_password, sizeof(c.db_password), "wrong");
		ok(db_open(&bad, &c) == 0, "a handle with a wrong password");
		kb = open_keys(1, NULL);
		is_int(keys_active(kb, bad, &priv, &kid), KEYS_UNAVAILABLE,
		    "database down: keys_active is KEYS_UNAVAILABLE");
		ok(keys_lookup(kb, bad, kid2) == NULL, "database down: lookup finds nothing");
		is_int(keys_lookup_unavailable(kb), 1, "and says the database failed");
		ok(keys_jwks(kb, bad) == NULL, "database down: no JWKS");
		keys_close(kb);
		db_close(bad);
		cfg_wipe(&c);
	}

	free(tok1);
	free(tok2);
	keys_close(signer);
	keys_close(verifier);
	db_close(db);
	cfg_wipe(&base);
	return done_testing();
}
