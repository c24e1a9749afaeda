/*
 * keys.c: the signing-key store (see keys.h): the master key file, sealed
 * private keys, the active-key and public-key caches, JWKS and rotation.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "cfg.h"
#include "db.h"
#include "event.h"
#include "jwk.h"
#include "jwt.h"
#include "keys.h"
#include "log.h"

#define KEYS_KID_MAX     65             /* SigningKeys.KeyId is VARCHAR(64) */
#define KEYS_PRIV_MAX    16384          /* SigningKeys.PrivateKey is VARBINARY(16384) */
#define KEYS_PUB_MAX     4096           /* SigningKeys.PublicKey is VARBINARY(4096) */
#define KEYS_CACHE_MAX   64             /* published keys held; more is a misuse */
#define KEYS_BITS_MIN    2048
#define KEYS_BITS_MAX    8192
#define KEYS_DAYS_MAX    36500          /* keys_rotate_if_older: a century */
#define KEYS_TIME_LEN    20             /* "YYYY-MM-DD HH:MM:SS" and the NUL */

/*
 * Seconds added to key_cache_refresh before a new key signs: DATETIME
 * drops the fraction of the rotation's second (up to 1 s), and the
 * rotation commits a moment after it reads the time (keys.h).
 */
#define KEYS_HANDOVER_MARGIN 2

/* Master key file: base64 (with padding) of 32 bytes, one optional newline. */
#define KEYS_MASTER_B64  sodium_base64_ENCODED_LEN(crypto_secretbox_KEYBYTES, \
	sodium_base64_VARIANT_ORIGINAL)  /* 45: 44 characters and the NUL */
#define KEYS_MASTER_TEXT_MAX 64

#define KEYS_BOX_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)

/*
 * Row binding (keys.h): BLAKE2b-256 keyed with a key derived from the
 * master key (crypto_kdf, subkey KEYS_BIND_SUBKEY in context "jwtkbind").
 */
#define KEYS_BIND_LEN    crypto_generichash_BYTES       /* SigningKeys.Binding is VARBINARY(32) */
#define KEYS_BIND_KEYLEN crypto_generichash_KEYBYTES
#define KEYS_BIND_SUBKEY 1
#define KEYS_BIND_CTX    "jwtkbind"                     /* crypto_kdf_CONTEXTBYTES: 8 */
#define KEYS_BIND_DOMAIN "jwtauth signing key binding v1"
#define KEYS_UNBOUND_MAX 16             /* unbound kids remembered, to log each once */

/* One published public key. */
struct keys_pub {
	char kid[KEYS_KID_MAX];
	EVP_PKEY *pub;
	int active;
	long long deadline;     /* retired keys: keys_now() from which it no longer verifies */
};

enum keys_state { KEYS_STATE_UNKNOWN = 0, KEYS_STATE_NONE, KEYS_STATE_HAVE };

struct keys {
	char master_path[CFG_STR_MAX];
	long long refresh;              /* key_cache_refresh, in ms */
	long long handover;             /* jwks_max_age + key_cache_refresh + margin, in s (keys.h) */
	unsigned int grace;             /* access_token_lifetime + clock_skew */
	unsigned int bits;              /* rsa_key_bits */
	char alg[CFG_ALG_MAX];          /* signing_alg: the alg of keys generated here */

	/* sodium_malloc'd, PROT_NONE between uses; NULL until first needed. */
	unsigned char *master;
	unsigned char *bind;            /* the row-binding key derived from master */

	/* Rows refused for a missing or wrong binding, logged once each. */
	char unbound[KEYS_UNBOUND_MAX][KEYS_KID_MAX];
	size_t nunbound;

	/* The active signing key. */
	enum keys_state state;
	int active_recheck;             /* look in the database at the next call */
	long long active_checked_at;
	long long sign_until;           /* keys_now() when priv stops signing; -1: active key */
	EVP_PKEY *priv;
	char priv_kid[KEYS_KID_MAX];

	/* Published public keys. */
	struct keys_pub *pubs;
	size_t npubs;
	int pubs_loaded;
	int pubs_tried;
	long long pubs_tried_at;
	int lookup_unavailable;
	unsigned long reloads;
};

/*
 * Milliseconds on the monotonic clock: cache ages must not jump with the
 * wall clock, and whole seconds would make a 1 s interval anything from 0
 * to 1 s.
 */
static long long
keys_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
keys_open(struct keys **out, const struct cfg *cfg)
{
	struct keys *k;

	*out = NULL;
	if (sodium_init() < 0) {
		log_err("sodium_init failed");
		return -1;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	if (strlen(cfg->master_key_file) >= sizeof(k->master_path)) {
		log_err("master_key_file is too long");
		free(k);
		return -1;
	}
	memcpy(k->master_path, cfg->master_key_file, strlen(cfg->master_key_file) + 1);
	k->refresh = (long long)cfg->key_cache_refresh * 1000;
	/*
	 * Issue 16: a resource server may hold the JWKS for jwks_max_age
	 * after fetching it from a jwks worker whose own cache was up to
	 * key_cache_refresh old: no token of the new key before both passed.
	 */
	k->handover = (long long)cfg->jwks_max_age + cfg->key_cache_refresh +
	    KEYS_HANDOVER_MARGIN;
	k->grace = cfg->access_token_lifetime + cfg->clock_skew;
	if (k->grace < cfg->access_token_lifetime)
		k->grace = (unsigned int)-1;
	k->bits = cfg->rsa_key_bits;
	if (keys_set_alg(k, cfg->signing_alg) != 0) {
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

int
keys_set_alg(struct keys *k, const char *alg)
{
	if (alg == NULL || (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0 &&
	    strcmp(alg, "EdDSA") != 0)) {
		log_err("signing alg %s is not one of RS256, ES256, EdDSA", alg != NULL ? alg : "(none)");
		return -1;
	}
	memcpy(k->alg, alg, strlen(alg) + 1);
	return 0;
}

static void
keys_pubs_free(struct keys_pub *pubs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(pubs[i].pub);
	free(pubs);
}

void
keys_close(struct keys *k)
{
	if (k == NULL)
		return;
	if (k->master != NULL)
		sodium_free(k->master);         /* wipes before unmapping */
	if (k->bind != NULL)
		sodium_free(k->bind);
	EVP_PKEY_free(k->priv);
	keys_pubs_free(k->pubs, k->npubs);
	free(k);
}

/* ------------------------------------------------------------------ */
/* The master key file                                                 */
/* ------------------------------------------------------------------ */

/*
 * Read the master key file into key. A file that group or others may read
 * or write, or that is not a regular file, is refused: the key it holds is
 * what keeps the private keys in the database useless to a reader of the
 * database. Return 0 or -1 (logged with the path and the reason).
 */
/* 1 if s[0..len) holds only RFC 4648 §4 base64 characters and '=', else 0. */
static int
b64_alphabet_only(const char *s, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return 0;
	return 1;
}

static int
keys_master_read(const char *path, unsigned char key[crypto_secretbox_KEYBYTES])
{
	char text[KEYS_MASTER_TEXT_MAX];
	struct stat st;
	size_t len = 0, binlen = 0;
	ssize_t n;
	int fd, rc = -1;

	if (path[0] == '\0') {
		log_err("master_key_file is not set");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		log_err("cannot open master key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_err("cannot stat master key file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("master key file %s is not a regular file: refusing it", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		log_err("master key file %s is accessible to group or others (mode %04o): "
		    "refusing it; chmod 600 it", path, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	while (len < sizeof(text)) {
		n = read(fd, text + len, sizeof(text) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_err("cannot read master key file %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && text[len - 1] == '\n')
		len--;
	/*
	 * With b64_end NULL, libsodium rejects non-canonical base64 (STYLE),
	 * but 1.0.18 takes any byte >= 0x80 for the alphabet's last character:
	 * the alphabet is checked here first (found by t/fuzz/fuzz-b64url.c).
	 */
	if (len != KEYS_MASTER_B64 - 1 || !b64_alphabet_only(text, len) ||
	    sodium_base642bin(key, crypto_secretbox_KEYBYTES, text, len, NULL, &binlen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != crypto_secretbox_KEYBYTES) {
		log_err("master key file %s does not hold the base64 of %d bytes",
		    path, crypto_secretbox_KEYBYTES);
		goto fail;
	}
	rc = 0;
fail:
	sodium_memzero(text, sizeof(text));
	if (rc != 0)
		sodium_memzero(key, crypto_secretbox_KEYBYTES);
	(void)close(fd);
	return rc;
}

/* Load the master key once, into guarded memory left inaccessible between uses. */
static int
keys_master_load(struct keys *k)
{
	unsigned char *m;

	if (k->master != NULL)
		return 0;
	if ((m = sodium_malloc(crypto_secretbox_KEYBYTES)) == NULL) {
		log_err("out of memory");
		return -1;
	}
	if (keys_master_read(k->master_path, m) != 0) {
		sodium_free(m);
		return -1;
	}
	if (sodium_mprotect_noaccess(m) != 0) {
		log_err("sodium_mprotect_noaccess failed");
		sodium_free(m);
		return -1;
	}
	k->master = m;
	return 0;
}

int
keys_master_check(struct keys *k)
{
	return keys_master_load(k);
}

int
keys_master_create(const char *path)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char text[KEYS_MASTER_B64 + 1], tmp[PATH_MAX];
	size_t len, off = 0;
	ssize_t n;
	int fd, rc = -1, made = 0;

	if (sodium_init() < 0) {
		log_err("sodium_init failed");
		return -1;
	}
	if (access(path, F_OK) == 0)
		return 1;
	/*
	 * Written whole under a private name, then linked to path: a
	 * concurrent init never reads a half-written key, and link(2), like
	 * O_EXCL, never replaces an existing key (it encrypts keys in the
	 * database).
	 */
	n = snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_err("master key file name too long: %s", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
	    S_IRUSR | S_IWUSR)) == -1) {
		log_err("cannot create master key file %s: %s", tmp, strerror(errno));
		return -1;
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(text, KEYS_MASTER_B64, key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	len = strlen(text);
	text[len++] = '\n';
	/* The umask may have left more bits than 0600 would: set them exactly. */
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
		log_err("cannot chmod master key file %s: %s", path, strerror(errno));
		goto fail;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("cannot write master key file %s: %s", path,
			    n == 0 ? "short write" : strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		log_err("cannot sync master key file %s: %s", path, strerror(errno));
		goto fail;
	}
	made = 1;
fail:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(text, sizeof(text));
	if (close(fd) != 0 && made) {
		log_err("cannot close master key file %s: %s", tmp, strerror(errno));
		made = 0;
	}
	if (made) {
		if (link(tmp, path) == 0)
			rc = 0;
		else if (errno == EEXIST)
			rc = 1;         /* a concurrent init made it first: use that one */
		else
			log_err("cannot create master key file %s: %s", path, strerror(errno));
	}
	if (unlink(tmp) != 0)
		log_err("cannot remove %s: %s", tmp, strerror(errno));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Row binding                                                         */
/* ------------------------------------------------------------------ */

/*
 * Derive the row-binding key from the master key, once. A process that
 * had not loaded the master key for itself (a verifier) drops it again at
 * once and keeps only the derived key, which binds rows but opens no
 * private key. Return 0 or -1 (logged).
 */
static int
keys_bind_load(struct keys *k)
{
	unsigned char *b;
	int had_master = k->master != NULL, rc = -1;

	if (k->bind != NULL)
		return 0;
	if (keys_master_load(k) != 0)
		return -1;
	if ((b = sodium_malloc(KEYS_BIND_KEYLEN)) == NULL) {
		log_err("out of memory");
		goto out;
	}
	if (sodium_mprotect_readonly(k->master) != 0) {
		log_err("sodium_mprotect_readonly failed");
		sodium_free(b);
		goto out;
	}
	rc = crypto_kdf_derive_from_key(b, KEYS_BIND_KEYLEN, KEYS_BIND_SUBKEY, KEYS_BIND_CTX,
	    k->master);
	if (sodium_mprotect_noaccess(k->master) != 0 || rc != 0 ||
	    sodium_mprotect_noaccess(b) != 0) {
		log_err("cannot derive the key-binding key");
		sodium_free(b);
		rc = -1;
		goto out;
	}
	k->bind = b;
out:
	if (!had_master) {
		sodium_free(k->master);
		k->master = NULL;
	}
	return rc;
}

/*
 * The binding of a key row: BLAKE2b keyed with the binding key over a
 * domain label, the KeyId, the alg (jwt_key_alg of the key: bound, so that
 * no key ever signs or verifies under another alg) and the DER public key,
 * each of the first three NUL-terminated so that no two rows share an
 * input. Return 0 or -1 (logged; also for alg NULL, a key of no alg).
 */
static int
keys_bind_mac(struct keys *k, const char *kid, const char *alg, const unsigned char *pub,
    size_t publen, unsigned char out[KEYS_BIND_LEN])
{
	crypto_generichash_state st;
	int rc;

	if (alg == NULL) {
		log_err("signing key %s is of no supported algorithm", kid);
		return -1;
	}
	if (keys_bind_load(k) != 0)
		return -1;
	if (sodium_mprotect_readonly(k->bind) != 0) {
		log_err("sodium_mprotect_readonly failed");
		return -1;
	}
	rc = crypto_generichash_init(&st, k->bind, KEYS_BIND_KEYLEN, KEYS_BIND_LEN) == 0 &&
	    crypto_generichash_update(&st, (const unsigned char *)KEYS_BIND_DOMAIN,
	    sizeof(KEYS_BIND_DOMAIN)) == 0 &&
	    crypto_generichash_update(&st, (const unsigned char *)kid, strlen(kid) + 1) == 0 &&
	    crypto_generichash_update(&st, (const unsigned char *)alg, strlen(alg) + 1) == 0 &&
	    crypto_generichash_update(&st, pub, publen) == 0 &&
	    crypto_generichash_final(&st, out, KEYS_BIND_LEN) == 0 ? 0 : -1;
	sodium_memzero(&st, sizeof(st));
	if (sodium_mprotect_noaccess(k->bind) != 0 || rc != 0) {
		log_err("cannot compute a key binding");
		return -1;
	}
	return 0;
}

/*
 * 1 if binding (len bytes, 0 for SQL NULL) is the row's binding under our
 * master key, 0 if not (logged once per kid and process), -1 if the
 * binding key cannot be had (logged).
 */
static int
keys_bind_check(struct keys *k, const char *kid, const char *alg, const unsigned char *pub,
    size_t publen, const unsigned char *binding, size_t len)
{
	unsigned char want[KEYS_BIND_LEN];
	int good;

	if (alg == NULL)
		len = 0;        /* a key of no alg: never bound, logged below */
	else if (keys_bind_mac(k, kid, alg, pub, publen, want) != 0)
		return -1;
	good = alg != NULL && len == KEYS_BIND_LEN &&
	    sodium_memcmp(want, binding, KEYS_BIND_LEN) == 0;
	if (good)
		return 1;
	for (size_t i = 0; i < k->nunbound; i++)
		if (strcmp(k->unbound[i], kid) == 0)
			return 0;
	log_err("signing key %s is not bound to the master key (%s binding): ignored, never"
	    " published; if the master key made it, run jwtauthctl keys bind", kid,
	    len == 0 ? "no" : "a wrong");
	if (k->nunbound < KEYS_UNBOUND_MAX && strlen(kid) < KEYS_KID_MAX)
		memcpy(k->unbound[k->nunbound++], kid, strlen(kid) + 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sealed private keys                                                 */
/* ------------------------------------------------------------------ */

/*
 * Seal the DER PKCS #8 form of priv: nonce || secretbox(DER). The nonce is
 * random (24 bytes: collisions are negligible, XSalsa20). The DER plaintext
 * is wiped. Return 0 with *out malloc'd, or -1.
 */
static int
keys_seal(struct keys *k, EVP_PKEY *priv, unsigned char **out, size_t *outlen)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL, *box = NULL;
	int derlen = 0, rc = -1;

	*out = NULL;
	if ((p8 = EVP_PKEY2PKCS8(priv)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		log_err("cannot encode the private key as PKCS #8");
		derlen = 0;
		goto fail;
	}
	if ((size_t)derlen + KEYS_BOX_OVERHEAD > KEYS_PRIV_MAX) {
		log_err("sealed private key too large (%d bytes of DER)", derlen);
		goto fail;
	}
	if ((box = malloc((size_t)derlen + KEYS_BOX_OVERHEAD)) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	if (sodium_mprotect_readonly(k->master) != 0) {
		log_err("sodium_mprotect_readonly failed");
		goto fail;
	}
	rc = crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, der,
	    (unsigned long long)derlen, box, k->master);
	if (sodium_mprotect_noaccess(k->master) != 0 || rc != 0) {
		log_err("cannot seal the private key");
		rc = -1;
		goto fail;
	}
	*out = box;
	*outlen = (size_t)derlen + KEYS_BOX_OVERHEAD;
	box = NULL;
	rc = 0;
fail:
	free(box);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return rc;
}

/*
 * Open a sealed private key and check that it is the signing key named kid:
 * secretbox binds no associated data, so without this check a writer to
 * the table could swap the PrivateKey blobs of two rows. Return the key,
 * or NULL (logged).
 */
static EVP_PKEY *
keys_unseal(struct keys *k, const char *kid, const unsigned char *box, size_t len)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *plain = NULL;
	const unsigned char *p;
	EVP_PKEY *priv = NULL;
	char thumb[JWK_KID_LEN + 1];
	size_t plen;
	int rc;

	if (len <= KEYS_BOX_OVERHEAD) {
		log_err("private key of %s is too short to be sealed", kid);
		return NULL;
	}
	plen = len - KEYS_BOX_OVERHEAD;
	/* Guarded, locked memory; sodium_free wipes it. */
	if ((plain = sodium_malloc(plen)) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	if (sodium_mprotect_readonly(k->master) != 0) {
		log_err("sodium_mprotect_readonly failed");
		goto fail;
	}
	rc = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
	    len - crypto_secretbox_NONCEBYTES, box, k->master);
	if (sodium_mprotect_noaccess(k->master) != 0) {
		log_err("sodium_mprotect_noaccess failed");
		goto fail;
	}
	if (rc != 0) {
		log_err("cannot decrypt the private key of %s: wrong master key or damaged row", kid);
		goto fail;
	}
	p = plain;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)plen)) == NULL ||
	    p != plain + plen || (priv = EVP_PKCS82PKEY(p8)) == NULL) {
		log_err("the private key of %s is not PKCS #8 DER", kid);
		goto fail;
	}
	if (jwt_key_alg(priv) == NULL || jwk_thumbprint(priv, thumb) != 0 ||
	    strcmp(thumb, kid) != 0) {
		log_err("the private key of %s does not match its KeyId", kid);
		EVP_PKEY_free(priv);
		priv = NULL;
		goto fail;
	}
fail:
	PKCS8_PRIV_KEY_INFO_free(p8);
	sodium_free(plain);
	ERR_clear_error();
	return priv;
}

/* ------------------------------------------------------------------ */
/* The active key                                                      */
/* ------------------------------------------------------------------ */

/* Read the active key's kid and age in seconds. Return DB_OK with *found, or the failure. */
static enum db_rc
keys_read_active(struct db *db, char kid[KEYS_KID_MAX], long long *age, int *found)
{
	struct db_col cols[2];
	size_t nrows = 0;
	enum db_rc rc;

	cols[0] = DB_OUT_STR(kid, KEYS_KID_MAX);
	cols[1] = DB_OUT_INT(age);
	*found = 0;
	/*
	 * There is one active key (keys_generate keeps it so); should two
	 * ever be, the newest wins, the same in every process.
	 */
	rc = db_query_latest(db,
	    "SELECT KeyId, TIMESTAMPDIFF(SECOND, CreatedAt, UTC_TIMESTAMP())"
	    " FROM SigningKeys WHERE IsActive = 1 ORDER BY Id DESC LIMIT 1",
	    NULL, 0, cols, DB_NPARAMS(cols), NULL, NULL, &nrows);
	if (rc == DB_OK && nrows == 1) {
		*found = 1;
		if (*age < 0)
			*age = 0;       /* another writer's clock ahead of ours */
	}
	return rc;
}

/*
 * Choose the key to sign with: among the active key and the keys whose
 * RetiredAt is still ahead (a rotation sets it to its own CreatedAt +
 * handover, keys.h), the newest that was created at least handover
 * seconds ago, else the oldest. A new key thus signs only once every
 * verifier has had the time to load it, and the key it replaces signs
 * until exactly then, no longer: its grace counts from that moment.
 * Fractional UTC_TIMESTAMP(6) keeps both comparisons exact. *left_ms gets
 * the milliseconds the chosen key may still sign, -1 for the active key.
 * Return DB_OK with *found, or the failure.
 */
static enum db_rc
keys_read_signing(struct keys *k, struct db *db, char kid[KEYS_KID_MAX], long long *left_ms,
    int *found)
{
	struct db_param params[1];
	struct db_col cols[2];
	size_t nrows = 0;
	enum db_rc rc;

	params[0] = DB_INT(k->handover);
	cols[0] = DB_OUT_STR(kid, KEYS_KID_MAX);
	cols[1] = DB_OUT_INT(left_ms);
	*found = 0;
	/*
	 * Mature keys first, the newest of them; when none is (a rotation
	 * came less than handover after the previous one), the oldest, which
	 * is the one that stops signing first and the longest known. Ids are
	 * positive: sorting on Id for a mature key and -Id for the others,
	 * descending, gives exactly that order.
	 */
	rc = db_query_latest(db,
	    "SELECT KeyId, IF(IsActive = 1, -1,"
	    "  GREATEST(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), RetiredAt) DIV 1000, 0))"
	    " FROM SigningKeys"
	    " WHERE IsActive = 1 OR RetiredAt > UTC_TIMESTAMP(6)"
	    " ORDER BY IF(CreatedAt + INTERVAL ? SECOND <= UTC_TIMESTAMP(6), Id, -Id) DESC LIMIT 1",
	    params, DB_NPARAMS(params), cols, DB_NPARAMS(cols), NULL, NULL, &nrows);
	if (rc == DB_OK && nrows == 1)
		*found = 1;
	return rc;
}

/* The stored parts of one key row, as read by keys_row_read. */
struct keys_row {
	unsigned char box[KEYS_PRIV_MAX];
	unsigned char pub[KEYS_PUB_MAX];
	unsigned char binding[KEYS_BIND_LEN];
	size_t boxlen, publen, bindlen;
};

/*
 * Read the sealed private key, public key and binding of kid into a new
 * *out (free it), or set it NULL when there is no such row. Return DB_OK
 * or the failure.
 */
static enum db_rc
keys_row_read(struct db *db, const char *kid, struct keys_row **out)
{
	struct keys_row *r;
	struct db_param params[1];
	struct db_col cols[3];
	size_t nrows = 0;
	enum db_rc rc;

	*out = NULL;
	if ((r = malloc(sizeof(*r))) == NULL) {
		log_err("out of memory");
		return DB_UNAVAILABLE;
	}
	params[0] = DB_STR(kid);
	cols[0] = DB_OUT_BLOB(r->box, sizeof(r->box), &r->boxlen);
	cols[1] = DB_OUT_BLOB(r->pub, sizeof(r->pub), &r->publen);
	cols[2] = DB_OUT_BLOB(r->binding, sizeof(r->binding), &r->bindlen);
	rc = db_query_latest(db,
	    "SELECT PrivateKey, PublicKey, Binding FROM SigningKeys WHERE KeyId = ?", params,
	    DB_NPARAMS(params), cols, DB_NPARAMS(cols), NULL, NULL, &nrows);
	if (rc != DB_OK || nrows != 1) {
		free(r);
		return rc;
	}
	*out = r;
	return DB_OK;
}

/* Load, unseal and cache the private key of kid. Return KEYS_OK or KEYS_UNAVAILABLE. */
static enum keys_rc
keys_load_private(struct keys *k, struct db *db, const char *kid)
{
	struct keys_row *r = NULL;
	EVP_PKEY *priv;
	enum keys_rc rc = KEYS_UNAVAILABLE;

	if (keys_master_load(k) != 0)
		return KEYS_UNAVAILABLE;
	if (keys_row_read(db, kid, &r) != DB_OK)
		goto fail;
	if (r == NULL) {
		log_err("signing key %s vanished while being loaded", kid);
		goto fail;
	}
	/*
	 * Sign only with a key every verifier trusts: one whose row is bound.
	 * The sealed key matches the KeyId (keys_unseal), the binding ties the
	 * KeyId and the key's alg to the published public key.
	 */
	if ((priv = keys_unseal(k, kid, r->box, r->boxlen)) == NULL)
		goto fail;
	if (keys_bind_check(k, kid, jwt_key_alg(priv), r->pub, r->publen, r->binding,
	    r->bindlen) != 1) {
		EVP_PKEY_free(priv);
		goto fail;
	}
	EVP_PKEY_free(k->priv);
	k->priv = priv;
	memcpy(k->priv_kid, kid, strlen(kid) + 1);
	k->state = KEYS_STATE_HAVE;
	log_info("signing with key %s", kid);
	rc = KEYS_OK;
fail:
	free(r);
	return rc;
}

enum keys_rc
keys_active(struct keys *k, struct db *db, EVP_PKEY **priv, const char **kid)
{
	char dbkid[KEYS_KID_MAX];
	long long now = keys_now(), left = -1;
	int found;

	*priv = NULL;
	*kid = NULL;
	/* At most one query per key_cache_refresh, and none past the key's last signing moment. */
	if (k->state != KEYS_STATE_UNKNOWN && !k->active_recheck &&
	    now - k->active_checked_at < k->refresh &&
	    (k->sign_until < 0 || now < k->sign_until))
		goto out;

	if (keys_read_signing(k, db, dbkid, &left, &found) != DB_OK)
		return KEYS_UNAVAILABLE;
	k->active_recheck = 0;
	if (!found) {
		EVP_PKEY_free(k->priv);
		k->priv = NULL;
		k->priv_kid[0] = '\0';
		k->state = KEYS_STATE_NONE;
		k->active_checked_at = now;
		k->sign_until = -1;
		log_err("no active signing key: run jwtauthctl init or jwtauthctl keys rotate");
		return KEYS_NONE;
	}
	if (k->state != KEYS_STATE_HAVE || strcmp(dbkid, k->priv_kid) != 0) {
		if (keys_load_private(k, db, dbkid) != KEYS_OK)
			return KEYS_UNAVAILABLE;
	}
	k->active_checked_at = now;
	k->sign_until = left < 0 ? -1 : now + left;
out:
	if (k->state != KEYS_STATE_HAVE)
		return KEYS_NONE;
	*priv = k->priv;
	*kid = k->priv_kid;
	return KEYS_OK;
}

/* ------------------------------------------------------------------ */
/* Published public keys                                               */
/* ------------------------------------------------------------------ */

struct keys_load {
	struct keys *keys;
	struct keys_pub *pubs;
	size_t n;
	int failed;
	long long now;
	/* the row being read */
	char kid[KEYS_KID_MAX];
	unsigned char der[KEYS_PUB_MAX];
	size_t derlen;
	unsigned char binding[KEYS_BIND_LEN];
	size_t bindlen;
	long long active;
	long long remaining;
};

/*
 * The public key in der if it is exactly one DER SubjectPublicKeyInfo of
 * a key of ours (RSA, EC P-256, Ed25519: jwt_key_alg) whose RFC 7638
 * thumbprint is kid, else NULL (logged): a row
 * that does not hold what its KeyId names is skipped, never trusted.
 */
static EVP_PKEY *
keys_pub_parse(const char *kid, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	char thumb[JWK_KID_LEN + 1];
	EVP_PKEY *pub;

	if ((pub = d2i_PUBKEY(NULL, &p, (long)len)) == NULL || p != der + len ||
	    jwt_key_alg(pub) == NULL || jwk_thumbprint(pub, thumb) != 0 ||
	    strcmp(thumb, kid) != 0) {
		log_err("signing key %s: public key unreadable or not matching its KeyId; skipped",
		    kid);
		EVP_PKEY_free(pub);
		pub = NULL;
	}
	ERR_clear_error();
	return pub;
}

static int
keys_load_row(void *arg)
{
	struct keys_load *l = arg;
	EVP_PKEY *pub;

	if (l->n == KEYS_CACHE_MAX) {
		log_warn("more than %d published signing keys: ignoring the oldest",
		    KEYS_CACHE_MAX);
		return 1;
	}
	if ((pub = keys_pub_parse(l->kid, l->der, l->derlen)) == NULL)
		return 0;
	/* Issue 16: a row the master key did not make is never trusted. */
	switch (keys_bind_check(l->keys, l->kid, jwt_key_alg(pub), l->der, l->derlen, l->binding,
	    l->bindlen)) {
	case 1:
		break;
	case 0:
		EVP_PKEY_free(pub);
		return 0;
	default:
		EVP_PKEY_free(pub);
		l->failed = 1;
		return 1;
	}
	l->pubs[l->n].pub = pub;
	memcpy(l->pubs[l->n].kid, l->kid, strlen(l->kid) + 1);
	l->pubs[l->n].active = l->active != 0;
	l->pubs[l->n].deadline = l->now + (l->remaining > 0 ? l->remaining * 1000 : 0);
	l->n++;
	return 0;
}

/*
 * Re-read the published keys (the active one and those retired within
 * grace) if the cache is older than key_cache_refresh seconds. On failure
 * the old cache stays in use. Return 0 when the cache is current, 1 when
 * re-reading failed and the old cache is used, -1 when there is none.
 */
static int
keys_pubs_refresh(struct keys *k, struct db *db)
{
	struct keys_load *l = NULL;
	struct db_param params[2];
	struct db_col cols[5];
	long long now = keys_now();
	enum db_rc rc;

	if (k->pubs_tried && now - k->pubs_tried_at < k->refresh)
		return k->pubs_loaded ? 0 : -1;
	/* Failed attempts count too: a dead database is not hammered either. */
	k->pubs_tried = 1;
	k->pubs_tried_at = now;
	k->reloads++;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->pubs = calloc(KEYS_CACHE_MAX, sizeof(*l->pubs))) == NULL) {
		log_err("out of memory");
		goto fail;
	}
	l->keys = k;
	l->now = now;
	params[0] = DB_INT(k->grace);
	params[1] = DB_INT(k->grace);
	cols[0] = DB_OUT_STR(l->kid, sizeof(l->kid));
	cols[1] = DB_OUT_BLOB(l->der, sizeof(l->der), &l->derlen);
	cols[2] = DB_OUT_INT(&l->active);
	cols[3] = DB_OUT_INT(&l->remaining);
	cols[4] = DB_OUT_BLOB(l->binding, sizeof(l->binding), &l->bindlen);
	/*
	 * SPEC §3: the active key and every key retired less than
	 * access_token_lifetime + clock_skew ago. The database's clock
	 * decides the remaining grace, our monotonic clock counts it down.
	 */
	/* SPEC §11: a key rotated through another node is seen at once. */
	rc = db_query_latest(db,
	    "SELECT KeyId, PublicKey, IsActive,"
	    " IF(IsActive = 1, 0,"
	    "  TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), RetiredAt + INTERVAL ? SECOND)), Binding"
	    " FROM SigningKeys"
	    " WHERE IsActive = 1"
	    "  OR (RetiredAt IS NOT NULL AND RetiredAt > UTC_TIMESTAMP() - INTERVAL ? SECOND)"
	    " ORDER BY IsActive DESC, Id DESC",
	    params, DB_NPARAMS(params), cols, DB_NPARAMS(cols), keys_load_row, l, NULL);
	if (rc != DB_OK || l->failed)
		goto fail;
	keys_pubs_free(k->pubs, k->npubs);
	k->pubs = l->pubs;
	k->npubs = l->n;
	k->pubs_loaded = 1;
	free(l);
	return 0;
fail:
	if (l != NULL) {
		keys_pubs_free(l->pubs, l->n);
		free(l);
	}
	if (k->pubs_loaded) {
		log_warn("cannot re-read the signing keys; using the %zu cached", k->npubs);
		return 1;
	}
	return -1;
}

static int
keys_pub_live(const struct keys_pub *p, long long now)
{
	return p->active || now < p->deadline;
}

EVP_PKEY *
keys_lookup(struct keys *k, struct db *db, const char *kid)
{
	long long now;
	int rc;

	k->lookup_unavailable = 0;
	/* Longer than any KeyId: cannot be ours, and not worth a query. */
	if (kid == NULL || strlen(kid) >= KEYS_KID_MAX)
		return NULL;
	rc = keys_pubs_refresh(k, db);
	now = keys_now();
	for (size_t i = 0; rc >= 0 && i < k->npubs; i++)
		if (strcmp(k->pubs[i].kid, kid) == 0)
			return keys_pub_live(&k->pubs[i], now) ? k->pubs[i].pub : NULL;
	/* Not found, but the database could not be asked: maybe a new key. */
	if (rc != 0)
		k->lookup_unavailable = 1;
	return NULL;
}

EVP_PKEY *
keys_jwt_lookup(void *arg, const char *kid)
{
	struct keys_lookup_arg *a = arg;

	return keys_lookup(a->keys, a->db, kid);
}

int
keys_lookup_unavailable(const struct keys *k)
{
	return k->lookup_unavailable;
}

json_object *
keys_jwks(struct keys *k, struct db *db)
{
	json_object *doc = NULL, *arr = NULL, *jwk;
	long long now;

	if (keys_pubs_refresh(k, db) < 0)
		return NULL;
	now = keys_now();
	if ((doc = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	if (json_object_object_add(doc, "keys", arr) != 0) {
		json_object_put(arr);
		goto fail;
	}
	for (size_t i = 0; i < k->npubs; i++) {
		if (!keys_pub_live(&k->pubs[i], now))
			continue;
		if ((jwk = jwk_from_pkey(k->pubs[i].pub, k->pubs[i].kid)) == NULL)
			goto fail;
		if (json_object_array_add(arr, jwk) != 0) {
			json_object_put(jwk);
			goto fail;
		}
	}
	return doc;
fail:
	log_err("cannot build the JWKS");
	json_object_put(doc);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Generation and rotation                                             */
/* ------------------------------------------------------------------ */

/*
 * What a row stores of key: its kid, its DER public key (*pub, OPENSSL_free),
 * its sealed private key (*box, free) and its binding. Return 0 or -1
 * (logged).
 */
static int
keys_row_make(struct keys *k, EVP_PKEY *key, char kid[JWK_KID_LEN + 1], unsigned char **pub,
    int *publen, unsigned char **box, size_t *boxlen, unsigned char binding[KEYS_BIND_LEN])
{
	if (jwk_thumbprint(key, kid) != 0)
		return -1;
	if ((*publen = i2d_PUBKEY(key, pub)) <= 0 || *publen > KEYS_PUB_MAX) {
		log_err("cannot encode the public key");
		return -1;
	}
	if (keys_seal(k, key, box, boxlen) != 0 ||
	    keys_bind_mac(k, kid, jwt_key_alg(key), *pub, (size_t)*publen, binding) != 0)
		return -1;
	return 0;
}

struct keys_rotate {
	long long handover;     /* seconds the retired key goes on signing */
	const char *kid;
	const unsigned char *box;
	size_t boxlen;
	const unsigned char *pub;
	size_t publen;
	const unsigned char *binding;   /* KEYS_BIND_LEN bytes */
	long long max_age;      /* -1: always; else rotate only if the active key is at least this old */
	int rotated;
};

/*
 * One transaction: (check the active key's age,) retire every active key,
 * insert the new one active. Readers never see zero or two active keys.
 * The retired key's RetiredAt is when it stops signing: handover seconds
 * after the new key's CreatedAt, once every verifier can know the new key
 * (keys_read_signing). Its grace counts from then.
 */
static enum db_rc
keys_rotate_tx(struct db *db, void *arg)
{
	struct keys_rotate *r = arg;
	struct db_param upd[2], ins[5];
	struct db_col cols[1];
	char now[KEYS_TIME_LEN];
	long long age = 0;
	size_t nrows = 0, seen = 0;
	unsigned long long retired = 0;
	enum db_rc rc;

	r->rotated = 0;
	if (r->max_age >= 0) {
		cols[0] = DB_OUT_INT(&age);
		rc = db_query(db,
		    "SELECT TIMESTAMPDIFF(SECOND, CreatedAt, UTC_TIMESTAMP())"
		    " FROM SigningKeys WHERE IsActive = 1 ORDER BY Id DESC LIMIT 1 FOR UPDATE",
		    NULL, 0, cols, DB_NPARAMS(cols), NULL, NULL, &nrows);
		if (rc != DB_OK)
			return rc;
		if (nrows == 1 && age < r->max_age)
			return DB_ABORT;        /* another run rotated meanwhile */
		seen = nrows;
	}
	/* One instant for both rows: the old key stops signing when the new one starts. */
	cols[0] = DB_OUT_STR(now, sizeof(now));
	rc = db_query(db, "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s')",
	    NULL, 0, cols, DB_NPARAMS(cols), NULL, NULL, &nrows);
	if (rc != DB_OK)
		return rc;
	if (nrows != 1) {
		log_err("the database did not tell the time");
		return DB_UNAVAILABLE;
	}
	upd[0] = DB_STR(now);
	upd[1] = DB_INT(r->handover);
	rc = db_exec(db,
	    "UPDATE SigningKeys SET IsActive = 0,"
	    " RetiredAt = CAST(? AS DATETIME) + INTERVAL ? SECOND WHERE IsActive = 1",
	    upd, DB_NPARAMS(upd), &retired, NULL);
	if (rc != DB_OK)
		return rc;
	/*
	 * No active key was there to lock when we looked, and now one is: a
	 * concurrent run (two `jwtauthctl init`) committed it meanwhile. READ
	 * COMMITTED lets this UPDATE see it; retiring it would make a second
	 * key and a needless hand-over. That run did the work.
	 */
	if (r->max_age >= 0 && seen == 0 && retired > 0)
		return DB_ABORT;
	ins[0] = DB_STR(r->kid);
	ins[1] = DB_BLOB(r->box, r->boxlen);
	ins[2] = DB_BLOB(r->pub, r->publen);
	ins[3] = DB_STR(now);
	ins[4] = DB_BLOB(r->binding, KEYS_BIND_LEN);
	rc = db_exec(db,
	    "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt, Binding)"
	    " VALUES (?, ?, ?, 1, CAST(? AS DATETIME), ?)",
	    ins, DB_NPARAMS(ins), NULL, NULL);
	if (rc == DB_DUPLICATE) {
		/*
		 * UX_SigningKeys_ActiveFlag (migration 007): a concurrent
		 * rotation made its key active after our UPDATE looked (READ
		 * COMMITTED shows no uncommitted row). Redo from the first
		 * read, which now sees that key. A kid collision of two fresh
		 * keys cannot happen; if it did, the bounded retries end it.
		 */
		log_info("another signing key became active meanwhile: redoing the rotation");
		return DB_RETRY;
	}
	if (rc != DB_OK)
		return rc;
	r->rotated = 1;
	return DB_OK;
}

/*
 * A new key pair for alg: RSA of bits bits (RFC 7518 §3.3), EC P-256
 * (§3.4) or Ed25519 (RFC 8037). NULL on failure, logged.
 */
static EVP_PKEY *
keys_keygen(const char *alg, unsigned int bits)
{
	EVP_PKEY *pkey;

	if (strcmp(alg, "RS256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else if (strcmp(alg, "ES256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		log_err("%s key generation failed", alg);
	return pkey;
}

static enum keys_rc
keys_rotate(struct keys *k, struct db *db, unsigned int bits, long long max_age,
    long long handover, int *rotated, char kid_out[JWK_KID_LEN + 1])
{
	struct keys_rotate r;
	EVP_PKEY *pkey = NULL;
	unsigned char *box = NULL, *pub = NULL, binding[KEYS_BIND_LEN];
	size_t boxlen = 0;
	char kid[JWK_KID_LEN + 1];
	int publen;
	enum keys_rc rc = KEYS_UNAVAILABLE;
	enum db_rc drc;

	*rotated = 0;
	if (strcmp(k->alg, "RS256") != 0 && bits != 0) {
		log_err("a key size is for RSA keys; %s keys have a fixed size", k->alg);
		return KEYS_UNAVAILABLE;
	}
	if (bits == 0)
		bits = k->bits;
	if (strcmp(k->alg, "RS256") == 0 && (bits < KEYS_BITS_MIN || bits > KEYS_BITS_MAX)) {
		log_err("RSA key size %u is outside %d..%d", bits, KEYS_BITS_MIN, KEYS_BITS_MAX);
		return KEYS_UNAVAILABLE;
	}
	/* Without the master key the new key could not be stored: check first. */
	if (keys_master_load(k) != 0)
		return KEYS_UNAVAILABLE;
	if ((pkey = keys_keygen(k->alg, bits)) == NULL)
		goto fail;
	if (keys_row_make(k, pkey, kid, &pub, &publen, &box, &boxlen, binding) != 0)
		goto fail;

	r.handover = handover;
	r.binding = binding;
	r.kid = kid;
	r.box = box;
	r.boxlen = boxlen;
	r.pub = pub;
	r.publen = (size_t)publen;
	r.max_age = max_age;
	r.rotated = 0;
	drc = db_transaction(db, keys_rotate_tx, &r);
	if (drc == DB_ABORT) {
		rc = KEYS_OK;
		goto fail;
	}
	if (drc != DB_OK)
		goto fail;
	*rotated = r.rotated;
	if (kid_out != NULL)
		memcpy(kid_out, kid, sizeof(kid));
	log_info("new active signing key %s (%s, %d bits)", kid, k->alg, EVP_PKEY_get_bits(pkey));
	{
		char b[EVENT_NUM_LEN];

		event_log("key_rotate", "kid", kid, "alg", k->alg, "bits",
		    event_num(b, (long long)EVP_PKEY_get_bits(pkey)), (char *)NULL);
	}
	/*
	 * Look again at the next use. This process too waits before signing
	 * with the new key (keys_read_signing): verifiers may not know it yet.
	 */
	k->active_recheck = 1;
	k->pubs_tried = 0;
	rc = KEYS_OK;
fail:
	ERR_clear_error();
	free(box);
	OPENSSL_free(pub);
	EVP_PKEY_free(pkey);
	return rc;
}

enum keys_rc
keys_generate(struct keys *k, struct db *db, unsigned int bits, char kid_out[JWK_KID_LEN + 1])
{
	int rotated;

	return keys_rotate(k, db, bits, -1, k->handover, &rotated, kid_out);
}

enum keys_rc
keys_rotate_now(struct keys *k, struct db *db, char kid_out[JWK_KID_LEN + 1])
{
	int rotated;

	log_warn("rotating without hand-over: verifiers that cached the JWKS refuse the new"
	    " key's tokens until they fetch it again");
	return keys_rotate(k, db, 0, -1, 0, &rotated, kid_out);
}

enum keys_rc
keys_init_active(struct keys *k, struct db *db, int *created, char kid_out[JWK_KID_LEN + 1])
{
	/* "Older than forever": only when no key is active, checked in the transaction. */
	return keys_rotate(k, db, 0, LLONG_MAX, k->handover, created, kid_out);
}

enum keys_rc
keys_rotate_if_older(struct keys *k, struct db *db, unsigned int days, int *rotated,
    char kid_out[JWK_KID_LEN + 1])
{
	char kid[KEYS_KID_MAX];
	long long age = 0, max_age;
	int found;

	*rotated = 0;
	if (days > KEYS_DAYS_MAX) {
		log_err("%u days is more than %d", days, KEYS_DAYS_MAX);
		return KEYS_UNAVAILABLE;
	}
	max_age = (long long)days * 86400;
	/* Cheap check first: generating an RSA key takes a while. */
	if (keys_read_active(db, kid, &age, &found) != DB_OK)
		return KEYS_UNAVAILABLE;
	if (found && age < max_age)
		return KEYS_OK;
	return keys_rotate(k, db, 0, max_age, k->handover, rotated, kid_out);
}

/* ------------------------------------------------------------------ */
/* Import and binding of existing rows                                 */
/* ------------------------------------------------------------------ */

enum keys_rc
keys_import(struct keys *k, struct db *db, EVP_PKEY *priv, char kid_out[JWK_KID_LEN + 1])
{
	unsigned char *box = NULL, *pub = NULL, binding[KEYS_BIND_LEN];
	struct db_param ins[4];
	char kid[JWK_KID_LEN + 1];
	size_t boxlen = 0;
	int publen = 0;
	enum keys_rc rc = KEYS_UNAVAILABLE;
	enum db_rc drc;

	/* SPEC §12: an RSA key of 2048 to 8192 bits, an EC P-256 or an Ed25519 key. */
	if (jwt_key_alg(priv) == NULL ||
	    (EVP_PKEY_is_a(priv, "RSA") == 1 && EVP_PKEY_get_bits(priv) > KEYS_BITS_MAX)) {
		log_err("only RSA keys of %d to %d bits, EC P-256 and Ed25519 keys can be imported",
		    KEYS_BITS_MIN, KEYS_BITS_MAX);
		return KEYS_UNAVAILABLE;
	}
	if (keys_master_load(k) != 0 ||
	    keys_row_make(k, priv, kid, &pub, &publen, &box, &boxlen, binding) != 0)
		goto fail;
	ins[0] = DB_STR(kid);
	ins[1] = DB_BLOB(box, boxlen);
	ins[2] = DB_BLOB(pub, (size_t)publen);
	ins[3] = DB_BLOB(binding, sizeof(binding));
	/* Retired at once: it verifies for the grace and never signs. */
	drc = db_exec(db,
	    "INSERT INTO SigningKeys (KeyId, PrivateKey, PublicKey, IsActive, CreatedAt,"
	    " RetiredAt, Binding) VALUES (?, ?, ?, 0, UTC_TIMESTAMP(), UTC_TIMESTAMP(), ?)",
	    ins, DB_NPARAMS(ins), NULL, NULL);
	if (drc == DB_DUPLICATE) {
		log_err("a signing key with kid %s already exists", kid);
		goto fail;
	}
	if (drc != DB_OK)
		goto fail;
	if (kid_out != NULL)
		memcpy(kid_out, kid, sizeof(kid));
	log_info("imported signing key %s, retired: it verifies, never signs", kid);
	k->pubs_tried = 0;
	rc = KEYS_OK;
fail:
	ERR_clear_error();
	free(box);
	OPENSSL_free(pub);
	return rc;
}

struct keys_kids {
	char (*kid)[KEYS_KID_MAX];
	size_t n, cap;
	char row[KEYS_KID_MAX];
	int failed;
};

static int
keys_kids_row(void *arg)
{
	struct keys_kids *l = arg;
	char (*grown)[KEYS_KID_MAX];

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		if ((grown = reallocarray(l->kid, l->cap, sizeof(*l->kid))) == NULL) {
			log_err("out of memory");
			l->failed = 1;
			return 1;
		}
		l->kid = grown;
	}
	memcpy(l->kid[l->n++], l->row, sizeof(l->row));
	return 0;
}

/*
 * Bind one row if the master key made it: its sealed private key opens
 * and is the key its KeyId names, and so is its public key. Return 1 if it
 * was bound now, 0 if it already was, 2 if it is refused (logged), -1 on
 * a database or master-key failure.
 */
static int
keys_bind_row(struct keys *k, struct db *db, const char *kid)
{
	struct db_param upd[3];
	struct keys_row *r = NULL;
	unsigned char want[KEYS_BIND_LEN];
	EVP_PKEY *priv = NULL, *pubkey = NULL;
	int rc = -1;

	if (keys_row_read(db, kid, &r) != DB_OK)
		goto out;
	rc = 2;
	if (r == NULL || (pubkey = keys_pub_parse(kid, r->pub, r->publen)) == NULL ||
	    (priv = keys_unseal(k, kid, r->box, r->boxlen)) == NULL) {
		log_err("signing key %s was not made with this master key: left unbound", kid);
		goto out;
	}
	rc = -1;
	if (keys_bind_mac(k, kid, jwt_key_alg(pubkey), r->pub, r->publen, want) != 0)
		goto out;
	if (r->bindlen == KEYS_BIND_LEN && sodium_memcmp(r->binding, want, KEYS_BIND_LEN) == 0) {
		rc = 0;
		goto out;
	}
	upd[0] = DB_BLOB(want, sizeof(want));
	upd[1] = DB_STR(kid);
	upd[2] = DB_BLOB(r->pub, r->publen);
	/* The row as it was read: a concurrent change of its public key is not bound. */
	if (db_exec(db, "UPDATE SigningKeys SET Binding = ? WHERE KeyId = ? AND PublicKey = ?",
	    upd, DB_NPARAMS(upd), NULL, NULL) != DB_OK)
		goto out;
	log_info("signing key %s bound to the master key", kid);
	rc = 1;
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pubkey);
	free(r);
	return rc;
}

int
keys_bind_rows(struct keys *k, struct db *db, unsigned int *bound, unsigned int *refused)
{
	struct keys_kids l;
	struct db_col cols[1];
	int rc = -1, r;

	*bound = *refused = 0;
	memset(&l, 0, sizeof(l));
	if (keys_master_load(k) != 0)
		return -1;
	cols[0] = DB_OUT_STR(l.row, sizeof(l.row));
	if (db_query(db, "SELECT KeyId FROM SigningKeys ORDER BY Id", NULL, 0,
	    cols, DB_NPARAMS(cols), keys_kids_row, &l, NULL) != DB_OK || l.failed)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		if ((r = keys_bind_row(k, db, l.kid[i])) < 0)
			goto out;
		if (r == 1)
			(*bound)++;
		else if (r == 2)
			(*refused)++;
	}
	k->pubs_tried = 0;
	k->active_recheck = 1;
	rc = 0;
out:
	free(l.kid);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

struct keys_listing {
	keys_list_fn fn;
	void *arg;
	char kid[KEYS_KID_MAX];
	unsigned char der[KEYS_PUB_MAX];
	size_t derlen;
	char created[KEYS_TIME_LEN];
	char retired[KEYS_TIME_LEN];
	int retired_null;
	long long active;
	long long published;
};

static int
keys_list_row(void *arg)
{
	struct keys_listing *l = arg;
	struct keys_info info;
	const unsigned char *p = l->der;
	EVP_PKEY *pub;

	/* A key's alg is its type's (jwt_key_alg); "?" for a row that holds no key of ours. */
	info.alg = NULL;
	if ((pub = d2i_PUBKEY(NULL, &p, (long)l->derlen)) != NULL && p == l->der + l->derlen)
		info.alg = jwt_key_alg(pub);
	if (info.alg == NULL)
		info.alg = "?";
	EVP_PKEY_free(pub);
	ERR_clear_error();
	info.kid = l->kid;
	info.created = l->created;
	info.retired = l->retired_null ? NULL : l->retired;
	info.active = l->active != 0;
	info.published = l->published != 0;
	return l->fn(l->arg, &info);
}

int
keys_list(struct keys *k, struct db *db, keys_list_fn fn, void *arg)
{
	struct keys_listing l;
	struct db_param params[1];
	struct db_col cols[6];

	memset(&l, 0, sizeof(l));
	l.fn = fn;
	l.arg = arg;
	params[0] = DB_INT(k->grace);
	cols[0] = DB_OUT_STR(l.kid, sizeof(l.kid));
	cols[1] = DB_OUT_STR(l.created, sizeof(l.created));
	cols[2] = DB_OUT_STR_N(l.retired, sizeof(l.retired), &l.retired_null);
	cols[3] = DB_OUT_INT(&l.active);
	cols[4] = DB_OUT_INT(&l.published);
	cols[5] = DB_OUT_BLOB(l.der, sizeof(l.der), &l.derlen);
	if (db_query_latest(db,
	    "SELECT KeyId, DATE_FORMAT(CreatedAt, '%Y-%m-%d %H:%i:%s'),"
	    " DATE_FORMAT(RetiredAt, '%Y-%m-%d %H:%i:%s'), IsActive,"
	    " IsActive = 1 OR IFNULL(RetiredAt > UTC_TIMESTAMP() - INTERVAL ? SECOND, 0),"
	    " PublicKey"
	    " FROM SigningKeys ORDER BY Id DESC",
	    params, DB_NPARAMS(params), cols, DB_NPARAMS(cols), keys_list_row, &l, NULL) != DB_OK)
		return -1;
	return 0;
}

unsigned long
keys_reload_count(const struct keys *k)
{
	return k->reloads;
}
