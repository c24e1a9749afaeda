/*
 * t/unit/pwhash.c: Argon2id hashing, bcrypt verification, rehash decisions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "pwhash.h"
#include "../tap.h"

/* The cheapest cost libsodium allows, so that the test stays fast. */
static const struct pw_cost low = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };

struct vector {
	const char *hash;
	const char *pw;
	size_t len;         /* 0: strlen(pw) */
	enum pw_rc want;
	const char *why;
};

/*
 * Known answers. "OpenBSD/JtR" vectors are the classic bcrypt tests of
 * John the Ripper and Openwall's crypt_blowfish wrapper.c (as carried in
 * php-src ext/standard/tests/crypt/crypt_blowfish.phpt).
 */
static const char long_pw[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "chars after 72 are ignored";
static const char long_hash[] = "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui";

static const struct vector vectors[] = {
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0, PW_OK, "OpenBSD/JtR $2a$ U*U" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*", 0, PW_OK, "OpenBSD/JtR $2a$ U*U*" },
	{ "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U", 0, PW_OK, "OpenBSD/JtR $2a$ U*U*U" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "", 0, PW_OK, "OpenBSD/JtR $2a$ empty password" },
	{ "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", 0, PW_OK, "Openwall $2b$ 8-bit" },
	{ "$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", 0, PW_OK, "Openwall $2b$ \\xa3" },
	{ "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", 0, PW_OK, "Openwall $2y$ \\xa3" },
	{ "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", 0, PW_OK, "Openwall $2y$ 8-bit" },
	{ "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", 0, PW_OK, "Openwall $2a$ \\xa3" },
	{ "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0, PW_OK, "$2y$ prefix on the U*U vector" },
	/*
	 * "Password@123" (the tutorial's test password). No BCrypt.Net-made
	 * hash of it with a trustworthy provenance was found, so this one was
	 * made with the npm package bcryptjs 3.0.3 (hashSync("Password@123",
	 * genSaltSync(11)), cost 11 as BCrypt.Net's default) and checked with
	 * its compareSync. bcryptjs writes $2b$; BCrypt.Net writes $2a$ in the
	 * same format, and for an ASCII password the two prefixes compute the
	 * same hash (bcryptjs's compareSync accepts the $2a$ form too).
	 */
	{ "$2b$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m", "Password@123", 0, PW_OK, "bcryptjs $2b$ Password@123" },
	{ "$2a$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m", "Password@123", 0, PW_OK, "BCrypt.Net-style $2a$ Password@123" },
	{ "$2a$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m", "password@123", 0, PW_MISMATCH, "$2a$ Password@123, wrong case" },
	/*
	 * A UTF-8 password, made by bcryptjs 3.0.3 at cost 5: shows that
	 * libxcrypt's $2a$ computes what a correct implementation (BCrypt.Net,
	 * bcryptjs) computes for UTF-8 input, see pw_is_bcrypt.
	 */
	{ "$2b$05$XyM.seeyV8z.9FjKWwVp9.4bK6usnXMOde96F.h.ovd1/V/mpkM/O", "P\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac", 0, PW_OK, "bcryptjs $2b$ UTF-8" },
	{ "$2a$05$XyM.seeyV8z.9FjKWwVp9.4bK6usnXMOde96F.h.ovd1/V/mpkM/O", "P\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac", 0, PW_OK, "bcryptjs hash as $2a$ UTF-8" },

	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*u", 0, PW_MISMATCH, "$2a$ wrong password" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "", 0, PW_MISMATCH, "$2a$ empty password" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U\0x", 5, PW_MISMATCH, "$2a$ password with a NUL after a right prefix" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "\0", 1, PW_MISMATCH, "$2a$ password of one NUL vs empty" },
	{ "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xa3", 0, PW_MISMATCH, "$2b$ 8-bit wrong password" },

	/* Malformed hashes: PW_ERROR, whatever the password. */
	{ "$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0, PW_ERROR, "bcrypt cost 03 (below 4)" },
	{ "$2a$32$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0, PW_ERROR, "bcrypt cost 32" },
	{ "$2a$x5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", 0, PW_ERROR, "bcrypt cost not digits" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe", "U*U", 0, PW_ERROR, "bcrypt one character short" },
	{ "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWX", "U*U", 0, PW_ERROR, "bcrypt one character too many" },
	{ "$2a$05$abc", "U*U", 0, PW_ERROR, "bcrypt truncated" },
	{ "$2a$", "", 0, PW_ERROR, "bcrypt prefix only" },
	{ "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xa3", 0, PW_ERROR, "$2x$ (buggy variant) refused" },
	{ "$2$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "", 0, PW_ERROR, "$2$ refused" },
	{ "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", "password", 0, PW_ERROR, "MD5-crypt refused" },
	{ "$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFzaA", "password", 0, PW_ERROR, "Argon2i refused" },
	{ "$argon2id$", "password", 0, PW_ERROR, "Argon2id prefix only" },
	{ "$argon2id$v=19$m=65536,t=2,p=1$garbage", "password", 0, PW_ERROR, "Argon2id garbage" },
	{ "Password@123", "Password@123", 0, PW_ERROR, "plain text in the hash column" },
	{ "", "", 0, PW_ERROR, "empty hash" },
};

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		size_t len = v->len != 0 ? v->len : strlen(v->pw);
		enum pw_rc rc = pw_verify(v->hash, v->pw, len);

		is_int(rc, v->want, "pw_verify: %s", v->why);
	}
}

static void
test_bcrypt_72(void)
{
	char pw73[74];
	enum pw_rc rc;

	is_int(strlen(long_pw), 98, "the long JtR password is longer than 72 bytes");
	rc = pw_verify(long_hash, long_pw, 72);
	is_int(rc, PW_OK, "bcrypt: its first 72 bytes verify (known vector)");
	rc = pw_verify(long_hash, long_pw, strlen(long_pw));
	is_int(rc, PW_MISMATCH, "bcrypt: the whole 98-byte password is refused, not truncated");
	memcpy(pw73, long_pw, 72);
	pw73[72] = 'X';
	pw73[73] = '\0';
	rc = pw_verify(long_hash, pw73, 73);
	is_int(rc, PW_MISMATCH, "bcrypt: 73 bytes whose first 72 match are refused");
}

static void
test_argon2id(void)
{
	char h[PW_HASH_MAX], h2[PW_HASH_MAX];
	struct pw_cost more = low, bigger = low, bad = { 0, 0 };
	enum pw_rc rc;

	memset(h, 'x', sizeof(h));
	ok(pw_hash(h, "Password@123", 12, &low) == 0, "pw_hash at the lowest cost");
	ok(strncmp(h, "$argon2id$v=19$", 15) == 0, "pw_hash writes an Argon2id v1.3 string");
	ok(memchr(h, '\0', sizeof(h)) != NULL && strlen(h) < PW_HASH_MAX, "hash fits in PW_HASH_MAX");
	ok(strstr(h, "$m=8,t=1,p=1$") != NULL, "the hash carries the asked cost (%s)", h);
	rc = pw_verify(h, "Password@123", 12);
	is_int(rc, PW_OK, "argon2id: right password");
	rc = pw_verify(h, "Password@124", 12);
	is_int(rc, PW_MISMATCH, "argon2id: wrong password");
	rc = pw_verify(h, "Password@12", 11);
	is_int(rc, PW_MISMATCH, "argon2id: a prefix of the password");
	rc = pw_verify(h, "", 0);
	is_int(rc, PW_MISMATCH, "argon2id: empty password");
	rc = pw_verify(h, NULL, 0);
	is_int(rc, PW_MISMATCH, "argon2id: NULL, 0 is the empty password");
	rc = pw_verify(h, NULL, 3);
	is_int(rc, PW_ERROR, "NULL password with a length is an error");

	ok(pw_hash(h2, "Password@123", 12, &low) == 0 && strcmp(h, h2) != 0,
	    "two hashes of one password differ (random salt)");

	/* Argon2id takes any bytes, NUL included: the length is what counts. */
	ok(pw_hash(h2, "a\0b", 3, &low) == 0, "pw_hash of a password with a NUL");
	rc = pw_verify(h2, "a\0b", 3);
	is_int(rc, PW_OK, "argon2id: NUL inside, right password");
	rc = pw_verify(h2, "a\0c", 3);
	is_int(rc, PW_MISMATCH, "argon2id: NUL inside, differs after the NUL");
	rc = pw_verify(h2, "a", 1);
	is_int(rc, PW_MISMATCH, "argon2id: NUL inside, prefix before the NUL");

	ok(pw_hash(h2, NULL, 0, &low) == 0, "pw_hash of the empty password");
	rc = pw_verify(h2, "", 0);
	is_int(rc, PW_OK, "argon2id: empty password round trip");

	/* Corrupt one character of the tag: a mismatch, not an error. */
	strcpy(h2, h);
	h2[strlen(h2) - 2] = h2[strlen(h2) - 2] == 'A' ? 'B' : 'A';
	rc = pw_verify(h2, "Password@123", 12);
	is_int(rc, PW_MISMATCH, "argon2id: altered tag");

	ok(pw_hash(h2, "x", 1, &bad) == -1, "pw_hash refuses a cost below libsodium's minimum");

	/* Rehash decisions. */
	is_int(pw_needs_rehash(h, &low), 0, "needs_rehash: same cost");
	more.opslimit++;
	is_int(pw_needs_rehash(h, &more), 1, "needs_rehash: opslimit raised");
	bigger.memlimit *= 2;
	is_int(pw_needs_rehash(h, &bigger), 1, "needs_rehash: memlimit raised");
	is_int(pw_needs_rehash(vectors[0].hash, &low), 1, "needs_rehash: bcrypt $2a$");
	is_int(pw_needs_rehash("$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", &low), 1,
	    "needs_rehash: bcrypt $2b$");
	is_int(pw_needs_rehash("$argon2id$garbage", &low), 1, "needs_rehash: malformed Argon2id");
	is_int(pw_needs_rehash("$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFzaA", &low), 1,
	    "needs_rehash: Argon2i");
	is_int(pw_needs_rehash("", &low), 1, "needs_rehash: empty");
	is_int(pw_needs_rehash(NULL, &low), 1, "needs_rehash: NULL");

	/* The dummy: a well-formed Argon2id hash at exactly the configured
	 * cost (so verifying it costs what a real one costs), matching nothing. */
	{
		char d1[PW_HASH_MAX], d2[PW_HASH_MAX];

		is_int(pw_dummy_hash(d1, &low), 0, "pw_dummy_hash at the low cost");
		is_int(pw_needs_rehash(d1, &low), 0, "the dummy is at exactly the low cost");
		is_int(pw_needs_rehash(d1, &more), 1, "... and not at another cost");
		is_int(pw_verify(d1, "Password@123", 12), PW_MISMATCH,
		    "the dummy parses and matches no password (PW_MISMATCH, not PW_ERROR)");
		is_int(pw_dummy_hash(d2, &more), 0, "pw_dummy_hash at another cost");
		is_int(pw_needs_rehash(d2, &more), 0, "that dummy is at its cost");
		ok(strcmp(d1, d2) != 0, "two dummies differ (random salt)");
		pw_verify_dummy("Password@123", 12, &low);
		pw_verify_dummy("x", 1, &more);
	}
}

int
main(void)
{
	if (sodium_init() < 0) {
		printf("Bail out! sodium_init\n");
		return 1;
	}
	/* Malformed-hash warnings are expected here; keep the output readable. */
	log_init("t-pwhash", LOG_LVL_ERROR);
	test_vectors();
	test_bcrypt_72();
	test_argon2id();
	return done_testing();
}
