-- jwtauth schema for MariaDB (SPEC §6).
--
-- Re-runnable: every statement is CREATE ... IF NOT EXISTS, so applying it
-- to an existing database creates what is missing and touches nothing else.
-- Later changes come as numbered migrations, never as edits that would make
-- an existing database differ from a new one.
--
-- Conventions: InnoDB (transactions, foreign keys, row locks), utf8mb4 with
-- case-insensitive collations (so Users.Email is unique regardless of
-- case; it needs MariaDB 10.10 or later for utf8mb4_uca1400_as_ci), every table with a primary key (Galera replicates only those
-- safely). Times are UTC DATETIMEs written with UTC_TIMESTAMP().

CREATE TABLE IF NOT EXISTS Users (
	Id          INT          NOT NULL AUTO_INCREMENT,
	Firstname   VARCHAR(50)  NOT NULL,
	Lastname    VARCHAR(50)  NULL,
	-- Case-insensitive but accent-sensitive (UCA 14.0): Jose and JOSE are
	-- one address, José and Jose are two. The table default,
	-- utf8mb4_unicode_ci, would also fold accents.
	Email       VARCHAR(100) COLLATE utf8mb4_uca1400_as_ci NOT NULL,
	-- An encoded hash: $argon2id$... or a legacy bcrypt $2a$/$2b$/$2y$.
	Password    VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	CreatedAt   DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
	PRIMARY KEY (Id),
	UNIQUE KEY UX_Users_Email (Email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS Roles (
	Id    INT         NOT NULL AUTO_INCREMENT,
	Name  VARCHAR(50) NOT NULL,
	PRIMARY KEY (Id),
	UNIQUE KEY UX_Roles_Name (Name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS UserRoles (
	UserId  INT NOT NULL,
	RoleId  INT NOT NULL,
	PRIMARY KEY (UserId, RoleId),
	KEY IX_UserRoles_RoleId (RoleId),
	CONSTRAINT FK_UserRoles_Users FOREIGN KEY (UserId) REFERENCES Users (Id) ON DELETE CASCADE,
	CONSTRAINT FK_UserRoles_Roles FOREIGN KEY (RoleId) REFERENCES Roles (Id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS Clients (
	Id         INT          NOT NULL AUTO_INCREMENT,
	-- Client ids are compared exactly, as the tutorial's string compare does.
	ClientId   VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	Name       VARCHAR(100) NOT NULL,
	-- The access token's aud (SPEC §4).
	ClientURL  VARCHAR(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	-- SPEC §9 (migration 005): hex SHA-256 of the secret of a confidential
	-- client, NULL for a public one; the scopes it may ask for, space-separated.
	SecretHash CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NULL,
	Scopes     VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
	PRIMARY KEY (Id),
	UNIQUE KEY UX_Clients_ClientId (ClientId)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS SigningKeys (
	Id          INT          NOT NULL AUTO_INCREMENT,
	-- RFC 7638 thumbprint of the public key, published as kid.
	KeyId       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- libsodium secretbox (nonce || MAC || ciphertext) of the DER private
	-- key under the master key file: the database alone never yields a
	-- usable private key.
	PrivateKey  VARBINARY(16384) NOT NULL,
	-- DER SubjectPublicKeyInfo.
	PublicKey   VARBINARY(4096)  NOT NULL,
	IsActive    TINYINT(1)   NOT NULL DEFAULT 0,
	CreatedAt   DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
	ExpiresAt   DATETIME     NULL,
	RetiredAt   DATETIME     NULL,
	-- BLAKE2b-256 keyed with a key derived from the master key over KeyId,
	-- alg and PublicKey (lib/keys.h): a row the master key did not make
	-- is never trusted. NULL until bound (migration 006, jwtauthctl keys bind).
	Binding     VARBINARY(32)    NULL,
	-- 1 for the active key, NULL for the others: with the UNIQUE index
	-- below, at most one key is active (MariaDB has no partial index).
	ActiveFlag  TINYINT      AS (IF(IsActive = 1, 1, NULL)) PERSISTENT,
	PRIMARY KEY (Id),
	UNIQUE KEY UX_SigningKeys_KeyId (KeyId),
	UNIQUE KEY UX_SigningKeys_ActiveFlag (ActiveFlag),
	KEY IX_SigningKeys_IsActive (IsActive)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS RefreshTokens (
	Id          BIGINT       NOT NULL AUTO_INCREMENT,
	-- Lowercase hex SHA-256 of the token; the token itself is never stored.
	TokenHash   CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	UserId      INT          NOT NULL,
	ClientId    INT          NOT NULL,
	-- Every token descending from one login shares the family id, so that
	-- reuse of a rotated token can revoke the whole family (SPEC §3).
	FamilyId    CHAR(32)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	ExpiresAt   DATETIME     NOT NULL,
	IsRevoked   TINYINT(1)   NOT NULL DEFAULT 0,
	CreatedAt   DATETIME     NOT NULL DEFAULT UTC_TIMESTAMP(),
	RevokedAt   DATETIME     NULL,
	-- Id of the token that replaced this one by rotation.
	ReplacedBy  BIGINT       NULL,
	-- SPEC §9 (migration 005): the scope granted to the family, NULL for none.
	Scope       VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NULL,
	PRIMARY KEY (Id),
	UNIQUE KEY UX_RefreshTokens_TokenHash (TokenHash),
	KEY IX_RefreshTokens_UserId (UserId),
	KEY IX_RefreshTokens_FamilyId (FamilyId),
	-- No index on ExpiresAt (migration 004): no query could use one.
	CONSTRAINT FK_RefreshTokens_Users FOREIGN KEY (UserId) REFERENCES Users (Id) ON DELETE CASCADE,
	CONSTRAINT FK_RefreshTokens_Clients FOREIGN KEY (ClientId) REFERENCES Clients (Id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed logins per email address, whether or not an account exists, so
-- that throttling itself does not reveal which addresses are registered.
CREATE TABLE IF NOT EXISTS LoginThrottle (
	Email         VARCHAR(100) COLLATE utf8mb4_uca1400_as_ci NOT NULL,
	FailedCount   INT          NOT NULL DEFAULT 0,
	WindowStart   DATETIME     NOT NULL,
	PRIMARY KEY (Email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS Products (
	Id           INT            NOT NULL AUTO_INCREMENT,
	Name         VARCHAR(100)   NOT NULL,
	Description  VARCHAR(500)   NULL,
	-- Exact money: DECIMAL, never FLOAT (999.99 stays 999.99).
	Price        DECIMAL(18,2)  NOT NULL,
	PRIMARY KEY (Id),
	CONSTRAINT CK_Products_Price CHECK (Price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Applied migrations (sql/migrations/NNN-*.sql); schema.sql is version 1.
CREATE TABLE IF NOT EXISTS SchemaMigrations (
	Version    INT      NOT NULL,
	AppliedAt  DATETIME NOT NULL DEFAULT UTC_TIMESTAMP(),
	PRIMARY KEY (Version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO SchemaMigrations (Version) VALUES (1);
