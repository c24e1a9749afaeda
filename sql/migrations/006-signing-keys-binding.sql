-- 006: every signing key row bound to the master key (issue 16).
--
-- A writer to the database could insert a key of its own into SigningKeys
-- (its thumbprint as KeyId, any PrivateKey bytes, retired a moment ago)
-- and the verifiers trusted it and the JWKS published it. Binding holds
-- BLAKE2b-256 keyed with a key derived from the master key over KeyId, alg
-- and PublicKey (lib/keys.h); a row without a good one is ignored.
--
-- Rows that exist when this runs have no binding yet, and are ignored until
-- bound: run `jwtauthctl keys bind` (with the programs' configuration, which
-- names the master key file) right after; `jwtauthctl migrate` reminds you.

ALTER TABLE SigningKeys ADD COLUMN IF NOT EXISTS Binding VARBINARY(32) NULL AFTER RetiredAt;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (6);
