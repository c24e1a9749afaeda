-- 007: at most one active signing key, enforced by the schema.
--
-- Two `jwtauthctl init` (or `keys rotate`) at the same moment could each
-- retire the active key (none, on an empty database) and insert their own:
-- under READ COMMITTED neither sees the other's uncommitted row, and both
-- ended up active. MariaDB has no partial index, so ActiveFlag is 1 for the
-- active key and NULL for every other (a UNIQUE index allows any number of
-- NULLs): a second active row is refused with a duplicate-key error, which
-- lib/keys.c answers by redoing its transaction (it then sees the winner).
--
-- A database that already has two active keys keeps the newest active
-- (the others retire now and stay published for their grace period), so
-- that the index can be built.

UPDATE SigningKeys s
	JOIN (SELECT MAX(Id) AS Id FROM SigningKeys WHERE IsActive = 1) newest
	SET s.IsActive = 0, s.RetiredAt = UTC_TIMESTAMP()
	WHERE s.IsActive = 1 AND s.Id <> newest.Id;

ALTER TABLE SigningKeys
	ADD COLUMN IF NOT EXISTS ActiveFlag TINYINT AS (IF(IsActive = 1, 1, NULL)) PERSISTENT;

CREATE UNIQUE INDEX IF NOT EXISTS UX_SigningKeys_ActiveFlag ON SigningKeys (ActiveFlag);

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (7);
