-- 003: an index for "every live refresh token of a user".
--
-- Logout from all devices, a password change (API and jwtauthctl user
-- passwd) and `jwtauthctl sessions revoke` all run
--   UPDATE RefreshTokens ... WHERE UserId = ? AND IsRevoked = 0
-- Every rotation leaves a revoked row behind until `jwtauthctl purge`, so a
-- long-lived account has many revoked rows and few live ones: with
-- (UserId, IsRevoked) the UPDATE reads and locks only the live ones. The
-- new index also serves the UserId foreign key, so the one-column index it
-- replaces goes.

CREATE INDEX IF NOT EXISTS IX_RefreshTokens_UserId_IsRevoked
	ON RefreshTokens (UserId, IsRevoked);

DROP INDEX IF EXISTS IX_RefreshTokens_UserId ON RefreshTokens;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (3);
