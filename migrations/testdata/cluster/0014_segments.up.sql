-- Segments: a named set of Stats API v2 filters, kept as the JSON the API
-- takes (filters). A personal segment (shared = 0) is its owner's alone;
-- a shared one is seen by every member of the site and its shared links.
-- The id is a number, as Plausible's, for ["is", "segment", [id]].
CREATE TABLE IF NOT EXISTS segments ON CLUSTER sillage
(
    site_id    UInt32,
    id         UInt64,
    owner_id   UUID,
    name       String,
    filters    String,
    shared     UInt8,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/segments', '{shard}-{replica}', updated_at, deleted)
ORDER BY (site_id, id);

-- The segment an email report is restricted to, one row per subscription
-- (the key of report_subscriptions); segment_id 0 is the whole site.
CREATE TABLE IF NOT EXISTS report_segments ON CLUSTER sillage
(
    site_id    UInt32,
    kind       LowCardinality(String),
    email      String,
    user_id    UUID,
    segment_id UInt64,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/report_segments', '{shard}-{replica}', updated_at)
ORDER BY (site_id, kind, user_id, email);
