-- Email reports and traffic alerts. Metadata tables, versioned like the
-- others (ReplacingMergeTree, read with FINAL).

-- Who receives a site's weekly or monthly report: a member (user_id set,
-- email empty: the address is the account's current email, and the
-- subscription lapses with the membership) or an address an owner added
-- (user_id nil). The address is kept while the subscription lives;
-- unsubscribing writes a tombstone (deleted = 1).
CREATE TABLE IF NOT EXISTS report_subscriptions ON CLUSTER sillage
(
    site_id    UInt32,
    kind       LowCardinality(String),
    email      String,
    user_id    UUID,
    lang       LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/report_subscriptions', '{shard}-{replica}', updated_at, deleted)
ORDER BY (site_id, kind, user_id, email);

-- The one-click unsubscribe links of the reports sent: only a SHA-256 of
-- each link's random token is kept, with the subscription it ends (user_id
-- for a member's, email for an added address). A link works for a year.
CREATE TABLE IF NOT EXISTS report_unsubscribe_tokens ON CLUSTER sillage
(
    token_hash String,
    site_id    UInt32,
    kind       LowCardinality(String),
    user_id    UUID,
    email      String,
    expires_at DateTime('UTC'),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/report_unsubscribe_tokens', '{shard}-{replica}', updated_at)
ORDER BY token_hash
TTL expires_at;

-- What the scheduler delivered (or failed to): one row per send key (site,
-- recipient, kind, period), so that a restarted process skips what is done
-- without building the report again, and settings show the last send.
-- Rows go after 400 days.
CREATE TABLE IF NOT EXISTS report_deliveries ON CLUSTER sillage
(
    send_key   String,
    site_id    UInt32,
    kind       LowCardinality(String),
    email      String,
    period     Date,
    error      String,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/report_deliveries', '{shard}-{replica}', updated_at)
ORDER BY send_key
TTL toDateTime(updated_at) + toIntervalDay(400);

-- Traffic alerts of a site: a spike (current visitors at or above
-- spike_visitors; 0 is off) and a drop (a finished day under half the
-- median of the same weekday over the 4 weeks before), each silent for
-- cooldown_hours after it fired, sent to the members named in recipients.
CREATE TABLE IF NOT EXISTS alert_settings ON CLUSTER sillage
(
    site_id        UInt32,
    spike_visitors UInt32,
    drop_enabled   UInt8,
    cooldown_hours UInt16,
    recipients     Array(String),
    lang           LowCardinality(String),
    updated_at     DateTime64(6, 'UTC'),
    deleted        UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/alert_settings', '{shard}-{replica}', updated_at, deleted)
ORDER BY site_id;

-- When each alert of a site last fired, for its cool-down.
CREATE TABLE IF NOT EXISTS alert_state ON CLUSTER sillage
(
    site_id    UInt32,
    kind       LowCardinality(String),
    fired_at   DateTime('UTC'),
    detail     String,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/alert_state', '{shard}-{replica}', updated_at)
ORDER BY (site_id, kind);
