#!/bin/sh
# Legacy and outdated password hashes at login (SPEC §6): accounts whose
# Users.Password is a bcrypt hash as the tutorial's BCrypt.Net wrote it
# ($2a$, and the $2b$/$2y$ spellings) log in, and the hash is replaced by
# an Argon2id one at the configured cost, which then logs in too; an
# Argon2id hash of a lower cost is replaced the same way; a hash at the
# configured cost is left alone. bcrypt's 72-byte limit is not a way in.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/api.sh"
api_stack

# From t/unit/pwhash.c: "Password@123" under bcrypt cost 11 (bcryptjs wrote
# the $2b$ form; BCrypt.Net writes the same hash as $2a$).
H2A='$2a$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m'
H2B='$2b$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m'
H2Y='$2y$11$F8/Bey0x1zAu6tb7v7zr0u0Iey1tIpzAoHaqyFEzYYo1JhluDwV0m'
# "Password@123" under Argon2id at opslimit 1, memlimit 8 MiB, made once with
#   crypto_pwhash_str(out, "Password@123", 12, 1, 8192 * 1024)
# (libsodium 1.0.18); the stack's default cost is t=2, m=65536 (INTERACTIVE).
HLOW='$argon2id$v=19$m=8192,t=1,p=1$zlCBBAbJmg8f1QpaawFBUg$oohBD3w0g1KwCbE97Xd0z3IpL5KO7TbphVmvJb3z9+k'
# A 72-byte password ("Password@123" and 60 "x") under bcrypt cost 5, made
# once with libxcrypt's crypt_gensalt_rn("$2b$", 5, ...) and crypt_r.
P72=Password@123xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
H72='$2b$05$X0mN0MAWZt9CeXSn6uLUB.3gnZklRl4S1OPHDMApC1C3lylCF5r6G'
CURRENT='$argon2id$v=19$m=65536,t=2,p=1$'

# legacy EMAIL HASH: a user as an older database holds it, with role User.
legacy() {
	stack_sql "INSERT INTO Users (Firstname, Lastname, Email, Password) VALUES ('Legacy', NULL, '$1', '$2');
	    INSERT INTO UserRoles (UserId, RoleId) SELECT u.Id, r.Id FROM Users u, Roles r
	    WHERE u.Email = '$1' AND r.Name = 'User'"
}

stored() {
	stack_sql "SELECT Password FROM Users WHERE Email = '$1'"
}

# rehashed NAME EMAIL OLD-HASH: wrong password refused and the hash kept,
# right one accepted and the hash replaced, new hash accepted.
rehashed() {
	legacy "$2" "$3"
	api_login "$2" Password@124
	is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "$1: wrong password: 401"
	is "$(stored "$2")" "$3" "$1: a failed login leaves the hash alone"
	api_login "$2" Password@123
	is "$STATUS" 200 "$1: the right password logs in"
	h=$(stored "$2")
	case $h in
	"$CURRENT"*) ok 0 "$1: the hash is now Argon2id at the configured cost" ;;
	*) ok 1 "$1: the hash is now Argon2id at the configured cost"; diag "stored: $h" ;;
	esac
	api_login "$2" Password@123
	is "$STATUS" 200 "$1: the new hash logs in"
	is "$(stored "$2")" "$h" "$1: ... and is not replaced again"
	api_login "$2" Password@124
	is "$STATUS" 401 "$1: the new hash refuses a wrong password"
	api_login "$2" password@123
	is "$STATUS" 401 "$1: ... and a wrong case"
}

rehashed 'bcrypt $2a$ (BCrypt.Net)' a2a@example.com "$H2A"
rehashed 'bcrypt $2b$' a2b@example.com "$H2B"
rehashed 'bcrypt $2y$' a2y@example.com "$H2Y"
rehashed 'Argon2id at a lower cost' low@example.com "$HLOW"

# A hash at the configured cost stays as it is.
api_user current@example.com Password@123 || bail_out "register failed"
h=$(stored current@example.com)
api_login current@example.com Password@123
is "$STATUS" 200 "a registered user logs in"
is "$(stored current@example.com)" "$h" "... and a hash at the configured cost is not replaced"

# bcrypt reads only 72 bytes: a longer password must not match its prefix.
legacy long@example.com "$H72"
api_login long@example.com "${P72}y"
is "$STATUS $BODY" '401 {"message":"Invalid credentials."}' "bcrypt: 73 bytes whose first 72 match: 401"
is "$(stored long@example.com)" "$H72" "... the hash is kept"
api_login long@example.com "$P72"
is "$STATUS" 200 "bcrypt: the exact 72-byte password logs in"
api_login long@example.com "${P72}y"
is "$STATUS" 401 "after the re-hash, the 73-byte password is still refused"

done_testing
