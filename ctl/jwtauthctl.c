/*
 * jwtauthctl: the administrator's command line (SPEC §7, jwtauthctl(8)).
 *
 * Reads the same configuration as the FastCGI programs and works through
 * the same library: the key store (keys.h), the account rules and writes
 * (account.h), session revocation (session.h). Exit status 0 on success,
 * 1 on failure, 2 on a usage error; results on stdout, errors on stderr.
 * Passwords are read from standard input, never taken as arguments (they
 * would show in ps(1) and in shell history), and wiped after use.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "account.h"
#include "app.h"
#include "cfg.h"
#include "client.h"
#include "db.h"
#include "event.h"
#include "jwk.h"
#include "keys.h"
#include "log.h"
#include "pwhash.h"
#include "reqjson.h"
#include "session.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
/* Where make install puts sql/migrations (Makefile.am sets it). */
#ifndef MIGRATIONSDIR
#define MIGRATIONSDIR "/usr/local/share/jwtauth/sql/migrations"
#endif

#define EXIT_OK     0
#define EXIT_FAIL   1
#define EXIT_USAGE  2

#define CTL_PW_MAX      1024    /* bytes read for a password: 100 characters of up to 4 bytes fit */
#define CTL_DAYS_MAX    36500
#define CTL_CLIENT_ID_MAX   100 /* Clients.ClientId VARCHAR(100) */
#define CTL_CLIENT_NAME_MAX 100 /* Clients.Name VARCHAR(100) */
#define CTL_CLIENT_URL_MAX  500 /* Clients.ClientURL VARCHAR(500) */
#define CTL_SCOPES_ARGS     32  /* client scopes: SCOPE arguments at most */
#define CTL_MIGRATION_MAX   999 /* migrations are NNN-name.sql */
#define CTL_MIGRATION_SIZE  (1024 * 1024)       /* bytes of one migration file */

/*
 * purge: a revoked token is kept this long after its revocation (unless
 * its family is still alive), so that presenting it right after a logout
 * still answers "already revoked" rather than "invalid".
 */
#define CTL_PURGE_REVOKED_AGE 86400

static const char *progname = "jwtauthctl";
static int rotate_now;          /* keys rotate --now */

/* PEM passphrase callback that gives none. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

struct cmd {
	const char *group;      /* "keys", or NULL for a one-word command */
	const char *name;
	const char *args;       /* usage after the command words */
	const char *help;       /* what it does, for --help */
	int (*run)(struct app *, int, char **, const struct cmd *);
	int minargs, maxargs;   /* positional arguments */
	int needs_app;
};

static int cmd_init(struct app *, int, char **, const struct cmd *);
static int cmd_keys_list(struct app *, int, char **, const struct cmd *);
static int cmd_keys_rotate(struct app *, int, char **, const struct cmd *);
static int cmd_keys_bind(struct app *, int, char **, const struct cmd *);
static int cmd_keys_import(struct app *, int, char **, const struct cmd *);
static int cmd_user_add(struct app *, int, char **, const struct cmd *);
static int cmd_user_list(struct app *, int, char **, const struct cmd *);
static int cmd_user_passwd(struct app *, int, char **, const struct cmd *);
static int cmd_user_grant(struct app *, int, char **, const struct cmd *);
static int cmd_user_revoke(struct app *, int, char **, const struct cmd *);
static int cmd_client_add(struct app *, int, char **, const struct cmd *);
static int cmd_client_list(struct app *, int, char **, const struct cmd *);
static int cmd_client_secret(struct app *, int, char **, const struct cmd *);
static int cmd_client_scopes(struct app *, int, char **, const struct cmd *);
static int cmd_sessions_revoke(struct app *, int, char **, const struct cmd *);
static int cmd_purge(struct app *, int, char **, const struct cmd *);
static int cmd_migrate(struct app *, int, char **, const struct cmd *);

static const struct cmd cmds[] = {
	{ NULL, "init", "",
	    "Create the master key file if it is missing, then the first signing key\n"
	    "if no key is active, and bind to the master key every key row it made\n"
	    "that is not bound yet (see keys bind). Running it again changes nothing.",
	    cmd_init, 0, 0, 1 },
	{ "keys", "list", "",
	    "List the signing keys, newest first: kid, alg (RS256, ES256 or EdDSA),\n"
	    "creation time, status (active, published: retired but still verifying,\n"
	    "or retired) and retirement time.",
	    cmd_keys_list, 0, 0, 1 },
	{ "keys", "rotate", "[--if-older-than DAYS | --now] [--alg RS256|ES256|EdDSA]",
	    "Make a new signing key active and retire the current one, which keeps\n"
	    "verifying for access_token_lifetime + clock_skew. The current key goes on\n"
	    "signing for jwks_max_age + key_cache_refresh + 2 seconds, until every\n"
	    "verifier that honours the JWKS's cache lifetime knows the new one. With\n"
	    "--if-older-than, only when the active key is at least DAYS days old (for\n"
	    "cron). --now, for emergencies only, makes the new key sign at once:\n"
	    "verifiers that cached the JWKS refuse its tokens until they fetch it again.\n"
	    "The new key is of the alg --alg names, else of signing_alg in the config;\n"
	    "the hand-over is the same when the alg changes.",
	    cmd_keys_rotate, 0, 0, 1 },
	{ "keys", "bind", "",
	    "Bind to the master key every signing key row that it made (its sealed\n"
	    "private key opens, and is the key its KeyId and public key name) and\n"
	    "that has no binding yet, as after upgrading to schema version 6. Rows\n"
	    "without a binding are never trusted nor published; rows the master key\n"
	    "did not make are reported and left so. Exit 1 if there are any.",
	    cmd_keys_bind, 0, 0, 1 },
	{ "keys", "import", "FILE",
	    "Add the RSA, EC P-256 or Ed25519 private key in the PEM file FILE\n"
	    "(unencrypted PKCS #8, or PKCS #1 for RSA) as a retired signing key:\n"
	    "sealed and bound like the others, it verifies and is published for\n"
	    "access_token_lifetime + clock_skew, and never signs. For the tokens of\n"
	    "a server jwtauth replaces.",
	    cmd_keys_import, 1, 1, 1 },
	{ "user", "add", "EMAIL FIRSTNAME [LASTNAME]",
	    "Add a user with role User. The password is read from standard input\n"
	    "(one line). The rules of POST /api/Users/Register apply.",
	    cmd_user_add, 2, 3, 1 },
	{ "user", "list", "",
	    "List the users: id, email, first name, last name and roles.",
	    cmd_user_list, 0, 0, 1 },
	{ "user", "passwd", "EMAIL",
	    "Set a user's password, read from standard input (one line), and revoke\n"
	    "every refresh token of the user.",
	    cmd_user_passwd, 1, 1, 1 },
	{ "user", "grant", "EMAIL ROLE",
	    "Give a user a role (Admin, Editor or User). Access tokens already\n"
	    "issued keep their roles until they expire.",
	    cmd_user_grant, 2, 2, 1 },
	{ "user", "revoke", "EMAIL ROLE",
	    "Take a role from a user. Access tokens already issued keep their roles\n"
	    "until they expire; refreshed ones carry the new roles.",
	    cmd_user_revoke, 2, 2, 1 },
	{ "client", "add", "CLIENTID NAME URL [--confidential]",
	    "Register a client application. URL (http:// or https://) becomes the\n"
	    "audience of the access tokens issued to it. With --confidential the\n"
	    "client gets a secret, printed once on standard output: it must then\n"
	    "authenticate at the OAuth 2.0 endpoints. Without, it is public.",
	    cmd_client_add, 3, 3, 1 },
	{ "client", "secret", "CLIENTID",
	    "Give a client a new secret, printed once on standard output; the old one\n"
	    "stops working at once. A public client becomes confidential.",
	    cmd_client_secret, 1, 1, 1 },
	{ "client", "scopes", "CLIENTID [SCOPE...]",
	    "Set the scopes a client may ask for at the OAuth 2.0 token endpoint\n"
	    "(RFC 6749 scope-tokens: printable ASCII without space, quote or\n"
	    "backslash); none clears the list. Prints the list.",
	    cmd_client_scopes, 1, 1 + CTL_SCOPES_ARGS, 1 },
	{ "client", "list", "",
	    "List the registered clients: client id, name, URL, type (public or\n"
	    "confidential) and scopes.",
	    cmd_client_list, 0, 0, 1 },
	{ "sessions", "revoke", "--user EMAIL",
	    "Revoke every live refresh token of a user, on every client.",
	    cmd_sessions_revoke, 0, 0, 1 },
	{ NULL, "purge", "",
	    "Delete the refresh tokens that can no longer matter: expired, or revoked\n"
	    "more than a day ago, and whose family holds no live token (so reuse\n"
	    "detection keeps working); and the login-throttle rows whose window ended.",
	    cmd_purge, 0, 0, 1 },
	{ NULL, "migrate", "[--dir DIR]",
	    "Bring the database schema up to date: apply, in order, each migration\n"
	    "DIR/NNN-name.sql (default " MIGRATIONSDIR ")\n"
	    "not yet recorded in SchemaMigrations, and record it. Running it again\n"
	    "applies nothing. It needs a database account with CREATE, ALTER, INDEX\n"
	    "and DROP rights, which the programs' own account should not have: run it\n"
	    "with -c and a configuration naming such an account.",
	    cmd_migrate, 0, 0, 1 },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* ------------------------------------------------------------------ */
/* Usage                                                               */
/* ------------------------------------------------------------------ */

static void
cmd_usage_line(FILE *f, const struct cmd *c)
{
	fprintf(f, "%s %s%s%s%s%s", progname, c->group != NULL ? c->group : "",
	    c->group != NULL ? " " : "", c->name, *c->args != '\0' ? " " : "", c->args);
}

static void
usage_all(FILE *f, const char *group)
{
	fprintf(f, "usage: %s [-c FILE] %s%sCOMMAND [ARGS]\n\n", progname,
	    group != NULL ? group : "", group != NULL ? " " : "");
	fprintf(f, "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++) {
		if (group != NULL && (cmds[i].group == NULL || strcmp(cmds[i].group, group) != 0))
			continue;
		fprintf(f, "  ");
		cmd_usage_line(f, &cmds[i]);
		fputc('\n', f);
	}
	fprintf(f, "\nOptions:\n"
	    "  -c FILE   configuration file (default: $JWTAUTH_CONFIG, else\n"
	    "            ~/jwtauth/jwtauth.conf if it exists, else %s)\n"
	    "  --help    this text; COMMAND --help describes one command\n",
	    SYSCONFDIR "/jwtauth.conf");
}

static void
cmd_help(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: ");
	cmd_usage_line(f, c);
	fprintf(f, "\n\n%s\n", c->help);
}

/* Say what is wrong with the command line, then how it goes. Return EXIT_USAGE. */
static int usage_error(const struct cmd *, const char *, ...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ");
	cmd_usage_line(stderr, c);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/*
 * Print a value from the database: a name may hold anything a client sent,
 * and control characters must not reach the administrator's terminal (nor
 * a tab break the columns).
 */
static void
put_field(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void
put_row(size_t n, const char *const *fields)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar('\t');
		put_field(fields[i]);
	}
	putchar('\n');
}

/*
 * Read one line of standard input into buf (cap bytes, NUL included),
 * without the newline. On a terminal, prompt on stderr and turn echo off.
 * Read one byte at a time so that nothing past the line sits in a stdio
 * buffer that is never wiped. Return 0, or -1 (message printed).
 */
static int
read_password(char *buf, size_t cap, size_t *len)
{
	struct termios old, noecho;
	int tty, rc = -1;
	ssize_t n;
	char ch;

	*len = 0;
	memset(&old, 0, sizeof(old));
	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "Password: ");
		fflush(stderr);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) != 0)
			tty = 0;
	}
	for (;;) {
		n = read(STDIN_FILENO, &ch, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "%s: cannot read the password: %s\n", progname, strerror(errno));
			goto fail;
		}
		if (n == 0 || ch == '\n')
			break;
		if (ch == '\0') {
			fprintf(stderr, "%s: the password contains a NUL byte\n", progname);
			goto fail;
		}
		if (*len + 1 >= cap) {
			fprintf(stderr, "%s: the password is too long\n", progname);
			goto fail;
		}
		buf[(*len)++] = ch;
	}
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	buf[*len] = '\0';
	rc = 0;
fail:
	ch = 0;
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc != 0) {
		sodium_memzero(buf, cap);
		*len = 0;
	}
	return rc;
}

static void
invalid(void *arg, const char *field, const char *message)
{
	fprintf(stderr, "%s: %s: %s\n", progname, field, message);
}

/*
 * The API reads only valid UTF-8 (lib/reqjson.c): a name or a password
 * that is not could be stored here but never typed into a request.
 */
static int
utf8_ok(const char *what, const char *s, size_t len)
{
	if (s == NULL || rj_utf8_valid(s, len))
		return 1;
	fprintf(stderr, "%s: %s is not valid UTF-8\n", progname, what);
	return 0;
}

static struct account_str
astr(const char *s)
{
	struct account_str a = { s, s != NULL ? strlen(s) : 0 };

	return a;
}

static int
db_failed(void)
{
	fprintf(stderr, "%s: the database is unavailable (see the message above)\n", progname);
	return EXIT_FAIL;
}

/* Find a user by email into u. Return EXIT_OK, or EXIT_FAIL with a message. */
static int
find_user(struct app *app, const char *email, struct account_user *u)
{
	switch (account_by_email(app->db, email, strlen(email), u)) {
	case ACCOUNT_OK:
		return EXIT_OK;
	case ACCOUNT_NOT_FOUND:
		fprintf(stderr, "%s: no user with email %s\n", progname, email);
		return EXIT_FAIL;
	default:
		return db_failed();
	}
}

/* Has s a byte below 0x20 or DEL? */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* init and keys                                                       */
/* ------------------------------------------------------------------ */

static int
count_active(void *arg, const struct keys_info *info)
{
	*(int *)arg += info->active;
	return 0;
}

/* Create the folder that will hold the master key, one level, mode 0700. */
static int
make_parent(const char *path)
{
	char dir[CFG_STR_MAX];
	char *slash;
	struct stat st;

	if (strlen(path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	if (errno != ENOENT || mkdir(dir, 0700) != 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", progname, dir, strerror(errno));
		return -1;
	}
	printf("created directory %s\n", dir);
	return 0;
}

/*
 * keys_bind_rows, reported: bound rows on stdout, rows the master key did
 * not make on stderr. Return 0, 1 if some rows were refused, -1 on a
 * failure (reported).
 */
static int
bind_rows(struct app *app)
{
	unsigned int bound = 0, refused = 0;

	if (keys_bind_rows(app->keys, app->db, &bound, &refused) != 0) {
		fprintf(stderr, "%s: cannot bind the signing keys to the master key %s (see the"
		    " message above)\n", progname, app->cfg.master_key_file);
		return -1;
	}
	if (bound > 0)
		printf("bound %u signing key%s to the master key\n", bound, bound == 1 ? "" : "s");
	if (refused > 0)
		fprintf(stderr, "%s: %u signing key row%s not made with this master key: never"
		    " trusted (see above)\n", progname, refused, refused == 1 ? "" : "s");
	return refused > 0 ? 1 : 0;
}

static int
cmd_init(struct app *app, int argc, char **argv, const struct cmd *c)
{
	const char *path = app->cfg.master_key_file;
	char kid[JWK_KID_LEN + 1];
	const char *akid;
	EVP_PKEY *priv;
	int active = 0, created = 0;

	if (make_parent(path) != 0)
		return EXIT_FAIL;
	switch (keys_master_create(path)) {
	case 0:
		printf("created master key file %s\n", path);
		break;
	case 1:
		break;
	default:
		fprintf(stderr, "%s: cannot create the master key file %s\n", progname, path);
		return EXIT_FAIL;
	}
	if (keys_master_check(app->keys) != 0) {
		fprintf(stderr, "%s: the master key file %s cannot be used (see the message above)\n",
		    progname, path);
		return EXIT_FAIL;
	}
	if (keys_list(app->keys, app->db, count_active, &active) != 0)
		return db_failed();
	if (bind_rows(app) < 0)
		return EXIT_FAIL;
	if (active == 0) {
		/* Two inits at once make one key (migration 007, keys_init_active). */
		if (keys_init_active(app->keys, app->db, &created, kid) != KEYS_OK) {
			fprintf(stderr, "%s: cannot create a signing key\n", progname);
			return EXIT_FAIL;
		}
		if (created) {
			printf("created signing key %s\n", kid);
			return EXIT_OK;
		}
	}
	/* A key exists: prove that this master key opens it. */
	if (keys_active(app->keys, app->db, &priv, &akid) != KEYS_OK) {
		fprintf(stderr, "%s: the active signing key cannot be used: is %s the master key"
		    " it was made with? (see the message above)\n", progname, path);
		return EXIT_FAIL;
	}
	printf("active signing key %s\n", akid);
	return EXIT_OK;
}

static int
keys_row(void *arg, const struct keys_info *info)
{
	const char *f[5];

	f[0] = info->kid;
	f[1] = info->alg;
	f[2] = info->created;
	f[3] = info->active ? "active" : info->published ? "published" : "retired";
	f[4] = info->retired != NULL ? info->retired : "-";
	put_row(5, f);
	return 0;
}

static int
cmd_keys_list(struct app *app, int argc, char **argv, const struct cmd *c)
{
	static const char *const head[] = { "KID", "ALG", "CREATED", "STATUS", "RETIRED" };

	put_row(5, head);
	if (keys_list(app->keys, app->db, keys_row, NULL) != 0)
		return db_failed();
	return EXIT_OK;
}

static int
cmd_keys_bind(struct app *app, int argc, char **argv, const struct cmd *c)
{
	int r = bind_rows(app);

	if (r == 0)
		printf("every signing key is bound to the master key\n");
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}

static int
cmd_keys_import(struct app *app, int argc, char **argv, const struct cmd *c)
{
	char kid[JWK_KID_LEN + 1];
	EVP_PKEY *priv = NULL;
	FILE *f;

	if ((f = fopen(argv[0], "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[0], strerror(errno));
		return EXIT_FAIL;
	}
	/* An empty passphrase callback: an encrypted key is refused, never prompted for. */
	priv = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	(void)fclose(f);
	ERR_clear_error();
	if (priv == NULL) {
		fprintf(stderr, "%s: %s holds no unencrypted PEM private key\n", progname, argv[0]);
		return EXIT_FAIL;
	}
	if (keys_import(app->keys, app->db, priv, kid) != KEYS_OK) {
		EVP_PKEY_free(priv);
		fprintf(stderr, "%s: import failed (see the message above)\n", progname);
		return EXIT_FAIL;
	}
	EVP_PKEY_free(priv);
	printf("imported signing key %s (retired: verifies, never signs)\n", kid);
	return EXIT_OK;
}

static int
cmd_keys_rotate(struct app *app, int argc, char **argv, const struct cmd *c)
{
	char kid[JWK_KID_LEN + 1];
	const char *days = argv[0];     /* the options' values, set by main */
	const char *alg = argv[1];
	unsigned long n;
	char *end;
	int rotated = 0;

	if (alg != NULL && keys_set_alg(app->keys, alg) != 0)
		return usage_error(c, "--alg: not one of RS256, ES256, EdDSA: %s", alg);
	if (rotate_now) {
		if (days != NULL)
			return usage_error(c, "--now and --if-older-than exclude each other");
		if (keys_rotate_now(app->keys, app->db, kid) != KEYS_OK) {
			fprintf(stderr, "%s: rotation failed (see the message above)\n", progname);
			return EXIT_FAIL;
		}
		printf("rotated now, without hand-over: new active signing key %s\n", kid);
		fprintf(stderr, "%s: verifiers that cached the JWKS (up to %u s) or the keys (up to"
		    " %u s) refuse tokens of the new key until they fetch them again\n", progname,
		    app->cfg.jwks_max_age, app->cfg.key_cache_refresh);
		return EXIT_OK;
	}
	if (days == NULL) {
		if (keys_generate(app->keys, app->db, 0, kid) != KEYS_OK) {
			fprintf(stderr, "%s: rotation failed (see the message above)\n", progname);
			return EXIT_FAIL;
		}
		printf("rotated: new active signing key %s\n", kid);
		return EXIT_OK;
	}
	errno = 0;
	n = strtoul(days, &end, 10);
	if (*days < '0' || *days > '9' || *end != '\0' || errno != 0 || n > CTL_DAYS_MAX)
		return usage_error(c, "--if-older-than: not a number of days from 0 to 36500: %s",
		    days);
	if (keys_rotate_if_older(app->keys, app->db, (unsigned int)n, &rotated, kid) != KEYS_OK) {
		fprintf(stderr, "%s: rotation failed (see the message above)\n", progname);
		return EXIT_FAIL;
	}
	if (rotated)
		printf("rotated: new active signing key %s\n", kid);
	else
		printf("not rotated: the active key is less than %lu day%s old\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* user                                                                */
/* ------------------------------------------------------------------ */

static int
cmd_user_add(struct app *app, int argc, char **argv, const struct cmd *c)
{
	struct account_input in;
	char pw[CTL_PW_MAX];
	size_t pwlen;
	long long id = 0;
	int rc = EXIT_FAIL;

	if (read_password(pw, sizeof(pw), &pwlen) != 0)
		return EXIT_FAIL;
	memset(&in, 0, sizeof(in));
	in.email = astr(argv[0]);
	in.firstname = astr(argv[1]);
	in.lastname = astr(argc > 2 ? argv[2] : NULL);
	in.password.p = pw;
	in.password.len = pwlen;
	if (!utf8_ok("EMAIL", in.email.p, in.email.len) ||
	    !utf8_ok("FIRSTNAME", in.firstname.p, in.firstname.len) ||
	    !utf8_ok("LASTNAME", in.lastname.p, in.lastname.len) ||
	    !utf8_ok("the password", pw, pwlen))
		goto fail;
	/* SPEC §3 Register: every failing rule is reported. */
	if (account_validate(&in, ACCOUNT_CHECK_REGISTER, invalid, NULL) != 0)
		goto fail;
	switch (account_register(app->db, &in, &app->cost, &id)) {
	case ACCOUNT_OK:
		printf("added user %lld ", id);
		put_field(argv[0]);
		printf(" with role User\n");
		rc = EXIT_OK;
		break;
	case ACCOUNT_EMAIL_TAKEN:
		fprintf(stderr, "%s: Email is already registered.\n", progname);
		break;
	default:
		rc = db_failed();
		break;
	}
fail:
	sodium_memzero(pw, sizeof(pw));
	return rc;
}

struct user_row {
	long long id;
	char email[ACCOUNT_EMAIL_MAX];
	char first[ACCOUNT_NAME_MAX];
	char last[ACCOUNT_NAME_MAX];
	int last_null;
	char roles[ACCOUNT_ROLES_MAX * ACCOUNT_ROLE_MAX];
};

static int
user_row(void *arg)
{
	struct user_row *r = arg;
	char id[32];
	const char *f[5];

	snprintf(id, sizeof(id), "%lld", r->id);
	f[0] = id;
	f[1] = r->email;
	f[2] = r->first;
	f[3] = r->last_null ? "" : r->last;
	f[4] = r->roles;
	put_row(5, f);
	return 0;
}

static int
cmd_user_list(struct app *app, int argc, char **argv, const struct cmd *c)
{
	static const char *const head[] = { "ID", "EMAIL", "FIRSTNAME", "LASTNAME", "ROLES" };
	struct user_row *r;
	int rc = EXIT_OK;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_FAIL;
	}
	struct db_col cols[] = {
		DB_OUT_INT(&r->id),
		DB_OUT_STR(r->email, sizeof(r->email)),
		DB_OUT_STR(r->first, sizeof(r->first)),
		DB_OUT_STR_N(r->last, sizeof(r->last), &r->last_null),
		DB_OUT_STR(r->roles, sizeof(r->roles)),
	};

	put_row(5, head);
	if (db_query(app->db,
	    "SELECT u.Id, u.Email, u.Firstname, u.Lastname,"
	    " IFNULL(GROUP_CONCAT(r.Name ORDER BY r.Name SEPARATOR ','), '')"
	    " FROM Users u LEFT JOIN UserRoles ur ON ur.UserId = u.Id"
	    " LEFT JOIN Roles r ON r.Id = ur.RoleId"
	    " GROUP BY u.Id, u.Email, u.Firstname, u.Lastname ORDER BY u.Id",
	    NULL, 0, cols, DB_NPARAMS(cols), user_row, r, NULL) != DB_OK)
		rc = db_failed();
	free(r);
	return rc;
}

static int
cmd_user_passwd(struct app *app, int argc, char **argv, const struct cmd *c)
{
	struct account_user *u;
	struct account_input in;
	char pw[CTL_PW_MAX];
	size_t pwlen = 0;
	int rc = EXIT_FAIL;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_FAIL;
	}
	if ((rc = find_user(app, argv[0], u)) != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	if (read_password(pw, sizeof(pw), &pwlen) != 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.password.p = pw;
	in.password.len = pwlen;
	/* ACCOUNT_CHECK_UPDATE passes an empty password (left unchanged); here it is required. */
	if (pwlen == 0) {
		invalid(NULL, "Password", "Password is required.");
		goto out;
	}
	if (!utf8_ok("the password", pw, pwlen) ||
	    account_validate(&in, ACCOUNT_CHECK_UPDATE, invalid, NULL) != 0)
		goto out;
	/* SPEC §3: a password change revokes every refresh token, in the same transaction. */
	switch (account_update(app->db, u->id, &in, &app->cost)) {
	case ACCOUNT_OK:
		printf("password changed for ");
		put_field(u->email);
		printf("; every refresh token of the user is revoked\n");
		rc = EXIT_OK;
		break;
	case ACCOUNT_NOT_FOUND:
		fprintf(stderr, "%s: no user with email %s\n", progname, argv[0]);
		break;
	default:
		rc = db_failed();
		break;
	}
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(u, sizeof(*u));      /* holds the old hash */
	free(u);
	return rc;
}

/* Find a role by name (case-insensitive, as Roles.Name compares). */
static int
find_role(struct app *app, const char *name, long long *id, char canon[ACCOUNT_ROLE_MAX])
{
	struct db_param p[] = { DB_STR(name) };
	struct db_col cols[] = { DB_OUT_INT(id), DB_OUT_STR(canon, ACCOUNT_ROLE_MAX) };
	size_t n = 0;

	if (db_query(app->db, "SELECT Id, Name FROM Roles WHERE Name = ?", p, 1,
	    cols, DB_NPARAMS(cols), NULL, NULL, &n) != DB_OK)
		return db_failed();
	if (n == 0) {
		fprintf(stderr, "%s: no role %s (the roles are Admin, Editor and User)\n",
		    progname, name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
user_role(struct app *app, char **argv, int grant)
{
	struct account_user *u;
	char role[ACCOUNT_ROLE_MAX];
	long long rid = 0;
	unsigned long long n = 0;
	enum db_rc drc;
	int rc;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_FAIL;
	}
	if ((rc = find_user(app, argv[0], u)) != EXIT_OK ||
	    (rc = find_role(app, argv[1], &rid, role)) != EXIT_OK)
		goto out;
	struct db_param p[] = { DB_INT(u->id), DB_INT(rid) };
	if (grant)
		drc = db_exec(app->db, "INSERT INTO UserRoles (UserId, RoleId) VALUES (?, ?)",
		    p, 2, &n, NULL);
	else
		drc = db_exec(app->db, "DELETE FROM UserRoles WHERE UserId = ? AND RoleId = ?",
		    p, 2, &n, NULL);
	if (drc != DB_OK && drc != DB_DUPLICATE) {
		rc = db_failed();
		goto out;
	}
	/* The state asked for is the state reached: both are successes. */
	if (grant ? drc == DB_OK : n > 0)
		event_log(grant ? "role_grant" : "role_revoke", "user", u->email,
		    "role", role, (char *)NULL);
	put_field(u->email);
	if (grant)
		printf(drc == DB_DUPLICATE ? " already has role %s\n" : ": granted role %s\n", role);
	else
		printf(n == 0 ? " does not have role %s\n" : ": revoked role %s\n", role);
	rc = EXIT_OK;
out:
	sodium_memzero(u, sizeof(*u));
	free(u);
	return rc;
}

static int
cmd_user_grant(struct app *app, int argc, char **argv, const struct cmd *c)
{
	return user_role(app, argv, 1);
}

static int
cmd_user_revoke(struct app *app, int argc, char **argv, const struct cmd *c)
{
	return user_role(app, argv, 0);
}

/* ------------------------------------------------------------------ */
/* client                                                              */
/* ------------------------------------------------------------------ */

/* A text argument: not empty, at most max characters, no control character. */
static int
check_text(const char *what, const char *s, size_t max, int no_space)
{
	size_t len = strlen(s);

	if (len == 0 || !rj_utf8_valid(s, len) || rj_utf8_len(s, len) > max || has_control(s) ||
	    (no_space && strchr(s, ' ') != NULL)) {
		fprintf(stderr, "%s: %s must be 1 to %zu characters of UTF-8 without control"
		    " characters%s\n", progname, what, max, no_space ? " or spaces" : "");
		return -1;
	}
	return 0;
}

/* Print a new secret once, for the administrator to hand to the client. */
static void
put_secret(const char *client_id, const char *secret)
{
	printf("client secret of ");
	put_field(client_id);
	printf(" (shown once, keep it safe): %s\n", secret);
}

static int
cmd_client_add(struct app *app, int argc, char **argv, const struct cmd *c)
{
	const char *url = argv[2];
	int confidential = argv[3] != NULL;     /* --confidential, set by main */
	char secret[CLIENT_SECRET_LEN + 1], hash[REFRESH_HASH_HEX + 1];
	int bad = 0, rc;

	bad |= check_text("CLIENTID", argv[0], CTL_CLIENT_ID_MAX, 1) != 0;
	bad |= check_text("NAME", argv[1], CTL_CLIENT_NAME_MAX, 0) != 0;
	bad |= check_text("URL", url, CTL_CLIENT_URL_MAX, 1) != 0;
	/* The URL is the access token's aud (SPEC §4): an absolute http(s) URL. */
	if (!bad && !((strncmp(url, "https://", 8) == 0 && url[8] != '\0') ||
	    (strncmp(url, "http://", 7) == 0 && url[7] != '\0'))) {
		fprintf(stderr, "%s: URL must start with https:// or http://\n", progname);
		bad = 1;
	}
	if (bad)
		return EXIT_FAIL;
	if (confidential && client_secret_new(secret, hash) != 0) {
		fprintf(stderr, "%s: cannot make a client secret\n", progname);
		return EXIT_FAIL;
	}
	{
		/* SPEC §9: only the secret's SHA-256 is stored; NULL: a public client. */
		struct db_param p[] = { DB_STR(argv[0]), DB_STR(argv[1]), DB_STR(argv[2]),
		    confidential ? DB_STR(hash) : DB_NULLP };

		switch (db_exec(app->db, "INSERT INTO Clients (ClientId, Name, ClientURL, SecretHash) "
		    "VALUES (?, ?, ?, ?)", p, DB_NPARAMS(p), NULL, NULL)) {
		case DB_OK:
			printf("added %s client %s\n", confidential ? "confidential" : "public", argv[0]);
			if (confidential)
				put_secret(argv[0], secret);
			rc = EXIT_OK;
			break;
		case DB_DUPLICATE:
			fprintf(stderr, "%s: client %s already exists\n", progname, argv[0]);
			rc = EXIT_FAIL;
			break;
		default:
			rc = db_failed();
			break;
		}
	}
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

static int
cmd_client_secret(struct app *app, int argc, char **argv, const struct cmd *c)
{
	char secret[CLIENT_SECRET_LEN + 1], hash[REFRESH_HASH_HEX + 1];
	unsigned long long n = 0;
	int rc;

	if (client_secret_new(secret, hash) != 0) {
		fprintf(stderr, "%s: cannot make a client secret\n", progname);
		return EXIT_FAIL;
	}
	struct db_param p[] = { DB_STR(hash), DB_STR(argv[0]) };
	if (db_exec(app->db, "UPDATE Clients SET SecretHash = ? WHERE ClientId = ?",
	    p, DB_NPARAMS(p), &n, NULL) != DB_OK) {
		rc = db_failed();
	} else if (n == 0) {
		fprintf(stderr, "%s: no client ", progname);
		fflush(stdout);
		for (const char *q = argv[0]; *q != '\0'; q++)
			fputc((unsigned char)*q < 0x20 || *q == 0x7f ? '?' : *q, stderr);
		fputc('\n', stderr);
		rc = EXIT_FAIL;
	} else {
		event_log("client_secret_change", "client", argv[0], (char *)NULL);
		put_secret(argv[0], secret);
		rc = EXIT_OK;
	}
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

static int
cmd_client_scopes(struct app *app, int argc, char **argv, const struct cmd *c)
{
	char list[CLIENT_SCOPES_MAX + 1], granted[CLIENT_SCOPES_MAX + 1];
	size_t used = 0;
	unsigned long long n = 0;
	size_t found = 0;

	list[0] = '\0';
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (!client_scope_token_ok(argv[i], len)) {
			fprintf(stderr, "%s: a scope is printable ASCII without space, quote or"
			    " backslash (RFC 6749 section 3.3)\n", progname);
			return EXIT_FAIL;
		}
		if (used + len + 1 > CLIENT_SCOPES_MAX) {
			fprintf(stderr, "%s: the scopes take more than %d bytes\n", progname,
			    CLIENT_SCOPES_MAX);
			return EXIT_FAIL;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		    used > 0 ? " " : "", argv[i]);
	}
	/* Each scope once, in the order given: the grant rule itself does that. */
	if (client_scope_grant(list, used, list, granted, sizeof(granted)) != CLIENT_SCOPE_OK) {
		fprintf(stderr, "%s: bad scope list\n", progname);
		return EXIT_FAIL;
	}
	{
		long long id = 0;
		struct db_param q[] = { DB_STR(argv[0]) };
		struct db_col col[] = { DB_OUT_INT(&id) };

		if (db_query(app->db, "SELECT Id FROM Clients WHERE ClientId = ?", q, 1,
		    col, 1, NULL, NULL, &found) != DB_OK)
			return db_failed();
	}
	if (found == 0) {
		fprintf(stderr, "%s: no such client\n", progname);
		return EXIT_FAIL;
	}
	struct db_param p[] = { DB_STR(granted), DB_STR(argv[0]) };
	if (db_exec(app->db, "UPDATE Clients SET Scopes = ? WHERE ClientId = ?",
	    p, DB_NPARAMS(p), &n, NULL) != DB_OK)
		return db_failed();
	printf("scopes of ");
	put_field(argv[0]);
	printf(": %s\n", granted[0] != '\0' ? granted : "(none)");
	return EXIT_OK;
}

struct client_row {
	char id[CTL_CLIENT_ID_MAX * 4 + 1];
	char name[CTL_CLIENT_NAME_MAX * 4 + 1];
	char url[CTL_CLIENT_URL_MAX * 4 + 1];
	long long confidential;
	char scopes[CLIENT_SCOPES_MAX + 1];
};

static int
client_row(void *arg)
{
	struct client_row *r = arg;
	const char *f[5] = { r->id, r->name, r->url,
	    r->confidential ? "confidential" : "public", r->scopes };

	put_row(5, f);
	return 0;
}

static int
cmd_client_list(struct app *app, int argc, char **argv, const struct cmd *c)
{
	static const char *const head[] = { "CLIENTID", "NAME", "URL", "TYPE", "SCOPES" };
	struct client_row *r;
	int rc = EXIT_OK;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_FAIL;
	}
	struct db_col cols[] = {
		DB_OUT_STR(r->id, sizeof(r->id)),
		DB_OUT_STR(r->name, sizeof(r->name)),
		DB_OUT_STR(r->url, sizeof(r->url)),
		DB_OUT_INT(&r->confidential),
		DB_OUT_STR(r->scopes, sizeof(r->scopes)),
	};

	put_row(5, head);
	if (db_query(app->db, "SELECT ClientId, Name, ClientURL, SecretHash IS NOT NULL, Scopes "
	    "FROM Clients ORDER BY Id",
	    NULL, 0, cols, DB_NPARAMS(cols), client_row, r, NULL) != DB_OK)
		rc = db_failed();
	free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* sessions and purge                                                  */
/* ------------------------------------------------------------------ */

static int
cmd_sessions_revoke(struct app *app, int argc, char **argv, const struct cmd *c)
{
	struct account_user *u;
	unsigned long long n = 0;
	int rc;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_FAIL;
	}
	/* argv[0] is the --user value, set by main. */
	if ((rc = find_user(app, argv[0], u)) != EXIT_OK)
		goto out;
	if (session_revoke_user(app->db, u->id, &n) != DB_OK) {
		rc = db_failed();
		goto out;
	}
	{
		char id[EVENT_NUM_LEN], cnt[EVENT_NUM_LEN];

		event_log("sessions_revoke", "user", u->email, "user_id", event_num(id, u->id),
		    "revoked", event_num(cnt, (long long)n), (char *)NULL);
	}
	printf("revoked %llu refresh token%s of ", n, n == 1 ? "" : "s");
	put_field(u->email);
	putchar('\n');
	rc = EXIT_OK;
out:
	sodium_memzero(u, sizeof(*u));
	free(u);
	return rc;
}

static int
cmd_purge(struct app *app, int argc, char **argv, const struct cmd *c)
{
	struct db_param pr[] = { DB_INT(CTL_PURGE_REVOKED_AGE) };
	struct db_param pt[] = { DB_INT(app->cfg.login_failure_window) };
	unsigned long long tokens = 0, throttle = 0;

	/*
	 * A row goes only when its family holds no live token: presenting a
	 * rotated-away token must still revoke the family (SPEC §3 reuse
	 * detection) for as long as a descendant of it can be used. An
	 * expired token can no longer be used by anyone; a revoked one is
	 * kept a day so that a repeated logout still reads "already revoked".
	 */
	if (db_exec(app->db,
	    "DELETE r FROM RefreshTokens r"
	    " LEFT JOIN RefreshTokens l ON l.FamilyId = r.FamilyId"
	    "  AND l.IsRevoked = 0 AND l.ExpiresAt > UTC_TIMESTAMP()"
	    " WHERE l.Id IS NULL"
	    "  AND (r.ExpiresAt <= UTC_TIMESTAMP()"
	    "   OR (r.IsRevoked = 1 AND r.RevokedAt <= UTC_TIMESTAMP() - INTERVAL ? SECOND))",
	    pr, 1, &tokens, NULL) != DB_OK)
		return db_failed();
	/* throttle.c restarts a window that has passed: such a row counts for nothing. */
	if (db_exec(app->db,
	    "DELETE FROM LoginThrottle WHERE WindowStart + INTERVAL ? SECOND <= UTC_TIMESTAMP()",
	    pt, 1, &throttle, NULL) != DB_OK)
		return db_failed();
	printf("purged %llu refresh token%s and %llu login-throttle row%s\n",
	    tokens, tokens == 1 ? "" : "s", throttle, throttle == 1 ? "" : "s");
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* migrate                                                             */
/* ------------------------------------------------------------------ */

/*
 * Schema changes after schema.sql (version 1) come as numbered files,
 * sql/migrations/NNN-name.sql. Each records itself in SchemaMigrations (so
 * that `mariadb DB < file` works too) and every statement in it is safe to
 * run again (IF [NOT] EXISTS, MODIFY to a final state): MariaDB commits DDL
 * at once, so a migration stopped half-way can only be finished by running
 * it again from its first statement, which is what migrate then does.
 */
struct migration {
	unsigned int version;
	char name[256];         /* "002-email-accent-sensitive.sql" */
};

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* Is name NNN-name.sql with lowercase letters, digits and '-'? Its NNN in *version. */
static int
migration_name(const char *name, unsigned int *version)
{
	size_t len = strlen(name);

	if (len < 9 || len >= sizeof(((struct migration *)0)->name) ||
	    strcmp(name + len - 4, ".sql") != 0 || name[3] != '-')
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	for (size_t i = 4; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-'))
			return 0;
	*version = (unsigned int)((name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0'));
	return 1;
}

/*
 * List the migrations in dir, sorted by version, into *out (*n of them).
 * Files whose names are not NNN-name.sql are ignored. Return 0, or -1 with
 * a message (unreadable folder, version 000 or 001, a version twice).
 */
static int
migrations_list(const char *dir, struct migration **out, size_t *n)
{
	struct migration *list = NULL, *grown;
	size_t cap = 0;
	struct dirent *e;
	unsigned int v;
	DIR *d;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: cannot read the migrations folder %s: %s\n", progname, dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!migration_name(e->d_name, &v))
			continue;
		if (v < 2) {
			fprintf(stderr, "%s: %s/%s: version 1 is schema.sql; migrations start at 002\n",
			    progname, dir, e->d_name);
			goto fail;
		}
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(list, cap * sizeof(*list))) == NULL) {
				fprintf(stderr, "%s: out of memory\n", progname);
				goto fail;
			}
			list = grown;
		}
		list[*n].version = v;
		memcpy(list[*n].name, e->d_name, strlen(e->d_name) + 1);
		(*n)++;
	}
	closedir(d);
	d = NULL;
	if (*n > 0)
		qsort(list, *n, sizeof(*list), migration_cmp);
	for (size_t i = 1; i < *n; i++)
		if (list[i].version == list[i - 1].version) {
			fprintf(stderr, "%s: %s and %s have the same version\n", progname,
			    list[i - 1].name, list[i].name);
			goto fail;
		}
	*out = list;
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	free(list);
	*n = 0;
	return -1;
}

/* Read the whole file at path into a NUL-terminated buffer. Return it, or NULL (message printed). */
static char *
read_file(const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, got;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", progname, path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CTL_MIGRATION_SIZE + 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		goto fail;
	}
	while (n < CTL_MIGRATION_SIZE + 1 && (got = fread(buf + n, 1, CTL_MIGRATION_SIZE + 1 - n, f)) > 0)
		n += got;
	if (ferror(f)) {
		fprintf(stderr, "%s: cannot read %s: %s\n", progname, path, strerror(errno));
		goto fail;
	}
	if (n > CTL_MIGRATION_SIZE || memchr(buf, '\0', n) != NULL) {
		fprintf(stderr, "%s: %s is not a migration (over %d bytes, or binary)\n", progname,
		    path, CTL_MIGRATION_SIZE);
		goto fail;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/*
 * Run the statements of one migration's text, in order. The format is kept
 * simple enough to split without an SQL parser: a line whose first
 * non-blank characters are "--" is a comment; a statement ends with ';' as
 * the last non-blank character of a line. Return 0, or -1 (message printed
 * with the file and the line the failing statement starts on).
 */
static int
migration_run(struct app *app, const char *file, char *text)
{
	char *line = text, *next, *end, *stmt = NULL;
	size_t stmt_line = 0, lineno = 0;

	for (; *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (strncmp(line, "--", 2) == 0 || *line == '\0')
			continue;
		if (stmt == NULL) {
			stmt = line;
			stmt_line = lineno;
		} else {
			/* Join the lines in place: the text between is blank or comment. */
			size_t len = strlen(line);

			end = stmt + strlen(stmt);
			*end++ = '\n';
			memmove(end, line, len + 1);
		}
		end = stmt + strlen(stmt);
		if (end[-1] != ';')
			continue;
		end[-1] = '\0';
		if (db_exec(app->db, stmt, NULL, 0, NULL, NULL) != DB_OK) {
			fprintf(stderr, "%s: %s:%zu: the statement failed (see the message above)\n",
			    progname, file, stmt_line);
			return -1;
		}
		stmt = NULL;
	}
	if (stmt != NULL) {
		fprintf(stderr, "%s: %s:%zu: the last statement does not end with ';'\n",
		    progname, file, stmt_line);
		return -1;
	}
	return 0;
}

struct applied_row {
	long long v;
	unsigned char *seen;    /* CTL_MIGRATION_MAX + 1 flags, by version */
};

static int
applied_row(void *arg)
{
	struct applied_row *r = arg;

	if (r->v >= 1 && r->v <= CTL_MIGRATION_MAX)
		r->seen[r->v] = 1;
	return 0;
}

static int
cmd_migrate(struct app *app, int argc, char **argv, const struct cmd *c)
{
	const char *dir = argv[0] != NULL ? argv[0] : MIGRATIONSDIR;  /* --dir, set by main */
	unsigned char seen[CTL_MIGRATION_MAX + 1] = { 0 };
	struct applied_row row = { 0, seen };
	struct db_col vcol[] = { DB_OUT_INT(&row.v) };
	struct migration *list = NULL;
	char path[PATH_MAX];
	char *text;
	long long users = 0;
	unsigned int top = 1;
	size_t n = 0, applied = 0;
	int rc = EXIT_FAIL;

	if (migrations_list(dir, &list, &n) != 0)
		return EXIT_FAIL;
	/* schema.sql makes version 1; without it there is nothing to migrate. */
	struct db_col ucol[] = { DB_OUT_INT(&users) };
	if (db_query(app->db, "SELECT COUNT(*) FROM information_schema.TABLES"
	    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Users'",
	    NULL, 0, ucol, 1, NULL, NULL, NULL) != DB_OK) {
		rc = db_failed();
		goto out;
	}
	if (users == 0) {
		fprintf(stderr, "%s: the database has no jwtauth tables: apply schema.sql first\n",
		    progname);
		goto out;
	}
	/*
	 * A database made before SchemaMigrations existed is at version 1.
	 * This is also the first statement that needs DDL rights: say so.
	 */
	if (db_exec(app->db, "CREATE TABLE IF NOT EXISTS SchemaMigrations ("
	    " Version INT NOT NULL, AppliedAt DATETIME NOT NULL DEFAULT UTC_TIMESTAMP(),"
	    " PRIMARY KEY (Version))"
	    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	    NULL, 0, NULL, NULL) != DB_OK ||
	    db_exec(app->db, "INSERT IGNORE INTO SchemaMigrations (Version) VALUES (1)",
	    NULL, 0, NULL, NULL) != DB_OK) {
		fprintf(stderr, "%s: cannot create or update SchemaMigrations: migrate needs a"
		    " database account with CREATE, ALTER, INDEX and DROP rights (-c FILE with"
		    " such a db_user; see the message above)\n", progname);
		goto out;
	}
	if (db_query(app->db, "SELECT Version FROM SchemaMigrations ORDER BY Version",
	    NULL, 0, vcol, 1, applied_row, &row, NULL) != DB_OK) {
		rc = db_failed();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct db_param p[] = { DB_INT(list[i].version) };
		int len;

		if (seen[list[i].version])
			continue;
		len = snprintf(path, sizeof(path), "%s/%s", dir, list[i].name);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			fprintf(stderr, "%s: %s/%s: path too long\n", progname, dir, list[i].name);
			goto out;
		}
		if ((text = read_file(path)) == NULL)
			goto out;
		if (migration_run(app, path, text) != 0) {
			free(text);
			fprintf(stderr, "%s: %s not applied; once the cause is fixed, migrate runs it"
			    " again from its start\n", progname, list[i].name);
			goto out;
		}
		free(text);
		if (db_exec(app->db, "INSERT IGNORE INTO SchemaMigrations (Version) VALUES (?)",
		    p, 1, NULL, NULL) != DB_OK) {
			rc = db_failed();
			goto out;
		}
		seen[list[i].version] = 1;
		printf("applied %.*s\n", (int)(strlen(list[i].name) - 4), list[i].name);
		applied++;
	}
	/*
	 * Schema version 6 ignores key rows without a binding. Binding them
	 * needs the master key, which the schema account's configuration need
	 * not name: say what to run (jwtauthctl keys bind), on stdout, since
	 * the migration itself went well.
	 */
	if (seen[6]) {
		long long unbound = 0;
		struct db_col bcol[] = { DB_OUT_INT(&unbound) };

		if (db_query(app->db, "SELECT COUNT(*) FROM SigningKeys WHERE Binding IS NULL",
		    NULL, 0, bcol, 1, NULL, NULL, NULL) != DB_OK) {
			rc = db_failed();
			goto out;
		}
		if (unbound > 0)
			printf("%lld signing key%s not bound to the master key yet, and not trusted"
			    " until bound: run jwtauthctl keys bind now\n", unbound,
			    unbound == 1 ? " is" : "s are");
	}
	for (unsigned int v = 1; v <= CTL_MIGRATION_MAX; v++)
		if (seen[v])
			top = v;
	if (n > 0 && top > list[n - 1].version)
		printf("schema version %u, newer than the migrations in %s\n", top, dir);
	else
		printf("schema version %u%s\n", top, applied == 0 ? ": up to date" : "");
	rc = EXIT_OK;
out:
	free(list);
	return rc;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/*
 * Take an option with a value: "--name VALUE" or "--name=VALUE". Return 1
 * if argv[*i] is that option (*val set, *i advanced), 0 if it is not, -1
 * if its value is missing.
 */
static int
opt_value(int argc, char **argv, int *i, const char *name, char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/*
 * event=ctl: the command, its arguments (never a password: those come on
 * stdin) and how it ended.
 */
static void
ctl_event(const struct cmd *c, int npos, char **pos, int rc)
{
	char cmd[64], args[512];
	size_t len = 0;
	int n;

	n = snprintf(cmd, sizeof(cmd), "%s%s%s", c->group != NULL ? c->group : "",
	    c->group != NULL ? " " : "", c->name);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return;
	args[0] = '\0';
	for (int i = 0; i < npos; i++) {
		if (pos[i] == NULL)
			continue;
		n = snprintf(args + len, sizeof(args) - len, "%s%s", len > 0 ? " " : "", pos[i]);
		if (n < 0 || (size_t)n >= sizeof(args) - len)
			break;          /* cut: the event keeps what fits */
		len += (size_t)n;
	}
	event_log("ctl", "command", cmd, "args", args,
	    "result", rc == EXIT_OK ? "ok" : rc == EXIT_USAGE ? "usage" : "failed", (char *)NULL);
}

int
main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	const char *conf = NULL;
	char *optval = NULL, *algval = NULL;
	char *pos[CTL_SCOPES_ARGS + 3];     /* the arguments, an option's value (two for keys rotate), NULL */
	char err[CFG_STR_MAX + 256];
	struct app app;
	int i = 1, npos = 0, rc, only_pos = 0;

	/* Global options. */
	while (i < argc && argv[i][0] == '-') {
		if (is_help(argv[i])) {
			usage_all(stdout, NULL);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: -c needs a file\n", progname);
				usage_all(stderr, NULL);
				return EXIT_USAGE;
			}
			conf = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "%s: unknown option %s\n", progname, argv[i]);
		usage_all(stderr, NULL);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, "%s: no command\n", progname);
		usage_all(stderr, NULL);
		return EXIT_USAGE;
	}

	/* The command: one word, or a group and a word. */
	for (size_t k = 0; k < NCMDS; k++)
		if (cmds[k].group == NULL && strcmp(cmds[k].name, argv[i]) == 0)
			c = &cmds[k];
	if (c != NULL) {
		i++;
	} else {
		const char *group = argv[i];
		int known = 0;

		for (size_t k = 0; k < NCMDS; k++)
			known |= cmds[k].group != NULL && strcmp(cmds[k].group, group) == 0;
		if (!known) {
			fprintf(stderr, "%s: unknown command %s\n", progname, group);
			usage_all(stderr, NULL);
			return EXIT_USAGE;
		}
		i++;
		if (i < argc && is_help(argv[i])) {
			usage_all(stdout, group);
			return EXIT_OK;
		}
		for (size_t k = 0; i < argc && k < NCMDS; k++)
			if (cmds[k].group != NULL && strcmp(cmds[k].group, group) == 0 &&
			    strcmp(cmds[k].name, argv[i]) == 0)
				c = &cmds[k];
		if (c == NULL) {
			if (i < argc)
				fprintf(stderr, "%s: unknown command %s %s\n", progname, group, argv[i]);
			else
				fprintf(stderr, "%s: %s needs a command\n", progname, group);
			usage_all(stderr, group);
			return EXIT_USAGE;
		}
		i++;
	}

	/* The command's options and arguments. --help before any "--" wins. */
	for (int k = i; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (is_help(argv[k])) {
			cmd_help(stdout, c);
			return EXIT_OK;
		}
	for (; i < argc; i++) {
		int r = 0;

		if (!only_pos && strcmp(argv[i], "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && argv[i][0] == '-' && argv[i][1] != '\0') {
			if (c->run == cmd_keys_rotate && strcmp(argv[i], "--now") == 0) {
				rotate_now = 1;
				continue;
			}
			if (c->run == cmd_keys_rotate &&
			    (r = opt_value(argc, argv, &i, "--if-older-than", &optval)) == 0)
				r = opt_value(argc, argv, &i, "--alg", &algval);
			else if (c->run == cmd_sessions_revoke)
				r = opt_value(argc, argv, &i, "--user", &optval);
			else if (c->run == cmd_migrate)
				r = opt_value(argc, argv, &i, "--dir", &optval);
			else if (c->run == cmd_client_add && strcmp(argv[i], "--confidential") == 0) {
				optval = argv[i];
				r = 1;
			}
			if (r == 0)
				return usage_error(c, "unknown option %s", argv[i]);
			if (r < 0)
				return usage_error(c, "%s needs a value", argv[i]);
			continue;
		}
		if (npos == c->maxargs)
			return usage_error(c, "too many arguments: %s", argv[i]);
		pos[npos++] = argv[i];
	}
	if (npos < c->minargs)
		return usage_error(c, "missing arguments");
	if (c->run == cmd_sessions_revoke && optval == NULL)
		return usage_error(c, "--user EMAIL is required");
	if (c->run == cmd_keys_rotate || c->run == cmd_sessions_revoke || c->run == cmd_migrate ||
	    c->run == cmd_client_add)
		pos[npos++] = optval;
	if (c->run == cmd_keys_rotate)
		pos[npos++] = algval;
	pos[npos] = NULL;

	if (conf != NULL && setenv("JWTAUTH_CONFIG", conf, 1) != 0) {
		fprintf(stderr, "%s: setenv: %s\n", progname, strerror(errno));
		return EXIT_FAIL;
	}
	/* Its operator reads its errors and events on stderr, whatever log_target says. */
	log_keep_stderr();
	if (app_open(&app, progname, err, sizeof(err)) != 0)
		return EXIT_FAIL;       /* app_open logged why */
	/* The library's info lines are for servers' logs; here stdout reports. */
	if (log_get_level() == LOG_LVL_INFO)
		log_set_level(LOG_LVL_WARN);
	/* Every action leaves a security event (event.h), whatever its outcome. */
	event_actor(progname);
	rc = c->run(&app, npos, pos, c);
	ctl_event(c, npos, pos, rc);
	app_close(&app);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output: %s\n", progname, strerror(errno));
		return EXIT_FAIL;
	}
	return rc;
}
