-- Imports (issue 15). A job row per import in `imports`; the aggregates an
-- import brings, per site, day and dimension, in one imported_* table per
-- dimension, with the columns of Plausible's CSV export (so its files load
-- as they are). Every row carries its import's id: queries read the rows of
-- completed imports only, so a failed or running import shows nothing, and
-- deleting an import deletes its rows by id.
--
-- imports is small metadata, one row version per progress step; readers
-- use FINAL. It is replicated to every node on a cluster, like sites.
CREATE TABLE IF NOT EXISTS imports ON CLUSTER sillage
(
    id           UInt64,
    site_id      UInt32,
    source       LowCardinality(String),
    file_name    String,
    content_hash String,
    start_date   Date,
    end_date     Date,
    rows         Map(String, UInt64),
    pageviews    UInt64,
    status       LowCardinality(String),
    bytes_done   UInt64,
    bytes_total  UInt64,
    error        String,
    cursor       String,
    created_by   String,
    created_at   DateTime64(3, 'UTC'),
    updated_at   DateTime64(6, 'UTC'),
    deleted      UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/imports', '{shard}-{replica}', updated_at, deleted)
ORDER BY (site_id, id);

CREATE TABLE IF NOT EXISTS imported_visitors ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    visitors       UInt64,
    pageviews      UInt64,
    bounces        UInt64,
    visits         UInt64,
    visit_duration UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_visitors', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_sources ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    source         String,
    referrer       String,
    utm_source     String,
    utm_medium     String,
    utm_campaign   String,
    utm_content    String,
    utm_term       String,
    pageviews      UInt64,
    visitors       UInt64,
    visits         UInt64,
    visit_duration UInt64,
    bounces        UInt32
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_sources', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_pages ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    hostname       String,
    page           String,
    visits         UInt64,
    visitors       UInt64,
    pageviews      UInt64,
    exits          UInt64,
    time_on_page   UInt64,
    scroll_depth   Nullable(UInt64),
    pageleave_visitors UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_pages', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_entry_pages ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    entry_page     String,
    visitors       UInt64,
    entrances      UInt64,
    visit_duration UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_entry_pages', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_exit_pages ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    exit_page      String,
    visitors       UInt64,
    visit_duration UInt64,
    exits          UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_exit_pages', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_custom_events ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    name           String,
    link_url       String,
    path           String,
    visitors       UInt64,
    events         UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_custom_events', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_locations ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    country        String,
    region         String,
    city           UInt64,
    visitors       UInt64,
    visits         UInt64,
    visit_duration UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_locations', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_devices ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    device         String,
    visitors       UInt64,
    visits         UInt64,
    visit_duration UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_devices', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_browsers ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    browser        String,
    browser_version String,
    visitors       UInt64,
    visits         UInt64,
    visit_duration UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_browsers', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);

CREATE TABLE IF NOT EXISTS imported_operating_systems ON CLUSTER sillage
(
    site_id        UInt32,
    import_id      UInt64,
    date           Date,
    operating_system String,
    operating_system_version String,
    visitors       UInt64,
    visits         UInt64,
    visit_duration UInt64,
    bounces        UInt32,
    pageviews      UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/global/{database}/imported_operating_systems', '{shard}-{replica}')
ORDER BY (site_id, date, import_id);
