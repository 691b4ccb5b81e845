-- Tenancy: instance operators, instance settings, and the single-use
-- links that invite someone to a site or reset a password. Metadata
-- tables, versioned like the others (ReplacingMergeTree, read with FINAL);
-- new tables rather than new columns on users, so that a rewrite of a user
-- row can never reset them.

-- Operators manage the instance (its settings, who adds sites); they read
-- no site's stats unless they are members of it.
CREATE TABLE IF NOT EXISTS operators ON CLUSTER sillage
(
    user_id    UUID,
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/operators', '{shard}-{replica}', updated_at, deleted)
ORDER BY user_id;

-- Instance settings, one row per name; a missing row is the default.
CREATE TABLE IF NOT EXISTS instance_settings ON CLUSTER sillage
(
    name       String,
    value      String,
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/instance_settings', '{shard}-{replica}', updated_at, deleted)
ORDER BY name;

-- Invitations and password resets. Only a SHA-256 of the token is kept;
-- id names a pending invitation in the dashboard (to revoke it) without
-- revealing anything of the token. A used, revoked or declined token is a
-- new version of its row (used = 1 or deleted = 1). Rows go a month after
-- they expire: the email of someone who never answered is not kept.
CREATE TABLE IF NOT EXISTS account_tokens ON CLUSTER sillage
(
    token_hash String,
    id         UUID,
    kind       LowCardinality(String),
    email      String,
    user_id    UUID,
    site_id    UInt32,
    role       LowCardinality(String),
    inviter_id UUID,
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime('UTC'),
    used       UInt8,
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/account_tokens', '{shard}-{replica}', updated_at, deleted)
ORDER BY token_hash
TTL expires_at + toIntervalDay(30);

-- On upgrade, the oldest live account (the one first-run setup made)
-- becomes the instance's operator; later accounts stay what they were.
-- Rerun after an interruption, it finds an operator and adds none.
INSERT INTO operators (user_id, updated_at, deleted)
SELECT id, now64(6, 'UTC'), 0 FROM users FINAL
WHERE deleted = 0 AND (SELECT count() FROM operators FINAL WHERE deleted = 0) = 0
ORDER BY created_at, id
LIMIT 1;
