-- 005: OAuth 2.0 clients and scopes (SPEC §9).
--
-- Clients.SecretHash: the lowercase hex SHA-256 of the client secret that
-- `jwtauthctl client add --confidential` or `client secret` printed once;
-- NULL for a public client, which identifies itself by ClientId alone.
-- Clients.Scopes: the scopes the client may ask for, space-separated
-- (RFC 6749 §3.3 scope-tokens, hence ASCII), '' for none.
-- RefreshTokens.Scope: the scope granted with the token's family, so that
-- a refresh grants the same scope or a narrower one (RFC 6749 §6); NULL
-- when none was granted (every token of the tutorial's Login).

ALTER TABLE Clients
	ADD COLUMN IF NOT EXISTS SecretHash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	ADD COLUMN IF NOT EXISTS Scopes VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';

ALTER TABLE RefreshTokens
	ADD COLUMN IF NOT EXISTS Scope VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NULL;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (5);
