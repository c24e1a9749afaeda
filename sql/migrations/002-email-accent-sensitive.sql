-- 002: e-mail addresses compare case-insensitively but accent-sensitively.
--
-- schema.sql as first committed left Users.Email and
-- LoginThrottle.Email at the table default, utf8mb4_unicode_ci, which
-- folds accents as well as case: jose@ and josé@ were one address (the
-- second could not register) and shared one throttle counter. schema.sql
-- now creates both with utf8mb4_uca1400_as_ci (MariaDB 10.10 or later);
-- this brings a database made from the older file to the same state. On a
-- database that has it already, each MODIFY changes nothing.
--
-- Format of a migration (jwtauthctl migrate splits it without an SQL
-- parser): lines starting with "--" are comments; a statement ends with
-- ';' at the end of a line; every statement can run again safely; the
-- last one records the version, so that `mariadb DB < file` works too.

ALTER TABLE Users
	MODIFY Email VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_as_ci NOT NULL;

ALTER TABLE LoginThrottle
	MODIFY Email VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_as_ci NOT NULL;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (2);
