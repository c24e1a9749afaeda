-- 004: RefreshTokens without the index on ExpiresAt (issue 14).
--
-- Every rotation inserts a row, and every secondary index is one more
-- B-tree for MariaDB to update on the hot path of POST
-- /api/Auth/RefreshToken. This one served nothing: the rotation's reads
-- and writes go by TokenHash and Id, logout and revocation by
-- (UserId, IsRevoked) and FamilyId, and `jwtauthctl purge` selects
--   ExpiresAt <= now OR (IsRevoked = 1 AND RevokedAt <= ...)
-- for which MariaDB scans the table whether the index exists or not
-- (EXPLAIN: type ALL), since an OR with an unindexed column cannot use it.

DROP INDEX IF EXISTS IX_RefreshTokens_ExpiresAt ON RefreshTokens;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (4);
